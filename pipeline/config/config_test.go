package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveConfinesPaths(t *testing.T) {
	base := t.TempDir()
	cfgDir := filepath.Join(base, "project", "config")
	data := filepath.Join(base, "data")
	secret := filepath.Join(base, "secret")
	for _, d := range []string{cfgDir, data, secret} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(secret, filepath.Join(cfgDir, "link")); err != nil {
		t.Fatal(err)
	}
	r := &Run{Dir: cfgDir, DataRoot: data}
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"extract.csv", true},
		{"sub/extract.csv", true},
		{filepath.Join(data, "apc.csv"), true},
		{"../fixtures/apc.csv", false}, // the project folder above config/ is not allowed unless data_root says so
		{"../../secret/x.csv", false},
		{"link/x.csv", false}, // a symbolic link out of the config folder
		{"/etc/passwd", false},
	} {
		_, err := r.Resolve(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("Resolve(%q): error %v, want ok=%v", tc.path, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "outside the allowed folders") {
			t.Errorf("Resolve(%q): unhelpful error %v", tc.path, err)
		}
	}
}

func TestVersionRange(t *testing.T) {
	for _, tc := range []struct {
		rng, v string
		in     bool
	}{
		{">=0.1.0 <1.0.0", "0.1.0", true},
		{">=0.1.0 <1.0.0", "1.0.0", false},
		{">=0.1.0 <1.0.0", "0.0.9", false},
		{"=0.2.3", "0.2.3", true},
		{"0.2.3", "v0.2.3-rc1", true},
		{">0.2.3", "0.2.3", false},
		{"<=0.2.3", "0.2.3", true},
	} {
		r, err := ParseRange(tc.rng)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ParseVersion(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Contains(v); got != tc.in {
			t.Errorf("%q contains %s = %v, want %v", tc.rng, tc.v, got, tc.in)
		}
	}
	for _, bad := range []string{"", ">=one", ">=1.2"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) accepted", bad)
		}
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	src := `hiis: ">=0.1.0"
organisation: {code: X, name: Y, kind: hospital}
period: {label: P, start: 2025-04-01, end: 2024-03-31}
reference: {imd: {path: imd.csv, edition: e, sha256: abc, columns: {postcode: x}}}
sources:
  a: {kind: nope, path: a.txt}
indicators: {dir: ind}
statistics: {sii_repetitions: 100}
`
	_, err := Parse("run.yaml", t.TempDir(), []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`run.yaml:2:40: error: organisation.kind: "hospital" is not icb or trust`,
		`run.yaml:3:44: error: period: end 2024-03-31 is before start 2025-04-01`,
		`run.yaml:4:54: error: reference.imd.sha256: "abc" is not a sha256`,
		`run.yaml:4:79: error: reference.imd.columns: "postcode" is not lsoa, lad, rank or decile`,
		`run.yaml:6:25: error: sources.a: cannot tell the format of "a.txt"`,
		`run.yaml:6:13: error: sources.a.kind: unknown source kind "nope"`,
		`run.yaml:8:31: error: statistics.sii_repetitions: 100 is below the minimum of 10000`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// TestPreviousKeys: previous.metrics names last year's metrics table, and
// previous.data_quality is another spelling of previous_data_quality.
func TestPreviousKeys(t *testing.T) {
	base := `hiis: ">=0.1.0"
organisation: {code: X, name: Y, kind: icb}
period: {label: P, start: 2025-04-01, end: 2026-03-31}
reference: {imd: {path: imd.csv, edition: e}}
sources:
  a: {kind: wlmds, path: a.csv}
indicators: {dir: ind}
`
	for _, tc := range []struct {
		name, extra, want string
		metrics, dq, ed   string
	}{
		{"nested", "previous: {metrics: last/metrics.csv, data_quality: last/data-quality.csv, imd_edition: IMD 2019}\n", "", "last/metrics.csv", "last/data-quality.csv", "IMD 2019"},
		{"dotted", "previous:\n  metrics: last/metrics.parquet\nprevious_data_quality: dq.csv\n", "", "last/metrics.parquet", "dq.csv", ""},
		{"not metrics", "previous: {metrics: last/metrics.xlsx}\n", `run.yaml:8:21: error: previous.metrics: "last/metrics.xlsx" is not a metrics.csv or metrics.parquet`, "", "", ""},
		{"outside", "previous: {metrics: /etc/metrics.csv}\n", `run.yaml:8:21: error: previous.metrics: path "/etc/metrics.csv" is outside the allowed folders`, "", "", ""},
		{"edition alone", "previous: {imd_edition: IMD 2019}\n", `run.yaml:8:25: error: previous.imd_edition: set previous.metrics too`, "", "", ""},
		{"both data quality", "previous: {data_quality: a.csv}\nprevious_data_quality: b.csv\n", `previous.data_quality: "a.csv", but previous_data_quality names "b.csv"; keep one`, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse("run.yaml", t.TempDir(), []byte(base+tc.extra))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Previous.Metrics != tc.metrics || r.PreviousDataQuality != tc.dq || r.Previous.IMDEdition != tc.ed {
				t.Errorf("previous %+v, previous_data_quality %q", r.Previous, r.PreviousDataQuality)
			}
		})
	}
}
