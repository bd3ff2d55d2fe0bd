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

// A narrative block has its text in the config or in a Markdown file, not
// both and not neither; the file must stay inside the config's folder.
func TestNarrativeTextOrFile(t *testing.T) {
	const head = `hiis: ">=0.1.0"
organisation: {code: X, name: Y, kind: icb}
period: {label: P, start: 2025-04-01, end: 2026-03-31}
reference: {imd: {path: imd.csv, edition: e}}
sources:
  a: {kind: wlmds, path: a.csv}
indicators: {dir: ind}
`
	for _, c := range []struct {
		name, narrative, want string
	}{
		{"text", `narrative: [{title: A, text: "Some text"}]`, ""},
		{"file", `narrative: [{title: A, file: actions.md}]`, ""},
		{"neither", `narrative: [{title: A}]`, `run.yaml:8:13: error: narrative[0] ("A"): set text, or file naming a Markdown file`},
		{"both", `narrative: [{title: A, text: t, file: actions.md}]`, `error: narrative[0] ("A"): set text or file, not both`},
		{"outside", `narrative: [{title: A, file: ../actions.md}]`, `error: narrative[0].file: `},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("run.yaml", t.TempDir(), []byte(head+c.narrative+"\n"))
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestSourceIngestKeys(t *testing.T) {
	base := `hiis: ">=0.1.0"
organisation: {code: Q, name: N, kind: icb}
period: {label: p, start: 2025-04-01, end: 2026-03-31}
reference: {imd: {path: imd.csv, edition: e}}
indicators: {dir: indicators}
sources:
  apc:
    kind: apc
    path: apc.csv
`
	for _, tc := range []struct {
		extra, want string
	}{
		{"    duplicates: keep\n    encoding: latin-1\n    delimiter: \";\"\n    date_format: mm/dd/yyyy\n    age_top_code: \"90+\"\n    ethnic_subcodes: true\n    labels: {sex: {Man: \"1\"}}\n    max_unmatched_lsoa_share: 0.2\n    columns: {count: n}\n", ""},
		{"    duplicates: drop\n", `sources.apc.duplicates: "drop" is not reject, keep`},
		{"    encoding: utf-16\n", `sources.apc.encoding: "utf-16" is not`},
		{"    date_format: yyyy\n", `sources.apc.date_format: "yyyy" is not`},
		{"    delimiter: \":\"\n", `sources.apc.delimiter: ":" is not`},
		{"    age_top_code: old\n", `holds no age`},
		{"    labels: {age: {x: \"1\"}}\n", `"age" is not ethnic_category or sex`},
		{"    max_invalid_code_share: 2\n", `max_invalid_code_share: 2 is not between 0 and 1`},
	} {
		_, err := Parse("c.yaml", t.TempDir(), []byte(base+tc.extra))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.extra, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.extra, err, tc.want)
		}
	}
	r, _ := Parse("c.yaml", t.TempDir(), []byte(base+"    max_unmatched_lsoa_share: 0.2\n"))
	if got := r.UnmatchedLSOALimit(r.Sources["apc"]); got != 0.2 {
		t.Errorf("unmatched limit %v", got)
	}
	if got := r.InvalidCodeLimit(r.Sources["apc"]); got != DefaultMaxInvalidCodeShare {
		t.Errorf("invalid code limit %v", got)
	}
}

// TestSourceOrigins checks where a source's rows come from: a file, a
// database query or a published layout, each with its own mistakes.
func TestSourceOrigins(t *testing.T) {
	head := `hiis: ">=0.1.0"
organisation: {code: X, name: Y, kind: icb}
period: {label: P, start: 2025-04-01, end: 2026-03-31}
reference: {imd: {path: imd.csv, edition: e}, lsoa_lookup: {path: l.csv, columns: {lsoa2011: x}}}
indicators: {dir: ind}
sources:
`
	for _, tc := range []struct{ name, source, want string }{
		{"ok query", "  apc: {kind: apc, database: {driver: postgres, dsn_env: W}, query: SELECT 1}", ""},
		{"ok query file", "  apc: {kind: apc, database: {driver: sqlserver, dsn_env: W}, query_file: q.sql}", ""},
		{"ok layout", "  population: {kind: population, layout: ons_mid_year_wide, path: ons.csv}", ""},
		{"no path", "  apc: {kind: apc}", `sources.apc: missing required key "path" (or database and query`},
		{"query without database", "  apc: {kind: apc, path: a.csv, query: SELECT 1}", "sources.apc: query and query_file need a database"},
		{"query and path", "  apc: {kind: apc, path: a.csv, database: {driver: postgres, dsn_env: W}, query: SELECT 1}", "sources.apc: a query source has no path"},
		{"no query", "  apc: {kind: apc, database: {driver: postgres, dsn_env: W}}", "sources.apc: a query source needs exactly one of query and query_file"},
		{"both queries", "  apc: {kind: apc, database: {driver: postgres, dsn_env: W}, query: SELECT 1, query_file: q.sql}", "exactly one of query and query_file"},
		{"bad driver", "  apc: {kind: apc, database: {driver: oracle, dsn_env: W}, query: SELECT 1}", `sources.apc.database.driver: "oracle" is not postgres or sqlserver`},
		{"no dsn_env", "  apc: {kind: apc, database: {driver: postgres}, query: SELECT 1}", `missing required key "dsn_env"`},
		{"query file outside", "  apc: {kind: apc, database: {driver: postgres, dsn_env: W}, query_file: /etc/passwd}", "sources.apc.query_file: path \"/etc/passwd\" is outside the allowed folders"},
		{"unknown layout", "  population: {kind: population, layout: wide, path: p.csv}", `sources.population.layout: "wide" is not one of gp_registered_lsoa, ons_mid_year_wide`},
		{"layout of another kind", "  apc: {kind: apc, layout: ons_mid_year_wide, path: p.csv}", "is a population layout, and this source is kind apc"},
		{"layout with columns", "  population: {kind: population, layout: gp_registered_lsoa, path: p.csv, columns: {lsoa: X}}", "a declared layout fixes the columns"},
		{"layout of a workbook", "  population: {kind: population, layout: ons_mid_year_wide, path: p.xlsx}", "save the published sheet as CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := head + tc.source + "\n"
			_, err := Parse("run.yaml", t.TempDir(), []byte(src))
			if err == nil || !strings.Contains(err.Error(), `reference.lsoa_lookup.columns: "lsoa2011" is not lsoa11, lsoa21 or change`) {
				t.Fatalf("the lookup's bad column key is not reported: %v", err)
			}
			lines := strings.Split(err.Error(), "\n")
			var rest []string
			for _, l := range lines {
				if strings.Contains(l, "error:") && !strings.Contains(l, "lsoa_lookup") {
					rest = append(rest, l)
				}
			}
			if tc.want == "" {
				if len(rest) > 0 {
					t.Fatalf("unexpected problems: %v", rest)
				}
				return
			}
			if !strings.Contains(strings.Join(rest, "\n"), tc.want) {
				t.Fatalf("problems %v, want %q", rest, tc.want)
			}
		})
	}
}

// TestNullLeavesDefault: an optional value written as null (as a run's
// bundle writes an unset one) keeps its default, not the zero value: a
// bundle must re-run with its run's disclosure rule and reject limit.
func TestNullLeavesDefault(t *testing.T) {
	src := `hiis: ">=0.1.0"
organisation: {code: X, name: Y, kind: icb}
period: {label: P, start: 2025-04-01, end: 2026-03-31}
reference: {imd: {path: imd.csv, edition: e}}
sources:
  a: {kind: wlmds, path: a.csv, max_reject_share: null}
indicators: {dir: ind}
disclosure:
  rule: ""
  secondary: null
extract:
  max_reject_share: null
`
	r, err := Parse("run.yaml", t.TempDir(), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if r.Disclosure.Secondary != nil {
		t.Errorf("secondary: null set the value to %v; unset means the rule's default", *r.Disclosure.Secondary)
	}
	if got := r.RejectLimit(r.Sources["a"]); got != DefaultMaxRejectShare {
		t.Errorf("max_reject_share: null gives a limit of %v, want the default %v", got, DefaultMaxRejectShare)
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

func TestComparatorsKeys(t *testing.T) {
	base := `hiis: ">=0.1.0"
organisation: {code: X, name: Y, kind: icb}
period: {label: P, start: 2025-04-01, end: 2026-03-31}
reference: {imd: {path: imd.csv, edition: e}}
sources:
  a: {kind: wlmds, path: a.csv}
indicators: {dir: ind}
`
	one := func(name string) string {
		return "  " + name + ": {path: e.csv, format: fingertips, label: England, period: 2023/24, indicators: {ER-1a: \"90001\"}}\n"
	}
	for _, tc := range []struct{ name, extra, want string }{
		{"good", "comparators:\n" + one("national"), ""},
		{"missing period", "comparators:\n  national: {path: e.csv, format: fingertips, label: England, indicators: {ER-1a: \"1\"}}\n", `missing required key "period"`},
		{"unknown format", "comparators:\n  national: {path: e.csv, format: phof, label: England, period: x, indicators: {ER-1a: \"1\"}}\n", `comparators.national.format: "phof" is not fingertips`},
		{"empty map", "comparators:\n  national: {path: e.csv, format: fingertips, label: England, period: x, indicators: {}}\n", "comparators.national.indicators: map at least one"},
		{"blank id", "comparators:\n  national: {path: e.csv, format: fingertips, label: England, period: x, indicators: {ER-1a: \"\"}}\n", "comparators.national.indicators.ER-1a: no Indicator ID"},
		{"bad name", "comparators:\n" + one("nat-ional"), `name "nat-ional" may hold only letters, digits and _`},
		{"three", "comparators:\n" + one("a") + one("b") + one("c"), "3 published comparators; a statement shows at most two"},
		{"bad pin", "comparators:\n  national: {path: e.csv, sha256: abc, format: fingertips, label: England, period: x, indicators: {ER-1a: \"1\"}}\n", `comparators.national.sha256: "abc" is not a sha256`},
		{"unknown key", "comparators:\n  national: {path: e.csv, format: fingertips, label: England, period: x, indicators: {ER-1a: \"1\"}, colour: red}\n", `unknown key "colour"`},
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
			if names := r.ComparatorNames(); len(names) != 1 || r.Comparators["national"].Indicators["ER-1a"] != "90001" {
				t.Errorf("comparators %v", names)
			}
		})
	}
}
