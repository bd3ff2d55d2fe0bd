package fixturegen

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// The synthetic organisation the fixtures describe.
const (
	orgCode = "QXX"
	orgName = "NHS Fenland and Nene ICB (synthetic)"
)

// recordSource is a record-level file with its kind and README line.
type recordSource struct {
	f         sourceFile
	kind, doc string
}

// file is one generated fixture file.
type file struct {
	path string // slash-separated, relative to the fixture root
	data []byte
	rows int    // data rows (CSV and XLSX; 0 for other files)
	kind string // source kind, "reference" or "" for documentation
	doc  string // one line for the README
}

// Generate writes the whole fixture tree for seed under dir (creating
// folders as needed and overwriting files it owns; it never touches other
// files such as dir/golden). The same seed always gives byte-identical files.
func Generate(dir string, seed uint64) error {
	files, err := build(seed)
	if err != nil {
		return err
	}
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("generate fixtures: %w", err)
		}
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return fmt.Errorf("generate fixtures: %w", err)
		}
	}
	return nil
}

// build returns every fixture file for seed, in a fixed order, without
// writing anything.
func build(seed uint64) ([]file, error) {
	areas, err := buildLSOAs(seed)
	if err != nil {
		return nil, fmt.Errorf("build fixtures: %w", err)
	}
	people := buildPeople(seed, areas)

	var files []file
	lookups := 0
	for _, a := range areas {
		if a.inLookup {
			lookups++
		}
	}
	files = append(files, file{path: "reference/imd_lookup.csv", data: imdLookup(areas), rows: lookups, kind: "reference",
		doc: "synthetic IMD 2019 lookup in the official File_1 format (BOM, CRLF, quoted ranks \"29,199\"); codes E01990001… cannot be real"})
	pop, popRows := populationCSV(people)
	files = append(files, file{path: "sources/population.csv", data: pop, rows: popRows, kind: "population",
		doc: fmt.Sprintf("%d registered people counted by lsoa × sex × single year of age × ethnic_category (non-zero cells)", len(people))})

	record := []recordSource{
		{wlmdsFile(seed, people), "wlmds", "open pathways at the census date " + isoDate(census) + " (ER-1a–c)"},
		{apcFile(seed, people), "apc", "SUS-style spells, 2019-03-01 – 2020-02-29 (ER-3 baseline), March 2025 (outside the period) and the period; NHS-style headers that the run config maps (ER-2a, ER-2b, ER-3, UEC-1–3, RESP-2, CVD-4, CVD-5, OH-1)"},
		{outpatientsFile(seed, people), "outpatients", "appointments in the period, attended or not (ER-2c, ER-2d); 2 bad rows"},
		{ecdsFile(seed, people), "ecds", "emergency care attendances in the period (ER-2e); 0.3% with sex 9; 3 bad rows"},
	}
	for _, m := range mhsdsFiles(seed, people) {
		doc := map[string]string{
			"mhsds_detentions.csv":  "Mental Health Act detentions starting in the period (MH-1); person_id repeats for repeat detentions",
			"mhsds_restrictive.csv": "restrictive intervention incidents (MH-2 counts people); person_id repeats",
			"mhsds_contacts.csv":    "care contacts, all ages, children 0–17 included (MH-3 counts people 0–17); person_id repeats",
		}[m.name]
		record = append(record, recordSource{m, m.name[:len(m.name)-len(".csv")], doc})
	}
	record = append(record,
		recordSource{talkingTherapiesFile(seed, people), "talking_therapies", "finished courses of treatment, end_date written DD/MM/YYYY (MH-5)"},
		recordSource{cancerFile(seed, people), "cancer", "registered tumours diagnosed in the period; stage 1–4, blank, X or U (CA-1)"},
	)
	var bad []badRow
	for _, r := range record {
		files = append(files, file{path: "sources/" + r.f.name, data: r.f.data, rows: r.f.rows, kind: r.kind, doc: r.doc})
		bad = append(bad, r.f.bad...)
	}

	prev, prevRows := previousDataQuality(record)
	files = append(files, file{path: "previous/data-quality-2024-25.csv", data: prev, rows: prevRows, kind: "reference",
		doc: "last year's data-quality.csv (2024/25), source level, for the change since the previous year; a little worse than this year's"})
	aggs, ms := aggregateRows(seed, people)
	prevMetrics, prevMetricRows, err := previousMetrics(seed, people, aggs, ms)
	if err != nil {
		return nil, fmt.Errorf("build fixtures: %w", err)
	}
	files = append(files, file{path: "previous/metrics-2024-25.csv", data: prevMetrics, rows: prevMetricRows, kind: "reference",
		doc: "last year's published metrics.csv (2024/25), overall, quintile and Q1–Q5 gap rows, for the change since the previous year: from the generating model with every quintile's numerator a little higher (most in quintile 1), drawn and computed with hiis's statistics"})
	england, englandRows, err := englandCSV(seed, people)
	if err != nil {
		return nil, fmt.Errorf("build fixtures: %w", err)
	}
	files = append(files, file{path: "reference/fingertips-england.csv", data: england, rows: englandRows, kind: "reference",
		doc: "SYNTHETIC values for \"England\" in Fingertips' data download layout (2023/24), for the second comparator: six indicators under made-up Indicator IDs 99xxxx, persons overall and by IMD quintile (UEC-1 overall only), from the generating model scaled 50 times with a narrower gap, plus male, female, 2022/23 and regional rows hiis must not read; not England's real figures"})
	aggDocs := []struct{ file, doc string }{
		{"cvdprevent.csv", "CVDPREVENT-style counts: CVDP007HYP (CVD-1), CVDP009CHOL (CVD-2), CVDP002AF (CVD-3)"},
		{"nda.xlsx", "National Diabetes Audit-style workbook, sheet NDA: NDA_CP8_T1, NDA_CP8_T2 (DM-1), NPDA_RTCGM_T1 (DM-2)"},
		{"gp_health_checks.csv", "GP health checks: SMI_PHC6 (MH-4), LDHC_14PLUS (LDA-1)"},
		{"vaccination.csv", "vaccination uptake: VAC_COVID_AUT25, VAC_FLU_2526, VAC_PPV_65PLUS (RESP-1)"},
		{"maternity.csv", "continuity of carer: MSD_COC_PLACED, MSD_COC_TARGET (MAT-1)"},
	}
	for _, a := range aggDocs {
		rows := aggs[a.file]
		var data []byte
		if filepath.Ext(a.file) == ".xlsx" {
			data, err = aggregateXLSX("NDA", rows)
			if err != nil {
				return nil, fmt.Errorf("build fixtures: %s: %w", a.file, err)
			}
		} else {
			data = aggregateCSV(rows)
		}
		files = append(files, file{path: "sources/" + a.file, data: data, rows: len(rows), kind: "aggregate", doc: a.doc})
	}
	tob := tobaccoRows()
	files = append(files, file{path: "sources/tobacco.csv", data: aggregateCSV(tob), rows: len(tob), kind: "aggregate",
		doc: "tobacco dependence settings, overall only: TDS_ACUTE_SETTINGS (SM-1), TDS_MATERNITY_SETTINGS (SM-2)"})
	ld := ldInpatientRows(seed, people)
	files = append(files, file{path: "sources/ld_inpatients.csv", data: aggregateCSV(ld), rows: len(ld), kind: "aggregate",
		doc: "AT_LDA_INPATIENTS (LDA-2): inpatients / adult population, overall, sex and age band; report per million"})

	truth, err := truthJSON(seed, people, ms, bad)
	if err != nil {
		return nil, fmt.Errorf("build fixtures: %w", err)
	}
	files = append(files, file{path: "truth.json", data: truth, doc: "true Q1/Q5 ratios and expected counts per quintile of every record-level indicator, and every multiplier used"})
	files = append(files, file{path: "README.md", data: readme(seed, files, bad)})
	return files, nil
}

// previousDataQuality writes the data-quality.csv a run for 2024/25 would
// have published, source by source: 95% of this year's records, with
// recording a little worse than this year's (Z 6%, 99 2.6%, blank 2.5%, no
// valid LSOA 1.8%), so the statement shows improvement.
func previousDataQuality(record []recordSource) ([]byte, int) {
	t := newTable("source", "indicator", "records", "ethnic_not_stated", "ethnic_not_known", "ethnic_blank_or_invalid", "no_valid_lsoa",
		"pct_ethnic_not_stated", "pct_ethnic_not_known", "pct_ethnic_blank_or_invalid", "pct_no_valid_lsoa")
	shares := []float64{0.060, 0.026, 0.025, 0.018}
	names := make([]string, 0, len(record))
	rows := map[string]int{}
	for _, r := range record {
		names = append(names, r.kind)
		rows[r.kind] = r.f.rows
	}
	sort.Strings(names)
	for _, name := range names {
		n := int64(math.Round(0.95 * float64(rows[name])))
		rec := []string{name, "", strconv.FormatInt(n, 10)}
		var pcts []string
		for _, sh := range shares {
			c := int64(math.Round(sh * float64(n)))
			rec = append(rec, strconv.FormatInt(c, 10))
			pcts = append(pcts, strconv.FormatFloat(math.Round(10000*float64(c)/float64(n))/100, 'f', -1, 64))
		}
		t.row(append(rec, pcts...)...)
	}
	return t.bytes(), t.rows
}
