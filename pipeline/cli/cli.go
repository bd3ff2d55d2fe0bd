// Package cli is the hiis command line: it parses flags, calls one pipeline
// function per command and maps the error to an exit code in one place.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"hiis/pipeline"
	"hiis/pipeline/config"
	"hiis/pipeline/diag"
	"hiis/pipeline/extract"
	"hiis/pipeline/version"
)

// Exit codes (DESIGN.md).
const (
	ExitOK       = 0 // success
	ExitChecks   = 1 // the run finished but checks failed, or the input data failed a check
	ExitInvalid  = 2 // invalid configuration or usage: nothing ran
	ExitInternal = 3 // internal error
)

// DefaultConfig is the committed fixture run.
const DefaultConfig = "config/fixture.yaml"

// ExitError carries an exit code chosen by a command.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the command line with args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	// Ctrl-C, a scheduler's or docker's SIGTERM and a closed terminal's
	// SIGHUP all cancel the run, which then removes its temporaries; a
	// second signal kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		// What a cancelled stage returned may not say so (DuckDB's
		// "interrupted"): the run was interrupted, not broken.
		err = fmt.Errorf("%w (%w)", context.Canceled, err)
	}
	code := ExitCode(err)
	fmt.Fprintln(stderr, message(err))
	return code
}

// ExitCode maps an error to the exit code DESIGN.md fixes.
func ExitCode(err error) int {
	var ee *ExitError
	var de *diag.Error
	var ie *pipeline.InvalidError
	var rse *extract.RejectShareError
	var input *extract.InputError
	var ue *usageError
	var refused *pipeline.RefusedError
	var badInput *pipeline.BadInputError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &de), errors.As(err, &ie), errors.As(err, &ue):
		return ExitInvalid
	case errors.As(err, &rse), errors.As(err, &input), errors.As(err, &refused), errors.As(err, &badInput):
		return ExitChecks
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ExitChecks // interrupted
	case environmental(err):
		return ExitChecks
	}
	return ExitInternal
}

// environmental reports whether err is the machine's or the files', not
// hiis's: a full, read-only or forbidden disk, a missing or unreadable
// file, an I/O error.
func environmental(err error) bool {
	for _, e := range []error{syscall.ENOSPC, syscall.EROFS, syscall.EACCES, syscall.EPERM, syscall.EDQUOT,
		syscall.EIO, syscall.ENOENT, syscall.ENOTDIR, syscall.EISDIR, syscall.EMFILE, syscall.ENFILE, syscall.EFBIG, syscall.ENAMETOOLONG} {
		if errors.Is(err, e) {
			return true
		}
	}
	var pe *os.PathError
	var le *os.LinkError
	return errors.As(err, &pe) || errors.As(err, &le) || errors.Is(err, io.ErrUnexpectedEOF)
}

func message(err error) string {
	var de *diag.Error
	if errors.As(err, &de) {
		n := len(de.List)
		s := de.Error()
		if n > 1 {
			s += fmt.Sprintf("\n%d problems", n)
		}
		return s
	}
	// Anything else may quote records: one value at most, cut short (the
	// full text is in the failed run's restricted/failure.txt).
	var se *pipeline.StageError
	if errors.As(err, &se) {
		msg := fmt.Sprintf("hiis: %s failed: %s", se.Stage, diag.Redact(se.Err.Error()))
		if se.Manifest != "" {
			dir := filepath.Dir(se.Manifest)
			msg += "\nhiis: the previous run folder is unchanged; this run's manifest is " + se.Manifest +
				"\nhiis: the full error (restricted, may quote records) is in " + filepath.Join(dir, filepath.FromSlash(pipeline.FailureFile))
		}
		return msg
	}
	if errors.Is(err, context.Canceled) && ExitCode(err) == ExitChecks {
		return "hiis: interrupted: " + diag.Redact(err.Error())
	}
	return "hiis: " + diag.Redact(err.Error())
}

// usageError is a command line that cannot run.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "hiis",
		Short:         "Health Inequalities Information Statement pipeline",
		Long:          "hiis turns an NHS body's source extracts into its annual Health Inequalities Information Statement:\na statement PDF, a data pack (XLSX, CSV, Parquet) and a manifest of hashes.",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (see hiis %s --help)", err, c.Name())}
	})
	root.AddCommand(validateCmd(), planCmd(), runCmd(), indicatorsCmd(), verifyCmd(), diffCmd())
	for _, c := range root.Commands() {
		if c.Args != nil {
			continue
		}
		c.Args = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Errorf("hiis %s takes no arguments, got %q (see hiis %s --help)", c.Name(), args, c.Name())}
			}
			return nil
		}
	}
	return root
}

func loadConfig(path string) (*config.Run, error) {
	cfg, err := config.Load(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &usageError{fmt.Errorf("config %s not found; pass --config FILE (run from the project folder to use %s)", path, DefaultConfig)}
	}
	return cfg, err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
