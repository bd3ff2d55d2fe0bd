// Package disclose applies disclosure control to the tidy metrics table
// before it is published: small counts are suppressed, other counts rounded
// (under the default rule), the statistics that would reveal a suppressed count
// are withheld, and, with secondary suppression (the default of the rules that
// do not round, an opt-in under the default rule), a second group is
// suppressed where one hidden count could otherwise be recovered by
// subtraction from the total (METHODS.md, "Disclosure control").
//
// Apply is a pure function: it never changes its input, and the same rows,
// policy and measure function always give the same output, in the same order.
//
// # What is a count
//
// The count cells of a row are its Numerator and Denominator (a population
// denominator is a count like any other) in the group breakdowns: overall,
// imd_quintile, ethnic_group, age_band, sex, and any breakdown name this
// package does not know (treated as a group breakdown, so a new breakdown is
// protected by default). A count c is in the suppression range when
// 0 < |c| < 8 (nhs_digital), 5 (below5) or 10 (below10); for whole counts that
// is 1–7, 1–4 and 1–9, and a fractional "count" such as an expected count of
// 0.4 below the threshold is suppressed too. 0 stays 0; NaN (missing upstream)
// stays NaN and is not counted as suppressed. Under nhs_digital every other
// count is rounded to the nearest 5 with math.Round(c/5)*5 (halves away from
// zero).
//
// # What a suppressed count hides
//
// A suppressed numerator or denominator withholds the row's Value and its four
// confidence limits, whatever the measure. That includes a directly
// standardised rate: its 95% and 99.8% limits together give back its event
// count (the Byar factors of the Dobson limits depend on the count alone), so
// a DSR whose count is withheld is withheld too. Values are computed upstream
// from unrounded counts and are otherwise left as they are, with one
// exception: the Value of a count measure is itself a count, so it follows the
// count rule too (suppressed in the range, rounded under nhs_digital); its
// limits, like every other statistic, stay as computed from the unrounded
// count. A DSR that is already NaN upstream (fewer than 10 events) keeps its
// note.
//
// Apply still asks the caller's measure function for the measure of each
// indicator × breakdown, and checks it: the age bands of a dsr are crude
// rates within the band, and an indicator may be a crude rate overall but a
// dsr by ethnic group (measure_by_breakdown); the count measure's value is a
// count.
//
// # Secondary suppression
//
// Policy.Secondary switches it on. PolicyFor turns it on by default for the
// below5 and below10 rules, which do not round, and off for nhs_digital:
// NHS Digital's rule publishes every value and interval computed from the
// unrounded counts and adds no secondary suppression, its rounding to 5
// taking the place of it, so under the default rule no complement is ever
// withheld. A body may switch it on under nhs_digital too (the recovery
// guard, below).
//
// Under below5 and below10 it is blanket: within one indicator × breakdown
// (for each count column separately) where the total is known and exactly one
// group's count was suppressed by this package, the published group with the
// smallest unrounded nonzero count is suppressed too (ties by group label); a
// group with a published 0 is chosen only when no nonzero group is left. The
// total is known when the indicator's overall row has that count published,
// or when the indicator has no overall row at all (the total might then be
// derived from another breakdown, so this is the cautious reading). The
// overall breakdown itself is the total and is never secondarily suppressed.
// "Unknown", "Not stated" and "Not known" groups are groups like any other.
// Secondary suppression of a count has the same consequences for the value as
// primary suppression.
//
// # Counts pinned by subtraction (the recovery guard)
//
// Rounding alone does not stop recovery by subtraction. Values and limits are
// computed from the unrounded counts and published in full, and a value with
// its 95% and 99.8% limits gives its row's exact counts back (only one pair
// within the rounding reproduces a Wilson interval, a crude rate's Poisson
// limits, or the Byar factors of a DSR's Dobson limits, which give the event
// count); then the total minus the other groups gives a lone withheld group.
// Even rounded counts alone pin a count at the edges: 200 stands for 198–202,
// 90 for 88–92 and 115 for 113–117, leaving at most 1 for a withheld group.
// So with secondary suppression on, under nhs_digital (where it is the only
// secondary suppression) as under below5 and below10 (where several withheld
// counts can still be pinned, say three withheld groups whose sum is 3),
// Apply checks each indicator × breakdown with a published total. It reads
// each published count as exact when its row publishes a value and limits (a
// DSR's population excepted) and otherwise as the whole counts its rounding
// leaves, each primary-withheld count as 1 to the rule's limit, and a
// secondarily withheld one as what its choice says (from the limit up to the
// smallest nonzero group still published, or 0 upwards when none is); when
// some withheld count has a single possible value, the next-smallest
// published group is suppressed as above, until none has. This adds cells
// only where a count would otherwise be recovered. Under the nhs_digital
// default none of this is done, as NHS Digital's rule publishes, so such a
// count may be worked out (on the fixture run, 25 of the 117 withheld).
//
// # Summary rows
//
// A summary row is withheld (value and limits NaN) when a group value it is
// computed from is withheld: flagged Suppressed with a NaN value in the
// output, whether this package or an upstream rule (a DSR on fewer than 10
// events) withheld it. A row of breakdown "change" (the change since last
// year) is a summary too: the change in the overall value ("overall" or
// "All") follows the overall row, the change in the gap (gap_q1_q5) follows
// quintiles 1 and 5, any other change both. The IMD gap and ratio (gap_q1_q5, ratio_q1_q5) use
// quintiles 1 and 5; the SII and RII use quintiles 1 to 5; an imd_summary row
// of any other name is read cautiously as using every imd_quintile row,
// Unknown included. The Unknown quintile (no or unmatched LSOA) is in no
// gap, ratio, SII or RII, so its suppression withholds none of them. An
// ethnic_ratio row "<group> / White" is withheld when the ethnic_group row of
// that group or of White has a withheld value. Summary rows normally carry no
// counts; if they do, the counts follow the count rule but do not affect the
// summary value.
//
// # Flags and notes
//
// A row on which this package turned at least one number into NaN gets
// Suppressed = true and a note such as "suppressed: numerator 1–7
// (nhs_digital rule)" or "suppressed: secondary, to protect another cell",
// appended after any note the row already had ("; " between them). Rounding
// alone sets no flag or note; the methods sentence from Describe states it.
// Suppressed and Note of rows this package does not change are kept.
//
// Rows are grouped by organisation, period and indicator, so one table may
// hold several organisations' statements.
package disclose

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"hiis/pipeline/metrics"
)

// Rule names a disclosure rule.
type Rule string

// The disclosure rules a run configuration may name.
const (
	// NHSDigital is the default: counts 1–7 are suppressed, other counts are
	// rounded to the nearest 5, 0 stays 0.
	NHSDigital Rule = "nhs_digital"
	// Below5 suppresses counts 1–4 and does not round.
	Below5 Rule = "below5"
	// Below10 suppresses counts 1–9 and does not round.
	Below10 Rule = "below10"
)

// ParseRule validates a rule name from a config. The empty string is the
// default, NHSDigital. Names are case-sensitive; any other name is an error.
func ParseRule(s string) (Rule, error) {
	switch r := Rule(s); r {
	case "":
		return NHSDigital, nil
	case NHSDigital, Below5, Below10:
		return r, nil
	}
	return "", fmt.Errorf("unknown disclosure rule %q (want %s, %s or %s)", s, NHSDigital, Below5, Below10)
}

// Policy is the configured disclosure control. The zero Policy is the
// NHSDigital rule without secondary suppression, as NHS Digital publishes it.
// Secondary with NHSDigital adds the recovery guard only (complements where a
// withheld count could be solved back exactly); with Below5 or Below10 it
// also protects every lone withheld group. PolicyFor builds a Policy from a
// config's keys with the defaults.
type Policy struct {
	Rule      Rule // "" means NHSDigital
	Secondary bool // secondary suppression (see the package documentation)
}

// PolicyFor returns the policy a config names: rule as ParseRule reads it,
// and secondary the config's `secondary:` key (nil when absent). Secondary
// suppression defaults to on for Below5 and Below10, which do not round, and
// to off for NHSDigital, whose rounding to 5 takes its place; either default
// may be overridden (`secondary: true` under NHSDigital adds the recovery
// guard). Errors: an unknown rule (as ParseRule).
func PolicyFor(rule string, secondary *bool) (Policy, error) {
	r, err := ParseRule(rule)
	if err != nil {
		return Policy{}, err
	}
	p := Policy{Rule: r, Secondary: r != NHSDigital}
	if secondary != nil {
		p.Secondary = *secondary
	}
	return p, nil
}

// Measure kinds decide what a suppressed count hides.
type Measure string

// The measure kinds of the indicator definitions.
const (
	Proportion      Measure = "proportion"
	CrudeRate       Measure = "crude_rate"
	DSR             Measure = "dsr"   // directly standardised rate
	CountMeasure    Measure = "count" // event count: the value is a count too (Count is the rule for one count)
	RatioToBaseline Measure = "ratio_to_baseline"
	Mean            Measure = "mean"
)

func (m Measure) valid() bool {
	switch m {
	case Proportion, CrudeRate, DSR, CountMeasure, RatioToBaseline, Mean:
		return true
	}
	return false
}

// params are a rule's numbers.
type params struct {
	rule  Rule
	limit float64 // counts with 0 < |c| < limit are suppressed
	round bool    // round other counts to the nearest 5
	span  string  // the suppressed whole counts, for notes
}

func paramsFor(r Rule) (params, error) {
	switch r {
	case "", NHSDigital:
		return params{rule: NHSDigital, limit: 8, round: true, span: "1–7"}, nil
	case Below5:
		return params{rule: Below5, limit: 5, span: "1–4"}, nil
	case Below10:
		return params{rule: Below10, limit: 10, span: "1–9"}, nil
	}
	return params{}, fmt.Errorf("unknown disclosure rule %q (want %s, %s or %s)", r, NHSDigital, Below5, Below10)
}

// Count applies rule r to one count, as Apply does to the numerators and
// denominators of the metrics table, so that other published counts
// (data-quality tables, population context) follow the same rule. It returns
// the published value and whether the count was withheld (then published is
// NaN). NaN (missing) stays NaN and is not withheld; 0 stays 0; a count with
// 0 < |v| below the rule's threshold (8, 5 or 10) is withheld; under
// NHSDigital ("" included) any other count is rounded to the nearest 5 with
// math.Round(v/5)*5, under Below5 and Below10 it is kept as it is.
//
// An unknown rule (one ParseRule rejects) withholds every count that is not
// NaN: the rule is not known, so nothing can be shown safely.
func Count(v float64, r Rule) (published float64, withheld bool) {
	p, err := paramsFor(r)
	if err != nil {
		if math.IsNaN(v) {
			return v, false
		}
		return math.NaN(), true
	}
	return p.count(v)
}

// count applies the rule to one count: the published value and whether it
// was suppressed (see Count).
func (p params) count(v float64) (float64, bool) {
	if math.IsNaN(v) || v == 0 {
		return v, false
	}
	if math.Abs(v) < p.limit {
		return math.NaN(), true
	}
	if p.round {
		return math.Round(v/5) * 5, false
	}
	return v, false
}

// Describe returns one sentence for the statement's methods section stating
// the rule used, what it withholds and whether secondary suppression was
// applied. An unknown rule gives a sentence saying so (Apply would have
// refused it).
func Describe(p Policy) string {
	pr, err := paramsFor(p.Rule)
	if err != nil {
		return fmt.Sprintf("Disclosure control named an unrecognised rule %q.", string(p.Rule))
	}
	var b strings.Builder
	switch pr.rule {
	case NHSDigital:
		b.WriteString("Following NHS Digital's rule for hospital data, counts of 1 to 7 are suppressed (shown as *) and all other counts are rounded to the nearest 5, with 0 shown as 0")
	case Below5:
		b.WriteString("Counts of 1 to 4 are suppressed (shown as *) and other counts are shown unrounded")
	case Below10:
		b.WriteString("Counts of 1 to 9 are suppressed (shown as *) and other counts are shown unrounded")
	}
	b.WriteString("; proportions, rates, ratios and means are calculated from unrounded counts and suppressed, with their confidence intervals, where a count they use is suppressed; directly standardised rates are not published when based on fewer than 10 events; a gap, ratio or slope index between groups is suppressed when a group value it uses is suppressed")
	switch {
	case p.Secondary && pr.round:
		b.WriteString("; and, going further than NHS Digital's rule, where the published counts, values and intervals would otherwise let a suppressed count be worked out exactly from the total, the next-smallest group is suppressed too")
	case p.Secondary:
		b.WriteString("; and where a single group in a breakdown is suppressed, or the published figures would otherwise let a suppressed count be worked out from the total, the next-smallest group is suppressed too")
	case pr.round:
		b.WriteString("; no other group is suppressed to protect a suppressed count (no secondary suppression), as NHS Digital's rule allows, because rounding every count to 5 takes its place")
	default:
		b.WriteString("; no other group is suppressed to protect a suppressed count (secondary suppression is switched off)")
	}
	b.WriteString(".")
	return b.String()
}

// Setting returns one sentence for the data pack's README stating the
// configuration keys that chose p and what the other setting of
// `disclosure.secondary` would do, so an analyst knows the option exists. An
// unknown rule gives a sentence saying so.
func Setting(p Policy) string {
	pr, err := paramsFor(p.Rule)
	if err != nil {
		return fmt.Sprintf("Disclosure control named an unrecognised rule %q.", string(p.Rule))
	}
	keys := fmt.Sprintf("disclosure.rule %s, disclosure.secondary %v", pr.rule, p.Secondary)
	if p.Secondary == !pr.round {
		keys += " (the default)"
	}
	switch {
	case pr.round && p.Secondary:
		return keys + ": the recovery guard is on, beyond NHS Digital's rule; with secondary false no group would be withheld to protect another."
	case pr.round:
		return keys + ": no secondary suppression, as NHS Digital's rule allows; secondary true would add the recovery guard, withholding the next-smallest group wherever a withheld count could be worked out exactly from the total and the published counts, values and intervals."
	case p.Secondary:
		return keys + ": where one group in a breakdown is withheld the next-smallest is withheld too; with secondary false it would not be."
	}
	return keys + ": secondary suppression is switched off, so a lone withheld group may be worked out from the total by subtraction."
}

// Notes this package writes.
const (
	noteSecondary = "secondary, to protect another cell"
	noteIMD       = "an IMD quintile's value is suppressed"
	noteEthnic    = "this group's or the White group's value is suppressed"
	noteChange    = "this year's value is suppressed"
)

// state records what Apply did to one row.
type state struct {
	num, den, val  bool   // suppressed by the rule (primary)
	numSec, denSec bool   // suppressed to protect another cell
	summary        string // reason a summary row was withheld
}

func (s state) secondary(col int) bool {
	if col == 0 {
		return s.numSec
	}
	return s.denSec
}

func (s state) countSuppressed(col int) bool {
	if col == 0 {
		return s.num || s.numSec
	}
	return s.den || s.denSec
}

type indKey struct{ org, period, ind string }

type bdKey struct {
	indKey
	bd string
}

func isSummary(bd string) bool {
	return bd == metrics.IMDSummary || bd == metrics.EthnicRatio || bd == changeBreakdown
}

// changeBreakdown holds the change since last year: this year's overall
// value or IMD gap against last year's.
const changeBreakdown = "change"

// countCell returns a pointer to count column col (0 numerator, 1 denominator).
func countCell(r *metrics.Row, col int) *float64 {
	if col == 0 {
		return &r.Numerator
	}
	return &r.Denominator
}

// table indexes rows by indicator × breakdown: the rows of breakdown b are
// members[start[b]:start[b+1]], in input order.
type table struct {
	ids     map[bdKey]int
	keys    []bdKey
	measure []Measure // per indicator × breakdown, its measure
	start   []int
	members []int
}

// measureOf returns the measure of an indicator's breakdown ("" if it has
// no rows).
func (t *table) measureOf(k indKey, bd string) Measure {
	if b, ok := t.ids[bdKey{k, bd}]; ok {
		return t.measure[b]
	}
	return ""
}

func (t *table) rowsOf(k bdKey) []int {
	b, ok := t.ids[k]
	if !ok {
		return nil
	}
	return t.members[t.start[b]:t.start[b+1]]
}

// index builds the table and checks measures and duplicate rows. measureOf
// is called once per indicator × breakdown (nil: no row has a measure).
func index(rows []metrics.Row, measureOf func(indicatorID, breakdown string) Measure) (*table, error) {
	t := &table{ids: make(map[bdKey]int)}
	of := make([]int, len(rows))
	for i := range rows {
		r := &rows[i]
		k := bdKey{indKey{r.Organisation, r.Period, r.IndicatorID}, r.Breakdown}
		b, ok := t.ids[k]
		if !ok {
			var m Measure
			if measureOf != nil {
				m = measureOf(r.IndicatorID, r.Breakdown)
			}
			if m == "" {
				return nil, fmt.Errorf("indicator %q has no measure for breakdown %q", r.IndicatorID, r.Breakdown)
			}
			if !m.valid() {
				return nil, fmt.Errorf("indicator %q, breakdown %q: unknown measure %q", r.IndicatorID, r.Breakdown, string(m))
			}
			b = len(t.keys)
			t.ids[k] = b
			t.keys = append(t.keys, k)
			t.measure = append(t.measure, m)
		}
		of[i] = b
	}
	t.start = make([]int, len(t.keys)+1)
	for _, b := range of {
		t.start[b+1]++
	}
	for b := range t.keys {
		t.start[b+1] += t.start[b]
	}
	t.members = make([]int, len(rows))
	next := slices.Clone(t.start[:len(t.keys)])
	for i, b := range of {
		t.members[next[b]] = i
		next[b]++
	}
	for b := range t.keys {
		idx := t.members[t.start[b]:t.start[b+1]]
		var seen map[string]int
		if len(idx) > 16 {
			seen = make(map[string]int, len(idx))
		}
		for n, i := range idx {
			g := rows[i].Group
			j := -1
			if seen != nil {
				if k, ok := seen[g]; ok {
					j = k
				}
				seen[g] = i
			} else {
				for _, k := range idx[:n] {
					if rows[k].Group == g {
						j = k
						break
					}
				}
			}
			if j >= 0 {
				r := rows[i]
				return nil, fmt.Errorf("rows %d and %d: duplicate row for organisation %q, period %q, indicator %q, breakdown %q, group %q",
					j+1, i+1, r.Organisation, r.Period, r.IndicatorID, r.Breakdown, r.Group)
			}
		}
	}
	return t, nil
}

// Apply returns the published copy of rows and how many cells it suppressed:
// numbers (numerator, denominator, value, limits) that were present in the
// input and are NaN in the output. The input is not changed; the output has
// the same rows in the same order. See the package documentation for the
// rules.
//
// measureOf returns the measure of the group rows of one indicator's
// breakdown: the measure their Value was computed as, which decides what a
// suppressed count withholds (see "What a suppressed count hides"). It must
// answer for every indicator and breakdown in rows, summary breakdowns
// (imd_summary, ethnic_ratio) included, where any valid measure will do:
// summary rows follow the groups they summarise. For an indicator definition
// that is indicator.MeasureFor(breakdown), except that the age_band rows of a
// dsr are crude rates (measure.Computed gives exactly what package measure
// computed). It is called once per organisation × period × indicator ×
// breakdown, in the order they first appear in rows, and must be
// deterministic; "" means the indicator has no measure.
//
// Errors: an unknown rule; a nil measureOf with rows, or a row whose
// indicator and breakdown have no measure ("") or an unknown measure kind;
// two rows with the same organisation, period, indicator, breakdown and group.
func Apply(rows []metrics.Row, p Policy, measureOf func(indicatorID, breakdown string) Measure) (out []metrics.Row, suppressed int, err error) {
	pr, err := paramsFor(p.Rule)
	if err != nil {
		return nil, 0, err
	}
	t, err := index(rows, measureOf)
	if err != nil {
		return nil, 0, err
	}
	out = make([]metrics.Row, len(rows))
	copy(out, rows)
	st := make([]state, len(rows))
	nt := &notes{pr: pr}

	// Primary suppression and rounding.
	for b, k := range t.keys {
		countValue := !isSummary(k.bd) && t.measure[b] == CountMeasure
		for _, i := range t.members[t.start[b]:t.start[b+1]] {
			r := &out[i]
			r.Numerator, st[i].num = pr.count(r.Numerator)
			r.Denominator, st[i].den = pr.count(r.Denominator)
			if countValue {
				r.Value, st[i].val = pr.count(r.Value)
			}
		}
	}

	// Secondary suppression, and the check that no withheld count is
	// pinned by the total and the other groups.
	for b, k := range t.keys {
		if !p.Secondary || k.bd == metrics.Overall || isSummary(k.bd) {
			continue
		}
		idx := t.members[t.start[b]:t.start[b+1]]
		// The total is the overall breakdown's row (normally group "All").
		total := t.rowsOf(bdKey{k.indKey, metrics.Overall})
		for col := range 2 {
			if len(total) > 0 && math.IsNaN(*countCell(&out[total[0]], col)) {
				continue // total not published: nothing to subtract from
			}
			for {
				n := 0
				for _, i := range idx {
					if st[i].countSuppressed(col) {
						n++
					}
				}
				// Secondary suppression promises that subtraction recovers
				// nothing: every rule checks for pinned counts, and the
				// rules that do not round also protect any lone withheld
				// group. Without it (the nhs_digital default) nothing is
				// added.
				check := len(total) > 0
				lone := !pr.round && n == 1
				if n == 0 || (!lone && !(check && pr.pinned(total[0], t.measureOf(k.indKey, metrics.Overall), t.measure[b], idx, rows, out, st, col))) {
					break
				}
				best := pickComplement(rows, out, st, idx, col)
				if best < 0 {
					break
				}
				*countCell(&out[best], col) = math.NaN()
				if col == 0 {
					st[best].numSec = true
				} else {
					st[best].denSec = true
				}
			}
		}
	}

	// Consequences for values, flags and notes of the group rows.
	for b, k := range t.keys {
		if isSummary(k.bd) {
			continue
		}
		for _, i := range t.members[t.start[b]:t.start[b+1]] {
			s := st[i]
			if s.val || s.num || s.den || s.numSec || s.denSec {
				withhold(&out[i])
			}
			suppressed += finish(&rows[i], &out[i], s, nt)
		}
	}

	// Summary rows, from the group rows' published values.
	hidden := func(i int) bool { return out[i].Suppressed && math.IsNaN(out[i].Value) }
	for b, k := range t.keys {
		if !isSummary(k.bd) {
			continue
		}
		var groups []int
		switch k.bd {
		case metrics.IMDSummary:
			groups = t.rowsOf(bdKey{k.indKey, metrics.IMDQuintile})
		case metrics.EthnicRatio:
			groups = t.rowsOf(bdKey{k.indKey, metrics.Ethnic})
		default:
			groups = append(slices.Clone(t.rowsOf(bdKey{k.indKey, metrics.Overall})), t.rowsOf(bdKey{k.indKey, metrics.IMDQuintile})...)
		}
		note := map[string]string{metrics.IMDSummary: noteIMD, metrics.EthnicRatio: noteEthnic, changeBreakdown: noteChange}[k.bd]
		for _, i := range t.members[t.start[b]:t.start[b+1]] {
			r := &out[i]
			for _, j := range groups {
				if hidden(j) && uses(k.bd, r.Group, &out[j]) {
					st[i].summary = note
				}
			}
			if st[i].summary != "" {
				withhold(r)
			}
			suppressed += finish(&rows[i], r, st[i], nt)
		}
	}
	return out, suppressed, nil
}

// uses reports whether the summary row summary of breakdown bd (imd_summary,
// ethnic_ratio or change) is computed from the group row g: the gap and
// ratio from quintiles 1 and 5, the SII and RII from quintiles 1 to 5, any
// other IMD summary (cautiously) from every quintile row; "<g> / White" from
// g and White; the change in the overall value ("overall" or "All") from the
// overall row, in the gap from quintiles 1 and 5, any other change
// (cautiously) from the overall row and every quintile.
func uses(bd, summary string, g *metrics.Row) bool {
	group := g.Group
	switch bd {
	case metrics.EthnicRatio:
		return group == "White" || group == strings.TrimSuffix(summary, " / White")
	case changeBreakdown:
		switch summary {
		case "overall", metrics.GroupAll:
			return g.Breakdown == metrics.Overall
		case metrics.GroupGap:
			return g.Breakdown == metrics.IMDQuintile && (group == "1" || group == "5")
		}
		return true
	}
	switch summary {
	case metrics.GroupGap, metrics.GroupRatio:
		return group == "1" || group == "5"
	case metrics.GroupSII, metrics.GroupRII:
		return len(group) == 1 && group >= "1" && group <= "5"
	}
	return true
}

// published returns the whole counts a published count c may stand for:
// c itself, or under a rounding rule c ± 2 and at least the rule's limit
// (0 is exact).
func (p params) published(c float64) (lo, hi float64) {
	if !p.round || c == 0 {
		return c, c
	}
	return max(c-2, math.Ceil(p.limit)), c + 2
}

// exact returns the whole counts published count column col of row i may
// stand for, as an attacker reads it. A row whose value and limits are
// published gives its counts back exactly: the value and its 95% and 99.8%
// limits are computed from the unrounded counts and published in full, and
// only one pair of counts within the rounding reproduces them (a Wilson
// interval, a crude rate's Poisson limits, the Byar factors of a DSR's Dobson
// limits, which give its event count but not its population). Otherwise the
// count stands for what the rule's rounding leaves.
func (p params) exact(in, out *metrics.Row, m Measure, col int) (lo, hi float64) {
	c := *countCell(out, col)
	if !math.IsNaN(out.Value) && !math.IsNaN(out.Lower95) && m != CountMeasure && !(m == DSR && col == 1) {
		c = *countCell(in, col)
		return c, c
	}
	return p.published(c)
}

// pinned reports whether some count of column col that this package withheld
// in the breakdown idx (of measure m, with total row total of measure mt) is
// determined by subtraction: the total minus the published groups, each read
// as the counts it may stand for (exact), leaves a sum for the withheld ones,
// and with each primary-suppressed count known to lie in 1 to the limit (a
// secondary one in 0 upwards, a count missing upstream unknown), one of them
// has a single possible value.
func (p params) pinned(total int, mt, m Measure, idx []int, in, out []metrics.Row, st []state, col int) bool {
	const unbounded = 1 << 50
	tlo, thi := p.exact(&in[total], &out[total], mt, col)
	// A secondarily withheld count was the smallest nonzero group left when
	// it was chosen: while a nonzero group is still published, it lies
	// between the rule's limit and that group's count.
	secLo, secHi := 0.0, float64(unbounded)
	for _, i := range idx {
		if c := *countCell(&out[i], col); !math.IsNaN(c) && c != 0 {
			_, hi := p.exact(&in[i], &out[i], m, col)
			secLo, secHi = math.Ceil(p.limit), min(secHi, hi)
		}
	}
	type hid struct{ lo, hi float64 }
	var hidden []hid
	var sumLo, sumHi float64 // of the hidden counts' ranges
	for _, i := range idx {
		if !math.IsNaN(*countCell(&out[i], col)) {
			lo, hi := p.exact(&in[i], &out[i], m, col)
			tlo, thi = tlo-hi, thi-lo
			continue
		}
		var h hid
		switch {
		case !st[i].countSuppressed(col):
			// missing upstream: not a count to protect, and unknown
			h = hid{-1, unbounded}
		case st[i].secondary(col):
			h = hid{secLo, secHi}
		default:
			h = hid{1, math.Ceil(p.limit) - 1}
		}
		hidden = append(hidden, h)
		sumLo, sumHi = sumLo+max(h.lo, 0), sumHi+h.hi
	}
	for _, h := range hidden {
		if h.lo < 0 {
			continue
		}
		lo := max(h.lo, tlo-(sumHi-h.hi))
		hi := min(h.hi, thi-(sumLo-h.lo))
		if hi-lo < 1 {
			return true
		}
	}
	return false
}

// pickComplement returns the published group of idx to suppress in count
// column col: smallest unrounded nonzero count first, then zero counts, ties
// by group label then input position; -1 when no group is published.
func pickComplement(in, out []metrics.Row, st []state, idx []int, col int) int {
	best := -1
	var bestZero bool
	var bestV float64
	for _, i := range idx {
		if st[i].countSuppressed(col) || math.IsNaN(*countCell(&out[i], col)) {
			continue
		}
		v := math.Abs(*countCell(&in[i], col))
		zero := v == 0
		if best >= 0 {
			switch {
			case zero != bestZero:
				if zero {
					continue
				}
			case v != bestV:
				if v > bestV {
					continue
				}
			case in[i].Group >= in[best].Group:
				continue
			}
		}
		best, bestZero, bestV = i, zero, v
	}
	return best
}

// numbers is metrics.Row.Numbers without the allocation.
func numbers(r *metrics.Row) [7]float64 {
	return [7]float64{r.Numerator, r.Denominator, r.Value, r.Lower95, r.Upper95, r.Lower998, r.Upper998}
}

// withhold sets a row's value and confidence limits to NaN.
func withhold(r *metrics.Row) {
	r.Value, r.Lower95, r.Upper95, r.Lower998, r.Upper998 = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
}

// finish flags and notes out when Apply turned any of in's numbers into NaN,
// and returns how many.
func finish(in, out *metrics.Row, s state, nt *notes) int {
	n := 0
	was, now := numbers(in), numbers(out)
	for k := range was {
		if !math.IsNaN(was[k]) && math.IsNaN(now[k]) {
			n++
		}
	}
	// A summary built on a withheld group is flagged even when it had no
	// value to withhold: its own note ("undefined: quintile 5 is 0") would
	// tell what the withheld group hides.
	if n == 0 && s.summary == "" {
		return 0
	}
	note := nt.of(s)
	// A withheld summary's own note describes its hidden interval ("lies
	// wholly above 0"), so it is replaced, not kept.
	if out.Note != "" && s.summary == "" {
		note = out.Note + "; " + note
	}
	out.Note = note
	out.Suppressed = true
	return n
}

// notes builds and remembers the note for each combination of reasons (a
// few dozen at most), so a large table does not build the same string
// thousands of times.
type notes struct {
	pr   params
	memo map[state]string
}

func (nt *notes) of(s state) string {
	if note, ok := nt.memo[s]; ok {
		return note
	}
	var primary, secondary []string
	for _, c := range []struct {
		on   bool
		name string
	}{{s.num, "numerator"}, {s.den, "denominator"}, {s.val, "value"}} {
		if c.on {
			primary = append(primary, c.name)
		}
	}
	if s.numSec {
		secondary = append(secondary, "numerator")
	}
	if s.denSec {
		secondary = append(secondary, "denominator")
	}
	var reasons []string
	if len(primary) > 0 {
		reasons = append(reasons, fmt.Sprintf("%s %s (%s rule)", joinAnd(primary), nt.pr.span, nt.pr.rule))
	}
	if len(secondary) > 0 {
		if len(primary) > 0 {
			reasons = append(reasons, joinAnd(secondary)+" "+noteSecondary)
		} else {
			reasons = append(reasons, noteSecondary)
		}
	}
	if s.summary != "" {
		reasons = append(reasons, s.summary)
	}
	note := "suppressed: " + strings.Join(reasons, "; ")
	if nt.memo == nil {
		nt.memo = make(map[state]string)
	}
	nt.memo[s] = note
	return note
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
