package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"hiis/pipeline/config"
	"hiis/pipeline/diag"
	"hiis/pipeline/disclose"
	"hiis/pipeline/indicator"
	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
	"hiis/pipeline/refdata"
	"hiis/pipeline/render"
	"hiis/pipeline/source"
	"hiis/pipeline/transform"
	"hiis/pipeline/version"
	"hiis/pipeline/warehouse"
)

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
	cf, err := manifest.HashFile(cfg.File)
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
			hf, err := manifest.HashFile(f)
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
	var key string
	if r.policy, key, err = policyOf(cfg); err != nil {
		where := cfg.Pos.Of(key).String()
		if where == "" {
			where = cfg.File
		}
		return &InvalidError{fmt.Errorf("%s: %s: %w", where, key, err)}
	}
	r.man.Run.Disclosure = disclose.Describe(r.policy)

	imdPath, err := cfg.Resolve(cfg.Reference.IMD.Path)
	if err != nil {
		return &InvalidError{err}
	}
	hf, err := checkPin(imdPath, cfg.Reference.IMD.SHA256, "reference.imd")
	if err != nil {
		return err
	}
	cols, mostDeprivedFirst := imdReading(cfg)
	r.imd, err = refdata.LoadIMD(imdPath, cols, mostDeprivedFirst)
	if err != nil {
		return &InvalidError{err}
	}
	hf.Path = r.rel(imdPath)
	r.man.Reference = append(r.man.Reference, manifest.Reference{Name: "imd", Edition: cfg.Reference.IMD.Edition, File: hf, Rows: len(r.imd.Areas)})
	lsoaSHA := ""
	if lk := cfg.Reference.LSOALookup; lk != nil {
		lf, err := r.loadLSOALookup(lk)
		if err != nil {
			return err
		}
		lsoaSHA = lf.SHA256
	}
	r.imdHash = lookupKey(cfg, hf.SHA256, lsoaSHA)

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
		hf, err := manifest.HashFile(path)
		if err != nil {
			return err
		}
		hf.Path = r.rel(path)
		r.man.Reference = append(r.man.Reference, manifest.Reference{Name: "previous_data_quality", Edition: "last year's data-quality.csv", File: hf, Rows: len(r.previousDQ)})
	}
	if err := r.loadPrevious(); err != nil {
		return err
	}

	if err := r.loadComparator(); err != nil {
		return err
	}
	if err := r.loadPublishedComparators(); err != nil {
		return err
	}

	r.inputs, r.inputHashes, r.queries = map[string]string{}, map[string]string{}, map[string]warehouse.Query{}
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
		if s.Database != nil {
			q, err := loadQuery(cfg, s)
			if err != nil {
				return &InvalidError{err}
			}
			r.queries[name] = q
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
			hf, err := checkPin(p, s.SHA256, "sources."+name)
			if err != nil {
				return err
			}
			r.inputHashes[name] = hf.SHA256
		}
		r.inputs[name] = p
	}
	return nil
}

// loadQuery reads a query source's SQL (inline or from query_file) and
// checks that its connection string is in the environment, so that a run
// missing it stops before any work (exit 2). The connection string itself
// is not kept.
func loadQuery(cfg *config.Run, s *config.Source) (warehouse.Query, error) {
	q := warehouse.Query{Source: s.Name, Driver: s.Database.Driver, DSNEnv: s.Database.DSNEnv, SQL: s.Query}
	if s.QueryFile != "" {
		p, err := cfg.Resolve(s.QueryFile)
		if err != nil {
			return q, fmt.Errorf("sources.%s.query_file: %w", s.Name, err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return q, fmt.Errorf("%s: sources.%s.query_file: %w", cfg.File, s.Name, err)
		}
		q.SQL = string(b)
	}
	if strings.TrimSpace(q.SQL) == "" {
		return q, fmt.Errorf("%s: sources.%s: the query is empty", cfg.File, s.Name)
	}
	if os.Getenv(q.DSNEnv) == "" {
		return q, fmt.Errorf("%s: sources.%s: environment variable %s is not set: it holds the %s connection string (hiis reads it from the environment only)", cfg.File, s.Name, q.DSNEnv, q.Driver)
	}
	return q, nil
}

// loadTemplates reads the SQL macros, checks the statement templates and
// hashes every template file into the manifest; it reads the narrative
// blocks that name a Markdown file and hashes those too.
func (r *run) loadTemplates() (string, error) {
	dir, err := r.cfg.TemplatesDir()
	if err != nil {
		return "", fmt.Errorf("%s: templates: %w", r.cfg.File, err)
	}
	if err := render.CheckTemplates(filepath.Join(dir, "statement")); err != nil {
		return "", fmt.Errorf("%s: templates: %w", r.cfg.File, err)
	}
	r.narratives = nil
	for i, n := range r.cfg.Narrative {
		if n.File == "" {
			r.narratives = append(r.narratives, strings.TrimSpace(n.Text))
			continue
		}
		path, err := r.cfg.Resolve(n.File)
		if err != nil {
			return "", fmt.Errorf("%s: narrative[%d].file: %w", r.cfg.File, i, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: narrative[%d].file: %w", r.cfg.File, i, err)
		}
		r.narratives = append(r.narratives, strings.TrimSpace(string(b)))
		hf, err := manifest.HashFile(path)
		if err != nil {
			return "", err
		}
		hf.Path = r.rel(path)
		r.man.Templates = append(r.man.Templates, hf)
	}
	files, err := templateFiles(dir)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		hf, err := manifest.HashFile(filepath.Join(dir, filepath.FromSlash(f)))
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
// and sorted; Go source (the file that compiles the built-in templates into
// hiis) is not a template.
func templateFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) == ".go" {
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
	at := cfg.Pos.Of("indicators.dir")
	dir, err := cfg.Resolve(cfg.Indicators.Dir)
	if err != nil {
		return nil, diagError(at, "indicators.dir: %v", err)
	}
	all, err := indicator.Load(dir, cfg.DataRootDir()...)
	var de *diag.Error
	if err != nil && !errors.As(err, &de) {
		return nil, diagError(at, "indicators.dir: %v", err)
	}
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
	hf, err := manifest.HashFile(path)
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

// imdReading says how the config reads its IMD lookup.
func imdReading(cfg *config.Run) (refdata.Columns, bool) {
	c := cfg.Reference.IMD.Columns
	return refdata.Columns{LSOA: c["lsoa"], LAD: c["lad"], Rank: c["rank"], Decile: c["decile"]}, cfg.Reference.IMD.Direction != "least_deprived"
}

// lookupKey identifies the IMD lookup as extract uses it: its bytes and how
// they are read, and the LSOA 2011 → 2021 lookup combined with it, so that
// flipping decile_1, remapping a column or changing the LSOA lookup
// rebuilds the snapshots.
func lookupKey(cfg *config.Run, sha, lsoaSHA string) string {
	cols, mostDeprivedFirst := imdReading(cfg)
	key := fmt.Sprintf("%s|decile_1_most_deprived=%t|%+v", sha, mostDeprivedFirst, cols)
	if lk := cfg.Reference.LSOALookup; lk != nil {
		key += fmt.Sprintf("|lsoa_lookup=%s|%+v", lsoaSHA, lsoaReading(lk))
	}
	return key
}

// lsoaReading says how the config reads its LSOA 2011 → 2021 lookup.
func lsoaReading(lk *config.LSOALookup) refdata.LookupColumns {
	c := lk.Columns
	return refdata.LookupColumns{LSOA11: c["lsoa11"], LSOA21: c["lsoa21"], Change: c["change"]}
}

// loadLSOALookup reads the LSOA 2011 → 2021 lookup, checks its pin, adds
// the other edition's codes to the IMD lookup and records it in the
// manifest.
func (r *run) loadLSOALookup(lk *config.LSOALookup) (manifest.File, error) {
	p, err := r.cfg.Resolve(lk.Path)
	if err != nil {
		return manifest.File{}, &InvalidError{fmt.Errorf("reference.lsoa_lookup.path: %w", err)}
	}
	hf, err := checkPin(p, lk.SHA256, "reference.lsoa_lookup")
	if err != nil {
		return hf, err
	}
	l, err := refdata.LoadLSOALookup(p, lsoaReading(lk))
	if err != nil {
		return hf, &InvalidError{err}
	}
	added, err := r.imd.Combine(l, p)
	if err != nil {
		return hf, &InvalidError{err}
	}
	hf.Path = r.rel(p)
	r.man.Reference = append(r.man.Reference, manifest.Reference{Name: "lsoa_lookup",
		Edition: fmt.Sprintf("LSOA 2011 → 2021 lookup (%d pairs; %d codes of the other edition matched to the IMD)", len(l.Pairs), added), File: hf, Rows: len(l.Pairs)})
	return hf, nil
}

// diagError is one positioned problem as an error.
func diagError(at diag.Pos, format string, args ...any) error {
	var l diag.List
	l.Add(at, format, args...)
	return l.Err()
}

// loadComparator reads the metrics table each indicator is shown beside
// (all/ of a multi-organisation run, or a published national file), pinned
// in the manifest like any reference file.
func (r *run) loadComparator() error {
	c := r.cfg.Comparator
	if c == nil {
		return nil
	}
	path, err := r.cfg.Resolve(c.Metrics)
	if err != nil {
		return &InvalidError{fmt.Errorf("comparator.metrics: %w", err)}
	}
	hf, err := checkPin(path, c.SHA256, "comparator.metrics")
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return &InvalidError{fmt.Errorf("comparator.metrics: %w", err)}
	}
	defer f.Close()
	if r.comparator, err = metrics.ReadCSV(f, path); err != nil {
		return &InvalidError{fmt.Errorf("comparator.metrics: %w", err)}
	}
	hf.Path = r.rel(path)
	if c.Manifest != "" {
		hf.Path = c.Manifest
	}
	label := c.Label
	if label == "" {
		label = "comparator"
	}
	r.man.Reference = append(r.man.Reference, manifest.Reference{Name: "comparator", Edition: label, File: hf, Rows: len(r.comparator)})
	return nil
}

// BadInputError is an input file that failed a check (exit 1): a
// published comparator file hiis cannot read as its format says.
type BadInputError struct{ Err error }

func (e *BadInputError) Error() string { return e.Err.Error() }

func (e *BadInputError) Unwrap() error { return e.Err }

// loadPublishedComparators reads each of the config's comparators: files
// (England's values as Fingertips publishes them) for the indicators they
// map (and the run reports), pinned in the manifest like any reference
// file. A mapped indicator not in the indicators folder is a config error;
// a file that fails a check is a *BadInputError.
func (r *run) loadPublishedComparators() error {
	if len(r.cfg.Comparators) == 0 {
		return nil
	}
	// A mapped indicator must exist; one this run's selection leaves out
	// (indicators.only) is not read.
	dir, err := r.cfg.Resolve(r.cfg.Indicators.Dir)
	if err != nil {
		return &InvalidError{fmt.Errorf("indicators.dir: %w", err)}
	}
	all, err := indicator.Load(dir, r.cfg.DataRootDir()...)
	if err != nil {
		return &InvalidError{err}
	}
	exists, selected := map[string]bool{}, map[string]bool{}
	for _, ind := range all {
		exists[ind.ID] = true
	}
	for _, ind := range r.indicators {
		selected[ind.ID] = true
	}
	for _, name := range r.cfg.ComparatorNames() {
		c, key := r.cfg.Comparators[name], "comparators."+name
		mapped := map[string]string{}
		for _, id := range slices.Sorted(maps.Keys(c.Indicators)) {
			if !exists[id] {
				return &InvalidError{fmt.Errorf("%s.indicators: %s is not an indicator in %s", key, id, r.rel(dir))}
			}
			if selected[id] {
				mapped[id] = c.Indicators[id]
			}
		}
		if len(mapped) == 0 {
			continue // none of its indicators in this run: not read, not bundled
		}
		path, err := r.cfg.Resolve(c.Path)
		if err != nil {
			return &InvalidError{fmt.Errorf("%s.path: %w", key, err)}
		}
		hf, err := checkPin(path, c.SHA256, key)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		sel := refdata.FingertipsSelection{Period: c.Period, Area: c.Area, Sex: c.Sex, Quintiles: c.Quintiles, Indicators: mapped}
		if sel.Area == "" {
			sel.Area = config.EnglandCode
		}
		if sel.Sex == "" {
			sel.Sex = "Persons"
		}
		rows, err := refdata.ReadFingertips(f, r.rel(path), sel)
		f.Close()
		if err != nil {
			return &BadInputError{fmt.Errorf("%s: %w", key, err)}
		}
		hf.Path = r.rel(path)
		r.comparisons = append(r.comparisons, render.Comparison{Key: name, Label: c.Label, Period: c.Period, Rows: rows})
		r.man.Reference = append(r.man.Reference, manifest.Reference{Name: "comparator:" + name, Edition: c.Label + " (" + c.Format + ", " + c.Period + ")", File: hf, Rows: len(rows)})
	}
	return nil
}

// policyOf returns the config's disclosure policy, or an error and the key
// at fault (disclosure.rule or disclosure.secondary).
func policyOf(cfg *config.Run) (disclose.Policy, string, error) {
	p, err := disclose.PolicyFor(cfg.Disclosure.Rule, cfg.Disclosure.Secondary)
	if err == nil {
		return p, "", nil
	}
	if _, perr := disclose.ParseRule(cfg.Disclosure.Rule); perr != nil {
		return p, "disclosure.rule", err
	}
	return p, "disclosure.secondary", err
}
