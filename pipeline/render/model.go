package render

// The statement is built once, as a document model, from the Input and the
// section templates; the PDF and HTML writers each walk it. Every number is
// formatted here, so the two outputs cannot disagree.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"hiis/pipeline/metrics"
)

// ChangeBreakdown is the breakdown of the tidy rows that carry an
// indicator's change since last year (added for metrics.csv); they are not
// groups and the statement leaves them out of its tables.
const ChangeBreakdown = "change"

// document is the statement.
type document struct {
	lang, title, subject string
	org                  Organisation
	kindLabel            string
	period, version      string
	scope, note          string // cover: what the statement covers; the publication note
	sections             []*section
}

// section is a top-level part of the statement, on a new page in the PDF.
type section struct {
	key, title string
	blocks     []block
}

// block is one piece of a section.
type block interface{ isBlock() }

// headingBlock is a sub-heading: level 2 within a section, 3 below that.
type headingBlock struct {
	text  string
	level int
}

type paraBlock struct{ spans []span }

type listBlock struct {
	ordered bool
	items   [][]span
}

// placeholderBlock stands where a template asked for a table; only the
// prose parser makes one, and the builder replaces it.
type placeholderBlock struct{ name string }

// noteBlock is small print, such as under a table.
type noteBlock struct{ text string }

// tableBlock is a table with its caption. captionLevel is the heading level
// the PDF draws the caption at (0: the PDF leaves it out, as the section
// title already says it); the HTML always shows it.
type tableBlock struct {
	caption      string
	captionLevel int
	cols         []column
	rows         []tableRow
	note         string
	keepRows     int  // rows the caption keeps with it on a page (PDF)
	hideCaption  bool // the heading above already says it: the HTML caption is for screen readers only
}

// tableGroupBlock is small tables shown side by side in pairs (population).
type tableGroupBlock struct {
	tables []*tableBlock
	note   string
}

// indicatorBlock is one indicator's results.
type indicatorBlock struct {
	ind         Indicator
	domain      string
	title       string // "ID  Name"
	meta        string
	description string
	noResult    string
	finding     string
	trend       string   // "" without last year's figures
	benchmarks  []string // against each comparator that covers the indicator
	charts      []*chart
	results     *tableBlock
	summary     *tableBlock // nil without summary measures
	legend      string
}

// chart is a horizontal bar chart of an indicator's groups with 95%
// interval whiskers, the overall value and (when known) last year's.
type chart struct {
	id         string // unique in the document, for the HTML
	title      string
	desc       string // what the chart shows, in words, with every value
	unit       string // axis title
	groupHead  string // what the bars are ("IMD quintile", "Ethnic group")
	bars       []bar
	overall    float64 // NaN when none
	overallTxt string
	lastYear   float64 // last year's overall value; NaN when none
	lastTxt    string
	marks      []markSet // the comparators' markers on the bars (IMD chart)
	refs       []refLine // the comparators' overall values as lines (ethnic chart)
	axisLo     float64
	axisHi     float64
	ticks      []tick
}

type bar struct {
	label   string
	value   float64 // NaN: not drawn, missing says why
	lo, hi  float64
	text    string // "23.4% (21.0 to 25.8)"
	valTxt  string // "23.4%"
	ivTxt   string // "21.0 to 25.8"
	missing string
	muted   bool // a group of unknown membership (Not stated, Not known, Unknown)
	// comps are the comparators' values of the same group, one per chart
	// mark set.
	comps []compValue
}

// markSet is one comparator's markers on a chart's bars.
type markSet struct {
	key   string // the key under the chart, "England, same quintile"
	head  string // the comparator's name, heading its column of the data table
	shape int    // index into markerShapes
}

// compValue is a comparator's value of one bar's group (NaN when none), lo
// and hi its 95% limits, txt all three in words.
type compValue struct {
	v, lo, hi float64
	txt       string
}

// refLine is a comparator's overall value drawn across a chart.
type refLine struct {
	v     float64
	label string // "England 23.4%"
	name  string // the comparator's name
	style int    // its dash pattern: index into refDashes
}

// refDashes describe the comparators' reference lines, in order, as the
// chart's text alternative names them.
var refDashes = []string{"long-dashed grey line", "dash-dotted grey line", "grey line of long and short dashes"}

type tick struct {
	v     float64
	label string
}

func (*headingBlock) isBlock()     {}
func (*paraBlock) isBlock()        {}
func (*listBlock) isBlock()        {}
func (*placeholderBlock) isBlock() {}
func (*noteBlock) isBlock()        {}
func (*tableBlock) isBlock()       {}
func (*tableGroupBlock) isBlock()  {}
func (*indicatorBlock) isBlock()   {}

// contentsEntry is one line of the contents.
type contentsEntry struct {
	key, title string
	level      int
}

// contents lists the sections, and the domains of the results.
func (doc *document) contents() []contentsEntry {
	var c []contentsEntry
	for _, s := range doc.sections {
		c = append(c, contentsEntry{key: s.key, title: s.title})
		seen := map[string]bool{}
		for _, b := range s.blocks {
			if ib, ok := b.(*indicatorBlock); ok && !seen[ib.domain] {
				seen[ib.domain] = true
				c = append(c, contentsEntry{key: "domain:" + ib.domain, title: ib.domain, level: 1})
			}
		}
	}
	return c
}

// builder builds the document, keeping the first error.
type builder struct {
	in   Input
	p    *prose
	inds []Indicator
	rows map[string][]metrics.Row
	err  error
	// previous is last year's period when changes are supplied.
	previous string
	changes  map[string]map[string]Change // indicator → measure → change
	// comps are the comparators each indicator is read beside, in order.
	comps []*comparator
}

// buildDocument builds the statement from in, reading its wording from the
// section templates in in.Templates (built-ins for the files it lacks).
// Errors name the template.
func buildDocument(in Input) (*document, error) {
	p, err := loadProse(in.Templates)
	if err != nil {
		return nil, err
	}
	b := &builder{in: in, p: p, changes: map[string]map[string]Change{}}
	return b.build()
}

// build builds the document with the builder's templates.
func (b *builder) build() (*document, error) {
	in := b.in
	b.inds, b.rows = statementIndicators(in)
	b.comps = newComparators(in)
	if in.PreviousPeriod != "" && len(in.Changes) > 0 {
		b.previous = in.PreviousPeriod
		for _, c := range in.Changes {
			if b.changes[c.IndicatorID] == nil {
				b.changes[c.IndicatorID] = map[string]Change{}
			}
			b.changes[c.IndicatorID][c.Measure] = c
		}
	}
	domains := map[string]bool{}
	for _, ind := range b.inds {
		domains[domainName(ind)] = true
	}
	doc := &document{
		lang:      "en-GB",
		title:     "Health Inequalities Information Statement " + in.Period,
		subject:   "How access, experience and outcomes differ by deprivation, ethnic group, age and sex",
		org:       in.Organisation,
		kindLabel: orgKindLabel(in.Organisation.Kind),
		period:    in.Period,
		version:   in.Version,
	}
	cover := map[string]any{"Organisation": mdEscape(in.Organisation.Name), "Period": in.Period, "Version": in.Version,
		"Indicators": len(b.inds), "Domains": len(domains)}
	doc.scope = b.line("cover", "scope", cover)
	doc.note = b.line("cover", "note", cover)
	doc.sections = append(doc.sections, b.keyFindings(), b.about())
	if s := b.narrative(); s != nil {
		doc.sections = append(doc.sections, s)
	}
	doc.sections = append(doc.sections, b.summary())
	if len(b.inds) > 0 {
		doc.sections = append(doc.sections, b.indicators())
	}
	doc.sections = append(doc.sections, b.quality(), b.methods(), b.annex())
	if b.err != nil {
		return nil, b.err
	}
	return doc, nil
}

// text runs a template and returns its Markdown source.
func (b *builder) text(file, name string, data any) string {
	if b.err != nil {
		return ""
	}
	s, err := b.p.exec(file, name, data)
	if err != nil {
		b.err = err
	}
	return s
}

// line runs a template for a one-line slot: whitespace folded, Markdown
// inline marks read and dropped.
func (b *builder) line(file, name string, data any) string {
	return plainText(parseInline(strings.Join(strings.Fields(b.text(file, name, data)), " ")))
}

// blocks runs a template and parses its Markdown into blocks, with tables
// named by {{table "name"}} put in their place.
func (b *builder) blocks(file, name string, data any, tables map[string]block) []block {
	var out []block
	for _, bl := range parseMarkdown(b.text(file, name, data), 2) {
		if ph, ok := bl.(*placeholderBlock); ok {
			t, ok := tables[ph.name]
			if !ok {
				if b.err == nil {
					b.err = &TemplateError{fmt.Errorf("statement template %s: no table %q here", b.p.from[file], ph.name)}
				}
				continue
			}
			bl = t
		}
		out = append(out, bl)
	}
	return out
}

// statementIndicators orders the indicators for the statement, grouped by
// domain in order of first appearance, and indexes the published rows
// (without the change rows). Indicators with rows but no description come
// last, named by id.
func statementIndicators(in Input) ([]Indicator, map[string][]metrics.Row) {
	rows := map[string][]metrics.Row{}
	var order []string
	for _, g := range groupRows(in.Metrics) {
		var keep []metrics.Row
		for _, r := range g.rows {
			if r.Breakdown != ChangeBreakdown {
				keep = append(keep, r)
			}
		}
		if len(keep) == 0 {
			continue
		}
		rows[g.id] = keep
		order = append(order, g.id)
	}
	all := append([]Indicator(nil), in.Indicators...)
	for _, id := range order {
		if _, ok := findIndicator(in, id); !ok {
			all = append(all, Indicator{ID: id, Name: id, Domain: "Other indicators"})
		}
	}
	var domains []string
	byDomain := map[string][]Indicator{}
	for _, ind := range all {
		dom := domainName(ind)
		if _, ok := byDomain[dom]; !ok {
			domains = append(domains, dom)
		}
		byDomain[dom] = append(byDomain[dom], ind)
	}
	var out []Indicator
	for _, dom := range domains {
		out = append(out, byDomain[dom]...)
	}
	return out, rows
}

func domainName(ind Indicator) string {
	if ind.Domain == "" {
		return "Other indicators"
	}
	return ind.Domain
}

// rowsOf finds the published rows of an indicator by breakdown and group.
type rowsOf []metrics.Row

func (rs rowsOf) find(breakdown, group string) *metrics.Row {
	for i := range rs {
		if rs[i].Breakdown == breakdown && rs[i].Group == group {
			return &rs[i]
		}
	}
	return nil
}

func firstOf(rs rowsOf, breakdown string) *metrics.Row {
	for i := range rs {
		if rs[i].Breakdown == breakdown {
			return &rs[i]
		}
	}
	return nil
}

// overallRow is an indicator's overall row.
func overallRow(rs rowsOf) *metrics.Row {
	if r := rs.find(metrics.Overall, metrics.GroupAll); r != nil {
		return r
	}
	return firstOf(rs, metrics.Overall)
}

// compareText words the comparison of quintiles 1 and 5.
func (b *builder) compareText(ind Indicator, rs rowsOf) string {
	q1, q5 := rs.find(metrics.IMDQuintile, "1"), rs.find(metrics.IMDQuintile, "5")
	return b.line("indicators", "compare", compareQuintiles(ind, q1, q5, rs.find(metrics.IMDSummary, metrics.GroupGap)))
}

// about is the introduction and the population context.
func (b *builder) about() *section {
	in := b.in
	s := &section{key: "about", title: b.line("about", "title", nil)}
	imd := in.IMDEdition
	if imd == "" {
		imd = "English Indices of Deprivation"
	}
	s.blocks = b.blocks("about", "intro", map[string]any{"Organisation": mdEscape(in.Organisation.Name), "Period": in.Period, "IMDEdition": mdEscape(imd)}, nil)
	s.blocks = append(s.blocks, &headingBlock{text: b.line("about", "population-heading", nil), level: 2})
	core := map[string]any{"Known": !math.IsNaN(in.Core20Share), "Share": "", "People": ""}
	if !math.IsNaN(in.Core20Share) {
		core["Share"] = formatPct(in.Core20Share * 100)
		for _, p := range in.Population {
			if p.Breakdown == metrics.IMDQuintile && p.Group == "1" && !math.IsNaN(p.People) {
				core["People"] = fixed(p.People, 0)
			}
		}
	}
	s.blocks = append(s.blocks, b.blocks("about", "core20", core, nil)...)
	if len(in.Population) == 0 {
		s.blocks = append(s.blocks, b.blocks("about", "no-population", nil, nil)...)
		return s
	}
	s.blocks = append(s.blocks, b.population())
	return s
}

// population is the people by IMD quintile, ethnic group, age band and sex
// as four small tables: as published, * where withheld. No shares of a
// breakdown's total: those would be percentages of rounded counts.
func (b *builder) population() block {
	g := &tableGroupBlock{}
	withheld := false
	for _, breakdown := range []string{metrics.IMDQuintile, metrics.Ethnic, metrics.AgeBand, metrics.Sex} {
		var rows []tableRow
		for _, p := range sortedPopulation(b.in.Population) {
			if p.Breakdown != breakdown {
				continue
			}
			people := "*"
			if math.IsNaN(p.People) {
				withheld = true
			} else {
				people = fixed(p.People, 0)
			}
			rows = append(rows, tableRow{cells: []string{groupLabel(breakdown, p.Group), people}})
		}
		label := breakdownLabel(breakdown)
		g.tables = append(g.tables, &tableBlock{caption: "People by " + strings.ToLower(label[:1]) + label[1:],
			cols: []column{{label, 61, "L"}, {"People", 24, "R"}}, rows: rows})
	}
	if withheld {
		g.note = withheldNote
	}
	return g
}

// withheldNote is the footnote of a table with figures withheld.
const withheldNote = "* withheld by disclosure control."

// narrative is the organisation's own text, if any.
func (b *builder) narrative() *section {
	if len(b.in.Narrative) == 0 {
		return nil
	}
	s := &section{key: "narrative", title: b.line("about", "narrative-title", nil)}
	for _, n := range b.in.Narrative {
		if n.Title != "" {
			s.blocks = append(s.blocks, &headingBlock{text: n.Title, level: 2})
		}
		s.blocks = append(s.blocks, parseMarkdown(n.Text, 3)...)
	}
	return s
}

// summary is one line per indicator: overall, Q1, Q5, gap, SII, the change
// since last year when known, and the comparison.
func (b *builder) summary() *section {
	s := &section{key: "summary", title: b.line("summary", "title", nil)}
	data := map[string]any{"Previous": b.previous}
	s.blocks = b.blocks("summary", "intro", data, nil)
	if len(b.inds) == 0 {
		s.blocks = append(s.blocks, b.blocks("summary", "none", nil, nil)...)
		return s
	}
	cols := []column{
		{"Indicator", 42, "L"},
		{"Overall", 16, "R"},
		{"Q1 most deprived", 16, "R"},
		{"Q5 least deprived", 16, "R"},
		{"Gap\nQ1 − Q5", 17, "R"},
		{"SII (95% CI)", 29, "R"},
		{"Difference between most and least deprived", 44, "L"},
	}
	if b.previous != "" {
		cols = []column{
			{"Indicator", 36, "L"},
			{"Overall", 15, "R"},
			{"Q1 most deprived", 15, "R"},
			{"Q5 least deprived", 15, "R"},
			{"Gap\nQ1 − Q5", 16, "R"},
			{"SII (95% CI)", 26, "R"},
			{"Change since " + b.previous, 19, "R"},
			{"Difference between most and least deprived", 38, "L"},
		}
	}
	if len(b.comps) > 0 {
		// The comparators' overall values beside the organisation's; the
		// other columns give them room.
		// The first comparator's column stays wide enough for "All
		// organisations" on one line.
		widths := [][]float64{
			{35, 15, 23, 15, 15, 16, 26, 35},
			{27, 14, 23, 18, 14, 14, 15, 23, 32},
			{24, 13, 23, 16, 16, 13, 13, 14, 20, 28},
		}[min(len(b.comps), 3)-1]
		if b.previous != "" {
			widths = [][]float64{
				{30, 14, 21, 14, 14, 15, 24, 17, 31},
				{24, 13, 23, 17, 13, 13, 14, 22, 16, 25},
				{22, 12, 23, 15, 15, 12, 12, 13, 19, 15, 22},
			}[min(len(b.comps), 3)-1]
		}
		for i, comp := range b.comps {
			cols = slices.Insert(cols, 2+i, column{comp.label, 0, "R"})
		}
		for i := range cols {
			cols[i].width = widths[i]
		}
	}
	var rows []tableRow
	domain := "\x00"
	for _, ind := range b.inds {
		if dom := domainName(ind); dom != domain {
			domain = dom
			rows = append(rows, tableRow{section: dom})
		}
		rs := rowsOf(b.rows[ind.ID])
		val := func(r *metrics.Row, format func(float64) string) string {
			if r == nil {
				return "–"
			}
			return cell(*r, r.Value, format)
		}
		fv := func(v float64) string { return formatValue(ind, v) }
		q1, q5 := rs.find(metrics.IMDQuintile, "1"), rs.find(metrics.IMDQuintile, "5")
		gap := rs.find(metrics.IMDSummary, metrics.GroupGap)
		sii := rs.find(metrics.IMDSummary, metrics.GroupSII)
		summary := func(r *metrics.Row) string {
			if r == nil {
				return "–"
			}
			return summaryValue(ind, *r, r.Value)
		}
		siiText := summary(sii)
		if sii != nil && hasCI(*sii) {
			siiText += "\n(" + interval(sii.Lower95, sii.Upper95, func(v float64) string { return signed(v, kindOf(ind).decimals()) }) + ")"
		}
		cells := []string{
			ind.Name + "\n" + ind.ID + " · " + unitLabel(ind),
			val(overallRow(rs), fv), val(q1, fv), val(q5, fv), summary(gap), siiText,
		}
		for i, comp := range b.comps {
			cells = slices.Insert(cells, 2+i, b.summaryCompCell(comp, ind, rs))
		}
		if b.previous != "" {
			cells = append(cells, b.changeCell(ind))
		}
		cells = append(cells, b.compareText(ind, rs))
		rows = append(rows, tableRow{cells: cells, link: "ind:" + ind.ID})
	}
	note := b.line("summary", "note", data)
	for _, comp := range b.comps {
		note += " " + b.line("comparator", "summary-note", map[string]any{"Label": mdEscape(comp.label), "Partial": comp.partial})
	}
	s.blocks = append(s.blocks, &tableBlock{caption: s.title, hideCaption: true, cols: cols, rows: rows, note: note})
	return s
}

// changeCell is the summary table's change since last year: the difference
// of the overall values, marked when significant.
func (b *builder) changeCell(ind Indicator) string {
	c, ok := b.changes[ind.ID]["overall"]
	if !ok || math.IsNaN(c.Difference) {
		return "–"
	}
	s := formatDiff(ind, c.Difference)
	if changeSignificant(c) {
		s += "\nsignificant"
	}
	if !c.Comparable {
		s += "\nnot like for like"
	}
	return s
}

// changeSignificant reports whether a change's 95% interval excludes 0.
func changeSignificant(c Change) bool {
	return !math.IsNaN(c.Lower95) && !math.IsNaN(c.Upper95) && (c.Lower95 > 0 || c.Upper95 < 0)
}

var measureLabels = map[string]string{
	"proportion":        "proportion",
	"crude_rate":        "crude rate",
	"dsr":               "directly age–sex standardised rate",
	"count":             "count",
	"ratio_to_baseline": "ratio to baseline",
	"mean":              "mean",
}

// indicators is the results, one block per indicator in statement order.
func (b *builder) indicators() *section {
	s := &section{key: "indicators", title: b.line("indicators", "title", nil)}
	s.blocks = b.blocks("indicators", "intro", nil, nil)
	for _, comp := range b.comps {
		s.blocks = append(s.blocks, b.blocks("comparator", "intro", map[string]any{"Label": mdEscape(comp.label), "Marker": markerShapes[comp.shape], "Partial": comp.partial}, nil)...)
	}
	for _, ind := range b.inds {
		s.blocks = append(s.blocks, b.indicator(ind))
	}
	return s
}

func (b *builder) indicator(ind Indicator) *indicatorBlock {
	rs := rowsOf(b.rows[ind.ID])
	p := &indicatorBlock{ind: ind, domain: domainName(ind), title: ind.ID + "  " + ind.Name, description: ind.Description}
	var meta []string
	if ind.Evidence != "" {
		meta = append(meta, "Evidence "+evidenceLabel(ind.Evidence))
	}
	if m, ok := measureLabels[ind.Measure]; ok {
		meta = append(meta, "Measure: "+m)
	}
	meta = append(meta, "Unit: "+unitLabel(ind))
	if ind.Source != "" {
		meta = append(meta, "Source: "+ind.Source)
	}
	p.meta = strings.Join(meta, "  ·  ")
	if len(rs) == 0 {
		p.noResult = b.line("indicators", "no-result", nil)
		return p
	}
	p.finding = b.finding(ind, rs)
	p.trend = b.trend(ind)
	for _, comp := range b.comps {
		if comp.covers(ind.ID) {
			p.benchmarks = append(p.benchmarks, b.benchmark(comp, ind, rs))
		}
	}
	if c := b.groupChart(ind, rs, metrics.IMDQuintile); c != nil {
		p.charts = append(p.charts, c)
	}
	if c := b.groupChart(ind, rs, metrics.Ethnic); c != nil {
		p.charts = append(p.charts, c)
	}

	fp := func(v float64) string { return formatPlain(ind, v) }
	res := &tableBlock{caption: b.line("indicators", "results-caption", nil), captionLevel: 3, keepRows: 4, cols: []column{
		{"Group", 30, "L"},
		{"Numerator", 17, "R"},
		{"Denominator", 20, "R"},
		{"Value (" + unitLabel(ind) + ")", 20, "R"},
		{"Lower 95%", 17, "R"},
		{"Upper 95%", 17, "R"},
		{"Note", 59, "L"},
	}}
	for i, comp := range b.comps {
		// The first stays wide enough for "All organisations"; the note
		// column gives up the room.
		w := []float64{22, 18, 15}[min(i, 2)]
		res.cols = slices.Insert(res.cols, 6+i, column{comp.label, w, "R"})
		res.cols[len(res.cols)-1].width -= w
	}
	breakdown := ""
	for _, r := range rs {
		if r.Breakdown == metrics.IMDSummary || r.Breakdown == metrics.EthnicRatio {
			continue
		}
		if r.Breakdown != breakdown {
			breakdown = r.Breakdown
			res.rows = append(res.rows, tableRow{section: breakdownLabel(breakdown)})
		}
		cells := []string{
			groupLabel(r.Breakdown, r.Group),
			cell(r, r.Numerator, formatCount), cell(r, r.Denominator, formatCount),
			cell(r, r.Value, fp), cell(r, r.Lower95, fp), cell(r, r.Upper95, fp),
			r.Note,
		}
		for i, comp := range b.comps {
			cells = slices.Insert(cells, 6+i, b.compCell(comp, ind, r))
		}
		res.rows = append(res.rows, tableRow{cells: cells})
	}
	p.results = res

	sum := &tableBlock{caption: b.line("indicators", "summary-caption", nil), captionLevel: 3, keepRows: 3, cols: []column{
		{"Measure", 44, "L"},
		{"Value", 17, "R"},
		{"95% interval", 31, "R"},
		{"What the interval shows", 88, "L"},
	}}
	breakdown = ""
	for _, r := range rs {
		if r.Breakdown != metrics.IMDSummary && r.Breakdown != metrics.EthnicRatio {
			continue
		}
		if r.Breakdown != breakdown {
			breakdown = r.Breakdown
			sum.rows = append(sum.rows, tableRow{section: breakdownLabel(breakdown)})
		}
		iv := diffInterval(ind, r.Lower95, r.Upper95)
		if r.Breakdown == metrics.EthnicRatio || r.Group == metrics.GroupRatio || r.Group == metrics.GroupRII {
			iv = interval(r.Lower95, r.Upper95, formatRatio)
		}
		if iv == "" || (r.Suppressed && !hasCI(r)) {
			iv = "–"
		}
		interp := summaryInterpretation(r)
		sum.rows = append(sum.rows, tableRow{
			cells: []string{groupLabel(r.Breakdown, r.Group), summaryValue(ind, r, r.Value), iv, interp},
			bold:  hasCI(r) && strings.Contains(interp, "excludes"),
		})
	}
	p.legend = "* withheld by disclosure control or not published (see note); – not available."
	if len(sum.rows) > 0 {
		p.legend += " Significant results (95% interval excludes 0 for differences, 1 for ratios) are in bold."
		sum.note = p.legend
		p.summary = sum
	} else {
		res.note = p.legend
	}
	return p
}

// finding is the sentence in the box at the top of an indicator's results.
func (b *builder) finding(ind Indicator, rs rowsOf) string {
	data := map[string]any{"Overall": "", "Interval": "", "Unit": "", "Withheld": false, "Compare": "", "NoQuintiles": false}
	if overall := overallRow(rs); overall != nil && !math.IsNaN(overall.Value) {
		data["Overall"] = formatValue(ind, overall.Value)
		if hasCI(*overall) {
			data["Interval"] = interval(overall.Lower95, overall.Upper95, func(v float64) string { return formatPlain(ind, v) })
		}
		if kindOf(ind) != kindPercent {
			data["Unit"] = unitLabel(ind)
		}
	} else if overall != nil && hidden(*overall, overall.Value) {
		data["Withheld"] = true
	}
	if rs.find(metrics.IMDQuintile, "1") == nil && rs.find(metrics.IMDQuintile, "5") == nil {
		data["NoQuintiles"] = true
	} else {
		data["Compare"] = b.compareText(ind, rs)
	}
	return b.line("indicators", "finding", data)
}

// changeData is a change as the templates see it, every number formatted.
type changeData struct {
	Known                                 bool
	LastYear, ThisYear, Difference        string
	Interval, Direction, Note             string
	Comparable                            bool
	lastYear, thisYear, difference, ratio float64
}

func changeDataOf(ind Indicator, c Change, gap bool) *changeData {
	f := func(v float64) string { return formatValue(ind, v) }
	if gap {
		f = func(v float64) string { return formatDiff(ind, v) }
	}
	d := &changeData{Comparable: c.Comparable, Note: c.Note, lastYear: c.LastYear, thisYear: c.ThisYear, difference: c.Difference}
	if math.IsNaN(c.LastYear) || math.IsNaN(c.ThisYear) || math.IsNaN(c.Difference) {
		return d
	}
	d.Known = true
	d.LastYear, d.ThisYear, d.Difference = f(c.LastYear), f(c.ThisYear), formatDiff(ind, c.Difference)
	d.Interval = diffInterval(ind, c.Lower95, c.Upper95)
	if changeSignificant(c) {
		d.Direction = "a fall"
		if c.Difference > 0 {
			d.Direction = "an increase"
		}
	}
	d.ratio = math.Abs(c.Difference)
	if c.LastYear != 0 {
		d.ratio = math.Abs(c.Difference / c.LastYear)
	}
	return d
}

// trend is the sentence on the change since last year; "" without one.
func (b *builder) trend(ind Indicator) string {
	cs, ok := b.changes[ind.ID]
	if !ok {
		return ""
	}
	data := map[string]any{"Previous": b.previous, "Period": b.in.Period, "Overall": (*changeData)(nil), "Gap": (*changeData)(nil)}
	if c, ok := cs["overall"]; ok {
		data["Overall"] = changeDataOf(ind, c, false)
	}
	if c, ok := cs["gap"]; ok {
		data["Gap"] = changeDataOf(ind, c, true)
	}
	return b.line("indicators", "trend", data)
}

// unknownGroups are groups of unknown membership, shown in the charts with
// a muted bar so that they read as such.
var unknownGroups = map[string]bool{"Not stated": true, "Not known": true, "Unknown": true}

// groupChart is an indicator's chart by IMD quintile (always the five
// quintiles, those without a value labelled) or by ethnic group (every group
// with a row, Not stated and Not known included); nil without such rows.
func (b *builder) groupChart(ind Indicator, rs rowsOf, breakdown string) *chart {
	if firstOf(rs, breakdown) == nil {
		return nil
	}
	c := &chart{id: strings.ToLower(ind.ID) + "-" + strings.ReplaceAll(breakdown, "_", "-"), unit: unitLabel(ind),
		groupHead: breakdownLabel(breakdown), overall: math.NaN(), lastYear: math.NaN()}
	var rows []*metrics.Row
	if breakdown == metrics.IMDQuintile {
		c.title = b.line("indicators", "imd-chart-title", nil)
		for q := 1; q <= 5; q++ {
			rows = append(rows, rs.find(breakdown, strconv.Itoa(q)))
		}
	} else {
		c.title = b.line("indicators", "ethnic-chart-title", nil)
		for i := range rs {
			if rs[i].Breakdown == breakdown {
				rows = append(rows, &rs[i])
			}
		}
	}
	for i, r := range rows {
		group := strconv.Itoa(i + 1)
		if r != nil {
			group = r.Group
		}
		br := bar{label: groupLabel(breakdown, group), value: math.NaN(), lo: math.NaN(), hi: math.NaN(), muted: unknownGroups[group]}
		switch {
		case r == nil || math.IsNaN(r.Value):
			br.missing = "not available"
			if r != nil && hidden(*r, r.Value) {
				br.missing = "* withheld (see table)"
			}
		default:
			br.value, br.valTxt = r.Value, formatValue(ind, r.Value)
			br.text = br.valTxt
			if !math.IsNaN(r.Lower95) && !math.IsNaN(r.Upper95) {
				br.lo, br.hi = r.Lower95, r.Upper95
				br.ivTxt = formatPlain(ind, r.Lower95) + " to " + formatPlain(ind, r.Upper95)
				br.text += " (" + br.ivTxt + ")"
			}
		}
		c.bars = append(c.bars, br)
	}
	if o := overallRow(rs); o != nil && !math.IsNaN(o.Value) {
		c.overall, c.overallTxt = o.Value, "Overall "+formatValue(ind, o.Value)
	}
	if ch, ok := b.changes[ind.ID]["overall"]; ok && breakdown == metrics.IMDQuintile && !math.IsNaN(ch.LastYear) {
		c.lastYear, c.lastTxt = ch.LastYear, b.previous+" overall "+formatValue(ind, ch.LastYear)
	}
	if breakdown == metrics.IMDQuintile {
		b.compMarkers(ind, c)
	} else {
		b.compLines(ind, c)
	}
	lo, hi := 0.0, 0.0
	consider := func(vs ...float64) {
		for _, v := range vs {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	for _, br := range c.bars {
		consider(br.value, br.lo, br.hi)
		for _, cv := range br.comps {
			consider(cv.v)
		}
	}
	consider(c.overall, c.lastYear)
	for _, r := range c.refs {
		consider(r.v)
	}
	percent := kindOf(ind) == kindPercent
	axisLo, axisHi, step := niceScale(lo, hi)
	if percent && hi <= 100 && axisHi > 100 {
		axisHi = 100
	}
	c.axisLo, c.axisHi = axisLo, axisHi
	dp := 0
	if step < 1 {
		dp = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	for i := 0; ; i++ {
		t := axisLo + float64(i)*step
		if t > axisHi+step/1e6 {
			break
		}
		label := fixed(t, dp)
		if percent {
			label += "%"
		}
		c.ticks = append(c.ticks, tick{v: t, label: label})
	}
	c.desc = chartDescription(ind, c)
	return c
}

// lowerFirst lower-cases the first letter of s, to follow a colon.
func lowerFirst(s string) string {
	for i, r := range s {
		return strings.ToLower(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// chartDescription says in words what a chart shows, with every value.
func chartDescription(ind Indicator, c *chart) string {
	var parts []string
	for _, br := range c.bars {
		v := br.text
		if v == "" {
			v = strings.TrimPrefix(br.missing, "* ")
		}
		parts = append(parts, br.label+": "+v)
	}
	s := "Bar chart of " + ind.Name + " (" + unitLabel(ind) + ") " + lowerFirst(c.title) + ". " +
		strings.Join(parts, "; ") + "."
	if c.overallTxt != "" {
		s += " The dashed line marks the overall value (" + strings.TrimPrefix(c.overallTxt, "Overall ") + ")."
	}
	if c.lastTxt != "" {
		s += " The dotted line marks last year's overall value (" + c.lastTxt + ")."
	}
	for k, m := range c.marks {
		var comp []string
		for _, br := range c.bars {
			comp = append(comp, br.label+": "+strings.TrimPrefix(br.comps[k].txt, "* "))
		}
		s += " " + m.key + " (" + markerShapes[m.shape] + "s): " + strings.Join(comp, "; ") + "."
	}
	for _, r := range c.refs {
		s += " The " + refDashes[r.style%len(refDashes)] + " marks the overall value of " + r.name + " (" + strings.TrimPrefix(r.label, r.name+" ") + ")."
	}
	return s
}

// quality is the rows read per source and the unusable-field shares.
func (b *builder) quality() *section {
	in := b.in
	s := &section{key: "quality", title: b.line("quality", "title", nil)}
	s.blocks = b.blocks("quality", "intro", nil, nil)
	s.blocks = append(s.blocks, b.unassigned()...)
	if len(in.Sources) > 0 {
		var rows []tableRow
		for _, src := range in.Sources {
			share := "–"
			if src.Rows > 0 {
				share = formatPct(float64(src.Rejected) / float64(src.Rows) * 100)
			}
			rows = append(rows, tableRow{cells: []string{
				src.Name, src.Kind, src.File, fixed(float64(src.Rows), 0), fixed(float64(src.Rejected), 0), share, publishedCount(src.Duplicates),
			}})
		}
		s.blocks = append(s.blocks, &tableBlock{caption: b.line("quality", "sources-heading", nil), captionLevel: 2,
			keepRows: 1, cols: []column{
				{"Source", 32, "L"},
				{"Kind", 24, "L"},
				{"File", 44, "L"},
				{"Rows read", 22, "R"},
				{"Rejected", 20, "R"},
				{"% rejected", 18, "R"},
				{"Duplicates", 20, "R"},
			}, rows: rows, note: b.line("quality", "sources-note", nil)})
		s.blocks = append(s.blocks, b.residence()...)
	}
	if len(in.DataQuality) > 0 {
		s.blocks = append(s.blocks, b.fieldsTable()...)
	}
	if len(in.Sources) == 0 && len(in.DataQuality) == 0 {
		s.blocks = append(s.blocks, b.blocks("quality", "none", nil, nil)...)
	}
	return s
}

// fieldsTable is the unusable-field shares per source and indicator, with
// the change since last year when supplied.
func (b *builder) fieldsTable() []block {
	dq := sortedDataQuality(b.in.DataQuality)
	matched := 0
	for _, q := range dq {
		if q.Previous != nil {
			matched++
		}
	}
	shareHeads := []string{"Ethnicity not stated (Z)", "Ethnicity not known (99)", "Ethnicity blank or invalid", "No valid LSOA"}
	cols := []column{{"Source", 30, "L"}, {"Indicator", 22, "L"}, {"Records", 20, "R"}}
	if matched == 0 {
		for _, h := range shareHeads {
			cols = append(cols, column{h, 27, "R"})
		}
	} else {
		cols = []column{{"Source", 25, "L"}, {"Indicator", 16, "L"}, {"Records", 15, "R"}}
		for _, h := range shareHeads {
			cols = append(cols, column{h, 18, "R"}, column{"Change", 13, "R"})
		}
	}
	var rows []tableRow
	withheld := false
	for _, q := range dq {
		ind := q.Indicator
		if ind == "" {
			ind = "All records"
		}
		records := "*"
		if math.IsNaN(q.Records) {
			withheld = true
		} else {
			records = fixed(q.Records, 0)
		}
		cells := []string{q.Source, ind, records}
		now, change := q.shares(), q.changes()
		for i := range now {
			share := formatPct(now[i])
			if q.shareWithheld(i) {
				share, withheld = "*", true
			}
			cells = append(cells, share)
			if matched > 0 {
				c := "–"
				switch {
				case q.changeWithheld(i):
					c, withheld = "*", true
				case !math.IsNaN(change[i]):
					c = signed(change[i], 1) + " pp"
				}
				cells = append(cells, c)
			}
		}
		rows = append(rows, tableRow{cells: cells})
	}
	note := b.line("quality", "fields-note", nil)
	if withheld {
		note += " " + withheldNote
	}
	heading := b.line("quality", "fields-heading", nil)
	change := b.blocks("quality", "change", map[string]any{"Matched": matched, "Rows": len(dq), "Previous": previousPeriod(b.in.Period)}, nil)
	return append(append([]block{&headingBlock{text: heading, level: 2}}, change...),
		&tableBlock{caption: heading, hideCaption: true, cols: cols, rows: rows, note: note})
}

// ethnicMapping is the NHS Data Dictionary ethnic category to group mapping.
var ethnicMapping = [][2]string{
	{"A, B, C", "White"},
	{"D, E, F, G", "Mixed"},
	{"H, J, K, L", "Asian or Asian British"},
	{"M, N, P", "Black or Black British"},
	{"R, S", "Other ethnic groups (R, Chinese, stays here as in NHS publications)"},
	{"Z", "Not stated"},
	{"99, blank or any other value", "Not known"},
}

// methods is how the figures were produced.
func (b *builder) methods() *section {
	in := b.in
	imd := in.IMDEdition
	if imd == "" {
		imd = "The English Indices of Deprivation"
	}
	rule := strings.TrimSpace(in.DisclosureRule)
	if rule != "" && !strings.HasSuffix(rule, ".") {
		rule += "."
	}
	var rows []tableRow
	for _, m := range ethnicMapping {
		rows = append(rows, tableRow{cells: []string{m[0], m[1]}})
	}
	codes := &tableBlock{caption: "Ethnic category codes and the groups used", cols: []column{{"Ethnic category codes", 50, "L"}, {"Group in this statement", contentW - 50, "L"}}, rows: rows}
	s := &section{key: "methods", title: b.line("methods", "title", nil), blocks: b.blocks("methods", "body",
		map[string]any{"IMDEdition": mdEscape(imd), "DisclosureRule": mdEscape(rule), "Version": in.Version},
		map[string]block{"ethnic-codes": codes})}
	for _, comp := range b.comps {
		s.blocks = append(s.blocks, b.blocks("comparator", "method", map[string]any{"Label": mdEscape(comp.label), "Partial": comp.partial, "Period": comp.period}, nil)...)
	}
	return s
}

// annex lists every indicator with its description and evidence level.
func (b *builder) annex() *section {
	s := &section{key: "annex", title: b.line("annex", "title", nil)}
	s.blocks = b.blocks("annex", "intro", nil, nil)
	if len(b.inds) == 0 {
		s.blocks = append(s.blocks, b.blocks("annex", "none", nil, nil)...)
		return s
	}
	var rows []tableRow
	domain := "\x00"
	for _, ind := range b.inds {
		if dom := domainName(ind); dom != domain {
			domain = dom
			rows = append(rows, tableRow{section: dom})
		}
		desc := ind.Description
		if ind.Source != "" {
			desc = strings.TrimSpace(desc + " Source: " + ind.Source + ".")
		}
		rows = append(rows, tableRow{cells: []string{
			ind.ID, ind.Name, evidenceLabel(ind.Evidence), unitLabel(ind), desc,
		}, link: "ind:" + ind.ID})
	}
	s.blocks = append(s.blocks, &tableBlock{caption: "Indicator definitions", cols: []column{
		{"ID", 15, "L"},
		{"Indicator", 44, "L"},
		{"Evidence", 19, "L"},
		{"Unit", 18, "L"},
		{"Description", 84, "L"},
	}, rows: rows})
	return s
}

// publishedCount prints a published count: * when withheld.
func publishedCount(v float64) string {
	if math.IsNaN(v) {
		return "*"
	}
	return fixed(v, 0)
}

// residence is the sentences on where records live: those of areas outside
// the population source (counted in their quintile's numerator, unless the
// run counts residents only), and how LSOAs matched the IMD lookup through
// an LSOA 2011 → 2021 lookup.
func (b *builder) residence() []block {
	type count struct{ Source, Records string }
	type matched struct {
		Source string
		Ways   []count
	}
	var outside []count
	var matches []matched
	for _, src := range b.in.Sources {
		if v := src.OutsidePopulation; math.IsNaN(v) || v > 0 {
			if !math.IsNaN(v) || src.Kind != "population" {
				outside = append(outside, count{mdEscape(src.Name), publishedCount(v)})
			}
		}
		if len(src.Matches) > 0 {
			m := matched{Source: mdEscape(src.Name)}
			for _, w := range src.Matches {
				m.Ways = append(m.Ways, count{w.Label, publishedCount(w.Records)})
			}
			matches = append(matches, m)
		}
	}
	var blocks []block
	if len(outside) > 0 {
		blocks = append(blocks, b.blocks("quality", "outside-population", map[string]any{"Sources": outside}, nil)...)
	}
	if len(matches) > 0 {
		blocks = append(blocks, b.blocks("quality", "lsoa-matches", map[string]any{"Sources": matches}, nil)...)
	}
	return blocks
}
