package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	"hiis/pipeline/tempdir"
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
	macros       string   // templates/sql/macros.sql
	narratives   []string // each narrative block's text (from its file when it names one)
	previousDQ   map[[2]string]render.DataQuality
	comparator   []metrics.Row // all-organisations (or national) metrics, when the config names them
	policy       disclose.Policy
	inputs       map[string]string // source name -> resolved input path
	inputHashes  map[string]string // source name -> sha256, for pinned inputs already hashed
	extracts     []extract.Result
	cells        transform.Output
	duckdb       string
	unsuppressed []metrics.Row
	published    []metrics.Row
	suppressed   int
}

func newRun(cfg *config.Run, opt Options) (*run, error) {
	out, work, err := folders(cfg, opt)
	if err != nil {
		return nil, err
	}
	if err := checkTarget(cfg, out, work); err != nil {
		return nil, &InvalidError{err}
	}
	if err := checkOutput(out); err != nil {
		return nil, err
	}
	// Scratch of earlier runs killed before they could clean up.
	if _, err := tempdir.CleanStale(work, WorkTempPrefixes...); err != nil {
		return nil, err
	}
	if _, err := tempdir.CleanStale(filepath.Join(work, "snapshots"), SnapshotTempPrefixes...); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, opt: opt, out: out, work: work, progress: progress{w: opt.Progress, tty: opt.TTY}}
	r.man = manifest.Manifest{
		Tool: manifest.Tool{Name: "hiis", Version: version.Version, Revision: version.Revision, Go: runtime.Version(),
			Platform: runtime.GOOS + "/" + runtime.GOARCH},
		Status: "running",
		Run: manifest.Run{Organisation: cfg.Organisation.Code, Period: cfg.Period.Label, PeriodStart: cfg.Period.Start, PeriodEnd: cfg.Period.End,
			Seed: cfg.Statistics.Seed, Repetitions: cfg.Statistics.SIIRepetitions},
	}
	if r.tmp, err = outputTemp(out); err != nil {
		return nil, fmt.Errorf("creating the run folder beside %s: %w", out, err)
	}
	return r, nil
}

// folders returns the run folder and the work folder: from the options,
// else the config's output and "work" beside it.
func folders(cfg *config.Run, opt Options) (out, work string, err error) {
	out = opt.Out
	if out == "" {
		out = cfg.OutputDir()
	}
	if out, err = filepath.Abs(out); err != nil {
		return "", "", err
	}
	work = opt.Work
	if work == "" {
		work = filepath.Join(filepath.Dir(out), "work")
	}
	return out, work, nil
}

// checkTarget refuses a run folder that would hold, or sit inside, the
// config's folder, the data root, an input or the work folder: replacing it
// would delete them.
func checkTarget(cfg *config.Run, out, work string) error {
	guarded := []string{cfg.Dir, work}
	if cfg.DataRoot != "" {
		dr := cfg.DataRoot
		if !filepath.IsAbs(dr) {
			dr = filepath.Join(cfg.Dir, dr)
		}
		guarded = append(guarded, dr)
	}
	for _, name := range cfg.SourceNames() {
		if p, err := cfg.Resolve(cfg.Sources[name].Path); err == nil {
			guarded = append(guarded, p)
		}
	}
	for _, g := range guarded {
		g, _ = filepath.Abs(g)
		if config.Within(out, g) {
			return fmt.Errorf("output folder %s would contain or replace %s; choose a folder of its own", out, g)
		}
	}
	return nil
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
			Dir: dir, IMD: r.imd, IMDHash: r.imdHash, InputSHA256: r.inputHashes[name], Version: version.Version, Force: r.opt.Force,
			Progress: func(pr extract.Progress) {
				r.progress.count(name, pr.Rows)
				if r.opt.OnRows != nil {
					r.opt.OnRows(name, pr.Rows)
				}
			},
			Limits: extract.Limits{
				MaxUnmatchedLSOA: ptr(r.cfg.UnmatchedLSOALimit(s)), MaxInvalidCodes: ptr(r.cfg.InvalidCodeLimit(s)),
				PeriodStart: r.cfg.Period.Start, PeriodEnd: r.cfg.Period.End, IMDEdition: r.cfg.Reference.IMD.Edition,
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

func ptr[T any](v T) *T { return &v }

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
	// An on-disk database in the work folder lets DuckDB spill to disk on
	// national extracts; it is scratch, removed when the transform ends.
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		return err
	}
	scratch, err := tempdir.Make(r.work, "transform-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	eng, err := transform.Open(ctx, snaps, transform.Period{Start: start, End: end}, r.macros, filepath.Join(scratch, "transform.duckdb"))
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
	byID := map[string]*indicator.Indicator{}
	for _, ind := range r.indicators {
		byID[ind.ID] = ind
	}
	// The measure of each row decides what a suppressed count hides: age
	// bands of a standardised rate are crude rates, and some indicators
	// standardise only some breakdowns.
	measureOf := func(id, breakdown string) disclose.Measure {
		return disclose.Measure(measure.Computed(byID[id], breakdown))
	}
	var controlled, free []metrics.Row
	for _, row := range r.unsuppressed {
		if byID[row.IndicatorID].Disclosure == "none" {
			free = append(free, row) // counts of settings or organisations, not people
		} else {
			controlled = append(controlled, row)
		}
	}
	published, n, err := disclose.Apply(controlled, r.policy, measureOf)
	if err != nil {
		return err
	}
	r.published, r.suppressed = append(published, free...), n
	metrics.Sort(r.published)
	return nil
}
