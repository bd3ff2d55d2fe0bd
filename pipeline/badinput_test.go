package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/cli"
	"hiis/pipeline/config"
	"hiis/pipeline/diag"
	"hiis/pipeline/extract"
	"hiis/pipeline/metrics"
)

const miniIMD = "\ufeffLSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\r\n" +
	"E01990001,A 001A,E07990001,A,\"1,000\",1\r\n" +
	"E01990002,A 001B,E07990001,A,\"30,000\",10\r\n"

const miniConfig = `hiis: ">=0.1.0"
organisation: {code: QXX, name: Test ICB, kind: icb}
period: {label: 2025/26, start: 2025-04-01, end: 2026-03-31}
reference:
  imd: {path: imd.csv, edition: test}
sources:
  wlmds: {kind: wlmds, path: wlmds.csv, max_reject_share: 0.5}
indicators:
  dir: indicators
  only: [ER-1a]
`

const wlmdsHeader = "lsoa,ethnic_category,age,sex,pathway_id,waiting_list_type,weeks_waiting,census_date\n"

// miniProject writes a one-indicator project with the given waiting list
// extract and returns its config path.
func miniProject(t *testing.T, cfg, wlmds string) string {
	t.Helper()
	dir := t.TempDir()
	ind, err := os.ReadFile(filepath.Join(root, "indicators", "ER-1a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	macros, err := os.ReadFile(filepath.Join(root, "templates", "sql", "macros.sql"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"config.yaml": cfg, "imd.csv": miniIMD, "wlmds.csv": wlmds, "indicators/ER-1a.yaml": string(ind), "templates/sql/macros.sql": string(macros)}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "config.yaml")
}

func goodRows(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		lsoa := []string{"E01990001", "E01990002", "", "W01000001"}[i%4]
		b.WriteString(lsoa + ",A,40,1,P" + strconv.Itoa(i) + ",IRTT," + []string{"3", "20", "60"}[i%3] + ",2026-03-29\n")
	}
	return b.String()
}

func runMini(t *testing.T, cfgPath string) (string, error) {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return "", err
	}
	out := filepath.Join(filepath.Dir(cfgPath), "out")
	_, err = pipeline.Run(context.Background(), cfg, pipeline.Options{Out: out})
	return out, err
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     string
		wlmds   string
		want    string // in the error; "" means the run succeeds
		asError any    // error type the failure must unwrap to
		rejects string // in restricted/rejects/wlmds.csv when the run succeeds
	}{
		{name: "missing column", cfg: miniConfig, wlmds: strings.Replace(wlmdsHeader, ",weeks_waiting", "", 1) + "E01990001,A,40,1,P1,IRTT,2026-03-29\n",
			want: `wlmds.csv: line 1: missing column "weeks_waiting" required by source kind wlmds`, asError: new(*extract.InputError)},
		{name: "empty file", cfg: miniConfig, wlmds: "", want: "wlmds.csv: file is empty", asError: new(*extract.InputError)},
		{name: "header only", cfg: miniConfig, wlmds: wlmdsHeader, want: "no data rows after the header", asError: new(*extract.InputError)},
		{name: "unparseable line", cfg: miniConfig, wlmds: wlmdsHeader + goodRows(20) + "E01990001,A,40,1,\"P9,IRTT,3,2026-03-29\n",
			rejects: `22,,"extraneous or missing "" in quoted-field"`},
		{name: "wrong type", cfg: miniConfig, wlmds: wlmdsHeader + goodRows(10) + "E01990001,A,40,1,P9,IRTT,three,2026-03-29\n" + goodRows(5),
			rejects: `12,weeks_waiting,"""three"" is not a whole number"`},
		{name: "bad date and age", cfg: miniConfig, wlmds: wlmdsHeader + "E01990001,A,4o,1,P9,IRTT,3,2026-03-29\nE01990001,A,40,1,P9,IRTT,3,29th March\n" + goodRows(30),
			rejects: "2,age,\"\"\"4o\"\" is not a whole number\""},
		{name: "too many rejects", cfg: miniConfig, wlmds: wlmdsHeader + goodRows(2) + strings.Repeat("E01990001,A,x,1,P9,IRTT,3,2026-03-29\n", 3),
			want: "3 of 5 rows of wlmds.csv rejected (60.00%), above the limit of 50.00%", asError: new(*extract.RejectShareError)},
		{name: "unknown key", cfg: miniConfig + "colour: blue\n", wlmds: wlmdsHeader + goodRows(5),
			want: `config.yaml:11:1: error: unknown key "colour"`, asError: new(*diag.Error)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := miniProject(t, tc.cfg, tc.wlmds)
			out, err := runMini(t, cfgPath)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("run failed: %v", err)
				}
				b, err := os.ReadFile(filepath.Join(out, "restricted", "rejects", "wlmds.csv"))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), tc.rejects) {
					t.Fatalf("rejects file:\n%s\nwant a line containing %q", b, tc.rejects)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
			if !errors.As(err, tc.asError) {
				t.Fatalf("error %T does not unwrap to %T", err, tc.asError)
			}
		})
	}
}

// TestFailedRunManifest checks that a failed run leaves the previous run
// folder as it was and writes a manifest naming the stage that failed to
// <out>.failed, with no outputs that look complete.
func TestFailedRunManifest(t *testing.T) {
	cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(20))
	out, err := runMini(t, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(out, "statement.pdf"))
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "wlmds.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runMini(t, cfgPath); err == nil {
		t.Fatal("run of an empty extract succeeded")
	}
	if kept, _ := os.ReadFile(filepath.Join(out, "statement.pdf")); !bytes.Equal(kept, good) {
		t.Error("the failed run changed the previous run's statement")
	}
	failed := pipeline.FailedDir(out)
	b, err := os.ReadFile(filepath.Join(failed, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"status": "failed"`, `"stage": "extract"`, "file is empty"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("manifest lacks %s:\n%s", want, b)
		}
	}
	if _, err := os.Stat(filepath.Join(failed, "statement.pdf")); err == nil {
		t.Error("a failed run left statement.pdf")
	}
	// A later successful run clears the stale failure report.
	os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "wlmds.csv"), []byte(wlmdsHeader+goodRows(20)), 0o644)
	if _, err := runMini(t, cfgPath); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(failed); err == nil {
		t.Error("a successful run left the old failure report")
	}
}

// TestRefusesForeignOutput: hiis replaces only its own run folders, and
// never a folder that holds the config or the inputs.
func TestRefusesForeignOutput(t *testing.T) {
	cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(20))
	dir := filepath.Dir(cfgPath)
	foreign := filepath.Join(t.TempDir(), "thesis")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "chapter1.txt"), []byte("precious"), 0o644)
	for _, out := range []string{foreign, dir, filepath.Dir(dir)} {
		_, err := pipeline.Run(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Out: out, Work: filepath.Join(t.TempDir(), "w")})
		if err == nil {
			t.Errorf("--out %s was accepted", out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(foreign, "chapter1.txt")); err != nil || string(b) != "precious" {
		t.Fatal("a run deleted a folder that was not a run folder")
	}
	if _, err := os.Stat(cfgPath); err != nil {
		t.Fatal("a run deleted its own config")
	}
}

// TestCustomIndicator: adding an indicator is adding a file. LOCAL-1 exists
// only in testdata, with its own extract, and the pipeline reports it.
func TestCustomIndicator(t *testing.T) {
	out := mustRun(t, filepath.Join("testdata", "custom", "config.yaml"), t.TempDir())
	rows := readMetrics(t, filepath.Join(out, "metrics.csv"))
	got := map[string]int{}
	for _, r := range rows {
		if r.IndicatorID != "LOCAL-1" {
			t.Fatalf("unexpected indicator %s", r.IndicatorID)
		}
		got[r.Breakdown]++
	}
	for _, b := range []string{"overall", "imd_quintile", "imd_summary", "ethnic_group", "ethnic_ratio", "age_band", "sex"} {
		if got[b] == 0 {
			t.Errorf("LOCAL-1 has no %s rows", b)
		}
	}
}

// TestPlan: plan writes nothing and says for each extract whether it runs or
// is reused, and which hash changed.
func TestPlan(t *testing.T) {
	cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(10))
	dir := filepath.Dir(cfgPath)
	opt := pipeline.Options{Out: filepath.Join(dir, "out"), Work: filepath.Join(dir, "work")}
	action := func() string {
		steps, err := pipeline.Plan(context.Background(), mustLoad(t, cfgPath), opt)
		if err != nil {
			t.Fatal(err)
		}
		if steps[0].Stage != "extract" || steps[0].Name != "wlmds" {
			t.Fatalf("first step %+v, want the wlmds extract", steps[0])
		}
		return steps[0].Action
	}
	if a := action(); a != "run: no snapshot of this source yet" {
		t.Errorf("before any run: %q", a)
	}
	for _, p := range []string{opt.Out, opt.Work} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("plan created %s", p)
		}
	}
	if _, err := pipeline.Run(context.Background(), mustLoad(t, cfgPath), opt); err != nil {
		t.Fatal(err)
	}
	if a := action(); !strings.HasPrefix(a, "reuse:") {
		t.Errorf("after a run: %q", a)
	}
	if err := os.WriteFile(filepath.Join(dir, "wlmds.csv"), []byte(wlmdsHeader+goodRows(11)), 0o644); err != nil {
		t.Fatal(err)
	}
	if a := action(); !strings.HasPrefix(a, "run: input changed (sha256 ") {
		t.Errorf("after the input changed: %q", a)
	}
	opt.Force = true
	if a := action(); a != "run: --force rebuilds it" {
		t.Errorf("with --force: %q", a)
	}
	// An output folder the run would refuse, the plan refuses too.
	foreign := filepath.Join(t.TempDir(), "thesis")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "chapter1.txt"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	var refused *pipeline.RefusedError
	if _, err := pipeline.Plan(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Out: foreign, Work: opt.Work}); !errors.As(err, &refused) {
		t.Errorf("plan into a folder that is not a run folder: %v, want a refusal", err)
	}
}

// TestExpressionsCannotReachFiles: indicator SQL runs with DuckDB's external
// access disabled, so an expression cannot read a file.
func TestExpressionsCannotReachFiles(t *testing.T) {
	cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(10))
	p := filepath.Join(filepath.Dir(cfgPath), "indicators", "ER-1a.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	evil := strings.Replace(string(b), "denominator: count(*)", "denominator: count(*) + (SELECT count(*) FROM read_csv('/etc/passwd'))", 1)
	if evil == string(b) {
		t.Fatal("the test could not plant its expression")
	}
	if err := os.WriteFile(p, []byte(evil), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runMini(t, cfgPath)
	if err == nil || !strings.Contains(err.Error(), "file system operations are disabled") {
		t.Fatalf("run with an expression reading /etc/passwd: %v", err)
	}
}

// TestVersionRangeStopsBeforeWriting: a config made for another hiis version
// is refused before anything is written.
func TestVersionRangeStopsBeforeWriting(t *testing.T) {
	cfgPath := miniProject(t, strings.Replace(miniConfig, `hiis: ">=0.1.0"`, `hiis: ">=9.0.0 <10.0.0"`, 1), wlmdsHeader+goodRows(5))
	out, err := runMini(t, cfgPath)
	var inv *pipeline.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "made for hiis >=9.0.0 <10.0.0") {
		t.Fatalf("error %v, want an invalid-config error naming the range", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the refused run created its run folder")
	}
}

// TestPreviousDataQuality: last year's data-quality.csv is read, pinned in
// the manifest and carried into this year's table.
func TestPreviousDataQuality(t *testing.T) {
	first, err := runMini(t, miniProject(t, miniConfig, wlmdsHeader+goodRows(40)))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := miniProject(t, miniConfig+"previous_data_quality: last-year.csv\n", wlmdsHeader+goodRows(60))
	b, err := os.ReadFile(filepath.Join(first, "data-quality.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "last-year.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runMini(t, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	man, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(man), `"name": "previous_data_quality"`) {
		t.Error("the manifest does not record last year's data-quality file")
	}
	dq, err := os.ReadFile(filepath.Join(out, "data-quality.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// wlmds had 40 records last year: the previous-year column says so.
	if !strings.Contains(string(dq), "prev_records") || !strings.Contains(string(dq), ",40,") {
		t.Errorf("data-quality.csv does not carry last year's counts:\n%s", dq)
	}
}

// TestLookupReadingInSnapshotKey: the snapshot key covers how the IMD lookup
// is read, and the direction is checked against the ranks: decile_1 set the
// wrong way is refused (exit 2, naming the file), and a file that does number
// its deciles from the least deprived end, read as least_deprived, gives the
// official file's quintiles.
func TestLookupReadingInSnapshotKey(t *testing.T) {
	cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(45)) // 12 rows in decile 1, 11 in decile 10
	work := filepath.Join(t.TempDir(), "work")
	run := func(cfgText string) (pipeline.Summary, string, error) {
		if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out")
		sum, err := pipeline.Run(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Out: out, Work: work})
		return sum, out, err
	}
	_, a, err := run(miniConfig)
	if err != nil {
		t.Fatal(err)
	}
	flipped := strings.Replace(miniConfig, "edition: test}", "edition: test, decile_1: least_deprived}", 1)
	_, _, err = run(flipped)
	var inv *pipeline.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "imd.csv: deciles contradict reference.imd.decile_1: least_deprived") {
		t.Fatalf("decile_1 set the wrong way: error %v, want an InvalidError naming imd.csv and decile_1", err)
	}
	reversed := strings.Replace(strings.Replace(miniIMD, "\"1,000\",1\r", "\"1,000\",10\r", 1), "\"30,000\",10\r", "\"30,000\",1\r", 1)
	if reversed == miniIMD {
		t.Fatal("the test could not reverse the lookup")
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "imd.csv"), []byte(reversed), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, b, err := run(flipped)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Reused != 0 {
		t.Fatalf("another lookup reading reused %d snapshots", sum.Reused)
	}
	q := func(out string) string {
		for _, r := range readMetrics(t, filepath.Join(out, "restricted", "metrics_unsuppressed.csv")) {
			if r.Breakdown == "imd_quintile" && r.Group == "1" {
				return metrics.FormatNumber(r.Denominator)
			}
		}
		return ""
	}
	if q(a) != q(b) || q(a) == "" {
		t.Errorf("quintile 1 has denominator %q from the official file and %q from the reversed one read as least_deprived", q(a), q(b))
	}
}

// TestPinnedInput: a correct sha256 pin runs, and the snapshot it names is
// the same one an unpinned run makes (the pin's hash is reused, not redone).
func TestPinnedInput(t *testing.T) {
	data := wlmdsHeader + goodRows(20)
	cfgPath := miniProject(t, miniConfig, data)
	work := filepath.Join(t.TempDir(), "work")
	run := func() pipeline.Summary {
		sum, err := pipeline.Run(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Out: filepath.Join(t.TempDir(), "out"), Work: work})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	run()
	sum := sha256.Sum256([]byte(data))
	pinned := strings.Replace(miniConfig, "path: wlmds.csv,", "path: wlmds.csv, sha256: "+hex.EncodeToString(sum[:])+",", 1)
	if pinned == miniConfig {
		t.Fatal("the test could not pin the source")
	}
	if err := os.WriteFile(cfgPath, []byte(pinned), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := run(); s.Reused != 1 {
		t.Fatalf("the pinned run reused %d snapshots, want the unpinned run's one", s.Reused)
	}
}

// TestDisclosureSecondaryOption: `disclosure.secondary` is off by default
// under nhs_digital (NHS Digital's rule adds no secondary suppression) and
// `secondary: true` there switches on the recovery guard; below5 and below10
// default to it; the manifest states the policy the run used. An unknown
// rule or a secondary that is not a boolean is an invalid config naming its
// key, and no run folder is made.
func TestDisclosureSecondaryOption(t *testing.T) {
	tests := []struct {
		name, disclosure string
		want             string // in the manifest's disclosure sentence
		notWant          string
		wantErr          string // in the error; "" means the run succeeds
	}{
		{name: "default", disclosure: "", want: "no secondary suppression", notWant: "next-smallest"},
		{name: "nhs digital without secondary", disclosure: "disclosure: {rule: nhs_digital, secondary: false}\n", want: "no secondary suppression", notWant: "next-smallest"},
		{name: "nhs digital with the recovery guard", disclosure: "disclosure: {rule: nhs_digital, secondary: true}\n", want: "going further than NHS Digital's rule", notWant: "no secondary suppression"},
		{name: "default rule with the recovery guard", disclosure: "disclosure: {secondary: true}\n", want: "going further than NHS Digital's rule", notWant: "no secondary suppression"},
		{name: "below10 defaults to secondary", disclosure: "disclosure: {rule: below10}\n", want: "where a single group in a breakdown is suppressed", notWant: "nearest 5"},
		{name: "below10 without secondary", disclosure: "disclosure: {rule: below10, secondary: false}\n", want: "secondary suppression is switched off", notWant: "next-smallest"},
		{name: "unknown rule", disclosure: "disclosure: {rule: below7, secondary: true}\n", wantErr: `disclosure.rule: unknown disclosure rule "below7"`},
		{name: "secondary not a boolean", disclosure: "disclosure: {rule: nhs_digital, secondary: sometimes}\n", wantErr: `disclosure.secondary: expected true or false, found "sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgPath := miniProject(t, miniConfig+tt.disclosure, wlmdsHeader+goodRows(40))
			out, err := runMini(t, cfgPath)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
				if err != nil {
					t.Fatal(err)
				}
				var man struct {
					Run struct {
						Disclosure string `json:"disclosure"`
					} `json:"run"`
				}
				if err := json.Unmarshal(b, &man); err != nil {
					t.Fatal(err)
				}
				if got := man.Run.Disclosure; !strings.Contains(got, tt.want) || strings.Contains(got, tt.notWant) {
					t.Errorf("manifest disclosure %q: want %q and not %q", got, tt.want, tt.notWant)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "config.yaml:") || !strings.Contains(err.Error(), tt.wantErr) || cli.ExitCode(err) != cli.ExitInvalid {
				t.Fatalf("error %v (exit %d), want an invalid-config error (exit %d) naming the file and %q", err, cli.ExitCode(err), cli.ExitInvalid, tt.wantErr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("the refused run created its run folder")
			}
		})
	}
}
