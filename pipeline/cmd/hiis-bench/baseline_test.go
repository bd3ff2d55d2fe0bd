package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWithFilter(t *testing.T) {
	for _, tc := range []struct {
		name, expr, filter, want string
	}{
		{"count star", "count(*)", "in_period(d)", "count(*) FILTER (WHERE (in_period(d)))"},
		{"no filter", "count(*)", " ", "count(*)"},
		{"own filter", "count(*) FILTER (WHERE weeks_waiting >= 18)", "a = 1",
			"count(*) FILTER (WHERE (a = 1) AND (weeks_waiting >= 18))"},
		{"distinct", "count(DISTINCT person_id)", "a = 1", "count(DISTINCT person_id) FILTER (WHERE (a = 1))"},
		{"difference", "count(*) - count(*) FILTER (WHERE s = 'N')", "f(x)",
			"count(*) FILTER (WHERE (f(x))) - count(*) FILTER (WHERE (f(x)) AND (s = 'N'))"},
		{"sum and quoted paren", "sum(numerator)", "code = ')('", "sum(numerator) FILTER (WHERE (code = ')('))"},
		{"identifier containing count", "my_count + count(*)", "a", "my_count + count(*) FILTER (WHERE (a))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := withFilter(tc.expr, tc.filter); got != tc.want {
				t.Errorf("withFilter(%q, %q) = %q, want %q", tc.expr, tc.filter, got, tc.want)
			}
		})
	}
}

// TestRunHiisReadsStageTimes runs a stand-in for hiis that prints what
// hiis run prints, and checks the stage times, rows and memory are read.
func TestRunHiisReadsStageTimes(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hiis")
	script := "#!/bin/sh\n" +
		"echo 'hiis: extract' >&2\n" +
		"echo 'hiis: timing load=0.100s extract=1.500s transform=2.250s total=4.000s' >&2\n" +
		"echo 'hiis: wrote out: 37 indicators, 978 metric rows (1 cells suppressed), 1234 rows extracted (0 rejected, 0 snapshots reused) in 4.0s'\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := runHiis(context.Background(), bin, "cfg.yaml", filepath.Join(dir, "out"), filepath.Join(dir, "work"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Stages["extract"] != 1.5 || m.Stages["transform"] != 2.25 || m.Stages["total"] != 4 || m.Rows != 1234 {
		t.Errorf("read stages %v, rows %d", m.Stages, m.Rows)
	}
	if got := strings.Join(m.stageKeys, ","); got != "load,extract,transform" {
		t.Errorf("stage order %s", got)
	}
	if m.MaxRSS <= 0 || m.Wall <= 0 {
		t.Errorf("peak memory %d, wall %f", m.MaxRSS, m.Wall)
	}

	silent := filepath.Join(dir, "silent")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := runHiis(context.Background(), silent, "cfg.yaml", "out", "work"); err == nil || !strings.Contains(err.Error(), "no stage times") {
		t.Errorf("a hiis without stage times gave %v", err)
	}
}

func TestComputeRatios(t *testing.T) {
	ms := []measurement{
		{Run: "cold", Wall: 9, Stages: map[string]float64{"extract": 3, "transform": 3}},
		{Run: "warm", Wall: 4},
		{Run: "baseline", Stages: map[string]float64{"query": 2}},
		{Run: "baseline", Stages: map[string]float64{"query": 4}},
	}
	r := computeRatios(ms)
	if r.ExtractTransform != 2 || r.Cold != 3 || r.Warm != 4.0/3 {
		t.Errorf("ratios %+v", r)
	}
}

// TestBaselineGroupsByOrganisation: over a multi-organisation config the
// yardstick groups by organisation too (issue 10), counting the same rows.
func TestBaselineGroupsByOrganisation(t *testing.T) {
	one, err := runBaseline(context.Background(), filepath.Join("..", "..", "..", "config", "fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	two, err := runBaseline(context.Background(), filepath.Join("..", "..", "testdata", "orgs", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if two.Rows != one.Rows {
		t.Errorf("rows counted: %d by organisation, %d without", two.Rows, one.Rows)
	}
	if two.Organisations != 2 || one.Organisations != 0 {
		t.Errorf("organisations grouped: %d by organisation (want the lookup's 2), %d without", two.Organisations, one.Organisations)
	}
	if two.Groups <= one.Groups {
		t.Errorf("groups: %d by organisation, not more than %d without", two.Groups, one.Groups)
	}
}
