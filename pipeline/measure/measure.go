// Package measure turns the transform's numerators and denominators into the
// tidy metrics table: each indicator's value and 95% and 99.8% limits per
// breakdown and group, then the inequality summaries (gap, ratio, SII and RII
// across IMD quintiles; each ethnic group's ratio to White). It applies the
// statistics of package stats and nothing else; disclosure control comes
// after it.
package measure

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"

	"hiis/pipeline/indicator"
	"hiis/pipeline/metrics"
	"hiis/pipeline/stats"
	"hiis/pipeline/transform"
)

// Options are run-wide settings.
type Options struct {
	Period         string // label written in every row
	Organisation   string // code written in every row
	SIIRepetitions int
	Seed           uint64
}

type groupKey struct{ breakdown, group string }

type group struct {
	total  *transform.Cell
	strata []transform.Cell
}

// Compute returns the unsuppressed metrics of every indicator, sorted.
func Compute(inds []*indicator.Indicator, cells []transform.Cell, opt Options) ([]metrics.Row, error) {
	byInd := map[string]map[groupKey]*group{}
	for i := range cells {
		c := cells[i]
		m := byInd[c.Indicator]
		if m == nil {
			m = map[groupKey]*group{}
			byInd[c.Indicator] = m
		}
		k := groupKey{c.Breakdown, c.Group}
		g := m[k]
		if g == nil {
			g = &group{}
			m[k] = g
		}
		if c.Stratum == "" {
			g.total = &cells[i]
		} else {
			g.strata = append(g.strata, c)
		}
	}
	var rows []metrics.Row
	for _, ind := range inds {
		groups := byInd[ind.ID]
		keys := make([]groupKey, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return metrics.Less(metrics.Row{Breakdown: keys[i].breakdown, Group: keys[i].group}, metrics.Row{Breakdown: keys[j].breakdown, Group: keys[j].group})
		})
		var std []stdStratum
		if ind.Standardised() {
			var err error
			if std, err = standard(keys, groups); err != nil {
				return nil, fmt.Errorf("%s: %w", ind.ID, err)
			}
		}
		est := map[groupKey]metrics.Row{}
		for _, k := range keys {
			g := groups[k]
			r, err := estimate(ind, k, g, std)
			if err != nil {
				return nil, fmt.Errorf("%s %s %s: %w", ind.ID, k.breakdown, k.group, err)
			}
			r.IndicatorID, r.Breakdown, r.Group = ind.ID, k.breakdown, k.group
			est[k] = r
			rows = append(rows, r)
		}
		sum, err := summaries(ind, est, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ind.ID, err)
		}
		rows = append(rows, sum...)
	}
	for i := range rows {
		rows[i].Period, rows[i].Organisation = opt.Period, opt.Organisation
	}
	metrics.Sort(rows)
	return rows, nil
}

func fromEstimate(e stats.Estimate) metrics.Row {
	return metrics.Row{Value: e.Value, Lower95: e.Lower95, Upper95: e.Upper95, Lower998: e.Lower998, Upper998: e.Upper998, Method: e.Method, Note: e.Note}
}

func toEstimate(r metrics.Row) stats.Estimate {
	return stats.Estimate{Value: r.Value, Lower95: r.Lower95, Upper95: r.Upper95, Lower998: r.Lower998, Upper998: r.Upper998, Method: r.Method}
}

func missing(note string) metrics.Row {
	na := math.NaN()
	return metrics.Row{Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na, Note: note}
}

// Computed returns the measure Compute computes for the group rows of one
// breakdown of ind: ind.MeasureFor(breakdown), except that the age bands of a
// dsr are crude rates within the band (a band is too narrow to standardise).
// Disclosure control needs exactly this: a crude rate gives its numerator
// back (rate × denominator) when the numerator is suppressed, a DSR does not.
func Computed(ind *indicator.Indicator, breakdown string) string {
	m := ind.MeasureFor(breakdown)
	if m == indicator.DSR && breakdown == metrics.AgeBand {
		return indicator.CrudeRate
	}
	return m
}

// estimate computes one group's value; std is the indicator's standard (nil
// unless a breakdown is a dsr).
func estimate(ind *indicator.Indicator, k groupKey, g *group, std []stdStratum) (metrics.Row, error) {
	num, den := math.NaN(), math.NaN()
	if g.total != nil {
		num, den = g.total.Numerator, g.total.Denominator
	}
	var r metrics.Row
	measure := Computed(ind, k.breakdown)
	switch {
	case g.total == nil:
		r = missing("no rows for this group")
	case measure == indicator.Count:
		r = countRow(num)
	case ind.Population != nil && unmatched(k) != "":
		// Events whose LSOA, ethnicity, age or sex is unknown have no
		// matching population: a rate would divide unlike things.
		r = missing("no rate: " + unmatched(k) + " not recorded, so no population matches")
	case math.IsNaN(den) || den <= 0:
		r = missing("no denominator for this group")
	case measure == indicator.Proportion:
		if num > den {
			// No numbers in the note: they would pass disclosure control.
			r = missing("numerator exceeds denominator")
			break
		}
		e, err := stats.Proportion(num, den, ind.Multiplier)
		if err != nil {
			return r, err
		}
		r = fromEstimate(e)
	case measure == indicator.CrudeRate:
		e, err := stats.Rate(num, den, ind.Multiplier)
		if err != nil {
			return r, err
		}
		r = fromEstimate(e)
		if ind.MeasureFor(k.breakdown) == indicator.DSR {
			r.Note = "crude rate within the age band"
		}
	case measure == indicator.RatioToBaseline:
		r = fromEstimate(ratioOfCounts(num, den, ind.Multiplier))
	case measure == indicator.DSR:
		var err error
		r, err = dsr(ind, k, g, std, num)
		if err != nil {
			return r, err
		}
	default:
		return r, fmt.Errorf("measure %q is not computed", measure)
	}
	r.Numerator, r.Denominator = num, den
	return r, nil
}

// countRow is an event count with Poisson limits.
func countRow(x float64) metrics.Row {
	l95, u95, method := stats.CountLimits(x, stats.Conf95)
	l998, u998, _ := stats.CountLimits(x, stats.Conf998)
	return metrics.Row{Value: x, Lower95: l95, Upper95: u95, Lower998: l998, Upper998: u998, Method: method}
}

// ratioOfCounts is a/b × m with a log-scale interval from each count's
// Poisson limits: activity now against a baseline period.
func ratioOfCounts(a, b, m float64) stats.Estimate {
	ea, eb := countEstimate(a), countEstimate(b)
	e := stats.RatioOf(ea, eb)
	e.Value, e.Lower95, e.Upper95, e.Lower998, e.Upper998 = e.Value*m, e.Lower95*m, e.Upper95*m, e.Lower998*m, e.Upper998*m
	e.Method = "ratio of counts, log-normal interval from Poisson limits"
	return e
}

func countEstimate(x float64) stats.Estimate {
	r := countRow(x)
	return toEstimate(r)
}

// unmatched names the unknown field of a group that collects records with
// it unknown ("" for a real group).
func unmatched(k groupKey) string {
	switch {
	case k.breakdown == metrics.IMDQuintile && k.group == "Unknown":
		return "LSOA"
	case k.breakdown == metrics.AgeBand && k.group == "Unknown":
		return "age"
	case k.breakdown == metrics.Ethnic && ethnicUnrecorded[k.group]:
		return "ethnicity"
	case k.breakdown == metrics.Sex && k.group == "Other or not known":
		return "sex (male or female)"
	}
	return ""
}

// ethnicUnrecorded are the ethnic groups whose standardised rates are not
// published (METHODS.md): their people cannot be placed in a group.
var ethnicUnrecorded = map[string]bool{"Not stated": true, "Not known": true}

// stdStratum is one age–sex stratum of an indicator's standard.
type stdStratum struct {
	key  string // as in transform.Cell.Stratum: "Male|0-4"
	sex  string // "Male"
	band int    // index in stats.ESPBandLabels
}

// parseStratum splits a stratum label "sex|band" (a label without "|" is a
// band alone, with sex "").
func parseStratum(label string) (stdStratum, error) {
	sex, band := "", label
	if i := strings.IndexByte(label, '|'); i >= 0 {
		sex, band = label[:i], label[i+1:]
	}
	b := bandIndex(band)
	if b < 0 {
		return stdStratum{}, fmt.Errorf("unknown age band %q in stratum %q", band, label)
	}
	return stdStratum{key: label, sex: sex, band: b}, nil
}

// standard returns the age–sex strata over which every group of an indicator
// is standardised: those with population > 0 in the indicator's overall
// group, so that an indicator whose population filter restricts it (children
// only, people aged 35 and over) is standardised over its own age range, and
// every group over the same one. When no overall group has strata (the
// overall measure is a crude rate and only some breakdowns are dsrs, so the
// transform did not stratify it) they are the strata with population > 0 in
// any group: each standardised breakdown partitions the overall population,
// so that is the same set. The strata are in a fixed order, ESP band then
// sex (Male, Female, then others by name), so that sums do not depend on the
// order of the cells.
func standard(keys []groupKey, groups map[groupKey]*group) ([]stdStratum, error) {
	collect := func(overallOnly bool) ([]stdStratum, bool, error) {
		seen := map[string]bool{}
		var out []stdStratum
		found := false
		for _, k := range keys {
			if overallOnly && k.breakdown != metrics.Overall {
				continue
			}
			for _, c := range groups[k].strata {
				found = true
				s, err := parseStratum(c.Stratum)
				if err != nil {
					return nil, false, err
				}
				if c.Denominator > 0 && !seen[s.key] {
					seen[s.key] = true
					out = append(out, s)
				}
			}
		}
		return out, found, nil
	}
	std, found, err := collect(true)
	if err == nil && !found {
		std, _, err = collect(false)
	}
	if err != nil {
		return nil, err
	}
	sexRank := func(s string) int {
		for i, x := range metrics.SexOrder {
			if x == s {
				return i
			}
		}
		return len(metrics.SexOrder)
	}
	sort.Slice(std, func(i, j int) bool {
		a, b := std[i], std[j]
		if a.band != b.band {
			return a.band < b.band
		}
		if ra, rb := sexRank(a.sex), sexRank(b.sex); ra != rb {
			return ra < rb
		}
		return a.key < b.key
	})
	return std, nil
}

// Notes on events a DSR leaves out. They carry no numbers: a count in a note
// would pass disclosure control untouched.
const (
	noteUnknownAgeSex = "some events with unknown age or sex were not standardised"
	noteNoPopulation  = "some events in age–sex strata with no population were not standardised"
	noteOutsideStd    = "some events in age–sex strata outside the indicator's standard population were not standardised"
)

// dsr standardises a group with the ESP 2013 weights over the whole standard
// std (for the sex breakdown, the strata of the group's sex): a stratum the
// group lacks, or in which it has no population, keeps its weight in Σw and
// adds nothing to the rate, so every group is standardised to the same
// population and groups are comparable. Events in a stratum where the group
// has no population, or outside the standard, cannot be standardised: they
// are left out, with a note. Age bands are not standardised (see Computed).
func dsr(ind *indicator.Indicator, k groupKey, g *group, std []stdStratum, num float64) (metrics.Row, error) {
	type agg struct{ count, pop float64 }
	have := map[string]*agg{}
	var order []string
	for _, c := range g.strata {
		if _, err := parseStratum(c.Stratum); err != nil {
			return metrics.Row{}, err
		}
		x, n := c.Numerator, c.Denominator
		if math.IsNaN(x) {
			x = 0
		}
		if x < 0 {
			return metrics.Row{}, fmt.Errorf("stratum %q: count %g is negative", c.Stratum, x)
		}
		if math.IsNaN(n) {
			n = 0
		}
		a := have[c.Stratum]
		if a == nil {
			a = &agg{}
			have[c.Stratum] = a
			order = append(order, c.Stratum)
		}
		a.count += x
		a.pop += n
	}
	var strata []stats.Stratum
	inStd := map[string]bool{}
	var used, lost, outside float64
	withPop := false
	for _, s := range std {
		if k.breakdown == metrics.Sex && s.sex != k.group {
			continue
		}
		inStd[s.key] = true
		w := stats.ESP2013[s.band]
		a := have[s.key]
		if a == nil || !(a.pop > 0) {
			if a != nil {
				lost += a.count
			}
			strata = append(strata, stats.Stratum{Count: 0, Pop: 0, StdPop: w})
			continue
		}
		withPop = true
		used += a.count
		strata = append(strata, stats.Stratum{Count: a.count, Pop: a.pop, StdPop: w})
	}
	for _, key := range order {
		if a := have[key]; !inStd[key] {
			if a.pop > 0 {
				outside += a.count
			} else {
				lost += a.count
			}
		}
	}
	if !withPop {
		return missing("no population by age and sex for this group"), nil
	}
	e, err := stats.DSR(strata, ind.Multiplier)
	if err != nil {
		return metrics.Row{}, err
	}
	r := fromEstimate(e)
	var notes []string
	if r.Note != "" {
		notes = append(notes, r.Note)
	}
	if num-used-lost-outside > 0 {
		notes = append(notes, noteUnknownAgeSex)
	}
	if lost > 0 {
		notes = append(notes, noteNoPopulation)
	}
	if outside > 0 {
		notes = append(notes, noteOutsideStd)
	}
	r.Note = strings.Join(notes, "; ")
	return r, nil
}

func bandIndex(label string) int {
	for i, l := range stats.ESPBandLabels {
		if l == label {
			return i
		}
	}
	return -1
}

// summaries computes the IMD gap, ratio, SII and RII and the ethnic ratios.
func summaries(ind *indicator.Indicator, est map[groupKey]metrics.Row, opt Options) ([]metrics.Row, error) {
	var out []metrics.Row
	add := func(breakdown, grp string, r metrics.Row) {
		r.IndicatorID, r.Breakdown, r.Group = ind.ID, breakdown, grp
		r.Numerator, r.Denominator = math.NaN(), math.NaN()
		out = append(out, r)
	}
	if ind.Measure == indicator.Count {
		return nil, nil // counts have no common denominator to compare
	}
	q := func(n string) (metrics.Row, bool) {
		r, ok := est[groupKey{metrics.IMDQuintile, n}]
		return r, ok && !math.IsNaN(r.Value)
	}
	q1, ok1 := q("1")
	q5, ok5 := q("5")
	if ok1 && ok5 {
		gap := fromEstimate(stats.Difference(toEstimate(q1), toEstimate(q5)))
		gap.Method = "difference, normal approximation"
		gap.Note = significance(gap, 0, "quintile 1 minus quintile 5")
		add(metrics.IMDSummary, metrics.GroupGap, gap)
		ratio := missing("undefined: quintile 5 is 0")
		if q5.Value != 0 {
			ratio = fromEstimate(stats.RatioOf(toEstimate(q1), toEstimate(q5)))
			ratio.Method = "ratio, log-normal approximation"
			ratio.Note = significance(ratio, 1, "quintile 1 / quintile 5")
		}
		add(metrics.IMDSummary, metrics.GroupRatio, ratio)
	} else if hasBreakdown(est, metrics.IMDQuintile) {
		add(metrics.IMDSummary, metrics.GroupGap, missing("needs values for quintiles 1 and 5"))
		add(metrics.IMDSummary, metrics.GroupRatio, missing("needs values for quintiles 1 and 5"))
	}
	if hasBreakdown(est, metrics.IMDQuintile) && ind.Measure == indicator.RatioToBaseline {
		// The SII weights quintiles by their population; a ratio to a
		// baseline period has activity, not people, as its denominator.
		add(metrics.IMDSummary, metrics.GroupSII, missing("not computed: a ratio to a baseline has no population to weight the quintiles"))
		add(metrics.IMDSummary, metrics.GroupRII, missing("not computed: a ratio to a baseline has no population to weight the quintiles"))
	} else if hasBreakdown(est, metrics.IMDQuintile) {
		sii, rii := slope(ind, est, opt)
		add(metrics.IMDSummary, metrics.GroupSII, sii)
		add(metrics.IMDSummary, metrics.GroupRII, rii)
	}
	white, okW := est[groupKey{metrics.Ethnic, "White"}]
	if okW && !math.IsNaN(white.Value) {
		for _, g := range metrics.EthnicGroupOrder {
			if g == "White" || ethnicUnrecorded[g] {
				continue
			}
			r, ok := est[groupKey{metrics.Ethnic, g}]
			if !ok {
				continue
			}
			var ratio metrics.Row
			if math.IsNaN(r.Value) {
				ratio = missing("no value for this group")
			} else if white.Value == 0 {
				ratio = missing("undefined: the White group's value is 0")
			} else {
				ratio = fromEstimate(stats.RatioOf(toEstimate(r), toEstimate(white)))
				ratio.Method = "ratio, log-normal approximation"
				ratio.Note = significance(ratio, 1, g+" / White")
			}
			add(metrics.EthnicRatio, g+" / White", ratio)
		}
	}
	return out, nil
}

func hasBreakdown(est map[groupKey]metrics.Row, b string) bool {
	for k := range est {
		if k.breakdown == b {
			return true
		}
	}
	return false
}

// significance says whether the 95% interval excludes the null value.
func significance(r metrics.Row, null float64, what string) string {
	switch {
	case math.IsNaN(r.Lower95) || math.IsNaN(r.Upper95):
		return ""
	case r.Lower95 > null:
		return "95% interval lies wholly above " + metrics.FormatNumber(null)
	case r.Upper95 < null:
		return "95% interval lies wholly below " + metrics.FormatNumber(null)
	}
	return "95% interval includes " + metrics.FormatNumber(null) + ": no significant difference"
}

// slope fits the SII and RII over the five IMD quintiles (METHODS.md).
func slope(ind *indicator.Indicator, est map[groupKey]metrics.Row, opt Options) (sii, rii metrics.Row) {
	var groups []stats.SIIGroup
	vt, scale := stats.ValueRate, 1.0
	if ind.Measure == indicator.Proportion {
		vt, scale = stats.ValueProportion, ind.Multiplier
	}
	for n := 1; n <= 5; n++ {
		r, ok := est[groupKey{metrics.IMDQuintile, fmt.Sprint(n)}]
		if !ok || math.IsNaN(r.Value) || math.IsNaN(r.Lower95) || math.IsNaN(r.Upper95) || math.IsNaN(r.Denominator) || r.Denominator <= 0 {
			return missing("needs a value with a 95% interval in all five quintiles"), missing("needs a value with a 95% interval in all five quintiles")
		}
		if v := r.Value / scale; v <= 0 || (vt == stats.ValueProportion && v >= 1) {
			note := fmt.Sprintf("not computed: quintile %d's value is %s, and the SII's simulation works on the log or logit scale", n, metrics.FormatNumber(r.Value))
			return missing(note), missing(note)
		}
		groups = append(groups, stats.SIIGroup{Quantile: n, Population: r.Denominator,
			Value: r.Value / scale, LowerCL: r.Lower95 / scale, UpperCL: r.Upper95 / scale, SE: math.NaN()})
	}
	h := fnv.New64a()
	h.Write([]byte(ind.ID))
	res, err := stats.SII(groups, stats.SIIOptions{ValueType: vt, Multiplier: scale, Repetitions: opt.SIIRepetitions,
		Confidence: []float64{stats.Conf95, stats.Conf998}, Seed: opt.Seed ^ h.Sum64()})
	if err != nil {
		return missing("not computed: " + err.Error()), missing("not computed: " + err.Error())
	}
	method := fmt.Sprintf("SII, simulated limits (%d repetitions)", opt.SIIRepetitions)
	sii = metrics.Row{Value: res.SII, Method: method}
	rii = metrics.Row{Value: res.RII, Method: strings.Replace(method, "SII", "RII", 1)}
	for _, l := range res.Limits {
		switch l.Confidence {
		case stats.Conf95:
			sii.Lower95, sii.Upper95, rii.Lower95, rii.Upper95 = l.SIILower, l.SIIUpper, l.RIILower, l.RIIUpper
		case stats.Conf998:
			sii.Lower998, sii.Upper998, rii.Lower998, rii.Upper998 = l.SIILower, l.SIIUpper, l.RIILower, l.RIIUpper
		}
	}
	sii.Note = significance(sii, 0, "SII")
	rii.Note = significance(rii, 1, "RII")
	return sii, rii
}
