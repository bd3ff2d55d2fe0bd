package pipeline

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

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

// previousYear is last year's published statement as the change since last
// year needs it.
type previousYear struct {
	rows        []metrics.Row
	period      string
	imdEdition  string            // "" when unknown
	definitions map[string]string // indicator id → sha256 of its definition; nil when unknown
	manifest    string            // path of the manifest.json read beside the metrics, "" for none
}

// readPrevious reads last year's metrics.csv or metrics.parquet, and the
// IMD edition and definition hashes from the config or, failing that, from
// the manifest.json beside the metrics.
func readPrevious(p *config.Previous, path string) (*previousYear, error) {
	py := &previousYear{imdEdition: p.IMDEdition, definitions: p.Definitions}
	var err error
	if strings.HasSuffix(strings.ToLower(path), ".parquet") {
		py.rows, err = render.ReadMetricsParquet(path)
	} else {
		var f *os.File
		if f, err = os.Open(path); err == nil {
			py.rows, err = metrics.ReadCSV(f, path)
			f.Close()
		}
	}
	if err != nil {
		return nil, err
	}
	periods := map[string]bool{}
	for _, r := range py.rows {
		periods[r.Period] = true
	}
	if len(periods) != 1 {
		return nil, fmt.Errorf("%s: expected one period, found %d", path, len(periods))
	}
	for k := range periods {
		py.period = k
	}
	mpath := filepath.Join(filepath.Dir(path), manifest.Name)
	b, err := os.ReadFile(mpath)
	if err != nil {
		return py, nil // no manifest: the config says, or the years are taken as alike
	}
	var m manifest.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", mpath, err)
	}
	py.manifest = mpath
	if py.imdEdition == "" {
		for _, ref := range m.Reference {
			if ref.Name == "imd" {
				py.imdEdition = ref.Edition
			}
		}
	}
	if py.definitions == nil {
		py.definitions = map[string]string{}
		for _, f := range m.Indicators {
			if strings.HasSuffix(f.Path, ".yaml") || strings.HasSuffix(f.Path, ".yml") {
				py.definitions[f.ID] = f.SHA256
			}
		}
	}
	return py, nil
}

// comparability says, per indicator, whether last year is like for like:
// the same definition file and the same IMD edition.
func (r *run) comparability() map[string]trend.Comparability {
	out := map[string]trend.Comparability{}
	py := r.previous
	imd := ""
	if py.imdEdition != "" && !strings.EqualFold(strings.TrimSpace(py.imdEdition), strings.TrimSpace(r.cfg.Reference.IMD.Edition)) {
		imd = fmt.Sprintf("not like for like: deprivation quintiles were from %s in %s and are from %s now", py.imdEdition, py.period, r.cfg.Reference.IMD.Edition)
	}
	now := map[string]string{}
	for _, f := range r.man.Indicators {
		if strings.HasSuffix(f.Path, ".yaml") || strings.HasSuffix(f.Path, ".yml") {
			now[f.ID] = f.SHA256
		}
	}
	for _, ind := range r.indicators {
		c := trend.Comparability{Deprivation: imd}
		if was, ok := py.definitions[ind.ID]; ok && was != now[ind.ID] {
			c.Definition = "not like for like: the indicator's definition changed since " + py.period
		}
		out[ind.ID] = c
	}
	return out
}
