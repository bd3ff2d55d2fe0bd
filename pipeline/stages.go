package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

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

// finish writes the manifest and moves the run folder into place. A failed
// run's folder holds only its manifest (and any rejects), never outputs that
// look complete.
func (r *run) finish(runErr error) error {
	var invalid *InvalidError
	if errors.As(runErr, &invalid) {
		// Nothing ran: leave the run folder as it was.
		os.RemoveAll(r.tmp)
		return runErr
	}
	if runErr != nil {
		r.man.Status = "failed"
		stage := r.current
		var se *StageError
		if errors.As(runErr, &se) {
			stage = se.Stage
		}
		r.man.Failure = &manifest.Failure{Stage: stage, Error: runErr.Error()}
		// Keep nothing rendered: remove everything but restricted/.
		entries, _ := os.ReadDir(r.tmp)
		for _, e := range entries {
			if e.Name() != "restricted" {
				os.RemoveAll(filepath.Join(r.tmp, e.Name()))
			}
		}
		r.man.Outputs = nil
		_ = r.copyRejects()
	} else {
		r.man.Status = "ok"
	}
	r.man.Tool.DuckDB = r.duckdb
	if err := r.man.Write(r.tmp); err != nil && runErr == nil {
		runErr = err
	}
	if err := replaceDir(r.tmp, r.out); err != nil {
		os.RemoveAll(r.tmp)
		if runErr == nil {
			return err
		}
	}
	return runErr
}

// rel names a path relative to the config's folder (slash-separated) so the
// manifest reads the same on every machine.
func (r *run) rel(p string) string {
	if rel, err := filepath.Rel(r.cfg.Dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

func hashFile(p string) (manifest.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return manifest.File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return manifest.File{}, err
	}
	return manifest.File{Path: p, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

// InvalidError is a problem with the configuration or the reference data it
// pins: nothing was run.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// load checks the version range and pins, reads the indicators and the IMD
// lookup, and hashes the config and definitions into the manifest.
func (r *run) load() error {
	cfg := r.cfg
	rng, err := config.ParseRange(cfg.Hiis)
	if err != nil {
		return &InvalidError{err}
	}
	v, _ := config.ParseVersion(version.Version)
	if !rng.Contains(v) {
		return &InvalidError{fmt.Errorf("%s: this config was made for hiis %s, and this is hiis %s", cfg.File, cfg.Hiis, version.Version)}
	}
	cf, err := hashFile(cfg.File)
	if err != nil {
		return err
	}
	cf.Path = filepath.ToSlash(filepath.Base(cfg.File))
	r.man.Config = cf
	inds, err := LoadIndicators(cfg)
	if err != nil {
		return &InvalidError{err}
	}
	r.indicators = inds
	for _, ind := range inds {
		r.man.Run.Indicators = append(r.man.Run.Indicators, ind.ID)
		for _, f := range ind.Files() {
			hf, err := hashFile(f)
			if err != nil {
				return err
			}
			hf.Path, hf.ID = r.rel(f), ind.ID
			r.man.Indicators = append(r.man.Indicators, hf)
		}
	}
	if r.macros, err = r.loadTemplates(); err != nil {
		return &InvalidError{err}
	}
	rule, err := disclose.ParseRule(cfg.Disclosure.Rule)
	if err != nil {
		return &InvalidError{fmt.Errorf("%s: disclosure.rule: %w", cfg.File, err)}
	}
	r.policy = disclose.Policy{Rule: rule, Secondary: cfg.Disclosure.SecondaryOn()}
	r.man.Run.Disclosure = disclose.Describe(r.policy)

	imdPath, err := cfg.Resolve(cfg.Reference.IMD.Path)
	if err != nil {
		return &InvalidError{err}
	}
	hf, err := checkPin(imdPath, cfg.Reference.IMD.SHA256, "reference.imd")
	if err != nil {
		return err
	}
	r.imdHash = hf.SHA256
	r.imd, err = refdata.LoadIMD(imdPath, cfg.Reference.IMD.Direction != "least_deprived")
	if err != nil {
		return &InvalidError{err}
	}
	hf.Path = r.rel(imdPath)
	r.man.Reference = append(r.man.Reference, manifest.Reference{Name: "imd", Edition: cfg.Reference.IMD.Edition, File: hf, Rows: len(r.imd.Areas)})

	// Bind every indicator's SQL against empty tables now, so a mistake in
	// an expression stops the run before the slow extract, with its position.
	var shapes []transform.Snapshot
	for _, name := range r.usedSources() {
		if k, err := source.Lookup(cfg.Sources[name].Kind); err == nil {
			shapes = append(shapes, transform.Snapshot{Name: name, Kind: k})
		}
	}
	problems, err := transform.Check(context.Background(), inds, shapes, transform.Period{Start: cfg.Period.Start, End: cfg.Period.End}, r.macros)
	if err != nil {
		return err
	}
	if err := problems.Err(); err != nil {
		return &InvalidError{err}
	}

	if p := cfg.PreviousDataQuality; p != "" {
		path, err := cfg.Resolve(p)
		if err != nil {
			return &InvalidError{fmt.Errorf("previous_data_quality: %w", err)}
		}
		if r.previousDQ, err = readDataQuality(path); err != nil {
			return &InvalidError{err}
		}
		hf, err := hashFile(path)
		if err != nil {
			return err
		}
		hf.Path = r.rel(path)
		r.man.Reference = append(r.man.Reference, manifest.Reference{Name: "previous_data_quality", Edition: "last year's data-quality.csv", File: hf, Rows: len(r.previousDQ)})
	}

	r.inputs = map[string]string{}
	for _, name := range r.usedSources() {
		s := cfg.Sources[name]
		if pin := cfg.Snapshots[name]; pin != nil {
			// A pinned snapshot stands in for the extract: check it is intact.
			for _, f := range [][3]string{{"path", pin.Path, pin.SHA256}, {"rejects", pin.Rejects, pin.RejectsSHA256}} {
				p, err := cfg.Resolve(f[1])
				if err != nil {
					return &InvalidError{fmt.Errorf("snapshots.%s.%s: %w", name, f[0], err)}
				}
				if _, err := checkPin(p, f[2], "snapshots."+name+"."+f[0]); err != nil {
					return err
				}
			}
			continue
		}
		p, err := cfg.Resolve(s.Path)
		if err != nil {
			return &InvalidError{fmt.Errorf("sources.%s.path: %w", name, err)}
		}
		if _, err := os.Stat(p); err != nil {
			return &InvalidError{fmt.Errorf("%s: sources.%s: input %w", cfg.File, name, err)}
		}
		if s.SHA256 != "" {
			if _, err := checkPin(p, s.SHA256, "sources."+name); err != nil {
				return err
			}
		}
		r.inputs[name] = p
	}
	return nil
}

// loadTemplates reads the SQL macros and hashes every template file into
// the manifest.
func (r *run) loadTemplates() (string, error) {
	dir, err := r.cfg.TemplatesDir()
	if err != nil {
		return "", fmt.Errorf("%s: templates: %w", r.cfg.File, err)
	}
	files, err := templateFiles(dir)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		hf, err := hashFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		hf.Path = "templates/" + f
		r.man.Templates = append(r.man.Templates, hf)
	}
	return ReadMacros(r.cfg)
}

// ReadMacros reads the run's SQL helper macros.
func ReadMacros(cfg *config.Run) (string, error) {
	dir, err := cfg.TemplatesDir()
	if err != nil {
		return "", fmt.Errorf("%s: templates: %w", cfg.File, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(config.MacrosFile)))
	if err != nil {
		return "", fmt.Errorf("%s: templates: %w (set templates: to the folder holding %s)", cfg.File, err, config.MacrosFile)
	}
	return string(b), nil
}

// templateFiles lists the files under a templates folder, slash-separated
// and sorted.
func templateFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	return files, err
}

// LoadIndicators reads the run's indicator folder and selects the ones it
// switches on, checking them against the run's sources.
func LoadIndicators(cfg *config.Run) ([]*indicator.Indicator, error) {
	dir, err := cfg.Resolve(cfg.Indicators.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s: indicators.dir: %w", cfg.File, err)
	}
	all, err := indicator.Load(dir)
	if err != nil {
		return nil, err
	}
	return indicator.Select(cfg, all)
}

// PinError is a pinned sha256 that does not match the file.
type PinError struct {
	Field, Path, Want, Got string
}

func (e *PinError) Error() string {
	return fmt.Sprintf("%s: %s has sha256 %s, but the config pins %s; the file changed since the config was made", e.Field, e.Path, e.Got, e.Want)
}

func checkPin(path, want, field string) (manifest.File, error) {
	hf, err := hashFile(path)
	if err != nil {
		return hf, &InvalidError{fmt.Errorf("%s: %w", field, err)}
	}
	if want != "" && !strings.EqualFold(want, hf.SHA256) {
		return hf, &InvalidError{&PinError{Field: field + ".sha256", Path: path, Want: strings.ToLower(want), Got: hf.SHA256}}
	}
	return hf, nil
}

// usedSources are the sources the selected indicators read, sorted.
func (r *run) usedSources() []string {
	used := map[string]bool{}
	for _, ind := range r.indicators {
		used[ind.Source] = true
		if ind.Population != nil {
			used[ind.Population.Source] = true
		}
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
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

func (r *run) measureOptions() measure.Options {
	return measure.Options{Period: r.cfg.Period.Label, Organisation: r.cfg.Organisation.Code,
		SIIRepetitions: r.cfg.Statistics.SIIRepetitions, Seed: r.cfg.Statistics.Seed}
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

func (r *run) renderInput() render.Input {
	cfg := r.cfg
	in := render.Input{
		Organisation:   render.Organisation{Code: cfg.Organisation.Code, Name: cfg.Organisation.Name, Kind: cfg.Organisation.Kind},
		Period:         cfg.Period.Label,
		Version:        version.Version,
		IMDEdition:     cfg.Reference.IMD.Edition,
		DisclosureRule: disclose.Describe(r.policy),
		Metrics:        r.published,
		Unsuppressed:   r.unsuppressed,
		Core20Share:    math.NaN(),
	}
	for _, ind := range r.indicators {
		in.Indicators = append(in.Indicators, render.Indicator{ID: ind.ID, Name: ind.Name, Domain: ind.Domain, Evidence: ind.Evidence,
			Description: strings.TrimSpace(ind.Description), Source: ind.Source, SourceKind: cfg.Sources[ind.Source].Kind,
			Measure: ind.Measure, Unit: ind.Unit, Multiplier: ind.Multiplier, Polarity: ind.Polarity})
	}
	for _, q := range r.cells.Quality {
		dq := render.DataQuality{Source: q.Source, Indicator: q.Indicator, Records: q.Records,
			EthnicNotStated: q.NotStated, EthnicNotKnown: q.NotKnown, EthnicBlank: q.Blank, NoValidLSOA: q.NoLSOA}
		if prev, ok := r.previousDQ[[2]string{q.Source, q.Indicator}]; ok {
			dq.Previous = &prev
		}
		in.DataQuality = append(in.DataQuality, dq)
	}
	for _, res := range r.extracts {
		in.Sources = append(in.Sources, render.SourceSummary{Name: res.Source, Kind: res.Kind, File: filepath.Base(res.Input), Rows: res.Rows, Rejected: res.Rejected})
	}
	var total, q1 int64
	for _, p := range r.cells.Population {
		in.Population = append(in.Population, render.PopulationRow{Breakdown: p.Breakdown, Group: p.Group, People: p.People})
		if p.Breakdown == metrics.IMDQuintile {
			total += p.People
			if p.Group == "1" {
				q1 += p.People
			}
		}
	}
	if total > 0 {
		in.Core20Share = float64(q1) / float64(total)
	}
	for _, n := range cfg.Narrative {
		in.Narrative = append(in.Narrative, render.Narrative{Title: n.Title, Text: strings.TrimSpace(n.Text)})
	}
	return in
}

// copyRejects puts each source's rejects file into restricted/rejects.
func (r *run) copyRejects() error {
	for _, res := range r.extracts {
		if res.Rejects == "" {
			continue
		}
		rel := filepath.Join("restricted", "rejects", res.Source+".csv")
		dst := filepath.Join(r.tmp, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(res.Rejects)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		if err := r.addOutput(filepath.ToSlash(rel)); err != nil {
			return err
		}
	}
	return nil
}

// addOutput hashes a file of the run folder into the manifest.
func (r *run) addOutput(rel string) error {
	hf, err := hashFile(filepath.Join(r.tmp, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	hf.Path = rel
	r.man.Outputs = append(r.man.Outputs, hf)
	return nil
}

func (r *run) summary(start time.Time) Summary {
	s := Summary{Out: r.out, Indicators: len(r.indicators), Metrics: len(r.published), Suppressed: r.suppressed, Elapsed: time.Since(start)}
	for _, res := range r.extracts {
		s.Rows += res.Rows
		s.Rejected += res.Rejected
		if res.Reused {
			s.Reused++
		}
	}
	r.man.Metrics = manifest.Counts{Rows: len(r.published), Suppressed: r.suppressed}
	return s
}

// progress reports stages and row counts: redrawn in place on a terminal,
// plain lines otherwise.
type progress struct {
	w   io.Writer
	tty bool
}

func (p progress) stage(name string) {
	if p.w != nil {
		fmt.Fprintf(p.w, "hiis: %s\n", name)
	}
}

func (p progress) count(source string, n int64) {
	if p.w != nil && p.tty {
		fmt.Fprintf(p.w, "\r  %s: %d rows", source, n)
	}
}

func (p progress) done(source string, res extract.Result) {
	if p.w == nil {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	how := "extracted"
	if res.Reused {
		how = "reused snapshot"
	}
	fmt.Fprintf(p.w, "  %s: %d rows, %d rejected (%s)\n", source, res.Rows, res.Rejected, how)
}
