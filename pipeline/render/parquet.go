package render

import (
	"bytes"

	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/metrics"
)

// metricsParquet renders metrics.parquet: one row group, Snappy pages, and a
// fixed created_by (the library's default embeds its own build information).
func metricsParquet(rows []metrics.Row, version string) ([]byte, error) {
	out := make([]metrics.ParquetRow, len(rows))
	for i, r := range rows {
		out[i] = r.Parquet()
	}
	createdBy := "hiis"
	if version != "" {
		createdBy += " version " + version
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[metrics.ParquetRow](&buf,
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
