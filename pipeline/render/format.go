package render

import (
	"math"
	"strconv"
	"strings"

	"hiis/pipeline/metrics"
)

// Values in metrics rows are already in the indicator's unit (the multiplier
// applied), so a proportion with Unit "%" holds 23.4, not 0.234.

// valueKind says how an indicator's values are printed.
type valueKind int

const (
	kindOther   valueKind = iota // 1 decimal place
	kindPercent                  // 1 dp and a % sign; differences in percentage points
	kindRate                     // 1 dp with thousands separators
	kindCount                    // whole numbers with thousands separators
	kindRatio                    // 2 dp
)

func kindOf(ind Indicator) valueKind {
	u := strings.ToLower(strings.TrimSpace(ind.Unit))
	switch {
	case u == "%" || u == "percent" || u == "percentage":
		return kindPercent
	case strings.HasPrefix(u, "per "):
		return kindRate
	case u == "ratio":
		return kindRatio
	}
	switch ind.Measure {
	case "proportion":
		if ind.Multiplier == 100 {
			return kindPercent
		}
	case "crude_rate", "dsr":
		return kindRate
	case "count":
		return kindCount
	case "ratio_to_baseline":
		return kindRatio
	}
	return kindOther
}

func (k valueKind) decimals() int {
	switch k {
	case kindCount:
		return 0
	case kindRatio:
		return 2
	}
	return 1
}

// fixed prints v with dp decimals (halves rounded away from zero, as people
// and spreadsheets round), thousands separators and a true minus sign; ""
// for NaN.
func fixed(v float64, dp int) string {
	if math.IsNaN(v) {
		return ""
	}
	if math.IsInf(v, 0) {
		if v < 0 {
			return "−∞"
		}
		return "∞"
	}
	p := math.Pow(10, float64(dp))
	s := strconv.FormatFloat(math.Round(math.Abs(v)*p)/p, 'f', dp, 64)
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + frac
	if v < 0 && strings.Trim(out, "0.,") != "" {
		out = "−" + out
	}
	return out
}

// signed is fixed with an explicit + for positive values.
func signed(v float64, dp int) string {
	s := fixed(v, dp)
	if v > 0 && strings.Trim(s, "0.,") != "" {
		return "+" + s
	}
	return s
}

// formatValue prints an indicator value, with a % sign for percentages.
func formatValue(ind Indicator, v float64) string {
	k := kindOf(ind)
	s := fixed(v, k.decimals())
	if s != "" && k == kindPercent {
		s += "%"
	}
	return s
}

// formatPlain prints an indicator value without a unit, for tables whose
// header names the unit.
func formatPlain(ind Indicator, v float64) string {
	return fixed(v, kindOf(ind).decimals())
}

// formatDiff prints a difference of two values (an absolute gap or SII):
// signed, in percentage points for percentages.
func formatDiff(ind Indicator, v float64) string {
	k := kindOf(ind)
	s := signed(v, k.decimals())
	if s != "" && k == kindPercent {
		s += " pp"
	}
	return s
}

// formatCount prints a numerator or denominator: whole numbers plainly,
// fractional ones (populations from estimates) with 1 dp.
func formatCount(v float64) string {
	if v == math.Trunc(v) {
		return fixed(v, 0)
	}
	return fixed(v, 1)
}

// formatRatio prints a ratio (relative gap, RII, ratio to White).
func formatRatio(v float64) string { return fixed(v, 2) }

// formatPct prints a share 0..100 with 1 dp and a % sign.
func formatPct(v float64) string {
	s := fixed(v, 1)
	if s == "" {
		return "–"
	}
	return s + "%"
}

// interval prints "lo to hi", or "" when either end is missing.
func interval(lo, hi float64, f func(float64) string) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return ""
	}
	return f(lo) + " to " + f(hi)
}

// diffInterval prints the interval of a difference: signed ends, the unit
// (pp for percentages) once at the end; "" when either end is missing.
func diffInterval(ind Indicator, lo, hi float64) string {
	s := interval(lo, hi, func(v float64) string { return signed(v, kindOf(ind).decimals()) })
	if s != "" && kindOf(ind) == kindPercent {
		s += " pp"
	}
	return s
}

// unitLabel names an indicator's unit for headings and table headers.
func unitLabel(ind Indicator) string {
	if kindOf(ind) == kindPercent {
		return "%"
	}
	if ind.Unit != "" {
		return ind.Unit
	}
	return ind.Measure
}

// hidden reports whether a missing number is withheld (shown as *) rather
// than simply not available: the row is suppressed, or carries a note
// saying why it is not published.
func hidden(r metrics.Row, v float64) bool {
	return math.IsNaN(v) && (r.Suppressed || r.Note != "")
}

// cell prints a number of a row for a table, * when withheld, – when missing.
func cell(r metrics.Row, v float64, f func(float64) string) string {
	if hidden(r, v) {
		return "*"
	}
	if math.IsNaN(v) {
		return "–"
	}
	return f(v)
}

// hasCI reports whether a row has a value and both 95% limits.
func hasCI(r metrics.Row) bool {
	return !math.IsNaN(r.Value) && !math.IsNaN(r.Lower95) && !math.IsNaN(r.Upper95)
}

var breakdownLabels = map[string]string{
	metrics.Overall:     "Overall",
	metrics.IMDQuintile: "IMD quintile",
	metrics.IMDSummary:  "Inequality between IMD quintiles",
	metrics.Ethnic:      "Ethnic group",
	metrics.EthnicRatio: "Ratio to the White group",
	metrics.AgeBand:     "Age band",
	metrics.Sex:         "Sex",
}

// breakdownLabel names a breakdown for people.
func breakdownLabel(b string) string {
	if l, ok := breakdownLabels[b]; ok {
		return l
	}
	return b
}

// groupLabel names a group for people, labelling the ends of the IMD scale.
func groupLabel(breakdown, group string) string {
	switch breakdown {
	case metrics.IMDQuintile:
		switch group {
		case "1":
			return "1 – most deprived"
		case "5":
			return "5 – least deprived"
		}
	case metrics.IMDSummary:
		switch group {
		case metrics.GroupGap:
			return "Absolute gap (Q1 − Q5)"
		case metrics.GroupRatio:
			return "Relative gap (Q1 ÷ Q5)"
		case metrics.GroupSII:
			return "Slope index of inequality (SII)"
		case metrics.GroupRII:
			return "Relative index of inequality (RII)"
		}
	case metrics.Overall:
		if group == metrics.GroupAll {
			return "All people"
		}
	case metrics.AgeBand:
		return strings.ReplaceAll(group, "-", "–") // 18-34 → 18–34
	}
	return group
}

var evidenceLabels = map[string]string{
	"C": "C – confirmed",
	"P": "P – probable",
	"U": "U – uncertain",
}

// evidenceLabel spells out an evidence level.
func evidenceLabel(e string) string {
	if l, ok := evidenceLabels[e]; ok {
		return l
	}
	return e
}

// orgKindLabel spells out an organisation kind.
func orgKindLabel(kind string) string {
	switch strings.ToLower(kind) {
	case "icb":
		return "Integrated care board"
	case "trust":
		return "NHS trust"
	}
	return kind
}

// comparison is what the 95% intervals say about the most deprived
// quintile against the least deprived; the "compare" template of
// indicators.tmpl words it. Direction is set only when the intervals (of the
// quintiles, else of the gap) show a significant difference, never from
// point estimates alone.
type comparison struct {
	Direction       string // "higher" or "lower": quintile 1 significantly so
	Basis           string // which intervals show it
	Judgement       string // "worse" or "better" for the most deprived, when the indicator has a polarity
	GapIncludesZero bool   // not significant: the gap's interval includes 0
	Overlap         bool   // not significant: both quintiles' intervals overlap (no gap interval)
	Missing         bool   // no results by deprivation quintile
	Withheld        string // "1", "5" or "1 and 5": withheld by disclosure control
}

// compareQuintiles reads the intervals of quintiles 1 and 5 (and of the gap
// between them).
func compareQuintiles(ind Indicator, q1, q5, gap *metrics.Row) comparison {
	var c comparison
	dir := 0 // +1 Q1 significantly higher, -1 lower
	if q1 != nil && q5 != nil && hasCI(*q1) && hasCI(*q5) {
		switch {
		case q1.Lower95 > q5.Upper95:
			dir, c.Basis = 1, "95% intervals do not overlap"
		case q1.Upper95 < q5.Lower95:
			dir, c.Basis = -1, "95% intervals do not overlap"
		}
	}
	gapOK := gap != nil && hasCI(*gap)
	if dir == 0 && gapOK {
		switch {
		case gap.Lower95 > 0:
			dir, c.Basis = 1, "95% interval of the gap excludes 0"
		case gap.Upper95 < 0:
			dir, c.Basis = -1, "95% interval of the gap excludes 0"
		}
	}
	switch dir {
	case 1:
		c.Direction, c.Judgement = "higher", polarityJudgement(ind, 1)
		return c
	case -1:
		c.Direction, c.Judgement = "lower", polarityJudgement(ind, -1)
		return c
	}
	switch {
	case gapOK:
		c.GapIncludesZero = true
	case q1 != nil && q5 != nil && hasCI(*q1) && hasCI(*q5):
		c.Overlap = true
	case q1 == nil && q5 == nil:
		c.Missing = true
	default:
		var withheld []string
		for i, q := range []*metrics.Row{q1, q5} {
			if q != nil && q.Suppressed && !hasCI(*q) {
				withheld = append(withheld, []string{"1", "5"}[i])
			}
		}
		c.Withheld = strings.Join(withheld, " and ")
	}
	return c
}

// withheldReason is the part of a suppressed row's note that says why it
// was withheld: from "suppressed:" to the end, or "" when the note has no
// such part. Whatever comes before it (such as what the hidden interval
// showed) is never returned.
func withheldReason(r metrics.Row) string {
	i := strings.Index(strings.ToLower(r.Note), "suppressed:")
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(r.Note[i:])
}

// withheldText says that a row was withheld and, when its note says, why.
func withheldText(r metrics.Row) string {
	if why := withheldReason(r); why != "" {
		return "Withheld (" + why + ")"
	}
	return "Withheld by disclosure control"
}

// polarityJudgement says whether a significant difference is "worse" or
// "better" for the most deprived, "" when the indicator has no polarity.
func polarityJudgement(ind Indicator, dir int) string {
	switch {
	case ind.Polarity == "lower_is_better" && dir > 0, ind.Polarity == "higher_is_better" && dir < 0:
		return "worse"
	case ind.Polarity == "lower_is_better" && dir < 0, ind.Polarity == "higher_is_better" && dir > 0:
		return "better"
	}
	return ""
}

// summaryInterpretation reads an imd_summary or ethnic_ratio row's interval;
// without one, it gives the row's note (why it is missing), or for a row
// withheld by disclosure control only that it was withheld and why.
func summaryInterpretation(r metrics.Row) string {
	if r.Suppressed && !hasCI(r) {
		// The note may also say what the hidden interval showed: never
		// print that next to a withheld value.
		return withheldText(r)
	}
	if !hasCI(r) {
		switch {
		case strings.HasPrefix(strings.ToLower(r.Note), "not "):
			return "N" + r.Note[1:] // "not computed: ..."
		case r.Note != "":
			return "Not assessed: " + r.Note
		}
		return "Not assessed (no interval)"
	}
	ratio := r.Breakdown == metrics.EthnicRatio || r.Group == metrics.GroupRatio || r.Group == metrics.GroupRII
	null, nullText := 0.0, "0"
	if ratio {
		null, nullText = 1, "1"
	}
	above, below := r.Lower95 > null, r.Upper95 < null
	if !above && !below {
		return "No significant difference (interval includes " + nullText + ")"
	}
	var s string
	switch {
	case r.Breakdown == metrics.EthnicRatio:
		name := strings.TrimSuffix(r.Group, " / White")
		if above {
			s = name + " significantly higher than White"
		} else {
			s = name + " significantly lower than White"
		}
	case r.Group == metrics.GroupGap || r.Group == metrics.GroupRatio:
		if above {
			s = "Most deprived quintile significantly higher"
		} else {
			s = "Most deprived quintile significantly lower"
		}
	default: // SII and RII: rank 0 is the most deprived end, rank 1 the least
		if above {
			s = "Significant gradient: higher in less deprived areas"
		} else {
			s = "Significant gradient: higher in more deprived areas"
		}
	}
	return s + " (interval excludes " + nullText + ")"
}

// summaryValue prints an imd_summary or ethnic_ratio row's value: * only
// when disclosure control withheld it; – when it could not be computed
// (the row's note says why).
func summaryValue(ind Indicator, r metrics.Row, v float64) string {
	switch {
	case math.IsNaN(v) && r.Suppressed:
		return "*"
	case math.IsNaN(v):
		return "–"
	case r.Breakdown == metrics.EthnicRatio || r.Group == metrics.GroupRatio || r.Group == metrics.GroupRII:
		return formatRatio(v)
	}
	return formatDiff(ind, v)
}
