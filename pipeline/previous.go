package pipeline

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"

	"hiis/pipeline/metrics"
	"hiis/pipeline/render"
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
