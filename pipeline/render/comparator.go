package render

// The comparator: each indicator of a statement read beside the same
// indicator of another run's published metrics (all organisations of a
// multi-organisation run, or a national file), overall and by IMD quintile.
// Rows are matched by indicator, breakdown and group; the comparator's
// organisation column is not read. The wording is in comparator.tmpl.
//
// The rule: the organisation's value is significantly above or below the
// comparator's only when the two 95% confidence intervals do not overlap.
// Overlapping intervals are "not significantly" different, whatever the
// point estimates. Nothing is judged when either value is withheld or not
// available, when either has no interval, or for counts (an organisation's
// count is a part of the whole it would be compared with).

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"hiis/pipeline/metrics"
)

// comparator is the index of one comparator's published rows.
type comparator struct {
	label string                   // as the templates name it
	key   string                   // prefix of its data pack columns ("comparator", or its config name)
	shape int                      // its marker on the IMD chart: one of markerShapes
	rows  map[string][]metrics.Row // indicator → rows, without change rows
	// partial is true for a published file that covers only some
	// indicators and groups: the statement says nothing of the others.
	partial bool
	period  string // a published file's period
}

// markerShapes name the comparators' markers on the IMD chart, in order:
// different shapes, so that they are told apart in grey and by colour-blind
// readers.
var markerShapes = []string{"grey diamond", "open triangle", "open circle"}

// newComparators indexes in.Comparator and in.Comparisons, in that order;
// nil when the run has none.
func newComparators(in Input) []*comparator {
	var out []*comparator
	add := func(label, key, period string, rows []metrics.Row, partial bool) {
		c := &comparator{label: label, key: key, shape: len(out) % len(markerShapes), rows: map[string][]metrics.Row{}, partial: partial, period: period}
		if c.label == "" {
			c.label = "the comparator"
		}
		for _, r := range rows {
			if r.Breakdown != ChangeBreakdown {
				c.rows[r.IndicatorID] = append(c.rows[r.IndicatorID], r)
			}
		}
		out = append(out, c)
	}
	if in.Comparator != nil {
		add(in.ComparatorLabel, "comparator", "", in.Comparator, false)
	}
	for _, c := range in.Comparisons {
		add(c.Label, c.Key, c.Period, c.Rows, true)
	}
	return out
}

// covers reports whether the comparator says anything of an indicator: a
// partial one only of the indicators it has rows for.
func (c *comparator) covers(id string) bool {
	return !c.partial || len(c.rows[id]) > 0
}

// find is the comparator's row for an indicator, breakdown and group; nil
// when it has none (or c is nil).
func (c *comparator) find(id, breakdown, group string) *metrics.Row {
	if c == nil {
		return nil
	}
	if breakdown == metrics.Overall {
		return overallRow(rowsOf(c.rows[id]))
	}
	return rowsOf(c.rows[id]).find(breakdown, group)
}

// comparedBreakdown reports whether rows of a breakdown are shown beside
// the comparator's (overall and IMD quintile).
func comparedBreakdown(breakdown string) bool {
	return breakdown == metrics.Overall || breakdown == metrics.IMDQuintile
}

// versus is what the 95% intervals say about one of the organisation's
// values against the comparator's same value, every number formatted; the
// comparator.tmpl templates word it.
type versus struct {
	Label        string // the comparator's name
	Group        string // "Q1" … "Q5", or "" for the overall value
	Value        string // the organisation's value ("" when not published)
	Comparator   string // the comparator's value ("" when not published)
	Interval     string // the comparator's 95% interval ("" when none)
	Assessed     bool   // both values and intervals are published, and the measure is not a count
	Position     string // when assessed: "above", "below" or "level with", from the values
	Significant  bool   // when assessed: the two 95% intervals do not overlap
	Judgement    string // "better" or "worse" when significant and the indicator has a preferred direction
	Withheld     bool   // not assessed: a value is withheld (by disclosure control or not published)
	Missing      bool   // not assessed: the comparator (or the organisation) has no value here
	NoInterval   bool   // not assessed: a value has no 95% interval
	Count        bool   // not assessed: counts are not compared
	CompWithheld bool   // the comparator's own value is withheld
}

// compareWith reads the organisation's row r against the comparator's row
// c (either may be nil) by the rule above.
func compareWith(ind Indicator, label, group string, r, c *metrics.Row) versus {
	v := versus{Label: label, Group: group}
	if r != nil && !math.IsNaN(r.Value) {
		v.Value = formatValue(ind, r.Value)
	}
	if c != nil && !math.IsNaN(c.Value) {
		v.Comparator = formatValue(ind, c.Value)
		v.Interval = interval(c.Lower95, c.Upper95, func(x float64) string { return formatPlain(ind, x) })
	}
	v.CompWithheld = c != nil && hidden(*c, c.Value)
	switch {
	case (r != nil && hidden(*r, r.Value)) || v.CompWithheld:
		v.Withheld = true
	case v.Value == "" || v.Comparator == "":
		v.Missing = true
	case kindOf(ind) == kindCount:
		v.Count = true
	case !hasCI(*r) || !hasCI(*c):
		v.NoInterval = true
	default:
		v.Assessed = true
		dir := 0
		switch {
		case r.Lower95 > c.Upper95:
			dir, v.Significant = 1, true
		case r.Upper95 < c.Lower95:
			dir, v.Significant = -1, true
		}
		switch {
		case r.Value > c.Value:
			v.Position = "above"
		case r.Value < c.Value:
			v.Position = "below"
		default:
			v.Position = "level with"
		}
		v.Judgement = polarityJudgement(ind, dir)
	}
	return v
}

// benchmark is the sentence on the indicator against the comparator: its
// overall value and each IMD quintile's.
func (b *builder) benchmark(comp *comparator, ind Indicator, rs rowsOf) string {
	label := mdEscape(comp.label)
	data := map[string]any{
		"Label":     label,
		"Overall":   compareWith(ind, label, "", overallRow(rs), comp.find(ind.ID, metrics.Overall, metrics.GroupAll)),
		"Quintiles": []versus(nil),
		"Partial":   comp.partial,
	}
	var qs []versus
	for q := 1; q <= 5; q++ {
		g := strconv.Itoa(q)
		r, c := rs.find(metrics.IMDQuintile, g), comp.find(ind.ID, metrics.IMDQuintile, g)
		if r == nil && c == nil || comp.partial && c == nil {
			continue
		}
		qs = append(qs, compareWith(ind, label, "Q"+g, r, c))
	}
	data["Quintiles"] = qs
	return b.line("comparator", "indicator", data)
}

// compCell is a table cell for the comparator's value of a row of the
// organisation: * when withheld, – when it has none; "" for a breakdown
// that is not compared.
func (b *builder) compCell(comp *comparator, ind Indicator, r metrics.Row) string {
	if !comparedBreakdown(r.Breakdown) {
		return ""
	}
	c := comp.find(ind.ID, r.Breakdown, r.Group)
	if c == nil {
		return "–"
	}
	return cell(*c, c.Value, func(v float64) string { return formatPlain(ind, v) })
}

// summaryCompCell is the summary table's comparator column: the
// comparator's overall value and, below it, how the organisation's overall
// value compares.
func (b *builder) summaryCompCell(comp *comparator, ind Indicator, rs rowsOf) string {
	c := comp.find(ind.ID, metrics.Overall, metrics.GroupAll)
	s := "–"
	if c != nil {
		s = cell(*c, c.Value, func(v float64) string { return formatValue(ind, v) })
	}
	label := mdEscape(comp.label)
	v := compareWith(ind, label, "", overallRow(rs), c)
	if w := b.line("comparator", "summary-cell", map[string]any{"Code": mdEscape(b.in.Organisation.Code), "Versus": v}); w != "" {
		s += "\n" + w
	}
	return s
}

// compMarkers puts each comparator's value of each IMD quintile on the
// chart's bars (a partial comparator only on the indicators it covers).
func (b *builder) compMarkers(ind Indicator, c *chart) {
	for _, comp := range b.comps {
		if !comp.covers(ind.ID) {
			continue
		}
		k := len(c.marks)
		c.marks = append(c.marks, markSet{key: b.line("comparator", "chart-key", map[string]any{"Label": mdEscape(comp.label)}),
			head: comp.label, shape: comp.shape})
		for i := range c.bars {
			br := &c.bars[i]
			mv := compValue{v: math.NaN(), lo: math.NaN(), hi: math.NaN()}
			r := comp.find(ind.ID, metrics.IMDQuintile, strconv.Itoa(i+1))
			switch {
			case r == nil:
				mv.txt = "not available"
			case math.IsNaN(r.Value):
				mv.txt = "not available"
				if hidden(*r, r.Value) {
					mv.txt = "* withheld"
				}
			default:
				mv.v, mv.txt = r.Value, formatValue(ind, r.Value)
				if !math.IsNaN(r.Lower95) && !math.IsNaN(r.Upper95) {
					mv.lo, mv.hi = r.Lower95, r.Upper95
					mv.txt += " (" + formatPlain(ind, r.Lower95) + " to " + formatPlain(ind, r.Upper95) + ")"
				}
			}
			br.comps = append(br.comps[:k], mv)
		}
	}
}

// compLines puts each comparator's overall value on the chart as a
// reference line (the chart by ethnic group).
func (b *builder) compLines(ind Indicator, c *chart) {
	for _, comp := range b.comps {
		r := comp.find(ind.ID, metrics.Overall, metrics.GroupAll)
		if r == nil || math.IsNaN(r.Value) {
			continue
		}
		c.refs = append(c.refs, refLine{v: r.Value, label: comp.label + " " + formatValue(ind, r.Value), style: len(c.refs), name: comp.label})
	}
}

// unassigned is the data-quality paragraph on the comparator's records
// that no organisation took, per source; nil without such counts.
func (b *builder) unassigned() []block {
	if len(b.comps) == 0 || b.in.Unassigned == nil {
		return nil
	}
	type source struct{ Name, Records string }
	names := slices.Sorted(maps.Keys(b.in.Unassigned))
	var sources []source
	withheld, others := false, false
	for _, name := range names {
		n := b.in.Unassigned[name]
		switch {
		case math.IsNaN(n):
			withheld = true
			sources = append(sources, source{mdEscape(name), "*"})
		case n > 0:
			sources = append(sources, source{mdEscape(name), fixed(n, 0)})
		default:
			others = true
		}
	}
	return b.blocks("comparator", "unassigned", map[string]any{"Label": mdEscape(b.comps[0].label), "Sources": sources, "Withheld": withheld, "Others": others}, nil)
}

// compFindings is the key findings' part on the comparator: how many
// indicators' overall values are significantly above or below it, and the
// largest of those differences (relative to the comparator's value).
func (b *builder) compFindings(comp *comparator) []block {
	label := mdEscape(comp.label)
	var fs []keyFinding
	compared, above, below := 0, 0, 0
	for _, ind := range b.inds {
		r, c := overallRow(rowsOf(b.rows[ind.ID])), comp.find(ind.ID, metrics.Overall, metrics.GroupAll)
		v := compareWith(ind, label, "", r, c)
		if !v.Assessed {
			continue
		}
		compared++
		if !v.Significant {
			continue
		}
		if v.Position == "above" {
			above++
		} else {
			below++
		}
		fs = append(fs, keyFinding{size: relativeSize(r.Value, c.Value), id: ind.ID,
			text: b.text("comparator", "key", map[string]any{"Name": mdEscape(ind.Name), "ID": ind.ID, "Versus": v})})
	}
	data := map[string]any{"Label": label, "Indicators": len(b.inds), "Compared": compared, "Above": above, "Below": below}
	out := []block{&headingBlock{text: b.line("comparator", "key-heading", data), level: 2}}
	out = append(out, b.blocks("comparator", "key-lead", data, nil)...)
	if len(fs) > 0 {
		l := &listBlock{}
		for _, f := range top(fs, keyFindingsMax) {
			l.items = append(l.items, parseInline(strings.Join(strings.Fields(f.text), " ")))
		}
		out = append(out, l)
	}
	return out
}
