package render

import (
	"bytes"
	"math"

	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/metrics"
)

// parquetRow is one row of metrics.parquet. Field order is metrics.Columns;
// pointer numbers are optional DOUBLE columns, nil for NaN.
type parquetRow struct {
	IndicatorID  string   `parquet:"indicator_id"`
	Period       string   `parquet:"period"`
	Organisation string   `parquet:"organisation"`
	Breakdown    string   `parquet:"breakdown"`
	Group        string   `parquet:"group"`
	Numerator    *float64 `parquet:"numerator,optional"`
	Denominator  *float64 `parquet:"denominator,optional"`
	Value        *float64 `parquet:"value,optional"`
	Lower95      *float64 `parquet:"lower_95,optional"`
	Upper95      *float64 `parquet:"upper_95,optional"`
	Lower998     *float64 `parquet:"lower_998,optional"`
	Upper998     *float64 `parquet:"upper_998,optional"`
	Method       string   `parquet:"method"`
	Suppressed   bool     `parquet:"suppressed"`
	Note         string   `parquet:"note"`
}

func optional(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	if v == 0 {
		v = 0 // fold -0, as metrics.FormatNumber does
	}
	return &v
}

// metricsParquet renders metrics.parquet: one row group, Snappy pages, and a
// fixed created_by (the library's default embeds its own build information).
func metricsParquet(rows []metrics.Row, version string) ([]byte, error) {
	out := make([]parquetRow, len(rows))
	for i, r := range rows {
		out[i] = parquetRow{
			IndicatorID: r.IndicatorID, Period: r.Period, Organisation: r.Organisation,
			Breakdown: r.Breakdown, Group: r.Group,
			Numerator: optional(r.Numerator), Denominator: optional(r.Denominator),
			Value: optional(r.Value), Lower95: optional(r.Lower95), Upper95: optional(r.Upper95),
			Lower998: optional(r.Lower998), Upper998: optional(r.Upper998),
			Method: r.Method, Suppressed: r.Suppressed, Note: r.Note,
		}
	}
	createdBy := "hiis"
	if version != "" {
		createdBy += " version " + version
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[parquetRow](&buf,
		&parquet.WriterConfig{CreatedBy: createdBy},
		parquet.Compression(&parquet.Snappy),
	)
	if _, err := w.Write(out); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
