package pipeline_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/config"
	"hiis/pipeline/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in fixtures/golden from this run")

// root is the project folder (this package lives in pipeline/).
const root = ".."

func mustLoad(tb testing.TB, path string) *config.Run {
	tb.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		tb.Fatalf("loading %s: %v", path, err)
	}
	return cfg
}

// mustRun runs the fixture config into a fresh run folder and returns it.
func mustRun(tb testing.TB, cfgPath, work string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "out")
	if _, err := pipeline.Run(context.Background(), mustLoad(tb, cfgPath), pipeline.Options{Out: out, Work: work}); err != nil {
		tb.Fatalf("run %s: %v", cfgPath, err)
	}
	return out
}

var fixtureConfig = filepath.Join(root, "config", "fixture.yaml")

// TestFixtureRun runs the whole pipeline on the committed fixtures and
// compares the metrics with the golden files.
func TestFixtureRun(t *testing.T) {
	work := t.TempDir()
	out := mustRun(t, fixtureConfig, work)
	for _, f := range pipeline.OutputFiles {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("output %s missing or empty: %v", f, err)
		}
	}
	for _, name := range []string{"metrics.csv", "data-quality.csv", "restricted/metrics_unsuppressed.csv"} {
		golden(t, filepath.Join(out, name), filepath.Join(root, "fixtures", "golden", filepath.Base(name)))
	}
	inds, err := pipeline.LoadIndicators(mustLoad(t, fixtureConfig))
	if err != nil {
		t.Fatal(err)
	}
	exempt := map[string]bool{} // counts of settings, not people
	for _, ind := range inds {
		exempt[ind.ID] = ind.Disclosure == "none"
	}
	rows := readMetrics(t, filepath.Join(out, "metrics.csv"))
	for _, r := range rows {
		if exempt[r.IndicatorID] {
			continue
		}
		if r.Breakdown == metrics.Overall || r.Breakdown == metrics.IMDQuintile || r.Breakdown == metrics.Ethnic || r.Breakdown == metrics.AgeBand || r.Breakdown == metrics.Sex {
			for _, v := range []float64{r.Numerator, r.Denominator} {
				if v >= 1 && v <= 7 {
					t.Errorf("%s %s %s: published count %v lies in 1–7", r.IndicatorID, r.Breakdown, r.Group, v)
				}
			}
		}
	}
}

// TestPublishedDataQualityDisclosed: data-quality counts are about people
// too, so none in data-quality.csv lies in 1–7 either.
func TestPublishedDataQualityDisclosed(t *testing.T) {
	out := mustRun(t, fixtureConfig, t.TempDir())
	f, err := os.Open(filepath.Join(out, "data-quality.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		for i := 2; i <= 6; i++ { // records and the four counts
			if v, err := strconv.ParseFloat(rec[i], 64); err == nil && v >= 1 && v <= 7 {
				t.Errorf("data-quality.csv %s %s %s = %v lies in 1–7", rec[0], rec[1], recs[0][i], v)
			}
		}
	}
}

// TestDeterministic runs the fixtures twice from empty work folders, and a
// third time reusing the snapshots: every output must be byte-identical.
func TestDeterministic(t *testing.T) {
	work := t.TempDir()
	a := mustRun(t, fixtureConfig, work)
	b := mustRun(t, fixtureConfig, t.TempDir())
	c := mustRun(t, fixtureConfig, work) // reuses the snapshots of a
	for _, other := range []string{b, c} {
		compareTrees(t, a, other)
	}
}

func compareTrees(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			t.Errorf("%s: only in the first run", rel)
			return nil
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs", rel)
		}
		n++
		return nil
	})
	if n < len(pipeline.OutputFiles) {
		t.Errorf("compared %d files, want at least %d", n, len(pipeline.OutputFiles))
	}
}

func readMetrics(t *testing.T, path string) []metrics.Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := metrics.ReadCSV(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// golden compares got with the golden file want, or rewrites it with -update.
func golden(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(want, g, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("golden file %s: %v (run go test ./pipeline -run TestFixtureRun -update to create it)", want, err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from golden %s (rerun with -update if the change is intended):\n%s", filepath.Base(got), want, lineDiff(string(w), string(g)))
	}
}

// lineDiff lists the lines that differ, position by position (at most 20).
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w == g {
			continue
		}
		if shown == 20 {
			b.WriteString("...\n")
			break
		}
		shown++
		b.WriteString("line " + strconv.Itoa(i+1) + ":\n- " + w + "\n+ " + g + "\n")
	}
	return b.String()
}
