// Package pipeline runs a statement from a run configuration, one stage
// after another: load and validate, extract each source into a snapshot,
// transform the snapshots in DuckDB, compute the statistics, apply
// disclosure control, render the outputs, and record everything in a
// manifest. Each stage lives in its own package; this one only wires them.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"hiis/pipeline/config"
	"hiis/pipeline/measure"
	"hiis/pipeline/render"
)

// Options controls a run.
type Options struct {
	Out      string    // run folder; default the config's output
	Work     string    // work folder holding the snapshot cache; default "work" beside the run folder
	Force    bool      // rebuild snapshots even when unchanged
	Progress io.Writer // where progress goes (stderr); nil for none
	TTY      bool      // Progress is a terminal: redraw counters in place
	// OnRows, if set, is called as each source's extract advances, with
	// the rows read so far (for progress displays and tests).
	OnRows func(source string, rows int64)
}

// Summary is what a finished run reports.
type Summary struct {
	Out        string
	Indicators int
	Rows       int64 // extract rows read
	Rejected   int64
	Reused     int // snapshots reused
	Metrics    int
	Suppressed int
	Elapsed    time.Duration
}

// Run produces a statement from cfg. Its flow is the whole product:
//
//	load → extract → transform → measure → disclose → render → manifest
//
// The outputs are written to a temporary folder and renamed into place only
// when complete; a failed run leaves a manifest saying which stage failed.
func Run(ctx context.Context, cfg *config.Run, opt Options) (sum Summary, err error) {
	start := time.Now()
	r, err := newRun(cfg, opt)
	if err != nil {
		return sum, err
	}
	defer func() { err = r.finish(err) }()

	if err = r.stage("load", r.load); err != nil {
		return sum, err
	}
	if err = r.stage("extract", func() error { return r.extract(ctx) }); err != nil {
		return sum, err
	}
	if err = r.stage("transform", func() error { return r.transform(ctx) }); err != nil {
		return sum, err
	}
	if err = r.stage("measure", func() (e error) {
		r.unsuppressed, e = measure.Compute(r.indicators, r.cells.Cells, r.measureOptions())
		return e
	}); err != nil {
		return sum, err
	}
	if err = r.stage("disclose", r.disclose); err != nil {
		return sum, err
	}
	if err = r.stage("render", func() error { return r.render() }); err != nil {
		return sum, err
	}
	return r.summary(start), nil
}

// stage runs one step, reporting progress and remembering where a failure
// happened for the manifest.
func (r *run) stage(name string, f func() error) error {
	r.current = name
	r.progress.stage(name)
	if err := f(); err != nil {
		return &StageError{Stage: name, Err: err}
	}
	return nil
}

// StageError is a failure inside one stage.
type StageError struct {
	Stage string
	Err   error
}

func (e *StageError) Error() string { return e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

func (r *run) render() error {
	in := r.renderInput()
	files, err := render.Write(r.tmp, in)
	if err != nil {
		return err
	}
	if err := r.copyRejects(); err != nil {
		return err
	}
	if err := r.writeBundle(); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	for _, f := range files {
		if err := r.addOutput(f); err != nil {
			return err
		}
	}
	return nil
}

// outputTemp makes the temporary folder a run writes into, beside out.
func outputTemp(out string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return "", err
	}
	return tmp, os.Chmod(tmp, 0o755)
}

// replaceDir renames tmp to out, replacing an earlier run folder.
func replaceDir(tmp, out string) error {
	old := ""
	if _, err := os.Stat(out); err == nil {
		old = out + ".old"
		os.RemoveAll(old)
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("moving the previous run folder aside: %w", err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}
