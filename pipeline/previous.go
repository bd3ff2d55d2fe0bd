package pipeline

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"hiis/pipeline/config"
	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
	"hiis/pipeline/render"
	"hiis/pipeline/trend"
)

// readDataQuality reads a data-quality.csv published by an earlier run,
// keyed by source and indicator. Counts are as published (blank = withheld);
// the shares are read from the pct_ columns, which were computed before
// rounding, or worked out from the counts when a file has none.
func readDataQuality(path string) (map[[2]string]render.DataQuality, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	counts := []string{"records", "ethnic_not_stated", "ethnic_not_known", "ethnic_blank_or_invalid", "no_valid_lsoa"}
	for _, w := range append([]string{"source", "indicator"}, counts...) {
		if _, ok := col[w]; !ok {
			return nil, fmt.Errorf("%s: line 1: missing column %q; expected a data-quality.csv written by hiis", path, w)
		}
	}
	out := map[[2]string]render.DataQuality{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		num := func(name string) (float64, error) {
			i, ok := col[name]
			if !ok {
				return math.NaN(), nil
			}
			v, err := metrics.ParseNumber(rec[i])
			if err != nil {
				return 0, fmt.Errorf("%s: line %d: field %s: %q is not a number", path, line, name, rec[i])
			}
			return v, nil
		}
		var n [5]float64
		for i, c := range counts {
			if n[i], err = num(c); err != nil {
				return nil, err
			}
		}
		dq := render.DataQuality{Source: rec[col["source"]], Indicator: rec[col["indicator"]], Records: n[0],
			EthnicNotStated: n[1], EthnicNotKnown: n[2], EthnicBlank: n[3], NoValidLSOA: n[4]}
		pcts := []*float64{&dq.PctNotStated, &dq.PctNotKnown, &dq.PctBlank, &dq.PctNoValidLSOA}
		for i, c := range counts[1:] {
			p, err := num("pct_" + c)
			if err != nil {
				return nil, err
			}
			if _, ok := col["pct_"+c]; !ok {
				p = share(n[i+1], n[0])
			}
			*pcts[i] = p
		}
		out[[2]string{dq.Source, dq.Indicator}] = dq
	}
}

// share is part as a percentage of whole; NaN when either is missing or the
// whole is 0.
func share(part, whole float64) float64 {
	if math.IsNaN(part) || math.IsNaN(whole) || whole == 0 {
		return math.NaN()
	}
	return 100 * part / whole
}

// loadPrevious reads last year's published metrics (previous.metrics), and
// the manifest.json beside them when there is one, and hashes both into
// the manifest.
func (r *run) loadPrevious() error {
	p := r.cfg.Previous.Metrics
	if p == "" {
		return nil
	}
	path, err := r.cfg.Resolve(p)
	if err != nil {
		return &InvalidError{fmt.Errorf("previous.metrics: %w", err)}
	}
	prev, err := trend.Read(path)
	if err != nil {
		return &InvalidError{fmt.Errorf("previous.metrics: %w", err)}
	}
	if prev.Period == r.cfg.Period.Label {
		return &InvalidError{fmt.Errorf("previous.metrics: %s holds period %s, this run's own period; name last year's metrics", path, prev.Period)}
	}
	files := [][2]string{{"previous_metrics", path}}
	if prev.Manifest != "" {
		files = append(files, [2]string{"previous_manifest", prev.Manifest})
	}
	for _, f := range files {
		hf, err := manifest.HashFile(f[1])
		if err != nil {
			return err
		}
		hf.Path = r.rel(f[1])
		rows := 0
		if f[0] == "previous_metrics" {
			rows = prev.Rows
		}
		r.man.Reference = append(r.man.Reference, manifest.Reference{Name: f[0], Edition: "last year's published run (" + prev.Period + ")", File: hf, Rows: rows})
	}
	r.previous = prev
	return nil
}

// addChanges appends each indicator's change since last year to the
// published rows; it reads only published figures, so it runs after
// disclosure control.
func (r *run) addChanges() {
	if r.previous == nil {
		return
	}
	defs := map[string][]string{}
	for _, f := range r.man.Indicators {
		defs[f.ID] = append(defs[f.ID], f.SHA256)
	}
	for _, h := range defs {
		sort.Strings(h)
	}
	var ids []string
	for _, ind := range r.indicators {
		ids = append(ids, ind.ID)
	}
	sort.Strings(ids)
	rows, changes := trend.Compare(ids, r.published, r.previous, trend.Options{
		Period: r.cfg.Period.Label, Organisation: r.cfg.Organisation.Code,
		IMDEdition: r.cfg.Reference.IMD.Edition, PreviousIMDEdition: r.cfg.Previous.IMDEdition, Definitions: defs})
	r.published, r.changes = append(r.published, rows...), changes
}

// bundlePrevious copies last year's metrics (and its manifest) into
// bundle/reference/previous/, keeping their names so that the manifest is
// found beside the metrics again, and returns the pinned config's key.
func (r *run) bundlePrevious(copyIn func(src, rel string) (string, error)) (config.Previous, error) {
	base := filepath.Base(r.previous.File)
	if _, err := copyIn(r.previous.File, "bundle/reference/previous/"+base); err != nil {
		return config.Previous{}, err
	}
	if r.previous.Manifest != "" {
		if _, err := copyIn(r.previous.Manifest, "bundle/reference/previous/"+trend.ManifestName); err != nil {
			return config.Previous{}, err
		}
	}
	return config.Previous{Metrics: "reference/previous/" + base, IMDEdition: r.cfg.Previous.IMDEdition}, nil
}
