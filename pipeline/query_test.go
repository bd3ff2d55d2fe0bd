package pipeline_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/extract"
	"hiis/pipeline/warehouse/pgtest"
)

// projectConfig rewrites a config of config/ to run from a temporary folder:
// its relative paths made absolute inside the project, which becomes the
// data root. edit changes the text further.
func projectConfig(t *testing.T, name string, edit func(string) string) string {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "config", name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "data_root: ..\n", "data_root: "+abs+"\n")
	text = strings.ReplaceAll(text, ": ../", ": "+abs+"/")
	// Narrative files beside the config.
	text = strings.ReplaceAll(text, "file: fixture-actions.md", "file: "+filepath.Join(abs, "config", "fixture-actions.md"))
	if edit != nil {
		text = edit(text)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestQuerySource runs the fixture's admitted care indicators with apc read
// by a query from a real, throwaway PostgreSQL loaded with the fixture's
// apc.csv, and checks: the metrics equal the CSV run's (the golden files),
// the connection string and its password appear in no output and no
// manifest, the manifest records the query's evidence, and the run folder
// verifies with the database gone.
func TestQuerySource(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Exec(t, `CREATE TABLE sus_apc ("Der_Postcode_LSOA_2011_Code" text, "Ethnic_Group" text, "Age_At_Start_of_Spell_SUS" smallint,
		"Sex" text, "APCS_Ident" bigint, "Admission_Date" date, "Admission_Method" text, "Patient_Classification" smallint,
		"Der_Primary_Diagnosis_Code" text, "Der_Primary_Procedure_Code" text)`)
	if n := pg.CopyCSV(t, "sus_apc", filepath.Join(root, "fixtures", "sources", "apc.csv")); n != 46116 {
		t.Fatalf("loaded %d spells, want 46,116", n)
	}
	const password = "hiis-test-Pa55word"
	dsn := pg.DSN + " password=" + password // trust authentication ignores it: it is there to be leaked, and must not be
	t.Setenv("HIIS_TEST_WAREHOUSE", dsn)

	// The indicators that read apc.
	csvCfg := mustLoad(t, fixtureConfig)
	inds, err := pipeline.LoadIndicators(csvCfg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ind := range inds {
		if ind.Source == "apc" {
			ids = append(ids, ind.ID)
		}
	}
	if len(ids) < 3 {
		t.Fatalf("only %d indicators read apc", len(ids))
	}
	cfgPath := projectConfig(t, "fixture.yaml", func(s string) string {
		abs, _ := filepath.Abs(root)
		s = strings.Replace(s, "    path: "+abs+"/fixtures/sources/apc.csv\n",
			"    database: {driver: postgres, dsn_env: HIIS_TEST_WAREHOUSE}\n    query_file: "+abs+"/config/queries/apc.sql\n", 1)
		return strings.Replace(s, "  include_optional: true\n", "  include_optional: true\n  only: ["+strings.Join(ids, ", ")+"]\n", 1)
	})
	if b, _ := os.ReadFile(cfgPath); !strings.Contains(string(b), "query_file:") {
		t.Fatal("the test could not turn apc into a query source")
	}
	work := t.TempDir()
	out := mustRun(t, cfgPath, work)

	for _, name := range []string{"metrics.csv", "restricted/metrics_unsuppressed.csv"} {
		got := linesOf(t, filepath.Join(out, name), ids)
		want := linesOf(t, filepath.Join(root, "fixtures", "golden", filepath.Base(name)), ids)
		if len(want) < 10 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the query run's %d rows of %s differ from the CSV run's %d:\n%s", name, len(got), strings.Join(ids, ", "), len(want), lineDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
		}
	}
	man, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"driver": "postgres"`, `"server_version": "1`, `"query_sha256"`, `"staged_sha256"`, `"path": "query:apc"`, `"rows": 46116`} {
		if !strings.Contains(string(man), want) {
			t.Errorf("manifest.json lacks %s", want)
		}
	}
	assertNoSecret(t, []string{out, work}, dsn, password, pg.Dir)

	// Rerun: the query runs again, the staged rows hash the same, and the
	// snapshot is reused.
	sum, err := pipeline.Run(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Out: filepath.Join(t.TempDir(), "out"), Work: work})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Reused < 1 {
		t.Errorf("the second run reused %d snapshots; the unchanged query should reuse apc's", sum.Reused)
	}

	// The plan shows the query source as such, without connecting.
	steps, err := pipeline.Plan(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Work: work})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range steps {
		if s.Stage == "extract" && s.Name == "apc" {
			found = strings.HasPrefix(s.Action, "query: re-run on postgres (connection string from $HIIS_TEST_WAREHOUSE)")
		}
	}
	if !found {
		t.Errorf("plan does not show apc as a query source: %+v", steps)
	}

	// With the database gone (variable unset, server unreachable), the
	// folder verifies from its snapshots.
	t.Setenv("HIIS_TEST_WAREHOUSE", "")
	mustVerify(t, out)
	bundled, err := os.ReadFile(filepath.Join(out, "bundle", "queries", "apc.sql"))
	if err != nil || !strings.Contains(string(bundled), "FROM sus_apc") {
		t.Errorf("the query file is not in the bundle: %v", err)
	}

	// A run without the variable stops before any work, as a config problem.
	_, err = pipeline.Run(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Out: filepath.Join(t.TempDir(), "out"), Work: t.TempDir()})
	var inv *pipeline.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "environment variable HIIS_TEST_WAREHOUSE is not set") {
		t.Errorf("run without the connection string: %v", err)
	}
	// A wrong connection string is an input error that does not print it.
	bad := "host=" + filepath.Join(t.TempDir(), "gone") + " user=hiis password=" + password
	t.Setenv("HIIS_TEST_WAREHOUSE", bad)
	_, err = pipeline.Run(context.Background(), mustLoad(t, cfgPath), pipeline.Options{Out: filepath.Join(t.TempDir(), "out"), Work: t.TempDir()})
	var ie *extract.InputError
	if !errors.As(err, &ie) || strings.Contains(err.Error(), password) || strings.Contains(err.Error(), bad) {
		t.Errorf("run with an unreachable database: %v", err)
	}
}

// linesOf returns the header and the lines of a metrics CSV whose
// indicator is one of ids.
func linesOf(t *testing.T, path string, ids []string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		id, _, _ := strings.Cut(sc.Text(), ",")
		for _, want := range ids {
			if first || id == want {
				out = append(out, sc.Text())
				break
			}
		}
	}
	return out
}

// assertNoSecret fails when any file under the folders holds the connection
// string, its password or the server's socket folder.
func assertNoSecret(t *testing.T, dirs []string, secrets ...string) {
	t.Helper()
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Error(err)
				return nil
			}
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("%s contains %q", p, s)
				}
			}
			return nil
		})
	}
}
