// Package indicator loads the declarative indicator definitions
// (indicators/*.yaml or *.yml), validates each against the catalogue's rules and
// selects the ones a run switches on.
package indicator

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"hiis/pipeline/config"
	"hiis/pipeline/diag"
)

// Measures hiis computes.
const (
	Proportion      = "proportion"        // numerator / denominator, Wilson limits
	CrudeRate       = "crude_rate"        // events / population × multiplier, Byar or exact limits
	DSR             = "dsr"               // age–sex standardised rate, Dobson limits
	Count           = "count"             // events, Byar or exact limits
	RatioToBaseline = "ratio_to_baseline" // activity now / activity in a baseline period
)

// MeasureNames lists the measures in documentation order.
var MeasureNames = []string{Proportion, CrudeRate, DSR, Count, RatioToBaseline}

// Breakdowns an indicator may declare, in output order.
var BreakdownNames = []string{"imd_quintile", "ethnic_group", "age_band", "sex"}

// DefaultAgeBands are the reporting age bands (METHODS.md).
var DefaultAgeBands = []string{"0-17", "18-34", "35-49", "50-64", "65-79", "80+"}

// Indicator is one indicator definition.
type Indicator struct {
	File string `yaml:"-"` // path the definition was read from
	Pos  diag.Positions

	ID          string `yaml:"id" hiis:"required"`
	Name        string `yaml:"name" hiis:"required"`
	Domain      string `yaml:"domain" hiis:"required"`
	Evidence    string `yaml:"evidence" hiis:"required"` // C, P or U
	Description string `yaml:"description" hiis:"required"`
	Source      string `yaml:"source" hiis:"required"` // a source name in the run config
	Measure     string `yaml:"measure" hiis:"required"`
	// Filter is a SQL condition on the source's rows (normalised columns
	// included); rows failing it are not counted at all.
	Filter string `yaml:"filter"`
	// Numerator and Denominator are SQL aggregate expressions over the
	// filtered rows, such as "count(*) FILTER (WHERE weeks_waiting >= 18)" or
	// "sum(numerator)". Rates take their denominator from Population instead.
	Numerator   string      `yaml:"numerator" hiis:"required"`
	Denominator string      `yaml:"denominator"`
	Population  *Population `yaml:"population"`
	Multiplier  float64     `yaml:"multiplier"`
	Unit        string      `yaml:"unit"`
	Polarity    string      `yaml:"polarity"` // lower_is_better, higher_is_better, or none
	Breakdowns  []string    `yaml:"breakdowns"`
	AgeBands    []string    `yaml:"age_bands"`
	// MeasureByBreakdown overrides the measure for some breakdowns, between
	// crude_rate and dsr only: MH-1 is a crude rate but standardised by
	// ethnic group.
	MeasureByBreakdown map[string]string `yaml:"measure_by_breakdown"`
	// Disclosure is "" to apply the run's disclosure policy, or "none" when
	// the counts are not of people (hospital settings, organisations).
	Disclosure string `yaml:"disclosure"`
	// Codes document the clinical and administrative codes the expressions
	// use (ICD-10, OPCS-4, admission methods, thresholds), for the annex.
	Codes map[string]string `yaml:"codes"`
	// SQL names a file beside the YAML whose query replaces the generated
	// one; it must return breakdown, grp, stratum, numerator, denominator.
	SQL string `yaml:"sql"`
}

// Population says where a rate's denominator comes from.
type Population struct {
	Source string `yaml:"source" hiis:"required"`
	Filter string `yaml:"filter"`
	Pos    diag.Pos
}

var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$`)

// Load reads every *.yaml and *.yml file in dir. A definition, and the
// SQL file it names, must lie inside dir or one of roots (the data root)
// once symbolic links are followed; one that does not is refused without
// being read. All problems in all files are returned at once as a
// *diag.Error.
func Load(dir string, roots ...string) ([]*Indicator, error) {
	var paths []string
	for _, ext := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, ext))
		if err != nil {
			return nil, err
		}
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no indicator definitions (*.yaml, *.yml) found", dir)
	}
	sort.Strings(paths)
	allowed := append([]string{dir}, roots...)
	var l diag.List
	var all []*Indicator
	seen := map[string]string{}
	for _, p := range paths {
		if !inside(p, allowed) {
			l.Add(diag.Pos{File: p, Line: 1, Col: 1}, "the definition is not a regular file inside the indicators folder or the data root (links followed); it was not read")
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ind := Parse(p, data, &l)
		if ind == nil {
			continue
		}
		if ind.SQL != "" && !strings.ContainsAny(ind.SQL, `/\`) && !inside(ind.SQLPath(), allowed) {
			l.Add(ind.Pos.Of("sql"), "sql file %s lies outside the indicators folder and the data root (after following links); it was not read", ind.SQL)
			continue
		}
		if ind.ID != "" {
			if prev, dup := seen[ind.ID]; dup {
				l.Add(ind.Pos.Of("id"), "duplicate indicator id %q (also in %s)", ind.ID, prev)
				continue
			}
			seen[ind.ID] = p
		}
		all = append(all, ind)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	Sort(all)
	return all, nil
}

// Parse decodes and checks one definition, adding problems to l. It returns
// nil when the file could not be read as YAML at all.
func Parse(file string, data []byte, l *diag.List) *Indicator {
	root := diag.Parse(file, data, l)
	if root == nil {
		return nil
	}
	ind := &Indicator{File: file}
	ind.Pos = diag.Decode(file, root, ind, l)
	ind.check(l)
	return ind
}

func (ind *Indicator) check(l *diag.List) {
	at := ind.Pos.Of
	if ind.ID != "" && !idPattern.MatchString(ind.ID) {
		l.Add(at("id"), "id %q is not like ER-1a or CVD-4 (capital letters, digits and hyphens)", ind.ID)
	}
	if ind.ID != "" {
		base := strings.TrimSuffix(filepath.Base(ind.File), filepath.Ext(ind.File))
		if base != ind.ID {
			l.Add(at("id"), "id %q does not match the file name %q; name the file %s%s", ind.ID, filepath.Base(ind.File), ind.ID, filepath.Ext(ind.File))
		}
	}
	switch ind.Evidence {
	case "", "C", "P", "U":
	default:
		l.Add(at("evidence"), "evidence %q is not C (confirmed), P (probable) or U (uncertain)", ind.Evidence)
	}
	if ind.Measure != "" && !contains(MeasureNames, ind.Measure) {
		l.Add(at("measure"), "measure %q is not one of %s", ind.Measure, strings.Join(MeasureNames, ", "))
	}
	switch ind.Measure {
	case Proportion, RatioToBaseline:
		if ind.Denominator == "" && ind.SQL == "" {
			l.Add(at("measure"), "a %s needs a denominator expression", ind.Measure)
		}
	case CrudeRate, DSR:
		if ind.Denominator == "" && ind.Population == nil && ind.SQL == "" {
			l.Add(at("measure"), "a %s needs a population (source and filter) or a denominator expression", ind.Measure)
		}
	}
	if ind.Measure == DSR && ind.Population == nil && ind.SQL == "" {
		l.Add(at("measure"), "a dsr needs a population source by age and sex")
	}
	if ind.Multiplier == 0 {
		switch ind.Measure {
		case Proportion, RatioToBaseline:
			ind.Multiplier = 100
		case CrudeRate, DSR:
			ind.Multiplier = 100000
		default:
			ind.Multiplier = 1
		}
	} else if ind.Multiplier < 0 {
		l.Add(at("multiplier"), "multiplier %v must be positive", ind.Multiplier)
	}
	switch ind.Polarity {
	case "", "lower_is_better", "higher_is_better", "none":
	default:
		l.Add(at("polarity"), "polarity %q is not lower_is_better, higher_is_better or none", ind.Polarity)
	}
	if ind.Breakdowns == nil {
		ind.Breakdowns = append([]string(nil), BreakdownNames...)
	}
	for i, b := range ind.Breakdowns {
		if !contains(BreakdownNames, b) {
			l.Add(at(fmt.Sprintf("breakdowns[%d]", i)), "breakdown %q is not one of %s", b, strings.Join(BreakdownNames, ", "))
		}
	}
	if ind.AgeBands == nil {
		ind.AgeBands = append([]string(nil), DefaultAgeBands...)
	} else if _, err := ParseAgeBands(ind.AgeBands); err != nil {
		l.Add(at("age_bands"), "%v", err)
	}
	for _, f := range []struct{ key, expr string }{{"filter", ind.Filter}, {"numerator", ind.Numerator}, {"denominator", ind.Denominator}} {
		if strings.Contains(f.expr, ";") {
			l.Add(at(f.key), "%s must be one SQL expression, without ';'", f.key)
		}
	}
	if ind.Population != nil && strings.Contains(ind.Population.Filter, ";") {
		l.Add(at("population.filter"), "population.filter must be one SQL expression, without ';'")
	}
	if ind.SQL != "" {
		if strings.ContainsAny(ind.SQL, `/\`) || !strings.HasSuffix(ind.SQL, ".sql") {
			l.Add(at("sql"), "sql %q must name a .sql file beside the definition, without a folder", ind.SQL)
		} else if _, err := os.Stat(ind.SQLPath()); err != nil {
			l.Add(at("sql"), "sql file %s: %v", ind.SQL, err)
		}
	}
	for _, b := range slices.Sorted(maps.Keys(ind.MeasureByBreakdown)) {
		m := ind.MeasureByBreakdown[b]
		key := "measure_by_breakdown." + b
		switch {
		case !contains(BreakdownNames, b):
			l.Add(at(key), "measure_by_breakdown: %q is not one of %s", b, strings.Join(BreakdownNames, ", "))
		case m != CrudeRate && m != DSR:
			l.Add(at(key), "measure_by_breakdown.%s: %q must be crude_rate or dsr", b, m)
		case ind.Measure != CrudeRate && ind.Measure != DSR:
			l.Add(at(key), "measure_by_breakdown needs a crude_rate or dsr indicator, not %s", ind.Measure)
		case ind.Population == nil:
			l.Add(at(key), "measure_by_breakdown needs a population")
		}
	}
	switch ind.Disclosure {
	case "", "none":
	default:
		l.Add(at("disclosure"), "disclosure %q is not none (leave it out to apply the run's policy)", ind.Disclosure)
	}
	if ind.Unit == "" {
		ind.Unit = DefaultUnit(ind.Measure, ind.Multiplier)
	}
}

// MeasureFor returns the measure of one breakdown ("overall" included).
func (ind *Indicator) MeasureFor(breakdown string) string {
	if m, ok := ind.MeasureByBreakdown[breakdown]; ok {
		return m
	}
	return ind.Measure
}

// Standardised reports whether any breakdown is a directly standardised rate.
func (ind *Indicator) Standardised() bool {
	for _, b := range append([]string{"overall"}, ind.Breakdowns...) {
		if ind.MeasureFor(b) == DSR {
			return true
		}
	}
	return false
}

// inside reports whether p, with symbolic links followed, is a regular
// file inside one of roots (their links followed too).
func inside(p string, roots []string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return true // missing: Parse reports it without reading anything
	}
	if st, err := os.Stat(real); err != nil || !st.Mode().IsRegular() {
		return false
	}
	for _, root := range roots {
		if r, err := filepath.EvalSymlinks(root); err == nil {
			if config.Within(r, real) {
				return true
			}
		}
	}
	return false
}

// SQLPath is the path of the indicator's SQL file.
func (ind *Indicator) SQLPath() string { return filepath.Join(filepath.Dir(ind.File), ind.SQL) }

// OnByDefault reports whether the catalogue switches the indicator on when a
// config says nothing: confirmed and probable indicators are on.
func (ind *Indicator) OnByDefault() bool { return ind.Evidence != "U" }

// Files lists the files that define the indicator (YAML, and SQL if any).
func (ind *Indicator) Files() []string {
	if ind.SQL == "" {
		return []string{ind.File}
	}
	return []string{ind.File, ind.SQLPath()}
}

// DefaultUnit names the unit of a measure's values.
func DefaultUnit(measure string, multiplier float64) string {
	switch measure {
	case Proportion, RatioToBaseline:
		if multiplier == 100 {
			return "%"
		}
	case CrudeRate, DSR:
		return "per " + thousands(multiplier)
	case Count:
		return "count"
	}
	return fmt.Sprintf("× %s", thousands(multiplier))
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// AgeBand is a reporting age band [Lo, Hi]; Hi is -1 for an open band (80+).
type AgeBand struct {
	Label  string
	Lo, Hi int
}

// ParseAgeBands reads labels like "0-17" and "80+": contiguous from 0 and
// ending with an open band.
func ParseAgeBands(labels []string) ([]AgeBand, error) {
	var out []AgeBand
	next := 0
	for i, s := range labels {
		var b AgeBand
		b.Label = s
		if strings.HasSuffix(s, "+") {
			if _, err := fmt.Sscanf(s, "%d+", &b.Lo); err != nil || i != len(labels)-1 {
				return nil, fmt.Errorf("age band %q: only the last band may be open, like 80+", s)
			}
			b.Hi = -1
		} else if n, err := fmt.Sscanf(s, "%d-%d", &b.Lo, &b.Hi); err != nil || n != 2 || b.Hi < b.Lo {
			return nil, fmt.Errorf("age band %q is not like 18-34 or 80+", s)
		}
		if b.Lo != next {
			return nil, fmt.Errorf("age band %q should start at %d: bands must be contiguous from 0", s, next)
		}
		next = b.Hi + 1
		out = append(out, b)
	}
	if len(out) == 0 || out[len(out)-1].Hi != -1 {
		return nil, fmt.Errorf("age bands must end with an open band like 80+")
	}
	return out, nil
}

// DomainOrder is the order of domains in NHS England's statement; other
// domains follow in name order.
var DomainOrder = []string{
	"Elective recovery",
	"Urgent and emergency care for children and young people",
	"Respiratory",
	"Mental health",
	"Cancer",
	"Cardiovascular disease",
	"Diabetes",
	"Oral health",
	"Learning disability and autism",
	"Smoking cessation",
	"Maternity",
}

// Sort orders indicators by domain (DomainOrder), then by id with numbers
// compared as numbers (CVD-2 before CVD-10).
func Sort(inds []*Indicator) {
	rank := func(d string) int {
		for i, x := range DomainOrder {
			if x == d {
				return i
			}
		}
		return len(DomainOrder)
	}
	sort.SliceStable(inds, func(i, j int) bool {
		a, b := inds[i], inds[j]
		if ra, rb := rank(a.Domain), rank(b.Domain); ra != rb {
			return ra < rb
		}
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		return naturalLess(a.ID, b.ID)
	})
}

// naturalLess compares strings with runs of digits compared as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
