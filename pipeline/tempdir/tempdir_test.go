package tempdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// deadPID is the pid of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	return cmd.Process.Pid
}

func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	mine, err := Make(dir, "transform-")
	if err != nil {
		t.Fatal(err)
	}
	stale := func(name, owner string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(p, OwnerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(p, "spill.tmp"), []byte("records"), 0o644)
		return p
	}
	parent := os.Getppid()
	parentStart, ok := startTime(parent)
	if !ok {
		t.Skip("no /proc")
	}
	dead := stale("transform-dead", "hiis "+strconv.Itoa(deadPID(t))+" 123\n")
	reused := stale(".out.tmp-reused", "hiis "+strconv.Itoa(parent)+" 1"+parentStart+"\n") // same pid, other start
	live := stale("transform-live", "hiis "+strconv.Itoa(parent)+" "+parentStart+"\n")
	unowned := stale("transform-unowned", "")
	foreign := stale("transform-foreign", "someone 1 2\n")
	other := stale("notours-dead", "hiis "+strconv.Itoa(deadPID(t))+" 123\n")

	removed, err := CleanStale(dir, "transform-", ".out.tmp-")
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("removed %v, want the dead and the reused-pid folders", removed)
	}
	for _, p := range []string{dead, reused} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s (dead owner) kept", filepath.Base(p))
		}
	}
	for _, p := range []string{mine, live, unowned, foreign, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(p), err)
		}
	}
	if err := Release(mine); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mine, OwnerFile)); !os.IsNotExist(err) {
		t.Error("Release left the owner file")
	}
}

func TestStartTimeOfSelf(t *testing.T) {
	a, ok := startTime(os.Getpid())
	if !ok {
		t.Skip("no /proc")
	}
	if _, err := strconv.ParseUint(a, 10, 64); err != nil {
		t.Errorf("start time %q is not a number", a)
	}
	if b, _ := startTime(os.Getpid()); a != b {
		t.Errorf("start time changed: %s, %s", a, b)
	}
}
