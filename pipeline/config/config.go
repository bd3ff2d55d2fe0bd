// Package config loads and validates a run configuration: which
// organisation, which period, which source extracts and reference files,
// which indicators, what disclosure policy and where outputs go.
package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"hiis/pipeline/diag"
	"hiis/pipeline/source"
)

// Run is a run configuration (config/<run>.yaml).
type Run struct {
	File string `yaml:"-"` // path the config was read from
	Dir  string `yaml:"-"` // folder paths resolve against

	Hiis         string       `yaml:"hiis" hiis:"required"` // version range, e.g. ">=0.1.0 <1.0.0"
	Organisation Organisation `yaml:"organisation"`         // one organisation; or Organisations
	// Organisations makes one statement per organisation from the same
	// extracts, plus all/ for every record together (the comparator).
	Organisations *Organisations `yaml:"organisations,omitempty"`
	// Comparator is the all-organisations metrics table an organisation's
	// statement is read beside; hiis sets it in each organisation's run of a
	// multi-organisation run, and a config may name a published one.
	Comparator *Comparator        `yaml:"comparator,omitempty"`
	Period     Period             `yaml:"period" hiis:"required"`
	DataRoot   string             `yaml:"data_root"` // optional folder that paths may also resolve inside
	Reference  Reference          `yaml:"reference" hiis:"required"`
	Sources    map[string]*Source `yaml:"sources" hiis:"required"`
	Indicators IndicatorSelection `yaml:"indicators" hiis:"required"`
	// PreviousDataQuality is last year's data-quality.csv, for the change
	// since the previous year the statement reports (optional).
	PreviousDataQuality string `yaml:"previous_data_quality"`
	// Previous names last year's published run, for the change since the
	// previous year in every indicator (optional).
	Previous Previous `yaml:"previous,omitempty"`

	// Comparators are published files (England's values as Fingertips
	// publishes them) each statement is also read beside, by name: at most
	// two, shown after Comparator in the order of their names.
	Comparators map[string]*PublishedComparator `yaml:"comparators,omitempty"`

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
	// PinnedFrom names the config a bundle's pinned config was made from;
	// hiis writes it into bundle/config.yaml, and the data pack names that
	// config, so a re-run from the bundle makes the same data pack.
	PinnedFrom *PinnedFrom    `yaml:"pinned_from,omitempty"`
	Pos        diag.Positions `yaml:"-"` // where each key stands, for later checks
	// ExtraRoots are folders paths may also resolve inside, set by hiis for
	// the runs it derives from a config (never read from YAML).
	ExtraRoots []string `yaml:"-"`
}

// PinnedFrom is the original config of a bundle: its file name and sha256.
type PinnedFrom struct {
	Config string `yaml:"config"`
	SHA256 string `yaml:"sha256"`
}

// validateOrganisations checks that exactly one of organisation and
// organisations is given, and the organisations block itself.
func (r *Run) validateOrganisations(l *diag.List) {
	at := r.Pos.Of
	_, single := r.Pos["organisation"]
	o := r.Organisations
	switch {
	case o == nil && !single:
		l.Add(at(""), "missing required key \"organisation\" (or \"organisations\" for one statement per organisation)")
		return
	case o != nil && single:
		l.Add(at("organisations"), "organisations: give either organisation (one statement) or organisations (one per organisation), not both")
		return
	case o == nil:
		return
	}
	if o.Kind != "icb" && o.Kind != "trust" && o.Kind != "" {
		l.Add(at("organisations.kind"), "organisations.kind: %q is not icb or trust", o.Kind)
	}
	switch {
	case (o.Lookup == nil) == (o.Column == ""):
		l.Add(at("organisations"), "organisations: give either lookup (an LSOA → organisation file, residence-based) or column (the column naming each record's organisation, provider-based)")
	case o.Lookup != nil:
		if o.Lookup.Path != "" {
			if _, err := r.Resolve(o.Lookup.Path); err != nil {
				l.Add(at("organisations.lookup.path"), "organisations.lookup.path: %v", err)
			}
		}
		checkSHA(l, at("organisations.lookup.sha256"), "organisations.lookup.sha256", o.Lookup.SHA256)
		for _, k := range slices.Sorted(maps.Keys(o.Lookup.Columns)) {
			switch k {
			case "lsoa", "code", "name":
			default:
				l.Add(at("organisations.lookup.columns."+k), "organisations.lookup.columns: %q is not lsoa, code or name", k)
			}
		}
	case o.Column != "":
		if o.Column != "organisation" {
			l.Add(at("organisations.column"), "organisations.column: %q: the column is called organisation; map your own header to it in each source's columns", o.Column)
		}
	}
	if _, _, err := o.SelectedCodes(); err != nil {
		l.Add(at("organisations.select"), "%v", err)
	}
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

// Organisations assigns records to organisations: by residence, through
// an LSOA → organisation lookup (ICBs), or by a column every source maps
// (providers).
type Organisations struct {
	Kind   string     `yaml:"kind" hiis:"required"` // icb or trust
	Lookup *OrgLookup `yaml:"lookup"`
	Column string     `yaml:"column"`           // the hiis column naming each record's organisation
	Select yaml.Node  `yaml:"select,omitempty"` // all (default) or a list of codes
	Pos    diag.Pos   `yaml:"-"`
}

// OrgLookup is an LSOA → organisation lookup file (CSV), as ONS publishes
// LSOA → Sub-ICB → ICB.
type OrgLookup struct {
	Path   string `yaml:"path" hiis:"required"`
	SHA256 string `yaml:"sha256"`
	// Columns maps lsoa, code and name to the file's headers.
	Columns map[string]string `yaml:"columns"`
	Pos     diag.Pos          `yaml:"-"`
}

// SelectedCodes reads `select`: all (or absent) gives all=true; otherwise
// the list of organisation codes.
func (o *Organisations) SelectedCodes() (all bool, codes []string, err error) {
	n := o.Select
	switch {
	case n.Kind == 0:
		return true, nil, nil
	case n.Kind == yaml.ScalarNode && n.Value == "all":
		return true, nil, nil
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || strings.TrimSpace(c.Value) == "" {
				return false, nil, fmt.Errorf("organisations.select: line %d: expected an organisation code", c.Line)
			}
			codes = append(codes, strings.TrimSpace(c.Value))
		}
		return false, codes, nil
	}
	return false, nil, fmt.Errorf("organisations.select: expected all or a list of organisation codes")
}

// Comparator is a metrics table (metrics.csv as hiis writes it) whose
// overall and IMD quintile values each indicator is shown beside.
type Comparator struct {
	Metrics string `yaml:"metrics" hiis:"required"`
	SHA256  string `yaml:"sha256"`
	Label   string `yaml:"label"` // e.g. "All organisations", "England"
	// Unassigned counts, per source, the records of the comparator that no
	// organisation took (no LSOA, or one not in the lookup).
	Unassigned map[string]int64 `yaml:"unassigned,omitempty"`
	// Manifest is how the manifest names the file when hiis set it for a
	// run it derived (all/'s metrics, "../all/metrics.csv"): its real path
	// is a temporary folder. Never read from YAML.
	Manifest string `yaml:"-"`
}

// PublishedComparator is a published file of values for a wider area
// (England), read for the indicators it maps: format fingertips is
// Fingertips' data download (the API's all_data/csv layout).
type PublishedComparator struct {
	Path   string `yaml:"path" hiis:"required"`
	SHA256 string `yaml:"sha256"`
	Format string `yaml:"format" hiis:"required"` // fingertips
	Label  string `yaml:"label" hiis:"required"`  // e.g. "England"
	Period string `yaml:"period" hiis:"required"` // the Time period rows to take, e.g. "2023/24"
	// Area is the Area Code of the rows to take; default E92000001 (England).
	Area string `yaml:"area,omitempty"`
	// Sex is the Sex of the rows to take; default Persons.
	Sex string `yaml:"sex,omitempty"`
	// Quintiles is the Category Type whose rows are the IMD quintiles;
	// default any "LSOA… deprivation quintiles…" category type.
	Quintiles string `yaml:"quintiles,omitempty"`
	// Indicators maps a hiis indicator ID to the file's Indicator ID; only
	// these indicators are compared with the file.
	Indicators map[string]string `yaml:"indicators" hiis:"required"`
}

// EnglandCode is the Area Code of England in Fingertips and ONS files.
const EnglandCode = "E92000001"

// ComparatorNames are the names of the published comparators in the order
// statements show them.
func (r *Run) ComparatorNames() []string { return slices.Sorted(maps.Keys(r.Comparators)) }

func (r *Run) validateComparators(l *diag.List) {
	at := r.Pos.Of
	if len(r.Comparators) > 2 {
		l.Add(at("comparators"), "comparators: %d published comparators; a statement shows at most two", len(r.Comparators))
	}
	for _, name := range slices.Sorted(maps.Keys(r.Comparators)) {
		c, key := r.Comparators[name], "comparators."+name
		if c == nil {
			l.Add(at(key), "%s: empty; give path, format, label, period and indicators", key)
			continue
		}
		if strings.Trim(strings.ToLower(name), "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			l.Add(at(key), "%s: name %q may hold only letters, digits and _", key, name)
		}
		if c.Format != "" && c.Format != "fingertips" {
			l.Add(at(key+".format"), "%s.format: %q is not fingertips", key, c.Format)
		}
		checkSHA(l, at(key+".sha256"), key+".sha256", c.SHA256)
		if c.Path != "" {
			if _, err := r.Resolve(c.Path); err != nil {
				l.Add(at(key+".path"), "%s.path: %v", key, err)
			}
		}
		if c.Indicators != nil && len(c.Indicators) == 0 {
			l.Add(at(key+".indicators"), "%s.indicators: map at least one hiis indicator ID to the file's Indicator ID", key)
		}
		for _, id := range slices.Sorted(maps.Keys(c.Indicators)) {
			if strings.TrimSpace(c.Indicators[id]) == "" {
				l.Add(at(key+".indicators."+id), "%s.indicators.%s: no Indicator ID", key, id)
			}
		}
	}
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
	// LSOALookup is ONS's LSOA 2011 → LSOA 2021 lookup, so that extracts
	// coded in either edition match the IMD's (optional).
	LSOALookup *LSOALookup `yaml:"lsoa_lookup,omitempty"`
}

// LSOALookup is ONS's "LSOA (2011) to LSOA (2021)" best-fit lookup file.
// Columns maps lsoa11, lsoa21 and change (the U/S/M/X change indicator) to
// its headers when they are not ONS's LSOA11CD, LSOA21CD and CHGIND.
type LSOALookup struct {
	Path    string            `yaml:"path" hiis:"required"`
	SHA256  string            `yaml:"sha256"`
	Columns map[string]string `yaml:"columns"`
	Pos     diag.Pos          `yaml:"-"`
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
	Kind string `yaml:"kind" hiis:"required"`
	// Path is the extract file; a query source has database and query (or
	// query_file) instead.
	Path string `yaml:"path"`
	// Database, with Query or QueryFile, makes the source a warehouse
	// query: its rows are staged into a Parquet file and extracted from it.
	Database  *Database `yaml:"database,omitempty"`
	Query     string    `yaml:"query,omitempty"`
	QueryFile string    `yaml:"query_file,omitempty"`
	// Layout names a published file layout hiis reshapes into the kind's
	// columns: ons_mid_year_wide or gp_registered_lsoa (population only).
	Layout  string            `yaml:"layout,omitempty"`
	Format  string            `yaml:"format"` // csv, parquet, xlsx; default from the file name
	Sheet   string            `yaml:"sheet"`  // xlsx only; default the first sheet
	SHA256  string            `yaml:"sha256"`
	Columns map[string]string `yaml:"columns"` // hiis column -> the extract's own header
	// MaxRejectShare fails the run when rejected rows exceed this share of
	// rows read (default from extract.max_reject_share).
	MaxRejectShare *float64 `yaml:"max_reject_share"`
	// MaxUnmatchedLSOAShare fails the run when more than this share of the
	// records with an English LSOA code do not match the IMD lookup
	// (default from extract.max_unmatched_lsoa_share).
	MaxUnmatchedLSOAShare *float64 `yaml:"max_unmatched_lsoa_share"`
	// MaxInvalidCodeShare fails the run when more than this share of
	// records carry an ethnic category or sex code that is not a valid NHS
	// code (default from extract.max_invalid_code_share).
	MaxInvalidCodeShare *float64 `yaml:"max_invalid_code_share"`
	// Duplicates says what happens to records whose record key repeats an
	// earlier one: reject (default; the first in file order is kept) or keep.
	Duplicates string `yaml:"duplicates"`
	// Encoding of a CSV extract: utf-8 (default), latin-1 or windows-1252.
	Encoding string `yaml:"encoding"`
	// Delimiter of a CSV extract: "," (default), ";", "|" or tab ("\t").
	Delimiter string `yaml:"delimiter"`
	// DateFormat says how text dates are written: iso, dd/mm/yyyy,
	// mm/dd/yyyy or excel_serial (bare day numbers). Default: ISO dates
	// and dd/mm/yyyy, refusing values only valid month-first.
	DateFormat string `yaml:"date_format"`
	// AgeTopCode is the text an extract uses for its top age band, such as
	// "90+": it is read as that age (90). Without it such values are rejects.
	AgeTopCode string `yaml:"age_top_code"`
	// EthnicSubcodes accepts two-character local ethnic subcodes (A1, AF,
	// ...), read by their first letter.
	EthnicSubcodes bool `yaml:"ethnic_subcodes"`
	// Labels maps a column's own labels to NHS codes, per column
	// (ethnic_category or sex), e.g. {sex: {Man: "1"}}.
	Labels map[string]map[string]string `yaml:"labels"`
	Name   string                       `yaml:"-"`
	Pos    diag.Pos                     `yaml:"-"`
}

// Database is where a query source's rows come from. The connection string
// is read from the environment variable DSNEnv only, so that it never
// stands in a config, a bundle or a manifest.
type Database struct {
	Driver string   `yaml:"driver" hiis:"required"`  // postgres or sqlserver
	DSNEnv string   `yaml:"dsn_env" hiis:"required"` // environment variable holding the connection string
	Pos    diag.Pos `yaml:"-"`
}

// Layouts are the published file layouts a population source may declare.
var Layouts = []string{"gp_registered_lsoa", "ons_mid_year_wide"}

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
	Duplicates    int64  `yaml:"duplicates,omitempty"` // duplicated record keys the extract found
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
	Secondary *bool    `yaml:"secondary"` // default true for below5/below10, false for nhs_digital (true there adds the recovery guard)
	Pos       diag.Pos `yaml:"-"`
}

// Narrative is a block of text the organisation writes for the statement
// (actions taken, governance, local priorities): Text in the config, or File,
// a Markdown file beside it (paragraphs, lists, **strong**, *emphasis*,
// [links](https://...)). Exactly one of the two.
type Narrative struct {
	Title string   `yaml:"title" hiis:"required"`
	Text  string   `yaml:"text"`
	File  string   `yaml:"file"`
	Pos   diag.Pos `yaml:"-"`
}

// ExtractPolicy holds defaults for every source.
type ExtractPolicy struct {
	MaxRejectShare        *float64 `yaml:"max_reject_share"`         // default 0.01
	MaxUnmatchedLSOAShare *float64 `yaml:"max_unmatched_lsoa_share"` // default 0.10
	MaxInvalidCodeShare   *float64 `yaml:"max_invalid_code_share"`   // default 0.10
}

// Statistics holds run-wide statistical settings.
type Statistics struct {
	SIIRepetitions int    `yaml:"sii_repetitions"` // default 10000, minimum 10000
	Seed           uint64 `yaml:"seed"`            // SII simulation seed; default 20231127
	// Timeout stops any one indicator's query after this long, e.g. "10m"
	// (the default); "0" for no limit.
	Timeout string `yaml:"query_timeout"`
	// MemoryLimit is DuckDB's memory limit for the transform, e.g. "4GB";
	// beyond it DuckDB spills to the work folder. Default: 70% of RAM, at
	// most 3 GiB (transform.DefaultMemoryShare, DefaultMemoryCap).
	MemoryLimit string `yaml:"memory_limit"`
	// Threads is DuckDB's thread count; default every core.
	Threads int `yaml:"threads"`
	// PopulationScope is all (default: every event counts in its
	// quintile) or residents (events of LSOAs outside the population
	// source are left out; data quality counts them either way).
	PopulationScope string `yaml:"population_scope"`
}

// memoryLimit is a size DuckDB accepts as memory_limit.
var memoryLimit = regexp.MustCompile(`^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$`)

// DefaultQueryTimeout stops a runaway indicator expression.
const DefaultQueryTimeout = 10 * time.Minute

// QueryTimeout is statistics.query_timeout as a duration (0 for none).
func (s Statistics) QueryTimeout() time.Duration {
	if s.Timeout == "" {
		return DefaultQueryTimeout
	}
	d, _ := time.ParseDuration(s.Timeout) // checked by validate
	return d
}

// Default values.
const (
	DefaultMaxRejectShare = 0.01
	// DefaultMaxUnmatchedLSOAShare and DefaultMaxInvalidCodeShare are the
	// quality gates' defaults.
	DefaultMaxUnmatchedLSOAShare = 0.10
	DefaultMaxInvalidCodeShare   = 0.10
	DefaultSIIReps               = 10000
	DefaultSeed                  = 20231127
)

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

// UnmatchedLSOALimit is the share of records unmatched to the IMD lookup
// above which s fails the run.
func (r *Run) UnmatchedLSOALimit(s *Source) float64 {
	return firstShare(DefaultMaxUnmatchedLSOAShare, s.MaxUnmatchedLSOAShare, r.Extract.MaxUnmatchedLSOAShare)
}

// InvalidCodeLimit is the share of records with an invalid ethnic or sex
// code above which s fails the run.
func (r *Run) InvalidCodeLimit(s *Source) float64 {
	return firstShare(DefaultMaxInvalidCodeShare, s.MaxInvalidCodeShare, r.Extract.MaxInvalidCodeShare)
}

func firstShare(def float64, vals ...*float64) float64 {
	for _, v := range vals {
		if v != nil {
			return *v
		}
	}
	return def
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
	return slices.Sorted(maps.Keys(r.Sources))
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
	roots := append([]string{r.Dir}, r.ExtraRoots...)
	return append(roots, r.DataRootDir()...)
}

// DataRootDir is the data root as an absolute path: none, or one.
func (r *Run) DataRootDir() []string {
	if r.DataRoot == "" {
		return nil
	}
	dr := r.DataRoot
	if !filepath.IsAbs(dr) {
		dr = filepath.Join(r.Dir, dr)
	}
	return []string{filepath.Clean(dr)}
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
	r.validateOrganisations(l)
	r.validateComparators(l)
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
	for _, k := range slices.Sorted(maps.Keys(r.Reference.IMD.Columns)) {
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
	if lk := r.Reference.LSOALookup; lk != nil {
		checkSHA(l, at("reference.lsoa_lookup.sha256"), "reference.lsoa_lookup.sha256", lk.SHA256)
		for _, k := range slices.Sorted(maps.Keys(lk.Columns)) {
			switch k {
			case "lsoa11", "lsoa21", "change":
			default:
				l.Add(at("reference.lsoa_lookup.columns."+k), "reference.lsoa_lookup.columns: %q is not lsoa11, lsoa21 or change", k)
			}
		}
		if lk.Path != "" {
			if _, err := r.Resolve(lk.Path); err != nil {
				l.Add(at("reference.lsoa_lookup.path"), "reference.lsoa_lookup.path: %v", err)
			}
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
		r.validateOrigin(l, s, key)
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
		s.validateIngest(l, at, key)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Snapshots)) {
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
	if t := r.Statistics.Timeout; t != "" {
		if d, err := time.ParseDuration(t); err != nil || d < 0 {
			l.Add(at("statistics.query_timeout"), "statistics.query_timeout: %q is not a duration like 10m or 90s (0 for no limit)", t)
		}
	}
	if m := r.Statistics.MemoryLimit; m != "" && !memoryLimit.MatchString(m) {
		l.Add(at("statistics.memory_limit"), "statistics.memory_limit: %q is not a size like 4GB or 512MB", m)
	}
	if r.Statistics.Threads < 0 {
		l.Add(at("statistics.threads"), "statistics.threads: %d is not a number of threads", r.Statistics.Threads)
	}
	switch r.Statistics.PopulationScope {
	case "", "all", "residents":
	default:
		l.Add(at("statistics.population_scope"), "statistics.population_scope: %q is not all or residents", r.Statistics.PopulationScope)
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
	for i, n := range r.Narrative {
		key := fmt.Sprintf("narrative[%d]", i)
		switch {
		case n.Text == "" && n.File == "":
			l.Add(at(key), "%s (%q): set text, or file naming a Markdown file", key, n.Title)
		case n.Text != "" && n.File != "":
			l.Add(at(key+".file"), "%s (%q): set text or file, not both", key, n.Title)
		case n.File != "":
			if _, err := r.Resolve(n.File); err != nil {
				l.Add(at(key+".file"), "%s.file: %v", key, err)
			}
		}
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

// validateOrigin checks where a source's rows come from: a file (path), or
// a database query (database with exactly one of query and query_file),
// and its layout. A query source is staged as Parquet.
func (r *Run) validateOrigin(l *diag.List, s *Source, key string) {
	at := r.Pos.Of
	if s.Database == nil {
		if s.Path == "" {
			l.Add(at(key), "%s: missing required key \"path\" (or database and query for a warehouse query)", key)
		}
		if s.Query != "" || s.QueryFile != "" {
			l.Add(at(key), "%s: query and query_file need a database: {driver: postgres|sqlserver, dsn_env: VARIABLE}", key)
		}
	} else {
		switch s.Database.Driver {
		case "postgres", "sqlserver", "":
		default:
			l.Add(at(key+".database.driver"), "%s.database.driver: %q is not postgres or sqlserver", key, s.Database.Driver)
		}
		if s.Path != "" {
			l.Add(at(key+".path"), "%s: a query source has no path (it has database and query)", key)
		}
		if (s.Query == "") == (s.QueryFile == "") {
			l.Add(at(key+".database"), "%s: a query source needs exactly one of query and query_file", key)
		}
		if s.QueryFile != "" {
			if _, err := r.Resolve(s.QueryFile); err != nil {
				l.Add(at(key+".query_file"), "%s.query_file: %v", key, err)
			}
		}
		if s.Format != "" && s.Format != "parquet" {
			l.Add(at(key+".format"), "%s.format: a query source is staged as parquet; leave format out", key)
		}
		s.Format = "parquet"
	}
	if s.Layout != "" {
		if !slices.Contains(Layouts, s.Layout) {
			l.Add(at(key+".layout"), "%s.layout: %q is not one of %s", key, s.Layout, strings.Join(Layouts, ", "))
		} else if s.Kind != "" && s.Kind != "population" {
			l.Add(at(key+".layout"), "%s.layout: %s is a population layout, and this source is kind %s", key, s.Layout, s.Kind)
		}
		if s.Database != nil {
			l.Add(at(key+".layout"), "%s.layout: a layout is for a published file, not a query", key)
		} else if s.Format != "" && s.Format != "csv" {
			l.Add(at(key+".layout"), "%s.layout: %s files are read as CSV (.csv or .csv.gz); save the published sheet as CSV", key, s.Layout)
		}
		if len(s.Columns) > 0 {
			l.Add(at(key+".columns"), "%s.columns: a declared layout fixes the columns; leave columns out", key)
		}
	}
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

// validateIngest checks how a source says its extract is to be read.
func (s *Source) validateIngest(l *diag.List, at func(string) diag.Pos, key string) {
	for field, v := range map[string]*float64{"max_reject_share": s.MaxRejectShare, "max_unmatched_lsoa_share": s.MaxUnmatchedLSOAShare, "max_invalid_code_share": s.MaxInvalidCodeShare} {
		if v != nil && (*v < 0 || *v > 1) {
			l.Add(at(key+"."+field), "%s.%s: %v is not between 0 and 1", key, field, *v)
		}
	}
	oneOf := func(field, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		l.Add(at(key+"."+field), "%s.%s: %q is not %s", key, field, v, strings.Join(allowed[1:], ", "))
	}
	oneOf("duplicates", s.Duplicates, "", "reject", "keep")
	oneOf("encoding", strings.ToLower(s.Encoding), "", "utf-8", "latin-1", "windows-1252")
	oneOf("date_format", s.DateFormat, "", "iso", "dd/mm/yyyy", "mm/dd/yyyy", "excel_serial")
	if s.Delimiter != "" {
		oneOf("delimiter", s.Delimiter, "", ",", ";", "|", "tab", "\t", "\\t")
	}
	if (s.Encoding != "" || s.Delimiter != "") && s.Format != "" && s.Format != "csv" {
		l.Add(at(key), "%s: encoding and delimiter apply to CSV sources only", key)
	}
	if s.AgeTopCode != "" && strings.Trim(s.AgeTopCode, "0123456789") == s.AgeTopCode {
		l.Add(at(key+".age_top_code"), "%s.age_top_code: %q holds no age (expected a form like \"90+\")", key, s.AgeTopCode)
	}
	for col := range s.Labels {
		if col != "ethnic_category" && col != "sex" {
			l.Add(at(key+".labels."+col), "%s.labels: %q is not ethnic_category or sex", key, col)
		}
	}
}
