package pipeline

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

	"hiis/pipeline/render"
)

// readDataQuality reads a data-quality.csv written by an earlier run, keyed
// by source and indicator. Only the count columns are read, so files from
// any hiis version that wrote them will do.
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
	want := []string{"source", "indicator", "records", "ethnic_not_stated", "ethnic_not_known", "ethnic_blank_or_invalid", "no_valid_lsoa"}
	for _, w := range want {
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
		var n [5]int64
		for i, w := range want[2:] {
			if n[i], err = strconv.ParseInt(rec[col[w]], 10, 64); err != nil {
				return nil, fmt.Errorf("%s: line %d: field %s: %q is not a whole number", path, line, w, rec[col[w]])
			}
		}
		dq := render.DataQuality{Source: rec[col["source"]], Indicator: rec[col["indicator"]], Records: n[0],
			EthnicNotStated: n[1], EthnicNotKnown: n[2], EthnicBlank: n[3], NoValidLSOA: n[4]}
		out[[2]string{dq.Source, dq.Indicator}] = dq
	}
}
