// Package trend compares a run with the previous year's published
// statement: it reads last year's metrics.csv or metrics.parquet (and the
// manifest.json beside it, when there is one) and works out, for each
// indicator, the change in the overall value and in the IMD quintile 1 − 5
// gap, with a 95% interval, from the published figures of both years.
//
// # Rows
//
// Each indicator gets rows with breakdown "change", one per group of
// metrics.ChangeGroups, so the table stays one row per indicator ×
// breakdown × group with the standard columns:
//
//	overall_last_year     last year's published overall row (numbers, method, suppressed as published)
//	overall_this_year     this year's published overall row
//	overall_difference    this year − last year, with 95% and 99.8% limits
//	gap_q1_q5_last_year   last year's published quintile 1 − 5 gap
//	gap_q1_q5_this_year   this year's gap
//	gap_q1_q5_difference  the gap's change, with its limits
//
// The period column is this run's; the note of a year's row names the year
// ("as published for 2024/25"), the note of a difference says whether its
// 95% interval excludes 0, or why there is none. A measure this year does
// not publish (a count has no gap, an indicator with no IMD breakdown) has
// no rows.
//
// # Interval
//
// Each year's standard error comes from its published 95% limits on the
// scale of the value, se = (U − L)/(2·1.959964), and the difference has
// se = √(se_last² + se_this²) and limits d ∓ z·se (stats.Difference). This
// is the method of the gap rows of the metrics, whose limits are symmetric
// on that scale, so a gap's change is exact; for an overall value it treats
// a Wilson, Byar, Dobson or log-normal interval as symmetric, which at the
// sizes where a change can be detected it nearly is. The log scale would
// give the interval of a ratio of the two years, not of the difference the
// statement reports.
//
// # Published figures only, like for like
//
// Both years' figures are as published, after disclosure control: a value
// withheld in either year gives no difference (the difference row is then
// flagged suppressed). The years are not like for like, and the difference
// is left out with a note, when last year's figures are for another
// organisation, when last year's manifest.json lists other definition files
// (sha256) for the indicator, or, for the gap only, when the IMD editions
// differ: last year's edition comes from the config's previous.imd_edition,
// else from the manifest; editions are compared by their year ("2019",
// "2025"), or by their text when either names none. With neither, the
// editions are taken to be the same.
package trend

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
)

// ManifestName is the file read beside last year's metrics, when present,
// for the IMD edition and the indicator definitions that run used.
const ManifestName = manifest.Name

// Previous is last year's published metrics table.
type Previous struct {
	File         string // the metrics file read, for messages
	Period       string // its period label, the same on every row
	Organisation string // its organisation code, the same on every row
	Rows         int    // rows read
	// Manifest is the manifest.json read beside the metrics, "" if none.
	Manifest string
	// IMDEdition is the IMD edition the manifest names ("" without one).
	IMDEdition string
	// Definitions holds, by indicator id, the sorted sha256 of the
	// indicator's definition files as the manifest lists them; nil without
	// a manifest.
	Definitions map[string][]string

	byKey map[string]metrics.Row
}

// Row returns last year's published row for an indicator, breakdown and
// group.
func (p *Previous) Row(id, breakdown, group string) (metrics.Row, bool) {
	r, ok := p.byKey[metrics.Row{IndicatorID: id, Breakdown: breakdown, Group: group}.Key()]
	return r, ok
}

// Read reads last year's metrics.csv or metrics.parquet (by its extension)
// as written by hiis: the header (or Parquet schema) must be exactly
// metrics.Columns, every number must parse, every row must name an
// indicator, breakdown and group, carry the same period and organisation as
// the first, and appear once. A manifest.json beside the file is read too.
// Errors name the file and the line (CSV) or row (Parquet).
func Read(path string) (*Previous, error) {
	var (
		p   *Previous
		err error
	)
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		p, err = readCSV(path)
	case ".parquet":
		p, err = readParquet(path)
	default:
		return nil, fmt.Errorf("%s: last year's metrics must be a metrics.csv or metrics.parquet written by hiis, not %q", path, ext)
	}
	if err != nil {
		return nil, err
	}
	if p.Rows == 0 {
		return nil, fmt.Errorf("%s: no metric rows; expected last year's published metrics", path)
	}
	man := filepath.Join(filepath.Dir(path), ManifestName)
	if _, err := os.Stat(man); err == nil {
		if err := p.readManifest(man); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// add checks one row against those before it; where says where it stands.
func (p *Previous) add(r metrics.Row, where string) error {
	switch {
	case r.IndicatorID == "":
		return fmt.Errorf("%s: %s: field indicator_id is empty", p.File, where)
	case r.Breakdown == "":
		return fmt.Errorf("%s: %s: field breakdown is empty", p.File, where)
	case r.Group == "":
		return fmt.Errorf("%s: %s: field group is empty", p.File, where)
	}
	if p.Rows == 0 {
		p.Period, p.Organisation = r.Period, r.Organisation
		if r.Period == "" {
			return fmt.Errorf("%s: %s: field period is empty", p.File, where)
		}
	}
	if r.Period != p.Period {
		return fmt.Errorf("%s: %s: field period: %q, but the first row has %q; expected one year's metrics", p.File, where, r.Period, p.Period)
	}
	if r.Organisation != p.Organisation {
		return fmt.Errorf("%s: %s: field organisation: %q, but the first row has %q; expected one organisation's metrics", p.File, where, r.Organisation, p.Organisation)
	}
	if _, dup := p.byKey[r.Key()]; dup {
		return fmt.Errorf("%s: %s: %s %s %s appears twice", p.File, where, r.IndicatorID, r.Breakdown, r.Group)
	}
	p.byKey[r.Key()] = r
	p.Rows++
	return nil
}

func readCSV(path string) (*Previous, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading last year's metrics: %w", err)
	}
	defer f.Close()
	p := &Previous{File: path, byKey: map[string]metrics.Row{}}
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1 // ParseRecord names a short row with its line
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: line 1: reading the header: %w", path, err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	if strings.Join(head, ",") != strings.Join(metrics.Columns, ",") {
		return nil, fmt.Errorf("%s: line 1: header is %q, want %q (a metrics.csv written by hiis)", path, strings.Join(head, ","), strings.Join(metrics.Columns, ","))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		r, err := metrics.ParseRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		if err := p.add(r, fmt.Sprintf("line %d", line)); err != nil {
			return nil, err
		}
	}
}

func readParquet(path string) (*Previous, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading last year's metrics: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a Parquet file: %w", path, err)
	}
	var names []string
	for _, fl := range pf.Schema().Fields() {
		names = append(names, fl.Name())
	}
	if strings.Join(names, ",") != strings.Join(metrics.Columns, ",") {
		return nil, fmt.Errorf("%s: columns are %q, want %q (a metrics.parquet written by hiis)", path, strings.Join(names, ","), strings.Join(metrics.Columns, ","))
	}
	p := &Previous{File: path, byKey: map[string]metrics.Row{}}
	rd := parquet.NewGenericReader[metrics.ParquetRow](f)
	defer rd.Close()
	buf := make([]metrics.ParquetRow, 256)
	for n := 1; ; {
		k, err := rd.Read(buf)
		for _, pr := range buf[:k] {
			if err := p.add(pr.Row(), fmt.Sprintf("row %d", n)); err != nil {
				return nil, err
			}
			n++
		}
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", path, n, err)
		}
	}
}

// readManifest takes the IMD edition and the definition hashes from the
// manifest of last year's run. It must be a successful run of the same
// period as the metrics.
func (p *Previous) readManifest(path string) error {
	m, err := manifest.Read(path)
	if err != nil {
		return fmt.Errorf("%s: reading last year's manifest: %w", path, err)
	}
	if m.Status != "ok" {
		return fmt.Errorf("%s: status %q: last year's run did not finish; name the metrics of a successful run", path, m.Status)
	}
	if m.Run.Period != p.Period {
		return fmt.Errorf("%s: period %q, but %s holds %q; the manifest is not that run's", path, m.Run.Period, p.File, p.Period)
	}
	p.Manifest = path
	for _, ref := range m.Reference {
		if ref.Name == "imd" {
			p.IMDEdition = ref.Edition
		}
	}
	p.Definitions = map[string][]string{}
	for _, f := range m.Indicators {
		if f.ID != "" {
			p.Definitions[f.ID] = append(p.Definitions[f.ID], f.SHA256)
		}
	}
	for _, h := range p.Definitions {
		sort.Strings(h)
	}
	return nil
}
