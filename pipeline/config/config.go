// Package config loads and validates a run configuration: which
// organisation, which period, which source extracts and reference files,
// which indicators, what disclosure policy and where outputs go.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"hiis/pipeline/diag"
	"hiis/pipeline/source"
)

// Run is a run configuration (config/<run>.yaml).
type Run struct {
	File string `yaml:"-"` // path the config was read from
	Dir  string `yaml:"-"` // folder paths resolve against

	Hiis         string             `yaml:"hiis" hiis:"required"` // version range, e.g. ">=0.1.0 <1.0.0"
	Organisation Organisation       `yaml:"organisation" hiis:"required"`
	Period       Period             `yaml:"period" hiis:"required"`
	DataRoot     string             `yaml:"data_root"` // optional folder that paths may also resolve inside
	Reference    Reference          `yaml:"reference" hiis:"required"`
	Sources      map[string]*Source `yaml:"sources" hiis:"required"`
	Indicators   IndicatorSelection `yaml:"indicators" hiis:"required"`
	// PreviousDataQuality is last year's data-quality.csv, for the change
	// since the previous year the statement reports (optional).
	PreviousDataQuality string `yaml:"previous_data_quality"`
	// Previous names last year's published run, for the change since the
	// previous year in every indicator (optional).
	Previous Previous `yaml:"previous,omitempty"`
	// Templates is the templates folder (sql/macros.sql ...); default
	// "templates" beside the indicators folder.
	Templates  string        `yaml:"templates"`
	Disclosure Disclosure    `yaml:"disclosure"`
	Narrative  []Narrative   `yaml:"narrative"`
	Output     string        `yaml:"output"`
	Extract    ExtractPolicy `yaml:"extract"`
	Statistics Statistics    `yaml:"statistics"`
	// Snapshots pins existing snapshots to use instead of extracting; hiis
	// writes them into a run's bundle so that it can be re-run without the
	// original extracts.
	Snapshots map[string]*SnapshotPin `yaml:"snapshots"`
	Pos       diag.Positions          `yaml:"-"` // where each key stands, for later checks
}

// Previous names last year's published outputs.
type Previous struct {
	// Metrics is last year's metrics.csv or metrics.parquet. A manifest.json
	// beside it, when there is one, says which IMD edition and indicator
	// definitions that run used.
	Metrics string `yaml:"metrics,omitempty"`
	// DataQuality is last year's data-quality.csv: the same as the
	// top-level previous_data_quality, which it fills.
	DataQuality string `yaml:"data_quality,omitempty"`
	// IMDEdition is the IMD edition last year's run used (e.g. "English
	// Indices of Deprivation 2019"); it overrides the manifest's. When
	// neither says, the editions are taken to be the same.
	IMDEdition string   `yaml:"imd_edition,omitempty"`
	Pos        diag.Pos `yaml:"-"`
}

// Organisation is the publishing body.
type Organisation struct {
	Code string   `yaml:"code" hiis:"required"`
	Name string   `yaml:"name" hiis:"required"`
	Kind string   `yaml:"kind" hiis:"required"` // icb or trust
	Pos  diag.Pos `yaml:"-"`
}

// Period is the reporting period; Start and End are inclusive dates.
type Period struct {
	Label string   `yaml:"label" hiis:"required"`
	Start string   `yaml:"start" hiis:"required"`
	End   string   `yaml:"end" hiis:"required"`
	Pos   diag.Pos `yaml:"-"`
}

// Reference holds the reference data files.
type Reference struct {
	IMD IMDFile `yaml:"imd" hiis:"required"`
}

// IMDFile is an LSOA → IMD lookup in the official File_1 format.
type IMDFile struct {
	Path    string `yaml:"path" hiis:"required"`
	SHA256  string `yaml:"sha256"`
	Edition string `yaml:"edition" hiis:"required"` // e.g. "English Indices of Deprivation 2019 (LSOA 2011)"
	// Direction says which end decile 1 is in the file: most_deprived (the
	// official files) or least_deprived.
	Direction string `yaml:"decile_1"`
	// Columns maps lsoa, lad, rank and decile to the file's headers when
	// they are not those of IMD 2019's File_1 (IMD 2025 keys on 2021 LSOAs).
	Columns map[string]string `yaml:"columns"`
	Pos     diag.Pos          `yaml:"-"`
}

// Source is one input extract.
type Source struct {
	Kind    string            `yaml:"kind" hiis:"required"`
	Path    string            `yaml:"path" hiis:"required"`
	Format  string            `yaml:"format"` // csv, parquet, xlsx; default from the file name
	Sheet   string            `yaml:"sheet"`  // xlsx only; default the first sheet
	SHA256  string            `yaml:"sha256"`
	Columns map[string]string `yaml:"columns"` // hiis column -> the extract's own header
	// MaxRejectShare fails the run when rejected rows exceed this share of
	// rows read (default from extract.max_reject_share).
	MaxRejectShare *float64 `yaml:"max_reject_share"`
	Name           string   `yaml:"-"`
	Pos            diag.Pos `yaml:"-"`
}

// SnapshotPin names an existing snapshot of a source, with the counts its
// extract reported.
type SnapshotPin struct {
	Path          string `yaml:"path" hiis:"required"`
	SHA256        string `yaml:"sha256" hiis:"required"`
	Rejects       string `yaml:"rejects" hiis:"required"`
	RejectsSHA256 string `yaml:"rejects_sha256" hiis:"required"`
	InputSHA256   string `yaml:"input_sha256" hiis:"required"`
	Rows          int64  `yaml:"rows"`
	Rejected      int64  `yaml:"rejected"`
}

// IndicatorSelection says where indicator definitions live and which run.
type IndicatorSelection struct {
	Dir      string   `yaml:"dir" hiis:"required"`
	Optional bool     `yaml:"include_optional"` // switch on every U indicator
	Enable   []string `yaml:"enable"`           // ids switched on in addition
	Disable  []string `yaml:"disable"`          // ids switched off
	Only     []string `yaml:"only"`             // if set, exactly these ids
	Pos      diag.Pos `yaml:"-"`
}

// Disclosure is the disclosure-control policy.
type Disclosure struct {
	Rule      string   `yaml:"rule"`      // nhs_digital (default), below5, below10
	Secondary *bool    `yaml:"secondary"` // default true
	Pos       diag.Pos `yaml:"-"`
}

// Narrative is a block of text the organisation writes for the statement.
type Narrative struct {
	Title string   `yaml:"title" hiis:"required"`
	Text  string   `yaml:"text" hiis:"required"`
	Pos   diag.Pos `yaml:"-"`
}

// ExtractPolicy holds defaults for every source.
type ExtractPolicy struct {
	MaxRejectShare *float64 `yaml:"max_reject_share"` // default 0.01
}

// Statistics holds run-wide statistical settings.
type Statistics struct {
	SIIRepetitions int    `yaml:"sii_repetitions"` // default 10000, minimum 10000
	Seed           uint64 `yaml:"seed"`            // SII simulation seed; default 20231127
}

// Default values.
const (
	DefaultMaxRejectShare = 0.01
	DefaultSIIReps        = 10000
	DefaultSeed           = 20231127
)

// SecondaryOn reports whether secondary suppression is on (default true).
func (d Disclosure) SecondaryOn() bool { return d.Secondary == nil || *d.Secondary }

// RejectLimit is the share of rejected rows above which s fails the run.
func (r *Run) RejectLimit(s *Source) float64 {
	if s.MaxRejectShare != nil {
		return *s.MaxRejectShare
	}
	if r.Extract.MaxRejectShare != nil {
		return *r.Extract.MaxRejectShare
	}
	return DefaultMaxRejectShare
}

// OutputDir returns the run folder the config names: an absolute path as
// it is, a relative one from the config's folder.
func (r *Run) OutputDir() string {
	if filepath.IsAbs(r.Output) {
		return filepath.Clean(r.Output)
	}
	return filepath.Join(r.Dir, r.Output)
}

// TemplatesDir returns the templates folder the run uses.
func (r *Run) TemplatesDir() (string, error) {
	t := r.Templates
	if t == "" {
		t = filepath.Join(filepath.Dir(filepath.Clean(r.Indicators.Dir)), "templates")
	}
	return r.Resolve(t)
}

// MacrosFile is the SQL helper macros file inside the templates folder.
const MacrosFile = "sql/macros.sql"

// SourceNames returns the source names sorted.
func (r *Run) SourceNames() []string {
	names := make([]string, 0, len(r.Sources))
	for n := range r.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Resolve turns a path from the config into a file path: relative paths are
// taken from the config's folder. Resolved paths, after following symbolic
// links, must stay inside the config's folder or the data root, so that a
// config cannot reach files elsewhere.
func (r *Run) Resolve(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty path")
	}
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(r.Dir, p)
	}
	abs = filepath.Clean(abs)
	real := realPath(abs)
	roots := r.roots()
	for _, root := range roots {
		if Within(realPath(root), real) {
			return abs, nil
		}
	}
	return "", fmt.Errorf("path %q is outside the allowed folders (%s); set data_root to allow another folder", p, strings.Join(roots, ", "))
}

// Within reports whether path lies inside (or is) root.
func Within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// realPath follows symbolic links in the longest existing prefix of p.
func realPath(p string) string {
	rest := ""
	for dir := p; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		}
		if filepath.Dir(dir) == dir {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// roots are the folders config paths may resolve inside: the config's own
// folder and the data root.
func (r *Run) roots() []string {
	roots := []string{r.Dir}
	if r.DataRoot != "" {
		dr := r.DataRoot
		if !filepath.IsAbs(dr) {
			dr = filepath.Join(r.Dir, dr)
		}
		roots = append(roots, filepath.Clean(dr))
	}
	return roots
}

// Load reads and validates a run configuration. Every problem found is
// returned at once as a *diag.Error.
func Load(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, filepath.Dir(abs), data)
}

// Parse decodes and validates a run configuration held in data; file names it
// in messages and dir is the folder relative paths resolve against.
func Parse(file, dir string, data []byte) (*Run, error) {
	var l diag.List
	root := diag.Parse(file, data, &l)
	if root == nil {
		return nil, l.Err()
	}
	r := &Run{File: file, Dir: dir}
	r.Pos = diag.Decode(file, root, r, &l)
	r.validate(&l)
	if err := l.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Run) validate(l *diag.List) {
	at := r.Pos.Of
	if r.Organisation.Kind != "" && r.Organisation.Kind != "icb" && r.Organisation.Kind != "trust" {
		l.Add(at("organisation.kind"), "organisation.kind: %q is not icb or trust", r.Organisation.Kind)
	}
	var start, end time.Time
	var err error
	if r.Period.Start != "" {
		if start, err = time.Parse(time.DateOnly, r.Period.Start); err != nil {
			l.Add(at("period.start"), "period.start: %q is not a date like 2025-04-01", r.Period.Start)
		}
	}
	if r.Period.End != "" {
		if end, err = time.Parse(time.DateOnly, r.Period.End); err != nil {
			l.Add(at("period.end"), "period.end: %q is not a date like 2026-03-31", r.Period.End)
		}
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		l.Add(at("period.end"), "period: end %s is before start %s", r.Period.End, r.Period.Start)
	}
	if r.Hiis != "" {
		if _, err := ParseRange(r.Hiis); err != nil {
			l.Add(at("hiis"), "hiis: %v", err)
		}
	}
	switch r.Reference.IMD.Direction {
	case "", "most_deprived", "least_deprived":
	default:
		l.Add(at("reference.imd.decile_1"), "reference.imd.decile_1: %q is not most_deprived or least_deprived", r.Reference.IMD.Direction)
	}
	checkSHA(l, at("reference.imd.sha256"), "reference.imd.sha256", r.Reference.IMD.SHA256)
	for _, k := range sortedKeys(r.Reference.IMD.Columns) {
		switch k {
		case "lsoa", "lad", "rank", "decile":
		default:
			l.Add(at("reference.imd.columns."+k), "reference.imd.columns: %q is not lsoa, lad, rank or decile", k)
		}
	}
	if r.Reference.IMD.Path != "" {
		if _, err := r.Resolve(r.Reference.IMD.Path); err != nil {
			l.Add(at("reference.imd.path"), "reference.imd.path: %v", err)
		}
	}
	for _, name := range r.SourceNames() {
		s := r.Sources[name]
		s.Name = name
		key := "sources." + name
		if s.Path != "" {
			if _, err := r.Resolve(s.Path); err != nil {
				l.Add(at(key+".path"), "sources.%s.path: %v", name, err)
			}
		}
		switch s.Format {
		case "":
			s.Format = FormatOf(s.Path)
			if s.Format == "" && s.Path != "" {
				l.Add(at(key+".path"), "sources.%s: cannot tell the format of %q; set format: csv, parquet or xlsx", name, s.Path)
			}
		case "csv", "parquet", "xlsx":
		default:
			l.Add(at(key+".format"), "sources.%s.format: %q is not csv, parquet or xlsx", name, s.Format)
		}
		if s.Sheet != "" && s.Format != "xlsx" {
			l.Add(at(key+".sheet"), "sources.%s.sheet: only xlsx sources have sheets", name)
		}
		checkSHA(l, at(key+".sha256"), key+".sha256", s.SHA256)
		if k, err := source.Lookup(s.Kind); err != nil && s.Kind != "" {
			l.Add(at(key+".kind"), "%s.kind: %v", key, err)
		} else if err == nil {
			for col := range s.Columns {
				if _, ok := k.Column(col); !ok {
					l.Add(at(key+".columns."+col), "%s.columns: kind %s has no column %q", key, s.Kind, col)
				}
			}
		}
		if s.MaxRejectShare != nil && (*s.MaxRejectShare < 0 || *s.MaxRejectShare > 1) {
			l.Add(at(key+".max_reject_share"), "sources.%s.max_reject_share: %v is not between 0 and 1", name, *s.MaxRejectShare)
		}
	}
	for _, name := range sortedKeys(r.Snapshots) {
		key := "snapshots." + name
		if _, ok := r.Sources[name]; !ok {
			l.Add(at(key), "%s: no source %q is configured", key, name)
		}
		pin := r.Snapshots[name]
		checkSHA(l, at(key+".sha256"), key+".sha256", pin.SHA256)
		checkSHA(l, at(key+".rejects_sha256"), key+".rejects_sha256", pin.RejectsSHA256)
		checkSHA(l, at(key+".input_sha256"), key+".input_sha256", pin.InputSHA256)
		for field, p := range map[string]string{"path": pin.Path, "rejects": pin.Rejects} {
			if p == "" {
				continue
			}
			if _, err := r.Resolve(p); err != nil {
				l.Add(at(key+"."+field), "%s.%s: %v", key, field, err)
			}
		}
	}
	if len(r.Sources) == 0 && r.Sources != nil {
		l.Add(at("sources"), "sources: no sources configured")
	}
	if r.Statistics.SIIRepetitions != 0 && r.Statistics.SIIRepetitions < DefaultSIIReps {
		l.Add(at("statistics.sii_repetitions"), "statistics.sii_repetitions: %d is below the minimum of %d", r.Statistics.SIIRepetitions, DefaultSIIReps)
	}
	if r.Statistics.SIIRepetitions == 0 {
		r.Statistics.SIIRepetitions = DefaultSIIReps
	}
	if r.Statistics.Seed == 0 {
		r.Statistics.Seed = DefaultSeed
	}
	if r.Output == "" {
		r.Output = "out"
	}
	if d := r.Previous.DataQuality; d != "" {
		if r.PreviousDataQuality != "" && r.PreviousDataQuality != d {
			l.Add(at("previous.data_quality"), "previous.data_quality: %q, but previous_data_quality names %q; keep one", d, r.PreviousDataQuality)
		}
		r.PreviousDataQuality, r.Previous.DataQuality = d, ""
	}
	if r.Previous.IMDEdition != "" && r.Previous.Metrics == "" {
		l.Add(at("previous.imd_edition"), "previous.imd_edition: set previous.metrics too; the edition describes last year's metrics")
	}
	if p := r.Previous.Metrics; p != "" {
		if _, err := r.Resolve(p); err != nil {
			l.Add(at("previous.metrics"), "previous.metrics: %v", err)
		}
		if f := strings.ToLower(p); !strings.HasSuffix(f, ".csv") && !strings.HasSuffix(f, ".parquet") {
			l.Add(at("previous.metrics"), "previous.metrics: %q is not a metrics.csv or metrics.parquet", p)
		}
	}
	if r.PreviousDataQuality != "" {
		if _, err := r.Resolve(r.PreviousDataQuality); err != nil {
			l.Add(at("previous_data_quality"), "previous_data_quality: %v", err)
		}
	}
	if _, err := r.Resolve(r.Output); err != nil {
		l.Add(at("output"), "output: %v", err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func checkSHA(l *diag.List, pos diag.Pos, field, v string) {
	if v == "" {
		return
	}
	if len(v) != 64 || strings.Trim(strings.ToLower(v), "0123456789abcdef") != "" {
		l.Add(pos, "%s: %q is not a sha256 (64 hexadecimal digits)", field, v)
	}
}

// FormatOf guesses a source format from its file name ("" when unknown).
func FormatOf(path string) string {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".csv"), strings.HasSuffix(p, ".csv.gz"):
		return "csv"
	case strings.HasSuffix(p, ".parquet"):
		return "parquet"
	case strings.HasSuffix(p, ".xlsx"):
		return "xlsx"
	}
	return ""
}
