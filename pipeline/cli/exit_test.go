package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/diag"
	"hiis/pipeline/extract"
)

// TestExitCodes: the machine's and the data's failures are exit 1 (or 2
// for configuration), never 3; 3 is left for hiis's own bugs.
func TestExitCodes(t *testing.T) {
	stage := func(err error) error { return &pipeline.StageError{Stage: "render", Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"full disk", stage(fmt.Errorf("writing the run folder out: %w", &os.PathError{Op: "write", Path: "out/x", Err: syscall.ENOSPC})), ExitChecks},
		{"read-only disk", &os.PathError{Op: "open", Path: "out", Err: syscall.EROFS}, ExitChecks},
		{"quota", stage(syscall.EDQUOT), ExitChecks},
		{"permission", stage(&os.PathError{Op: "open", Path: "apc.csv", Err: syscall.EACCES}), ExitChecks},
		{"unreadable file", stage(&os.PathError{Op: "read", Path: "apc.csv", Err: syscall.EIO}), ExitChecks},
		{"interrupted", stage(context.Canceled), ExitChecks},
		{"refused folder", &pipeline.RefusedError{Path: "out", Reason: "not a hiis run folder"}, ExitChecks},
		{"bad input", stage(&extract.InputError{}), ExitChecks},
		{"bad comparator file", stage(&pipeline.BadInputError{Err: errors.New("england.csv: line 3: field \"Value\": \"x\" is not a number")}), ExitChecks},
		{"too many rejects", stage(&extract.RejectShareError{}), ExitChecks},
		{"config", &diag.Error{List: diag.List{{Pos: diag.Pos{File: "c.yaml", Line: 1}, Message: "x"}}}, ExitInvalid},
		{"invalid", &pipeline.InvalidError{Err: errors.New("x")}, ExitInvalid},
		{"bug", stage(errors.New("index out of range")), ExitInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExitCode(tc.err); got != tc.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

// TestMessageRedacted: what reaches the terminal quotes at most one value,
// cut short, and carries no control characters, however much of a record
// the error holds.
func TestMessageRedacted(t *testing.T) {
	record := strings.Repeat("I219,", 2000)
	err := &pipeline.StageError{Stage: "transform", Manifest: "/x/out.failed/manifest.json",
		Err: fmt.Errorf("conversion error: %q\r\ncould not convert %q in row %q", record, "E01000001", record)}
	msg := message(err)
	lines := strings.Split(msg, "\n")
	if len(lines) != 3 {
		t.Fatalf("message has %d lines, want 3:\n%s", len(lines), msg)
	}
	if strings.Count(msg, "I219") > 10 || strings.Contains(msg, "E01000001") || strings.ContainsRune(msg, '\r') {
		t.Errorf("message leaks the record:\n%s", msg)
	}
	if !strings.Contains(lines[2], "/x/out.failed/restricted/failure.txt") {
		t.Errorf("message does not say where the full error is:\n%s", msg)
	}
}
