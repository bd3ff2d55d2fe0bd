package render

import (
	"bytes"
	"encoding/csv"
	"math"
	"sort"

	"hiis/pipeline/metrics"
)

// dataQualityColumns is the header of data-quality.csv and of the data pack's
// Data quality sheet.
var dataQualityColumns = []string{
	"source", "indicator", "records",
	"ethnic_not_stated", "ethnic_not_known", "ethnic_blank_or_invalid", "no_valid_lsoa",
	"pct_ethnic_not_stated", "pct_ethnic_not_known", "pct_ethnic_blank_or_invalid", "pct_no_valid_lsoa",
	"prev_records",
	"prev_pct_ethnic_not_stated", "prev_pct_ethnic_not_known", "prev_pct_ethnic_blank_or_invalid", "prev_pct_no_valid_lsoa",
	"change_pct_ethnic_not_stated", "change_pct_ethnic_not_known", "change_pct_ethnic_blank_or_invalid", "change_pct_no_valid_lsoa",
	"duplicates", "outside_population",
	"lsoa_direct", "lsoa_lsoa2011", "lsoa_lsoa2011_split", "lsoa_lsoa2021", "lsoa_lsoa2021_merged", "lsoa_unmatched",
}

// matchColumns are the LSOA match labels of the lsoa_ columns, in order.
var matchColumns = []string{"direct", "lsoa2011", "lsoa2011_split", "lsoa2021", "lsoa2021_merged", "unmatched"}

// restrictedReadme is restricted/README.txt.
const restrictedReadme = `NOT FOR PUBLICATION

The files in this folder are derived from record-level data and have not
been through disclosure control. metrics_unsuppressed.csv is the metrics
table before suppression and rounding: it holds small counts (1 to 7) and
unrounded numbers that could identify people. Anything else placed here by
the run (such as rejected rows) is record-level.

They are for the analysts who produced the statement, to check and
reproduce it. Do not publish them, attach them to board papers or send them
outside the organisation. The published equivalents are metrics.csv,
metrics.parquet and datapack.xlsx in the folder above.
`

// metricsCSV is metrics.WriteCSV into memory.
func metricsCSV(rows []metrics.Row) ([]byte, error) {
	var buf bytes.Buffer
	if err := metrics.WriteCSV(&buf, rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sortedDataQuality returns the data-quality rows sorted by source, then
// indicator (the whole-source row, with no indicator, first).
func sortedDataQuality(dq []DataQuality) []DataQuality {
	out := append([]DataQuality(nil), dq...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Indicator < out[j].Indicator
	})
	return out
}

// counts are the four unusable-field counts of a data-quality row as
// published (NaN when withheld), in dataQualityColumns order.
func (q DataQuality) counts() [4]float64 {
	return [4]float64{q.EthnicNotStated, q.EthnicNotKnown, q.EthnicBlank, q.NoValidLSOA}
}

// shares are the four unusable-field percentages of a data-quality row, in
// dataQualityColumns order: the Pct fields, computed upstream from the
// unrounded counts, rounded to 2 dp; NaN where withheld or without records.
// They are never derived here from the published (rounded) counts.
func (q DataQuality) shares() [4]float64 {
	out := [4]float64{q.PctNotStated, q.PctNotKnown, q.PctBlank, q.PctNoValidLSOA}
	for i, v := range out {
		out[i] = round2(v)
	}
	return out
}

// shareWithheld reports whether the i-th share is withheld by disclosure
// control (shown as *) rather than not available: it is missing and the
// row's records are not simply 0.
func (q DataQuality) shareWithheld(i int) bool {
	return math.IsNaN(q.shares()[i]) && q.Records != 0
}

// changeWithheld reports whether the i-th change since last year is missing
// because this year's or last year's share is withheld.
func (q DataQuality) changeWithheld(i int) bool {
	return q.Previous != nil && (q.shareWithheld(i) || q.Previous.shareWithheld(i))
}

// round2 rounds to 2 dp (halves away from zero); NaN stays NaN.
func round2(v float64) float64 {
	return math.Round(v*100) / 100
}

// changes are the four shares minus the previous year's, in percentage
// points to 2 dp: the difference of the printed shares, so that the columns
// add up. NaN where either share is missing, all NaN without Previous.
func (q DataQuality) changes() [4]float64 {
	var out [4]float64
	if q.Previous == nil {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	now, prev := q.shares(), q.Previous.shares()
	for i := range out {
		out[i] = round2(now[i] - prev[i])
	}
	return out
}

// dataQualityRecord is one line of data-quality.csv: counts as published
// and shares to 2 dp, empty where withheld or not available. The previous
// year's columns are empty when q has no Previous.
func dataQualityRecord(q DataQuality) []string {
	rec := []string{q.Source, q.Indicator, metrics.FormatNumber(q.Records)}
	for _, v := range q.counts() {
		rec = append(rec, metrics.FormatNumber(v))
	}
	for _, v := range q.shares() {
		rec = append(rec, metrics.FormatNumber(v))
	}
	if q.Previous == nil {
		rec = append(rec, make([]string, 9)...)
	} else {
		rec = append(rec, metrics.FormatNumber(q.Previous.Records))
		for _, v := range q.Previous.shares() {
			rec = append(rec, metrics.FormatNumber(v))
		}
		for _, v := range q.changes() {
			rec = append(rec, metrics.FormatNumber(v))
		}
	}
	rec = append(rec, metrics.FormatNumber(q.Duplicates), metrics.FormatNumber(q.OutsidePopulation))
	for _, l := range matchColumns {
		v := ""
		for _, m := range q.Matches {
			if m.Label == l {
				v = metrics.FormatNumber(m.Records)
			}
		}
		rec = append(rec, v)
	}
	return rec
}

// dataQualityCSV renders data-quality.csv.
func dataQualityCSV(dq []DataQuality) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(dataQualityColumns); err != nil {
		return nil, err
	}
	for _, q := range sortedDataQuality(dq) {
		if err := w.Write(dataQualityRecord(q)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
