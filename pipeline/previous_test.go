package pipeline_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/config"
	"hiis/pipeline/fixturegen"
	"hiis/pipeline/metrics"
	"hiis/pipeline/trend"
)

// previousMetrics is the fixture's "2024/25" published metrics.
var previousMetrics = filepath.Join(root, "fixtures", "golden", "metrics-2024-25.csv")

// TestPreviousYearFixture makes the fixture's last-year metrics the honest
// way: a second draw of the fixture generator's model (seed 2024) run
// through hiis with the period labelled 2024/25. The committed file must
// be what this gives (-update rewrites it).
func TestPreviousYearFixture(t *testing.T) {
	tree := t.TempDir()
	if err := fixturegen.Generate(tree, 2024); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fixtureConfig)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, r := range [][2]string{
		{"label: 2025/26", "label: 2024/25"},
		{"../fixtures/", filepath.ToSlash(tree) + "/"},
		{"dir: ../indicators", "dir: " + filepath.ToSlash(filepath.Join(mustAbs(t, root), "indicators"))},
		{"data_root: ..", "data_root: /"},
	} {
		text = strings.ReplaceAll(text, r[0], r[1])
	}
	// Last year's run had no last year of its own.
	var keep []string
	skip := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "previous_data_quality:"):
			continue
		case strings.HasPrefix(line, "previous:"):
			skip = true
			continue
		case skip && strings.HasPrefix(line, "  "):
			continue
		}
		skip = false
		keep = append(keep, line)
	}
	// Parsed as if it stood beside the fixture config, so that its other
	// relative paths (the narrative file) resolve as there.
	data := []byte(strings.Join(keep, "\n"))
	cfgPath := filepath.Join(t.TempDir(), "fixture-2024-25.yaml")
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(cfgPath, mustAbs(t, filepath.Dir(fixtureConfig)), data)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := pipeline.Run(context.Background(), cfg, pipeline.Options{Out: out, Work: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(out, "metrics.csv"), previousMetrics)
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestChangeSinceLastYear: the fixture run compares with last year's
// metrics; a different IMD edition last year makes the gap not like for
// like, and a withheld value gives no change.
func TestChangeSinceLastYear(t *testing.T) {
	work := t.TempDir()
	out := mustRun(t, fixtureConfig, work)
	rows := readMetrics(t, filepath.Join(out, "metrics.csv"))
	prev := readMetrics(t, previousMetrics)
	last := map[string]metrics.Row{}
	for _, r := range prev {
		last[r.IndicatorID+"|"+r.Breakdown+"|"+r.Group] = r
	}
	this := map[string]metrics.Row{}
	for _, r := range readMetrics(t, filepath.Join(out, "restricted", "metrics_unsuppressed.csv")) {
		this[r.IndicatorID+"|"+r.Breakdown+"|"+r.Group] = r
	}
	diffs := 0
	for _, r := range rows {
		if r.Breakdown != trend.Breakdown {
			continue
		}
		switch r.Group {
		case trend.Overall:
			l, n := last[r.IndicatorID+"|overall|All"], this[r.IndicatorID+"|overall|All"]
			if math.IsNaN(r.Value) {
				if !r.Suppressed && !math.IsNaN(l.Value) && !math.IsNaN(n.Value) {
					t.Errorf("%s: no change published though both years have a value", r.IndicatorID)
				}
				continue
			}
			if want := n.Value - l.Value; math.Abs(r.Value-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: change %v, want %v − %v", r.IndicatorID, r.Value, n.Value, l.Value)
			}
			if !(r.Lower95 < r.Value && r.Value < r.Upper95 && r.Lower998 < r.Lower95 && r.Upper95 < r.Upper998) {
				t.Errorf("%s: change %v with intervals %v–%v, %v–%v", r.IndicatorID, r.Value, r.Lower95, r.Upper95, r.Lower998, r.Upper998)
			}
			diffs++
		case trend.Overall + trend.Last:
			if l := last[r.IndicatorID+"|overall|All"]; !sameFloat(l.Value, r.Value) {
				t.Errorf("%s: last year %v, published %v", r.IndicatorID, r.Value, l.Value)
			}
		}
	}
	if diffs < 20 {
		t.Errorf("only %d overall changes published", diffs)
	}

	// A different IMD edition last year: the gap is not like for like.
	cfg := mustLoad(t, fixtureConfig)
	cfg.Previous.IMDEdition = "English Indices of Deprivation 2015"
	out2 := filepath.Join(t.TempDir(), "out")
	if _, err := pipeline.Run(context.Background(), cfg, pipeline.Options{Out: out2, Work: work}); err != nil {
		t.Fatal(err)
	}
	gaps := 0
	for _, r := range readMetrics(t, filepath.Join(out2, "metrics.csv")) {
		if r.Breakdown == trend.Breakdown && r.Group == trend.Gap {
			if !math.IsNaN(r.Value) {
				t.Errorf("%s: gap change %v across IMD editions", r.IndicatorID, r.Value)
			}
			if r.Suppressed {
				continue // withheld this year anyway
			}
			gaps++
			if !strings.Contains(r.Note, "not like for like") {
				t.Errorf("%s: gap change note %q across IMD editions", r.IndicatorID, r.Note)
			}
		}
		if r.Breakdown == trend.Breakdown && r.Group == trend.Overall && strings.Contains(r.Note, "not like for like") {
			t.Errorf("%s: the overall value is like for like across IMD editions", r.IndicatorID)
		}
	}
	if gaps == 0 {
		t.Error("no gap changes")
	}
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
