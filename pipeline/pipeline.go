// Package pipeline runs a statement from a run configuration, one stage
// after another: load and validate, extract each source into a snapshot,
// transform the snapshots in DuckDB, compute the statistics, apply
// disclosure control, render the outputs, and record everything in a
// manifest. Each stage lives in its own package; this one only wires them.
package pipeline

import (
	"context"
	"io"
	"time"

	"hiis/pipeline/config"
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

	done func(*run) // called with the finished run (multi-organisation runs)
}

// Summary is what a finished run reports.
type Summary struct {
	Out        string
	Indicators int
	Rows       int64 // extract rows read
	Rejected   int64
	Duplicates int64 // records whose record key repeats an earlier one
	Reused     int   // snapshots reused
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
	defer func() {
		err = r.finish(err)
		r.progress.end(err == nil) // stage times, on stderr only
	}()

	for _, s := range []struct {
		name string
		run  func() error
	}{
		{"load", r.load}, // config, pins, indicators, IMD lookup
		{"extract", func() error { return r.extract(ctx) }},     // sources → Parquet snapshots
		{"transform", func() error { return r.transform(ctx) }}, // DuckDB SQL → numerators, denominators
		{"measure", r.measure},                                  // values, intervals, gaps, SII
		{"disclose", r.disclose},                                // suppression and rounding
		{"render", r.renderStatements},                          // PDF, data pack, bundle
	} {
		if err := r.stage(s.name, s.run); err != nil {
			return sum, err
		}
	}
	if opt.done != nil {
		opt.done(r)
	}
	return r.summary(start), nil
}

// renderStatements renders the statement, showing statements done of the
// total.
func (r *run) renderStatements() error {
	r.progress.render(0, 1)
	if err := r.render(); err != nil {
		return err
	}
	r.progress.render(1, 1)
	return nil
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

// StageError is a failure inside one stage. Manifest is where the failed
// run's manifest was written ("" if it could not be).
type StageError struct {
	Stage    string
	Err      error
	Manifest string
}

func (e *StageError) Error() string { return e.Err.Error() }

func (e *StageError) Unwrap() error { return e.Err }
