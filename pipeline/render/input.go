// Package render writes a run's published outputs from the metrics table:
// the statement PDF, the data pack (XLSX, CSV, Parquet), the data-quality
// table and the restricted, unsuppressed copy. It never runs SQL and never
// sees record-level data.
package render

import "hiis/pipeline/metrics"

// Organisation is the body publishing the statement.
type Organisation struct {
	Code string
	Name string
	Kind string // "icb" or "trust"
}

// Indicator describes one indicator for the statement and the data pack.
type Indicator struct {
	ID          string
	Name        string
	Domain      string // e.g. "Elective recovery"
	Evidence    string // C, P or U
	Description string // plain English, for the annex
	Source      string // the source's name in the run config
	SourceKind  string // e.g. "wlmds"
	Measure     string // proportion, crude_rate, dsr, count, ratio_to_baseline, mean
	Unit        string // how to label values: "%", "per 100,000", "ratio", "people" ...
	Multiplier  float64
	Polarity    string // "lower_is_better", "higher_is_better" or "" (no judgement)
}

// DataQuality counts records with unusable equality fields, per source and
// (where Indicator is set) per indicator. Counts are as published, after
// disclosure control: rounded, or NaN when withheld (shown as *). The
// percentages are computed upstream from the unrounded counts and are NaN
// when their count is withheld.
type DataQuality struct {
	Source          string
	Indicator       string // "" for the whole source
	Records         float64
	EthnicNotStated float64 // code Z
	EthnicNotKnown  float64 // code 99
	EthnicBlank     float64 // blank or not a valid code
	NoValidLSOA     float64 // no LSOA, or not in the IMD lookup
	PctNotStated    float64 // EthnicNotStated as % of Records
	PctNotKnown     float64
	PctBlank        float64
	PctNoValidLSOA  float64
	// Duplicates (source rows only), OutsidePopulation (records whose LSOA
	// is in the IMD lookup but not in the population source) and Matches
	// (how LSOAs matched with an LSOA 2011 → 2021 lookup; source rows only)
	// are published counts; NaN, or nil, when they do not apply.
	Duplicates        float64
	OutsidePopulation float64
	Matches           []MatchCount
	// Previous holds the same figures from the previous year's published
	// table, when the run config names one and it has this source (and
	// indicator); nil otherwise. The 2025 statement asks for the change
	// since last year.
	Previous *DataQuality
}

// SourceSummary is what extract did with one source.
type SourceSummary struct {
	Name     string
	Kind     string
	File     string // file name only, never a full path
	Rows     int64  // rows read
	Rejected int64  // rows written to the rejects file
	// Duplicates counts records whose record key repeats an earlier one
	// (in the rejects file, or kept with duplicates: keep); published
	// under the disclosure rule (NaN when withheld).
	Duplicates float64
	// OutsidePopulation counts records whose LSOA is in the IMD lookup but
	// not in the population source (published); NaN when there is no
	// population source. Matches says how the records' LSOAs matched the
	// IMD lookup with an LSOA 2011 → 2021 lookup (nil without one).
	OutsidePopulation float64
	Matches           []MatchCount
}

// MatchCount is the records of a source whose LSOA matched the IMD lookup
// one way (refdata's labels: direct, lsoa2011, lsoa2011_split ...),
// published under the disclosure rule.
type MatchCount struct {
	Label   string
	Records float64
}

// PopulationRow is one cell of the population context (people by group),
// as published: rounded, or NaN when withheld by disclosure control.
type PopulationRow struct {
	Breakdown string // metrics breakdown names: imd_quintile, ethnic_group, age_band, sex
	Group     string
	People    float64
}

// Narrative is a block of text the organisation wrote (actions taken ...),
// in the small Markdown subset the statement renders: paragraphs, "- " and
// "1. " lists, **strong**, *emphasis* and [links](https://...).
type Narrative struct {
	Title string
	Text  string
}

// Input is everything render needs. Metrics are the published rows (after
// disclosure control), Unsuppressed the same rows before it; both sorted.
type Input struct {
	Organisation   Organisation
	Period         string // e.g. "2025/26"
	Version        string // hiis version, printed in the statement's footer
	IMDEdition     string // e.g. "English Indices of Deprivation 2019 (LSOA 2011)"
	DisclosureRule string // one sentence for the methods section
	// DisclosureSetting is one sentence for the data pack's README: the
	// configuration keys that chose the rule and what the other setting of
	// disclosure.secondary would do ("" leaves the line out).
	DisclosureSetting string
	Indicators        []Indicator
	Metrics           []metrics.Row
	Unsuppressed      []metrics.Row
	DataQuality       []DataQuality
	Sources           []SourceSummary
	Population        []PopulationRow
	Core20Share       float64 // share of the population in IMD quintile 1, 0..1; NaN when unknown
	Narrative         []Narrative
	// PreviousPeriod is last year's period label ("2024/25") when the config
	// names last year's published metrics, "" otherwise; Changes then holds
	// each indicator's change since that year.
	PreviousPeriod string
	Changes        []Change
	// Comparator is the published metrics each indicator is read beside
	// (all organisations of a multi-organisation run, or England), with
	// ComparatorLabel naming it; nil for none. Rows are matched by
	// indicator, breakdown and group (not organisation). Unassigned counts,
	// per source, the comparator's records no organisation took, as
	// published: rounded, or NaN when withheld by disclosure control; nil
	// when not known (the data-quality section then says nothing of them).
	Comparator      []metrics.Row
	ComparatorLabel string
	Unassigned      map[string]float64
	// Comparisons are further comparators (published files, such as
	// England's values from Fingertips), shown after Comparator in this
	// order. Each covers only the indicators and groups it has rows for; the
	// statement says nothing of the others.
	Comparisons []Comparison
	// Templates is the folder of the run's statement templates
	// (<templates>/statement); a section template it lacks is read from
	// the built-in copy. "" uses the built-ins only.
	Templates string
	// Provenance is the sha256 of the config and inputs, for the data
	// pack's README sheet.
	Provenance Provenance
}

// Comparison is a comparator from a published file.
type Comparison struct {
	Key    string // its name in the config (comparators.<key>), naming its data pack columns
	Label  string // as the statement names it, e.g. "England"
	Period string // the period of its published values, e.g. "2023/24"
	Rows   []metrics.Row
}
