package render

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/metrics"
)

// ReadMetricsParquet reads a metrics.parquet written by hiis (last year's
// published metrics). Rows are returned in file order.
func ReadMetricsParquet(path string) ([]metrics.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
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
	for _, want := range []string{"indicator_id", "breakdown", "group", "value", "lower_95", "upper_95"} {
		if _, ok := pf.Schema().Lookup(want); !ok {
			return nil, fmt.Errorf("%s: missing column %q; expected a metrics.parquet written by hiis", path, want)
		}
	}
	r := parquet.NewGenericReader[parquetRow](pf)
	defer r.Close()
	num := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	var out []metrics.Row
	buf := make([]parquetRow, 1024)
	for {
		n, err := r.Read(buf)
		for _, p := range buf[:n] {
			out = append(out, metrics.Row{IndicatorID: p.IndicatorID, Period: p.Period, Organisation: p.Organisation,
				Breakdown: p.Breakdown, Group: p.Group, Numerator: num(p.Numerator), Denominator: num(p.Denominator),
				Value: num(p.Value), Lower95: num(p.Lower95), Upper95: num(p.Upper95), Lower998: num(p.Lower998), Upper998: num(p.Upper998),
				Method: p.Method, Suppressed: p.Suppressed, Note: p.Note})
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return out, nil
}
