package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"hiis/pipeline"
	"hiis/pipeline/cli"
	"hiis/pipeline/manifest"
	"hiis/pipeline/tempdir"
)

// cliRun runs the hiis command line on cfgPath into out and returns its
// exit code and stderr.
func cliRun(t *testing.T, cfgPath, out string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"run", "--config", cfgPath, "--out", out}, &stdout, &stderr)
	return code, stderr.String()
}

// tempsBeside lists the temporaries a run into out may leave.
func tempsBeside(t *testing.T, out string) []string {
	t.Helper()
	var left []string
	for _, pat := range []string{filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".*"), filepath.Join(filepath.Dir(out), "work", "transform-*"),
		filepath.Join(filepath.Dir(out), "work", "partitions-*")} {
		m, _ := filepath.Glob(pat)
		left = append(left, m...)
	}
	return left
}

// TestNeverDeletesForeignFiles: hiis replaces only folders whose manifest
// it wrote, removes only its own temporaries and failure reports, and
// refuses anything else before any work, naming the path, with exit 1.
func TestNeverDeletesForeignFiles(t *testing.T) {
	webApp := `{"name": "my-web-app", "version": "1.0.0"}`
	for _, tc := range []struct {
		name  string
		setup func(out string) // what the user had
		keep  []string         // paths (relative to out's folder) that must survive unchanged
	}{
		{"folder with a foreign manifest.json", func(out string) {
			writeFile(t, filepath.Join(out, "manifest.json"), webApp)
			writeFile(t, filepath.Join(out, "index.html"), "<p>site</p>")
		}, []string{"out/manifest.json", "out/index.html"}},
		{"out is a file", func(out string) { writeFile(t, out, "precious") }, []string{"out"}},
		{"user's own out.failed", func(out string) {
			writeFile(t, filepath.Join(out+".failed", "notes.txt"), "mine")
		}, []string{"out.failed/notes.txt"}},
		{"out.failed with a foreign manifest", func(out string) {
			writeFile(t, filepath.Join(out+".failed", "manifest.json"), webApp)
		}, []string{"out.failed/manifest.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(20))
			out := filepath.Join(filepath.Dir(cfgPath), "out")
			tc.setup(out)
			before := snapshot(t, filepath.Dir(out), tc.keep)
			code, stderr := cliRun(t, cfgPath, out)
			if code != cli.ExitChecks {
				t.Fatalf("exit %d, want %d: %s", code, cli.ExitChecks, stderr)
			}
			if !strings.Contains(stderr, "refusing to write "+filepath.Dir(out)) {
				t.Errorf("stderr does not name the refused path: %s", stderr)
			}
			if after := snapshot(t, filepath.Dir(out), tc.keep); !equalMaps(before, after) {
				t.Errorf("the user's files changed")
			}
			// Refused before any work: no snapshot, no temporary.
			if m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "work", "snapshots", "*")); len(m) > 0 {
				t.Errorf("extract ran before the refusal: %v", m)
			}
			if left := tempsBeside(t, out); len(left) > 0 {
				t.Errorf("temporaries left: %v", left)
			}
		})
	}

	t.Run("user's out.old survives runs", func(t *testing.T) {
		cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(20))
		out := filepath.Join(filepath.Dir(cfgPath), "out")
		writeFile(t, filepath.Join(out+".old", "keep.txt"), "mine")
		for i := 0; i < 2; i++ { // the second run replaces the first
			if code, stderr := cliRun(t, cfgPath, out); code != 0 {
				t.Fatalf("run %d: exit %d: %s", i, code, stderr)
			}
		}
		if b, err := os.ReadFile(filepath.Join(out+".old", "keep.txt")); err != nil || string(b) != "mine" {
			t.Errorf("out.old was touched: %v", err)
		}
		if left := tempsBeside(t, out); len(left) > 0 {
			t.Errorf("left beside out: %v", left)
		}
	})

	t.Run("a hiis failure report is replaced and then removed", func(t *testing.T) {
		cfgPath := miniProject(t, miniConfig, "")
		out := filepath.Join(filepath.Dir(cfgPath), "out")
		for i := 0; i < 2; i++ { // the second failure replaces the first report
			if code, stderr := cliRun(t, cfgPath, out); code != cli.ExitChecks {
				t.Fatalf("failing run %d: exit %d: %s", i, code, stderr)
			}
		}
		writeFile(t, filepath.Join(filepath.Dir(cfgPath), "wlmds.csv"), wlmdsHeader+goodRows(20))
		if code, stderr := cliRun(t, cfgPath, out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(out + ".failed"); !os.IsNotExist(err) {
			t.Errorf("the stale failure report was kept: %v", err)
		}
		// A run folder is never taken for a failure report.
		if err := os.Rename(out, out+".failed"); err != nil {
			t.Fatal(err)
		}
		if code, _ := cliRun(t, cfgPath, out); code != cli.ExitChecks {
			t.Errorf("a run folder at out.failed: exit %d, want %d", code, cli.ExitChecks)
		}
		if _, err := os.Stat(filepath.Join(out+".failed", "statement.pdf")); err != nil {
			t.Errorf("the run folder at out.failed was touched: %v", err)
		}
	})
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func snapshot(t *testing.T, dir string, rel []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, r := range rel {
		b, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			m[r] = "missing: " + err.Error()
			continue
		}
		m[r] = string(b)
	}
	return m
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// quotedValues are the "..." values in s.
var quotedValues = regexp.MustCompile(`"(?:[^"\\]|\\.)*"?`)

// TestFailedRunLeaksNoRecords: a failing extract's error reaches the failed
// manifest (outside restricted/) and the terminal with at most one field
// value, cut short; the whole text goes to restricted/failure.txt.
func TestFailedRunLeaksNoRecords(t *testing.T) {
	var cr strings.Builder
	cr.WriteString(strings.ReplaceAll(wlmdsHeader, "\n", "\r"))
	for i := 0; i < 2000; i++ {
		cr.WriteString(strings.ReplaceAll(goodRows(1), "\n", "\r"))
	}
	badByte := wlmdsHeader + goodRows(10) + "E01990001,A,40,1,P\xe9\xff" + strings.Repeat("SECRETCODE", 50) + ",IRTT,3,2026-03-29\n" + goodRows(10)
	strictConfig := strings.Replace(miniConfig, "max_reject_share: 0.5", "max_reject_share: 0", 1)
	for _, tc := range []struct{ name, cfg, wlmds string }{
		{"CR-only line endings", miniConfig, cr.String()},
		{"bad byte in a field", strictConfig, badByte},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := miniProject(t, tc.cfg, tc.wlmds)
			out := filepath.Join(filepath.Dir(cfgPath), "out")
			code, stderr := cliRun(t, cfgPath, out)
			if code == 0 {
				t.Fatal("the run succeeded")
			}
			if code != cli.ExitChecks {
				t.Errorf("exit %d, want %d: %s", code, cli.ExitChecks, stderr)
			}
			b, err := os.ReadFile(filepath.Join(out+".failed", manifest.Name))
			if err != nil {
				t.Fatal(err)
			}
			var m manifest.Manifest
			if err := json.Unmarshal(b, &m); err != nil || m.Failure == nil {
				t.Fatalf("failed manifest: %v\n%s", err, b)
			}
			full, err := os.ReadFile(filepath.Join(out+".failed", "restricted", "failure.txt"))
			if err != nil {
				t.Fatalf("no restricted/failure.txt: %v", err)
			}
			for where, text := range map[string]string{"failed manifest": m.Failure.Error, "stderr": stderr} {
				checkRedacted(t, where, text)
			}
			if !strings.Contains(string(full), "wlmds.csv") {
				t.Errorf("failure.txt lacks the file: %.300s", full)
			}
			t.Logf("stderr: %s", stderr)
		})
	}
}

func checkRedacted(t *testing.T, where, text string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if n := len([]rune(line)); n > 400 {
			t.Errorf("%s: a line of %d characters", where, n)
		}
		full := 0
		for _, q := range quotedValues.FindAllString(line, -1) {
			if q != `"…"` {
				full++
			}
			if len([]rune(q)) > 43 {
				t.Errorf("%s: a quoted value of %d characters: %.60s", where, len([]rune(q)), q)
			}
		}
		if full > 1 {
			t.Errorf("%s quotes %d values: %s", where, full, line)
		}
		if strings.Count(line, "SECRETCODE") > 4 || strings.Contains(line, "\r") {
			t.Errorf("%s leaks the record: %s", where, line)
		}
	}
}

// TestFullDiskKeepsPreviousRun: no space left while writing the outputs is
// exit 1 naming the path and "no space left"; the previous run is untouched
// and no temporary is left.
func TestFullDiskKeepsPreviousRun(t *testing.T) {
	cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(20))
	out := filepath.Join(filepath.Dir(cfgPath), "out")
	if code, stderr := cliRun(t, cfgPath, out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	good, err := os.ReadFile(filepath.Join(out, manifest.Name))
	if err != nil {
		t.Fatal(err)
	}
	restore := pipeline.SetWriteManifest(func(_ *manifest.Manifest, dir string) error {
		return &os.PathError{Op: "write", Path: filepath.Join(dir, manifest.Name), Err: syscall.ENOSPC}
	})
	defer restore()
	code, stderr := cliRun(t, cfgPath, out)
	if code != cli.ExitChecks {
		t.Errorf("exit %d, want %d", code, cli.ExitChecks)
	}
	if !strings.Contains(stderr, "no space left") || !strings.Contains(stderr, out) {
		t.Errorf("stderr does not name the path and the full disk: %s", stderr)
	}
	if now, _ := os.ReadFile(filepath.Join(out, manifest.Name)); !bytes.Equal(now, good) {
		t.Error("the previous run changed")
	}
	if left := tempsBeside(t, out); len(left) > 0 {
		t.Errorf("temporaries left: %v", left)
	}
}

// TestSIGTERMCleansUp re-runs this test binary as a hiis run of the
// fixtures, sends it SIGTERM in mid-run, and checks that it exits 1 and
// leaves no temporary beside the run folder or in the work folder.
func TestSIGTERMCleansUp(t *testing.T) {
	if os.Getenv("HIIS_SIGTERM_CHILD") != "" {
		os.Exit(cli.Main([]string{"run", "--config", fixtureConfig, "--out", os.Getenv("HIIS_SIGTERM_CHILD"), "--force"}, os.Stdout, os.Stderr))
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		when string // the temporary whose appearance marks mid-run
		name string
	}{
		{syscall.SIGTERM, filepath.Join("work", "snapshots", "*"), "during extract"},
		{syscall.SIGHUP, filepath.Join("work", "transform-*"), "during transform"}, // DuckDB scratch holds records
		{syscall.SIGTERM, filepath.Join("work", "transform-*"), "during transform"},
	} {
		sig := tc.sig
		t.Run(sig.String()+" "+tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(os.Args[0], "-test.run=^TestSIGTERMCleansUp$")
			cmd.Env = append(os.Environ(), "HIIS_SIGTERM_CHILD="+out)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until the run is under way: its temporary folder exists
			// and the extract has begun writing snapshots.
			deadline := time.Now().Add(60 * time.Second)
			for {
				m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".out.tmp-*"))
				s, _ := filepath.Glob(filepath.Join(filepath.Dir(out), tc.when))
				if len(m) > 0 && len(s) > 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the run did not start: %s", stderr.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code != cli.ExitChecks {
				t.Errorf("exit %d (%v), want %d: %s", code, err, cli.ExitChecks, stderr.String())
			}
			if left := tempsBeside(t, out); len(left) > 0 {
				t.Errorf("temporaries left: %v", left)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("an interrupted run left a run folder")
			}
		})
	}
}

// TestRunRemovesStaleTemporaries: a run removes the temporaries of earlier
// runs whose process has ended (beside the run folder and in the work
// folder) and keeps those of a live process and those it cannot prove dead.
func TestRunRemovesStaleTemporaries(t *testing.T) {
	cfgPath := miniProject(t, miniConfig, wlmdsHeader+goodRows(20))
	dir := filepath.Dir(cfgPath)
	out := filepath.Join(dir, "out")
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Skip(err)
	}
	deadOwner := fmt.Sprintf("hiis %d 1\n", done.Process.Pid)
	liveDir, err := tempdir.Make(filepath.Join(dir, "work"), "transform-")
	if err != nil {
		t.Fatal(err)
	}
	stale := []string{filepath.Join(dir, ".out.tmp-111"), filepath.Join(dir, ".out.old-222"),
		filepath.Join(dir, "work", "transform-333"), filepath.Join(dir, "work", "partitions-444")}
	for _, p := range stale {
		writeFile(t, filepath.Join(p, tempdir.OwnerFile), deadOwner)
		writeFile(t, filepath.Join(p, "records.parquet"), "records")
	}
	unowned := filepath.Join(dir, "work", "transform-555")
	writeFile(t, filepath.Join(unowned, "x"), "kept")
	if code, stderr := cliRun(t, cfgPath, out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("stale %s kept", p)
		}
	}
	for _, p := range []string{liveDir, unowned} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}

// TestOutputOwnership: which folders hiis may write a run into, decided by
// the manifest's own fields, not its name.
func TestOutputOwnership(t *testing.T) {
	run := `{"tool": {"name": "hiis", "version": "0.1.0"}, "status": "ok"}`
	failed := `{"tool": {"name": "hiis"}, "status": "failed"}`
	many := `{"tool": {"name": "hiis"}, "status": "ok", "kind": "organisations"}`
	for _, tc := range []struct {
		name       string
		out, fails string // manifest.json of out and out.failed; "" none, "-" folder absent, "file" a file
		ok         bool
	}{
		{"absent", "-", "-", true},
		{"empty folder", "", "-", true},
		{"run folder", run, "-", true},
		{"multi-organisation folder", many, "-", true},
		{"with its failure report", run, failed, true},
		{"foreign manifest", `{"name": "web-app"}`, "-", false},
		{"other tool", `{"tool": {"name": "other"}, "status": "ok"}`, "-", false},
		{"running", `{"tool": {"name": "hiis"}, "status": "running"}`, "-", false},
		{"not json", "manifest", "-", false},
		{"a file", "file", "-", false},
		{"failure report as out", failed, "-", false},
		{"run folder as out.failed", run, run, false},
		{"foreign out.failed", run, `{"x": 1}`, false},
		{"out.failed a file", "-", "file", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			for dir, m := range map[string]string{out: tc.out, out + ".failed": tc.fails} {
				switch m {
				case "-":
				case "file":
					writeFile(t, dir, "x")
				case "":
					os.MkdirAll(dir, 0o755)
				default:
					writeFile(t, filepath.Join(dir, manifest.Name), m)
				}
			}
			err := pipeline.CheckOutput(out)
			var refused *pipeline.RefusedError
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && !errors.As(err, &refused) {
				t.Errorf("accepted (%v)", err)
			}
		})
	}
	t.Run("symlink to a run folder", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "real", manifest.Name), run)
		os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "out"))
		if err := pipeline.CheckOutput(filepath.Join(dir, "out")); err == nil {
			t.Error("a symbolic link was accepted as the output folder")
		}
	})
}

// TestRunManyRefusesBeforeWork: a multi-organisation run into a folder hiis
// did not make is refused before anything is extracted.
func TestRunManyRefusesBeforeWork(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	work := t.TempDir()
	writeFile(t, filepath.Join(out, manifest.Name), `{"name": "web-app"}`)
	_, err := pipeline.RunMany(context.Background(), mustLoad(t, orgsConfig), pipeline.Options{Out: out, Work: work})
	var refused *pipeline.RefusedError
	if !errors.As(err, &refused) || refused.Path != out {
		t.Fatalf("error %v, want a refusal naming %s", err, out)
	}
	if m, _ := filepath.Glob(filepath.Join(work, "*", "*")); len(m) > 0 {
		t.Errorf("work done before the refusal: %v", m)
	}
	if b, _ := os.ReadFile(filepath.Join(out, manifest.Name)); string(b) != `{"name": "web-app"}` {
		t.Error("the foreign manifest changed")
	}
}
