package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"hiis/pipeline/metrics"
)

// Published output names, relative to the output folder.
const (
	StatementFile    = "statement.pdf"
	StatementHTML    = "statement.html"
	MetricsCSVFile   = "metrics.csv"
	MetricsParquet   = "metrics.parquet"
	DataPackFile     = "datapack.xlsx"
	DataQualityFile  = "data-quality.csv"
	RestrictedDir    = "restricted"
	UnsuppressedFile = "restricted/metrics_unsuppressed.csv"
	RestrictedReadme = "restricted/README.txt"
)

// Write writes every published output of a run into dir (which exists) and
// returns the slash-separated paths it wrote, relative to dir, sorted:
// the statement as PDF and as accessible HTML (both from one document
// model), metrics.csv and metrics.parquet of in.Metrics, the
// datapack.xlsx, data-quality.csv, and, under restricted/, the unsuppressed
// metrics with a README saying they are not for publication. The same Input
// always gives byte-identical files. Errors name the file concerned.
func Write(dir string, in Input) ([]string, error) {
	doc, err := buildDocument(in)
	if err != nil {
		return nil, fmt.Errorf("render statement: %w", err)
	}
	outputs := []struct {
		name   string
		render func() ([]byte, error)
	}{
		{MetricsCSVFile, func() ([]byte, error) { return metricsCSV(in.Metrics) }},
		{MetricsParquet, func() ([]byte, error) { return metricsParquet(in.Metrics, in.Version) }},
		{DataQualityFile, func() ([]byte, error) { return dataQualityCSV(in.DataQuality) }},
		{DataPackFile, func() ([]byte, error) { return dataPackXLSX(in) }},
		{StatementFile, func() ([]byte, error) { return statementPDF(doc) }},
		{StatementHTML, func() ([]byte, error) { return statementHTML(doc) }},
		{UnsuppressedFile, func() ([]byte, error) { return metricsCSV(in.Unsuppressed) }},
		{RestrictedReadme, func() ([]byte, error) { return []byte(restrictedReadme), nil }},
	}
	if err := os.MkdirAll(filepath.Join(dir, RestrictedDir), 0o755); err != nil {
		return nil, fmt.Errorf("render %s: %w", RestrictedDir, err)
	}
	var paths []string
	for _, o := range outputs {
		b, err := o.render()
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", o.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(o.name)), b, 0o644); err != nil {
			return nil, fmt.Errorf("render %s: %w", o.name, err)
		}
		paths = append(paths, o.name)
	}
	sort.Strings(paths)
	return paths, nil
}

// rowGroup is the metrics rows of one indicator.
type rowGroup struct {
	id   string
	rows []metrics.Row
}

// groupRows splits rows by indicator, in order of first appearance.
func groupRows(rows []metrics.Row) []rowGroup {
	var out []rowGroup
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.IndicatorID]
		if !ok {
			i = len(out)
			at[r.IndicatorID] = i
			out = append(out, rowGroup{id: r.IndicatorID})
		}
		out[i].rows = append(out[i].rows, r)
	}
	return out
}

// findIndicator returns the indicator with the id, or a stand-in named by
// the id when the Input does not describe it.
func findIndicator(in Input, id string) (Indicator, bool) {
	for _, ind := range in.Indicators {
		if ind.ID == id {
			return ind, true
		}
	}
	return Indicator{ID: id, Name: id}, false
}
