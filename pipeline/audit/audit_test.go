package audit_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/audit"
	"hiis/pipeline/config"
	"hiis/pipeline/metrics"
)

var fixtureConfig = filepath.Join("..", "..", "config", "fixture.yaml")

func mustLoad(tb testing.TB) *config.Run {
	tb.Helper()
	cfg, err := config.Load(fixtureConfig)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// freshRun runs the fixtures into a new folder and returns it.
func freshRun(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	out := filepath.Join(dir, "out")
	if _, err := pipeline.Run(context.Background(), mustLoad(tb), pipeline.Options{Out: out, Work: filepath.Join(dir, "work")}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// copyTree copies a run folder, as a user copies a bundle to another machine.
func copyTree(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func verify(tb testing.TB, dir string) *audit.Report {
	tb.Helper()
	rep, err := audit.Verify(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func TestVerify(t *testing.T) {
	run := freshRun(t)
	t.Run("fresh bundle", func(t *testing.T) {
		if rep := verify(t, run); !rep.OK() {
			var b bytes.Buffer
			rep.Print(&b)
			t.Fatalf("verify of a fresh run failed:\n%s", b.String())
		}
	})
	t.Run("copy elsewhere without the extracts", func(t *testing.T) {
		// The copy lives outside the project, so the fixture extracts the
		// config names cannot be reached from it.
		cp := filepath.Join(t.TempDir(), "elsewhere", "statement-2025")
		copyTree(t, run, cp)
		if rep := verify(t, cp); !rep.OK() {
			var b bytes.Buffer
			rep.Print(&b)
			t.Fatalf("verify of a copied bundle failed:\n%s", b.String())
		}
	})
	t.Run("damaged snapshot", func(t *testing.T) {
		cp := filepath.Join(t.TempDir(), "b")
		copyTree(t, run, cp)
		snaps, _ := filepath.Glob(filepath.Join(cp, "restricted", "snapshots", "wlmds-*.parquet"))
		if len(snaps) != 1 {
			t.Fatalf("found %d wlmds snapshots", len(snaps))
		}
		b, _ := os.ReadFile(snaps[0])
		b[len(b)/2] ^= 0x01
		os.WriteFile(snaps[0], b, 0o644)
		rep := verify(t, cp)
		var out bytes.Buffer
		rep.Print(&out)
		name := pipeline.SnapshotDir + "/" + filepath.Base(snaps[0])
		if rep.OK() || !strings.Contains(out.String(), "snapshot damaged: "+name) {
			t.Fatalf("verify did not name the damaged snapshot %s:\n%s", name, out.String())
		}
	})
	t.Run("edited definition", func(t *testing.T) {
		cp := filepath.Join(t.TempDir(), "b")
		copyTree(t, run, cp)
		p := filepath.Join(cp, "bundle", "indicators", "ER-1a.yaml")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, bytes.Replace(b, []byte("weeks_waiting >= 18"), []byte("weeks_waiting >= 17"), 1), 0o644)
		rep := verify(t, cp)
		var out bytes.Buffer
		rep.Print(&out)
		for _, want := range []string{"definition changed: bundle/indicators/ER-1a.yaml", "output metrics.csv", "ER-1a overall All"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("verify report lacks %q:\n%s", want, out.String())
			}
		}
		if rep.OK() {
			t.Error("verify passed an edited definition")
		}
	})
}

func TestVerifyTamperedOutput(t *testing.T) {
	cp := filepath.Join(t.TempDir(), "b")
	copyTree(t, freshRun(t), cp)
	p := filepath.Join(cp, "metrics.csv")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte(",QXX,overall,All,"), []byte(",QXX,overall,All,1"), 1), 0o644)
	rep := verify(t, cp)
	var out bytes.Buffer
	rep.Print(&out)
	if rep.OK() || !strings.Contains(out.String(), "output changed after the run: metrics.csv") {
		t.Fatalf("verify passed a run folder whose metrics.csv was edited:\n%s", out.String())
	}
}

func TestWrongIMDPinStopsBeforeWriting(t *testing.T) {
	cfg := mustLoad(t)
	cfg.Reference.IMD.SHA256 = strings.Repeat("0", 64)
	out := filepath.Join(t.TempDir(), "out")
	_, err := pipeline.Run(context.Background(), cfg, pipeline.Options{Out: out, Work: filepath.Join(t.TempDir(), "work")})
	var pe *pipeline.PinError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "reference.imd.sha256") || !strings.Contains(err.Error(), "imd_lookup.csv") {
		t.Fatalf("error %v, want a pin error naming reference.imd.sha256 and the file", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 0 {
		t.Fatalf("a failed pin left %d entries in the output folder's parent", len(entries))
	}
}

func TestDiffFindsChangedValue(t *testing.T) {
	run := freshRun(t)
	a, err := audit.ReadMetrics(run)
	if err != nil {
		t.Fatal(err)
	}
	b := append([]metrics.Row(nil), a...)
	b[3].Value *= 1.01
	b = append(b[:5], b[6:]...) // remove one row
	res := audit.Diff(a, b, 0.001)
	if res.Changed != 1 || res.Removed != 1 || res.Added != 0 || res.Over != 2 {
		t.Fatalf("diff = %+v, want 1 changed and 1 removed, both over the tolerance", res)
	}
	if res := audit.Diff(a, b[:5], 0.02); res.Over == 0 {
		t.Fatal("a removed row must always exceed the tolerance")
	}
	within := append([]metrics.Row(nil), a...)
	within[3].Value *= 1.000001
	if res := audit.Diff(a, within, 1e-3); res.Changed != 1 || res.Over != 0 {
		t.Fatalf("a change within the tolerance: %+v", res)
	}
}

// TestResumeAfterCancel cancels a run in the middle of an extract, then runs
// again with the same work folder: it must finish, match a clean run, and
// reuse the snapshots finished before the cancellation.
func TestResumeAfterCancel(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := pipeline.Run(ctx, mustLoad(t), pipeline.Options{Out: out, Work: work, OnRows: func(source string, rows int64) {
		if source == "population" && rows >= 8192 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run returned %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(out, "statement.pdf")); err == nil {
		t.Fatal("a cancelled run left a statement that looks complete")
	}
	// Sources are extracted in name order, so apc finished before the cancel.
	if left, _ := filepath.Glob(filepath.Join(work, "snapshots", "population-*")); len(left) != 0 {
		t.Fatalf("a cancelled extract left %v", left)
	}
	sum, err := pipeline.Run(context.Background(), mustLoad(t), pipeline.Options{Out: out, Work: work})
	if err != nil {
		t.Fatalf("re-run after cancel: %v", err)
	}
	if sum.Reused == 0 {
		t.Error("the re-run rebuilt every snapshot; the ones finished before the cancel should be reused")
	}
	clean := freshRun(t)
	for _, f := range []string{"metrics.csv", "statement.pdf", "datapack.xlsx"} {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, _ := os.ReadFile(filepath.Join(clean, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s after resume differs from a clean run", f)
		}
	}
}
