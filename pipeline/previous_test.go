package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/audit"
	"hiis/pipeline/metrics"
)

// lastYearRun runs the mini project for 2024/25 and copies its metrics.csv
// (and, if withManifest, its manifest.json) into dir/last of the project at
// cfgPath.
func lastYearRun(t *testing.T, cfgPath string, withManifest bool) {
	t.Helper()
	first, err := runMini(t, miniProject(t, strings.Replace(miniConfig, "label: 2025/26", "label: 2024/25", 1), wlmdsHeader+goodRows(80)))
	if err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(filepath.Dir(cfgPath), "last")
	if err := os.MkdirAll(last, 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"metrics.csv"}
	if withManifest {
		names = append(names, "manifest.json")
	}
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(first, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(last, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPreviousMetrics: last year's metrics are read, compared, pinned in
// the manifest and bundled, and `hiis verify` reproduces the run from the
// bundle.
func TestPreviousMetrics(t *testing.T) {
	cfgPath := miniProject(t, miniConfig+"previous: {metrics: last/metrics.csv}\n", wlmdsHeader+goodRows(100))
	lastYearRun(t, cfgPath, true)
	out, err := runMini(t, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, r := range readMetrics(t, filepath.Join(out, "metrics.csv")) {
		if r.Breakdown == metrics.Change {
			groups = append(groups, r.Group)
			if r.Group == "overall_last_year" && r.Note != "as published for 2024/25" {
				t.Errorf("last year's row: %+v", r)
			}
		}
	}
	if len(groups) == 0 || groups[0] != "overall_last_year" || groups[2] != "overall_difference" {
		t.Fatalf("change rows %v", groups)
	}
	man, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "previous_metrics"`, `"name": "previous_manifest"`, `"path": "bundle/reference/previous/metrics.csv"`, `"path": "bundle/reference/previous/manifest.json"`} {
		if !strings.Contains(string(man), want) {
			t.Errorf("manifest.json lacks %s", want)
		}
	}
	pinned, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(pipeline.BundleConfig)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pinned), "metrics: reference/previous/metrics.csv") {
		t.Errorf("the pinned config does not name last year's metrics:\n%s", pinned)
	}
	rep, err := audit.Verify(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	// The re-run from the bundle reads the bundled copy of last year's
	// metrics and manifest and reproduces every output.
	if !rep.OK() {
		t.Errorf("verify: %+v", rep)
	}
}

// TestPreviousMetricsRefused: a malformed table, or one of this run's own
// period, stops the run before anything is written, naming file and line.
func TestPreviousMetricsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, edit, want string
	}{
		{"malformed", "X-1,2024/25,QXX,overall,All,a lot,,,,,,,m,false,\n", "last/metrics.csv: line 2: field numerator: \"a lot\" is not a number"},
		{"this year", "", "holds period 2025/26, this run's own period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := miniProject(t, miniConfig+"previous: {metrics: last/metrics.csv}\n", wlmdsHeader+goodRows(20))
			body := strings.Join(metrics.Columns, ",") + "\n" + tc.edit
			if tc.edit == "" {
				body += "ER-1a,2025/26,QXX,overall,All,5,10,50,20,80,,,Wilson,false,\n"
			}
			p := filepath.Join(filepath.Dir(cfgPath), "last", "metrics.csv")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runMini(t, cfgPath)
			var inv *pipeline.InvalidError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want an invalid-config error containing %q", err, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("the refused run created its run folder")
			}
		})
	}
}

// TestPreviousIMDEdition: previous.imd_edition naming another edition than
// this run's makes the gap's change not like for like, and leaves the
// overall value's change alone.
func TestPreviousIMDEdition(t *testing.T) {
	cfgPath := miniProject(t, miniConfig+"previous: {metrics: last/metrics.csv, imd_edition: English Indices of Deprivation 2025}\n", wlmdsHeader+goodRows(100))
	lastYearRun(t, cfgPath, false)
	out, err := runMini(t, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, r := range readMetrics(t, filepath.Join(out, "metrics.csv")) {
		if r.Breakdown == metrics.Change {
			notes[r.Group] = r.Note
		}
	}
	if n := notes["gap_q1_q5_difference"]; n != "not like for like: the IMD quintiles come from IMD 2025 in 2024/25 and from test this year" {
		t.Errorf("gap difference note %q", n)
	}
	if n := notes["overall_difference"]; strings.HasPrefix(n, "not like for like") || n == "" {
		t.Errorf("overall difference note %q, want a comparison", n)
	}
}

// TestPreviousInsideOutput: a run folder that holds last year's metrics
// would replace them, so the run is refused.
func TestPreviousInsideOutput(t *testing.T) {
	cfgPath := miniProject(t, miniConfig+"previous: {metrics: out/metrics.csv}\n", wlmdsHeader+goodRows(20))
	_, err := runMini(t, cfgPath)
	var inv *pipeline.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "would contain or replace") || !strings.Contains(err.Error(), "metrics.csv") {
		t.Fatalf("error %v, want a refusal naming last year's metrics", err)
	}
}
