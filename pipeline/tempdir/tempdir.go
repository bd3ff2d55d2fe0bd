// Package tempdir makes the temporary folders hiis writes into, each with
// an owner file naming the process that made it, and removes the ones
// whose owner is provably dead: a run killed by SIGKILL or a power cut
// leaves scratch that may hold records (DuckDB spill files, half-written
// run folders), and the next run clears it. A folder whose owner is alive,
// or that has no readable owner file, is never touched.
package tempdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// OwnerFile is the file inside each temporary folder that names its owner:
// "hiis <pid> <start>\n", where start is the process start time from
// /proc/<pid>/stat (field 22), so a reused pid is not mistaken for the owner.
const OwnerFile = ".hiis-owner"

// Make creates a new folder in dir whose name starts with prefix (as
// os.MkdirTemp), writes its owner file and returns its path. dir is created
// if missing. The folder is 0755.
func Make(dir, prefix string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, OwnerFile), []byte(ownerLine(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("writing the owner of %s: %w", tmp, err)
	}
	return tmp, nil
}

// Release removes the owner file from a temporary folder made by Make, just
// before the folder is renamed into place as a finished output.
func Release(tmp string) error {
	err := os.Remove(filepath.Join(tmp, OwnerFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// CleanStale removes the folders directly in dir whose name starts with
// one of prefixes and whose owner file names a process that is no longer
// running (or a different process with the same pid). It returns the
// folders removed. A missing dir is not an error; folders without an owner
// file, or owned by a live process, are kept.
func CleanStale(dir string, prefixes ...string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !hasPrefix(e.Name(), prefixes) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if !Dead(p) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("removing the stale temporary folder %s: %w", p, err))
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// Dead reports whether tmp has an owner file naming a process that has
// ended. A folder with no owner file, or an unreadable one, is not
// provably dead.
func Dead(tmp string) bool {
	b, err := os.ReadFile(filepath.Join(tmp, OwnerFile))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 3 || f[0] != "hiis" {
		return false
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	// The pid is in use: by the owner only if it started at the same time.
	start, ok := startTime(pid)
	return ok && f[2] != "-" && start != f[2]
}

func ownerLine(pid int) string {
	start, ok := startTime(pid)
	if !ok {
		start = "-"
	}
	return "hiis " + strconv.Itoa(pid) + " " + start + "\n"
}

// startTime is field 22 of /proc/<pid>/stat: the process start time in
// clock ticks since boot. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its closing parenthesis.
func startTime(pid int) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", false
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return "", false
	}
	return f[19], true
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
