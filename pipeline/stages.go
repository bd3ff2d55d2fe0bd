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
	"hiis/pipeline/trend"
	"hiis/pipeline/version"
	"hiis/pipeline/warehouse"
)

// run is the state one Run carries from stage to stage.
type run struct {
	cfg      *config.Run
	opt      Options
	out, tmp string
	work     string
	current  string
	progress *progress
	man      manifest.Manifest

	indicators   []*indicator.Indicator
	imd          *refdata.IMD
	imdHash      string
	macros       string   // templates/sql/macros.sql
	narratives   []string // each narrative block's text (from its file when it names one)
	previousDQ   map[[2]string]render.DataQuality
	comparator   []metrics.Row                  // all-organisations (or national) metrics, when the config names them
	comparisons  []render.Comparison            // the config's published comparators (comparators:), in name order
	previous     *trend.Previous                // last year's published metrics (previous.metrics), nil if none
	lsoaMatches  map[string]refdata.MatchCounts // per record-level source, how its LSOAs matched (with an LSOA lookup)
	changes      []render.Change
	policy       disclose.Policy
	inputs       map[string]string          // source name -> resolved input path
	inputHashes  map[string]string          // source name -> sha256, for pinned inputs already hashed
	queries      map[string]warehouse.Query // query sources, staged at the extract stage
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
	// Scratch of earlier runs killed before they could clean up.
	if _, err := tempdir.CleanStale(work, WorkTempPrefixes...); err != nil {
		return nil, err
	}
	if _, err := tempdir.CleanStale(filepath.Join(work, "snapshots"), SnapshotTempPrefixes...); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, opt: opt, out: out, work: work, progress: newProgress(opt.Progress, opt.TTY)}
	r.man = manifest.Manifest{
		Tool:   toolInfo(),
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
// else the config's output and "work" beside it. It refuses, before any
// work, a run folder hiis may not replace (checkTarget: an InvalidError;
// checkOutput).
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
	if err := checkTarget(cfg, out, work); err != nil {
		return "", "", &InvalidError{err}
	}
	if err := checkOutput(out); err != nil {
		return "", "", err
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
	for _, p := range []string{cfg.Previous.Metrics, cfg.PreviousDataQuality} {
		if p == "" {
			continue
		}
		if p, err := cfg.Resolve(p); err == nil {
			guarded = append(guarded, p) // last year's run folder is an input too
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
			input := s.Path
			if s.Database != nil {
				input = queryInput(name)
			}
			r.extracts = append(r.extracts, extract.Result{Source: name, Kind: s.Kind, Input: input, InputSHA256: pin.InputSHA256,
				Snapshot: snap, SnapshotSHA256: pin.SHA256, Rejects: rej, RejectsSHA256: pin.RejectsSHA256,
				Rows: pin.Rows, Rejected: pin.Rejected, Reused: true, Quality: extract.Quality{Duplicates: pin.Duplicates}})
			r.progress.done(name, r.extracts[len(r.extracts)-1])
			r.man.Sources = append(r.man.Sources, manifestSource(name, s.Kind, input, r.extracts[len(r.extracts)-1]))
			continue
		}
		var staged *warehouse.Result
		if q, ok := r.queries[name]; ok {
			st, err := warehouse.Stage(ctx, q, filepath.Join(r.work, "staged", name+".parquet"))
			if err != nil {
				return &extract.InputError{Source: name, Input: "query on " + q.Driver, Err: err}
			}
			staged, r.inputs[name], r.inputHashes[name] = &st, st.Staged, st.StagedSHA256
		}
		src, input, published := s, r.inputs[name], manifest.File{}
		if s.Layout != "" {
			var err error
			if src, input, published, err = r.reshape(s); err != nil {
				return err
			}
		}
		res, err := extract.Run(ctx, src, input, r.cfg.RejectLimit(s), extract.Options{
			Dir: dir, IMD: r.imd, IMDHash: r.imdHash, InputSHA256: inputHash(r.inputHashes[name], s), Version: version.Version, Force: r.opt.Force,
			Progress: func(pr extract.Progress) {
				r.progress.ingest(name, pr.Rows, pr.Bytes, pr.TotalBytes)
				if r.opt.OnRows != nil {
					r.opt.OnRows(name, pr.Rows)
				}
			},
			Limits: extract.Limits{
				MaxUnmatchedLSOA: ptr(r.cfg.UnmatchedLSOALimit(s)), MaxInvalidCodes: ptr(r.cfg.InvalidCodeLimit(s)),
				PeriodStart: r.cfg.Period.Start, PeriodEnd: r.cfg.Period.End, IMDEdition: r.cfg.Reference.IMD.Edition,
			},
		})
		if staged != nil {
			res.Input = queryInput(name) // what the statement and manifest name as the input
		}
		if s.Layout != "" {
			res.Input, res.InputSHA256 = r.inputs[name], published.SHA256 // the file as published
		}
		var rse *extract.RejectShareError
		if errors.As(err, &rse) {
			rejectErrs = append(rejectErrs, err)
		} else if err != nil {
			return err
		}
		r.progress.done(name, res)
		r.extracts = append(r.extracts, res)
		ms := manifestSource(name, s.Kind, r.rel(res.Input), res)
		if staged != nil {
			ms.Input.Path = queryInput(name)
			ms.Query = &manifest.Query{Driver: staged.Driver, ServerVersion: staged.ServerVersion, QuerySHA256: staged.QuerySHA256,
				Rows: staged.Rows, StagedSHA256: staged.StagedSHA256}
		}
		ms.Layout = s.Layout
		r.man.Sources = append(r.man.Sources, ms)
	}
	return errors.Join(rejectErrs...)
}

func ptr[T any](v T) *T { return &v }

// reshape turns a population file in a published layout into the
// population kind's long form, staged as CSV in the work folder, and
// returns the source as extract reads it (that CSV, hiis's own headers)
// and the published file's hash for the manifest.
func (r *run) reshape(s *config.Source) (*config.Source, string, manifest.File, error) {
	in := r.inputs[s.Name]
	published, err := manifest.HashFile(in)
	if err != nil {
		return nil, "", published, err
	}
	out := filepath.Join(r.work, "staged", s.Name+".csv")
	if _, err := refdata.ReshapePopulation(s.Layout, in, out); err != nil {
		return nil, "", published, &extract.InputError{Source: s.Name, Input: in, Err: err}
	}
	long := *s
	long.Format, long.Columns, long.Sheet = "csv", nil, ""
	return &long, out, published, nil
}

// inputHash is the input hash extract may take as known: none for a
// reshaped source, whose pin (if any) is of the published file.
func inputHash(known string, s *config.Source) string {
	if s.Layout != "" {
		return ""
	}
	return known
}

// queryInput is how a query source's input is named in the statement,
// the manifest and messages.
func queryInput(source string) string { return "query:" + source }

func manifestSource(name, kind, input string, res extract.Result) manifest.Source {
	return manifest.Source{
		Name: name, Kind: kind,
		Input:    manifest.File{Path: input, SHA256: res.InputSHA256},
		Snapshot: manifest.File{Path: SnapshotDir + "/" + filepath.Base(res.Snapshot), SHA256: res.SnapshotSHA256},
		Rejects:  manifest.File{Path: "restricted/rejects/" + name + ".csv", SHA256: res.RejectsSHA256},
		Rows:     res.Rows, Rejected: res.Rejected, Duplicates: res.Duplicates,
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
	// DuckDB spills to a scratch folder in the work folder when national
	// extracts outgrow its memory limit; removed when the transform ends.
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		return err
	}
	scratch, err := tempdir.Make(r.work, "transform-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	st := r.cfg.Statistics
	eng, err := transform.Open(ctx, snaps, transform.Period{Start: start, End: end}, r.macros, transform.Options{
		TempDir: scratch, MemoryLimit: st.MemoryLimit, Threads: st.Threads, QueryTimeout: st.QueryTimeout(),
		ResidentsOnly: st.PopulationScope == "residents",
		Progress:      func(done, total int, id string) { r.progress.transform(done, total, id) },
	})
	if err != nil {
		return err
	}
	defer eng.Close()
	if r.duckdb, err = eng.Version(ctx); err != nil {
		return err
	}
	if r.cells, err = eng.Run(ctx, r.indicators, snaps, popSource); err != nil {
		return err
	}
	// With an LSOA 2011 → 2021 lookup, say how each source's records
	// matched the IMD lookup (directly, or through either edition).
	if r.cfg.Reference.LSOALookup != nil {
		r.lsoaMatches = map[string]refdata.MatchCounts{}
		for _, s := range snaps {
			if s.Kind.Level != source.Record {
				continue
			}
			perCode, err := eng.LSOACounts(ctx, s.Name)
			if err != nil {
				return err
			}
			r.lsoaMatches[s.Name] = refdata.CountMatches(r.imd, perCode)
		}
	}
	return nil
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
	r.addChanges() // from the published figures only
	metrics.Sort(r.published)
	return nil
}

// toolInfo is the manifest's description of this hiis.
func toolInfo() manifest.Tool {
	return manifest.Tool{Name: "hiis", Version: version.Version, Revision: version.Revision, Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
}
