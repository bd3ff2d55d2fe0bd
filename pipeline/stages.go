package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"hiis/pipeline/config"
	"hiis/pipeline/disclose"
	"hiis/pipeline/extract"
	"hiis/pipeline/indicator"
	"hiis/pipeline/manifest"
	"hiis/pipeline/measure"
	"hiis/pipeline/metrics"
	"hiis/pipeline/refdata"
	"hiis/pipeline/render"
	"hiis/pipeline/source"
	"hiis/pipeline/transform"
	"hiis/pipeline/version"
)

// run is the state one Run carries from stage to stage.
type run struct {
	cfg      *config.Run
	opt      Options
	out, tmp string
	work     string
	current  string
	progress progress
	man      manifest.Manifest

	indicators   []*indicator.Indicator
	imd          *refdata.IMD
	imdHash      string
	macros       string // templates/sql/macros.sql
	previousDQ   map[[2]string]render.DataQuality
	policy       disclose.Policy
	inputs       map[string]string // source name -> resolved input path
	extracts     []extract.Result
	cells        transform.Output
	duckdb       string
	unsuppressed []metrics.Row
	published    []metrics.Row
	suppressed   int
}

func newRun(cfg *config.Run, opt Options) (*run, error) {
	out := opt.Out
	if out == "" {
		out = cfg.OutputDir()
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	work := opt.Work
	if work == "" {
		work = filepath.Join(filepath.Dir(out), "work")
	}
	r := &run{cfg: cfg, opt: opt, out: out, work: work, progress: progress{w: opt.Progress, tty: opt.TTY}}
	r.man = manifest.Manifest{
		Tool:   manifest.Tool{Name: "hiis", Version: version.Version, Revision: version.Revision, Go: runtime.Version()},
		Status: "running",
		Run: manifest.Run{Organisation: cfg.Organisation.Code, Period: cfg.Period.Label, PeriodStart: cfg.Period.Start, PeriodEnd: cfg.Period.End,
			Seed: cfg.Statistics.Seed, Repetitions: cfg.Statistics.SIIRepetitions},
	}
	if r.tmp, err = outputTemp(out); err != nil {
		return nil, fmt.Errorf("creating the run folder beside %s: %w", out, err)
	}
	return r, nil
}

func (r *run) extract(ctx context.Context) error {
	dir := filepath.Join(r.work, "snapshots")
	var rejectErrs []error
	for _, name := range r.usedSources() {
		s := r.cfg.Sources[name]
		if pin := r.cfg.Snapshots[name]; pin != nil {
			snap, _ := r.cfg.Resolve(pin.Path)
			rej, _ := r.cfg.Resolve(pin.Rejects)
			r.extracts = append(r.extracts, extract.Result{Source: name, Kind: s.Kind, Input: s.Path, InputSHA256: pin.InputSHA256,
				Snapshot: snap, SnapshotSHA256: pin.SHA256, Rejects: rej, RejectsSHA256: pin.RejectsSHA256,
				Rows: pin.Rows, Rejected: pin.Rejected, Reused: true})
			r.progress.done(name, r.extracts[len(r.extracts)-1])
			r.man.Sources = append(r.man.Sources, manifestSource(name, s.Kind, s.Path, r.extracts[len(r.extracts)-1]))
			continue
		}
		res, err := extract.Run(ctx, s, r.inputs[name], r.cfg.RejectLimit(s), extract.Options{
			Dir: dir, IMD: r.imd, IMDHash: r.imdHash, Version: version.Version, Force: r.opt.Force,
			Progress: func(n int64) {
				r.progress.count(name, n)
				if r.opt.OnRows != nil {
					r.opt.OnRows(name, n)
				}
			},
		})
		var rse *extract.RejectShareError
		if errors.As(err, &rse) {
			rejectErrs = append(rejectErrs, err)
		} else if err != nil {
			return err
		}
		r.progress.done(name, res)
		r.extracts = append(r.extracts, res)
		r.man.Sources = append(r.man.Sources, manifestSource(name, s.Kind, r.rel(res.Input), res))
	}
	return errors.Join(rejectErrs...)
}

func manifestSource(name, kind, input string, res extract.Result) manifest.Source {
	return manifest.Source{
		Name: name, Kind: kind,
		Input:    manifest.File{Path: input, SHA256: res.InputSHA256},
		Snapshot: manifest.File{Path: SnapshotDir + "/" + filepath.Base(res.Snapshot), SHA256: res.SnapshotSHA256},
		Rejects:  manifest.File{Path: "restricted/rejects/" + name + ".csv", SHA256: res.RejectsSHA256},
		Rows:     res.Rows, Rejected: res.Rejected,
	}
}

func (r *run) transform(ctx context.Context) error {
	var snaps []transform.Snapshot
	popSource := ""
	for _, res := range r.extracts {
		k, _ := source.Lookup(res.Kind)
		snaps = append(snaps, transform.Snapshot{Name: res.Source, Kind: k, Path: res.Snapshot})
		if k.Level == source.Population && popSource == "" {
			popSource = res.Source
		}
	}
	start, end := r.cfg.Period.Start, r.cfg.Period.End
	eng, err := transform.Open(ctx, snaps, transform.Period{Start: start, End: end}, r.macros)
	if err != nil {
		return err
	}
	defer eng.Close()
	if r.duckdb, err = eng.Version(ctx); err != nil {
		return err
	}
	r.cells, err = eng.Run(ctx, r.indicators, snaps, popSource)
	return err
}

func (r *run) measure() (err error) {
	r.unsuppressed, err = measure.Compute(r.indicators, r.cells.Cells, measure.Options{
		Period: r.cfg.Period.Label, Organisation: r.cfg.Organisation.Code,
		SIIRepetitions: r.cfg.Statistics.SIIRepetitions, Seed: r.cfg.Statistics.Seed})
	return err
}

// disclose applies disclosure control to every indicator whose counts are
// of people; indicators declaring `disclosure: none` (counts of settings or
// organisations) are published as computed.
func (r *run) disclose() error {
	measures := map[string]disclose.Measure{}
	exempt := map[string]bool{}
	for _, ind := range r.indicators {
		measures[ind.ID] = disclose.Measure(ind.Measure)
		exempt[ind.ID] = ind.Disclosure == "none"
	}
	var controlled, free []metrics.Row
	for _, row := range r.unsuppressed {
		if exempt[row.IndicatorID] {
			free = append(free, row)
		} else {
			controlled = append(controlled, row)
		}
	}
	published, n, err := disclose.Apply(controlled, r.policy, measures)
	if err != nil {
		return err
	}
	r.published, r.suppressed = append(published, free...), n
	metrics.Sort(r.published)
	return nil
}
