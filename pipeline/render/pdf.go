package render

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-fonts/dejavu/dejavusans"
	"codeberg.org/go-fonts/dejavu/dejavusansbold"
	"codeberg.org/go-fonts/dejavu/dejavusanscondensed"
	"codeberg.org/go-fonts/dejavu/dejavusanscondensedbold"
	"codeberg.org/go-pdf/fpdf"

	"hiis/pipeline/metrics"
)

// Page geometry (mm, A4 portrait) and type sizes (pt).
const (
	pageW        = 210.0
	pageH        = 297.0
	marginX      = 15.0
	marginTop    = 20.0
	marginBottom = 20.0
	contentW     = pageW - 2*marginX
	bottomLimit  = pageH - marginBottom
	bodySize     = 9.5
	bodyLine     = 4.7
)

// Font families: DejaVu Sans for text and headings, its condensed cut for
// tables and charts. Both are embedded (subset) so any UTF-8 text renders.
const (
	fontSans = "DejaVuSans"
	fontCond = "DejaVuSansCondensed"
)

type rgb struct{ r, g, b int }

// Colours: NHS blue as the one accent, NHS greys for text and rules.
var (
	colBlue     = rgb{0, 94, 184}    // #005EB8 NHS blue
	colBlueDark = rgb{0, 48, 135}    // #003087 NHS dark blue
	colBar      = rgb{0, 94, 184}    // bars
	colText     = rgb{33, 43, 50}    // #212B32
	colGreyDark = rgb{66, 85, 99}    // #425563
	colGrey     = rgb{97, 114, 127}  // secondary text
	colRule     = rgb{216, 221, 224} // #D8DDE0
	colTint     = rgb{232, 241, 250} // pale blue bands
	colWhite    = rgb{255, 255, 255}
)

// fixedPDFDate is the creation and modification date in the PDF's
// information dictionary: fixed so that the file never depends on the clock.
var fixedPDFDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// doc is one rendering pass of the statement.
type doc struct {
	f       *fpdf.Fpdf
	in      Input
	inds    []Indicator              // statement order: grouped by domain
	rows    map[string][]metrics.Row // published rows by indicator id
	section string                   // shown in the running header
	cont    string                   // caption atop pages an indicator continues on
	pages   map[string]int           // contents key → page, recorded in this pass
	known   map[string]int           // the same from the previous pass
	links   map[string]int           // contents key → internal link
}

// contentsEntry is one line of the contents.
type contentsEntry struct {
	key, title string
	level      int
}

// statementPDF renders statement.pdf. It lays the document out twice: the
// first pass finds the page of each section for the contents. The contents
// depend only on the input, not on page numbers, so both passes break pages
// in the same places.
func statementPDF(in Input) ([]byte, error) {
	first, err := layout(in, nil)
	if err != nil {
		return nil, err
	}
	second, err := layout(in, first.pages)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := second.f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func layout(in Input, known map[string]int) (*doc, error) {
	f := fpdf.New("P", "mm", "A4", "")
	d := &doc{f: f, in: in, known: known, pages: map[string]int{}, links: map[string]int{}}
	d.inds, d.rows = statementIndicators(in)

	f.SetCreationDate(fixedPDFDate)
	f.SetModificationDate(fixedPDFDate)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.AliasNbPages("{nb}") // before the fonts: it widens their subset
	f.AddUTF8FontFromBytes(fontSans, "", dejavusans.TTF)
	f.AddUTF8FontFromBytes(fontSans, "B", dejavusansbold.TTF)
	f.AddUTF8FontFromBytes(fontCond, "", dejavusanscondensed.TTF)
	f.AddUTF8FontFromBytes(fontCond, "B", dejavusanscondensedbold.TTF)
	title := "Health Inequalities Information Statement " + in.Period
	f.SetTitle(title+" – "+in.Organisation.Name, true)
	f.SetAuthor(in.Organisation.Name, true)
	f.SetSubject("How access, experience and outcomes differ by deprivation, ethnic group, age and sex", true)
	f.SetCreator("hiis "+in.Version, true)
	f.SetLang("en-GB")
	f.SetDisplayMode("fullwidth", "continuous")
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(true, marginBottom)
	f.SetHeaderFunc(d.header)
	f.SetFooterFunc(d.footer)

	for _, e := range d.contents() {
		d.links[e.key] = f.AddLink()
	}
	for _, ind := range d.inds {
		d.links["ind:"+ind.ID] = f.AddLink()
	}
	d.cover()
	d.contentsPage()
	d.about()
	d.narrative()
	d.summary()
	d.indicators()
	d.dataQuality()
	d.methods()
	d.annex()
	d.pages["total"] = f.PageNo()
	if err := f.Error(); err != nil {
		return nil, err
	}
	return d, nil
}

// statementIndicators orders the indicators for the statement, grouped by
// domain in order of first appearance, and indexes the published rows.
// Indicators with rows but no description come last, named by id.
func statementIndicators(in Input) ([]Indicator, map[string][]metrics.Row) {
	rows := map[string][]metrics.Row{}
	var order []string
	for _, g := range groupRows(in.Metrics) {
		rows[g.id] = g.rows
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

// contents lists the cover's contents for this input.
func (d *doc) contents() []contentsEntry {
	c := []contentsEntry{{key: "about", title: "About this statement and the population served"}}
	if len(d.in.Narrative) > 0 {
		c = append(c, contentsEntry{key: "narrative", title: "Commentary and actions"})
	}
	c = append(c, contentsEntry{key: "summary", title: "Summary of indicators"})
	if len(d.inds) > 0 {
		c = append(c, contentsEntry{key: "indicators", title: "Results by indicator"})
		seen := map[string]bool{}
		for _, ind := range d.inds {
			if dom := domainName(ind); !seen[dom] {
				seen[dom] = true
				c = append(c, contentsEntry{key: "domain:" + dom, title: dom, level: 1})
			}
		}
	}
	return append(c,
		contentsEntry{key: "quality", title: "Data quality"},
		contentsEntry{key: "methods", title: "Methods"},
		contentsEntry{key: "annex", title: "Annex: indicator definitions"},
	)
}

// Small drawing helpers.

func (d *doc) font(family, style string, size float64) { d.f.SetFont(family, style, size) }
func (d *doc) text(c rgb)                              { d.f.SetTextColor(c.r, c.g, c.b) }
func (d *doc) fill(c rgb)                              { d.f.SetFillColor(c.r, c.g, c.b) }
func (d *doc) draw(c rgb)                              { d.f.SetDrawColor(c.r, c.g, c.b) }

func (d *doc) addPage() { d.f.AddPage() }

// ensure starts a new page unless h mm fit above the bottom margin.
func (d *doc) ensure(h float64) {
	if d.f.GetY()+h > bottomLimit {
		d.addPage()
	}
}

// mark records that the contents entry key starts here, as a link target
// and a bookmark.
func (d *doc) mark(key, title string, level int) {
	d.pages[key] = d.f.PageNo()
	if link, ok := d.links[key]; ok {
		d.f.SetLink(link, d.f.GetY(), -1)
	}
	d.f.Bookmark(title, level, -1)
}

// startSection begins a section on a new page.
func (d *doc) startSection(key, title string) {
	d.section = title
	d.addPage()
	d.mark(key, title, 0)
	d.heading1(title)
}

func (d *doc) header() {
	f := d.f
	if f.PageNo() == 1 {
		return
	}
	d.font(fontCond, "", 7.5)
	d.text(colGrey)
	f.SetXY(marginX, 9)
	f.CellFormat(contentW/2, 4, "Health Inequalities Information Statement "+d.in.Period, "", 0, "L", false, 0, "")
	f.SetXY(marginX+contentW/2, 9)
	f.CellFormat(contentW/2, 4, fit(f, d.section, contentW/2-2), "", 0, "R", false, 0, "")
	d.draw(colBlue)
	f.SetLineWidth(0.3)
	f.Line(marginX, 13.5, pageW-marginX, 13.5)
	f.SetXY(marginX, marginTop)
	if d.cont != "" {
		// A page that continues an indicator names it, so that a table
		// read on its own says what it shows.
		d.font(fontCond, "B", 8.5)
		d.text(colGreyDark)
		f.CellFormat(contentW, 4.5, fit(f, d.cont, contentW), "", 1, "L", false, 0, "")
		f.SetXY(marginX, marginTop+contHeight)
	}
}

// contHeight is the room the continuation caption takes at the top of a page.
const contHeight = 7.0

// withoutPageBreaks runs draw with automatic page breaks off, so that what
// it draws (a table row, a line of the contents) stays in one piece: the
// caller has made room for it first.
func (d *doc) withoutPageBreaks(draw func()) {
	auto, margin := d.f.GetAutoPageBreak()
	d.f.SetAutoPageBreak(false, margin)
	draw()
	d.f.SetAutoPageBreak(auto, margin)
}

func (d *doc) footer() {
	f := d.f
	if f.PageNo() == 1 {
		return
	}
	d.draw(colRule)
	f.SetLineWidth(0.2)
	f.Line(marginX, pageH-13, pageW-marginX, pageH-13)
	d.font(fontCond, "", 7.5)
	d.text(colGrey)
	left := d.in.Organisation.Name
	if d.in.Organisation.Code != "" {
		left += " (" + d.in.Organisation.Code + ")"
	}
	if d.in.Version != "" {
		left += " · produced with hiis " + d.in.Version
	}
	f.SetXY(marginX, pageH-12)
	f.CellFormat(contentW-30, 4, fit(f, left, contentW-32), "", 0, "L", false, 0, "")
	// The alias {nb} is replaced after layout, so right-aligning measures
	// "{nb}", not the number: shift the cell by the difference, known from
	// the first pass.
	shift := 0.0
	if n, ok := d.known["total"]; ok {
		shift = f.GetStringWidth("{nb}") - f.GetStringWidth(itoa(n))
	}
	f.SetXY(pageW-marginX-30+shift, pageH-12)
	f.CellFormat(30, 4, "Page "+itoa(f.PageNo())+" of {nb}", "", 0, "R", false, 0, "")
}

// fit shortens text with an ellipsis until it is at most w mm wide.
func fit(f *fpdf.Fpdf, text string, w float64) string {
	if f.GetStringWidth(text) <= w {
		return text
	}
	r := []rune(text)
	for len(r) > 0 && f.GetStringWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func itoa(n int) string { return fixed(float64(n), 0) }

// cover writes page 1: title block, organisation, what the statement covers
// and the publication note. The contents follow on a page of their own.
func (d *doc) cover() {
	f := d.f
	in := d.in
	d.section = ""
	f.AddPage()
	d.fill(colBlue)
	f.Rect(0, 0, pageW, 112, "F")

	d.text(colWhite)
	d.font(fontSans, "B", 10)
	f.SetXY(marginX, 22)
	f.CellFormat(contentW, 5, strings.ToUpper(orgKindLabel(in.Organisation.Kind)), "", 1, "L", false, 0, "")
	d.font(fontSans, "B", 28)
	f.SetXY(marginX, 38)
	f.MultiCell(contentW, 12.5, "Health Inequalities\nInformation Statement", "", "L", false)
	f.Ln(4)
	d.font(fontSans, "", 15)
	f.SetX(marginX)
	f.CellFormat(contentW, 8, "Reporting period "+in.Period, "", 1, "L", false, 0, "")

	f.SetXY(marginX, 124)
	d.text(colText)
	d.font(fontSans, "B", 18)
	f.MultiCell(contentW, 8.5, in.Organisation.Name, "", "L", false)
	f.Ln(1)
	d.font(fontSans, "", 10)
	d.text(colGrey)
	f.SetX(marginX)
	f.CellFormat(contentW, 5, "Organisation code "+in.Organisation.Code, "", 1, "L", false, 0, "")

	f.SetY(max(f.GetY()+10, 150))
	d.font(fontSans, "", 10.5)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, 5.5, d.coverScope(), "", "L", false)

	// The note sits at the foot of the page, however many lines it takes.
	d.font(fontSans, "", 8)
	d.text(colGrey)
	version := ""
	if in.Version != "" {
		version = " Produced with hiis " + in.Version + "."
	}
	note := "Published in line with NHS England's Statement on information on health inequalities " +
		"(duty under section 13SA of the National Health Service Act 2006). Every figure in this " +
		"statement is also in the accompanying data pack (datapack.xlsx, metrics.csv, metrics.parquet)." + version
	const noteLine = 4.0
	f.SetXY(marginX, min(262, bottomLimit-float64(len(d.lines(note, contentW)))*noteLine-1))
	d.withoutPageBreaks(func() { f.MultiCell(contentW, noteLine, note, "", "L", false) })
}

// coverScope says on the cover what the statement covers.
func (d *doc) coverScope() string {
	domains := map[string]bool{}
	for _, ind := range d.inds {
		domains[domainName(ind)] = true
	}
	switch n := len(d.inds); n {
	case 0:
		return "No indicators were published in this run."
	case 1:
		return "1 indicator, by deprivation, ethnic group, age and sex."
	default:
		in := itoa(len(domains)) + " domains"
		if len(domains) == 1 {
			in = "1 domain"
		}
		return itoa(n) + " indicators in " + in + ", by deprivation, ethnic group, age and sex."
	}
}

// contentsPage lists the sections and the domains of the results with their
// pages, on a page of its own. Each line is kept whole: a line that does not
// fit goes to the next page, and the contents continue there.
func (d *doc) contentsPage() {
	f := d.f
	d.section = "Contents"
	d.addPage()
	f.Bookmark("Contents", 0, -1)
	d.heading1("Contents")
	for i, e := range d.contents() {
		indent, size, style, h := 0.0, 10.5, "B", 7.2
		if e.level > 0 {
			indent, size, style, h = 7, 9.5, "", 6.2
		} else if i > 0 {
			f.Ln(1.2)
		}
		d.ensure(h)
		d.font(fontSans, style, size)
		d.text(colText)
		page := ""
		if n, ok := d.known[e.key]; ok {
			page = itoa(n)
		}
		y := f.GetY()
		x := marginX + indent
		title := fit(f, e.title, contentW-indent-20)
		titleW := f.GetStringWidth(title) + 2
		d.withoutPageBreaks(func() {
			f.SetXY(x, y)
			f.CellFormat(titleW, h, title, "", 0, "L", false, d.links[e.key], "")
			f.SetXY(marginX+contentW-12, y)
			f.CellFormat(12, h, page, "", 0, "R", false, d.links[e.key], "")
		})
		d.draw(colRule)
		f.SetLineWidth(0.3)
		f.SetDashPattern([]float64{0.3, 1.2}, 0)
		f.Line(x+titleW+1, y+h*0.68, marginX+contentW-13, y+h*0.68)
		f.SetDashPattern(nil, 0)
		f.SetXY(marginX, y+h)
	}
}

// about writes the introduction and the population context.
func (d *doc) about() {
	in := d.in
	org := in.Organisation.Name
	d.startSection("about", "About this statement")
	d.para("This statement describes how access to services, experience and outcomes differ for the people served by " +
		org + " by deprivation, ethnic group, age and sex, for the reporting period " + in.Period + ". " +
		"It follows NHS England's Statement on information on health inequalities, which sets out the information " +
		"NHS bodies are expected to publish each year.")
	imd := in.IMDEdition
	if imd == "" {
		imd = "English Indices of Deprivation"
	}
	d.para("Deprivation is measured with the " + imd + ". Every neighbourhood (lower-layer super output area, LSOA) " +
		"in England is ranked, and the ranks are grouped into fifths, or quintiles: quintile 1 is the most deprived " +
		"20% of neighbourhoods nationally and quintile 5 the least deprived. People are counted in the quintile of " +
		"the neighbourhood they live in.")
	d.para("Every figure has a 95% confidence interval: the range in which the true value is likely to lie, given " +
		"the play of chance. A difference between groups is called significant only when the intervals show it, " +
		"never because one figure is simply larger than another. Small numbers are withheld to protect " +
		"confidentiality and shown as *. The Methods section explains how each figure was produced.")

	d.heading2("Population served", 40)
	d.para(d.core20Sentence())
	if len(in.Population) == 0 {
		d.para("No population figures were supplied for this run.")
		return
	}
	d.populationTables()
}

// core20Sentence states the share of the population in IMD quintile 1.
func (d *doc) core20Sentence() string {
	share := d.in.Core20Share
	if math.IsNaN(share) {
		return "The Core20 share (the proportion of people living in the most deprived 20% of neighbourhoods in " +
			"England) could not be calculated for this population."
	}
	people := ""
	for _, p := range d.in.Population {
		if p.Breakdown == metrics.IMDQuintile && p.Group == "1" && !math.IsNaN(p.People) {
			people = " (" + fixed(p.People, 0) + " people)"
		}
	}
	return formatPct(share*100) + " of the population" + people + " live in the most deprived 20% of " +
		"neighbourhoods in England (IMD quintile 1). This is the Core20 population that NHS England's " +
		"Core20PLUS5 approach asks the NHS to focus on."
}

// populationTables writes the population by IMD quintile, ethnic group, age
// band and sex as four small tables in two columns: people as published, *
// where withheld. No shares of a breakdown's total: those would be
// percentages of rounded counts.
func (d *doc) populationTables() {
	f := d.f
	withheld := false
	tableFor := func(breakdown string) (string, []tableRow) {
		var rows []tableRow
		for _, p := range sortedPopulation(d.in.Population) {
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
		return breakdownLabel(breakdown), rows
	}
	const gutter = 10.0
	colW := (contentW - gutter) / 2
	cols := func(head string) []column {
		return []column{{head, colW - 24, "L"}, {"People", 24, "R"}}
	}
	layoutPair := func(a, b string) {
		ta, ra := tableFor(a)
		tb, rb := tableFor(b)
		h := func(rows []tableRow) float64 {
			s := d.headHeight(cols(""))
			for _, r := range rows {
				s += d.rowHeight(cols(""), r)
			}
			return s
		}
		if max(h(ra), h(rb))+2 > bottomLimit-marginTop-contHeight {
			// Too long to stand side by side on one page: one after the other.
			for _, t := range []struct {
				title string
				rows  []tableRow
			}{{ta, ra}, {tb, rb}} {
				if len(t.rows) > 0 {
					d.tableAt(marginX, cols(t.title), t.rows, 0)
					f.Ln(5)
				}
			}
			return
		}
		d.ensure(max(h(ra), h(rb)) + 2)
		y := f.GetY()
		end := y
		if len(ra) > 0 {
			d.tableAt(marginX, cols(ta), ra, 0)
			end = max(end, f.GetY())
		}
		if len(rb) > 0 {
			f.SetY(y)
			d.tableAt(marginX+colW+gutter, cols(tb), rb, 0)
			end = max(end, f.GetY())
		}
		f.SetXY(marginX, end+5)
	}
	layoutPair(metrics.IMDQuintile, metrics.Ethnic)
	layoutPair(metrics.AgeBand, metrics.Sex)
	if withheld {
		d.note(withheldNote)
	}
}

// withheldNote is the footnote of a table with figures withheld.
const withheldNote = "* withheld by disclosure control."

// narrative writes the organisation's own text blocks, if any.
func (d *doc) narrative() {
	if len(d.in.Narrative) == 0 {
		return
	}
	d.startSection("narrative", "Commentary and actions")
	for _, n := range d.in.Narrative {
		if n.Title != "" {
			d.heading2(n.Title, 15)
		}
		for _, p := range paragraphs(n.Text) {
			d.para(p)
		}
	}
}

// paragraphs splits text at blank lines; single line breaks (as in a list)
// are kept.
func paragraphs(text string) []string {
	var out, cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			flush()
		} else {
			cur = append(cur, l)
		}
	}
	flush()
	return out
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

// summary writes one line per indicator: overall, Q1, Q5, gap, SII and the
// significance statement.
func (d *doc) summary() {
	d.startSection("summary", "Summary of indicators")
	d.para("One line per indicator. Q1 is the most deprived fifth of neighbourhoods in England and Q5 the least " +
		"deprived. The gap is Q1 minus Q5 (in percentage points, pp, for percentages). The slope index of " +
		"inequality (SII) is the modelled difference between the least and the most deprived ends of the " +
		"population, using all five quintiles: a negative SII means higher values in more deprived areas. " +
		"Whether a difference is significant is read from the 95% confidence intervals.")
	if len(d.inds) == 0 {
		d.para("No indicators were published in this run.")
		return
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
	var rows []tableRow
	domain := "\x00"
	for _, ind := range d.inds {
		if dom := domainName(ind); dom != domain {
			domain = dom
			rows = append(rows, tableRow{section: dom})
		}
		rs := rowsOf(d.rows[ind.ID])
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
		overall := rs.find(metrics.Overall, metrics.GroupAll)
		if overall == nil {
			overall = firstOf(rs, metrics.Overall)
		}
		rows = append(rows, tableRow{cells: []string{
			ind.Name + "\n" + ind.ID + " · " + unitLabel(ind),
			val(overall, fv), val(q1, fv), val(q5, fv), summary(gap), siiText,
			compareQuintiles(ind, q1, q5, gap),
		}, link: d.links["ind:"+ind.ID]})
	}
	d.tableNote(cols, rows, "* withheld by disclosure control or not published (see the indicator's table); – not available. "+
		"pp: percentage points.")
}

func firstOf(rs rowsOf, breakdown string) *metrics.Row {
	for i := range rs {
		if rs[i].Breakdown == breakdown {
			return &rs[i]
		}
	}
	return nil
}

var measureLabels = map[string]string{
	"proportion":        "proportion",
	"crude_rate":        "crude rate",
	"dsr":               "directly age–sex standardised rate",
	"count":             "count",
	"ratio_to_baseline": "ratio to baseline",
	"mean":              "mean",
}

// indicators writes the results, grouped by domain. An indicator follows
// the one before on the same page, below a rule, when its whole opening (see
// indicatorLead) fits there, and starts a new page otherwise. Each names its
// domain above its title; the running header names the domain of the
// indicator that starts or continues on the page.
func (d *doc) indicators() {
	if len(d.inds) == 0 {
		return
	}
	f := d.f
	d.startSection("indicators", "Results by indicator")
	d.para("Each indicator has the same layout: its definition, a key finding comparing the most and least " +
		"deprived fifths of neighbourhoods, a chart by IMD quintile with 95% confidence intervals, a table of every " +
		"group (by deprivation, ethnic group, age band and sex, where the data allow) and the summary measures of " +
		"inequality. Indicators are grouped by domain, as in the summary table.")
	domain := "\x00"
	for i, ind := range d.inds {
		dom := domainName(ind)
		p := d.indicatorParts(ind)
		d.section = dom
		switch {
		case i == 0 && f.GetY()+6+d.indicatorLead(p) <= bottomLimit:
			f.Ln(6)
		case f.GetY()+indicatorGap+d.indicatorLead(p) > bottomLimit:
			d.addPage()
		default:
			f.Ln(indicatorGap/2 - 1)
			d.draw(colRule)
			f.SetLineWidth(0.4)
			f.Line(marginX, f.GetY(), marginX+contentW, f.GetY())
			f.Ln(indicatorGap/2 + 1)
		}
		if dom != domain {
			domain = dom
			d.mark("domain:"+dom, dom, 1)
		}
		if link, ok := d.links["ind:"+ind.ID]; ok {
			f.SetLink(link, f.GetY(), -1)
		}
		f.Bookmark(ind.ID+" "+ind.Name, 2, -1)
		d.indicator(p)
	}
}

// indicatorGap is the space, with a rule across it, between two indicators
// on the same page.
const indicatorGap = 9.0

// indicatorParts is the content of an indicator's section, worked out once
// for measuring and for drawing.
type indicatorParts struct {
	ind      Indicator
	domain   string
	rs       rowsOf
	meta     string
	finding  string
	chart    bool
	cols     []column
	rows     []tableRow
	sumCols  []column
	sum      []tableRow
	legend   string
	noResult string
}

func (d *doc) indicatorParts(ind Indicator) indicatorParts {
	rs := rowsOf(d.rows[ind.ID])
	p := indicatorParts{ind: ind, domain: domainName(ind), rs: rs}
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
		p.noResult = "No results were published for this indicator in this run."
		return p
	}
	p.finding = d.keyFinding(ind, rs)
	p.chart = firstOf(rs, metrics.IMDQuintile) != nil

	p.cols = []column{
		{"Group", 30, "L"},
		{"Numerator", 17, "R"},
		{"Denominator", 20, "R"},
		{"Value (" + unitLabel(ind) + ")", 20, "R"},
		{"Lower 95%", 17, "R"},
		{"Upper 95%", 17, "R"},
		{"Note", 59, "L"},
	}
	breakdown := ""
	fp := func(v float64) string { return formatPlain(ind, v) }
	for _, r := range rs {
		if r.Breakdown == metrics.IMDSummary || r.Breakdown == metrics.EthnicRatio {
			continue
		}
		if r.Breakdown != breakdown {
			breakdown = r.Breakdown
			p.rows = append(p.rows, tableRow{section: breakdownLabel(breakdown)})
		}
		p.rows = append(p.rows, tableRow{cells: []string{
			groupLabel(r.Breakdown, r.Group),
			cell(r, r.Numerator, formatCount), cell(r, r.Denominator, formatCount),
			cell(r, r.Value, fp), cell(r, r.Lower95, fp), cell(r, r.Upper95, fp),
			r.Note,
		}})
	}

	breakdown = ""
	for _, r := range rs {
		if r.Breakdown != metrics.IMDSummary && r.Breakdown != metrics.EthnicRatio {
			continue
		}
		if r.Breakdown != breakdown {
			breakdown = r.Breakdown
			p.sum = append(p.sum, tableRow{section: breakdownLabel(breakdown)})
		}
		iv := interval(r.Lower95, r.Upper95, func(v float64) string { return summaryValue(ind, r, v) })
		if iv == "" || (r.Suppressed && !hasCI(r)) {
			iv = "–"
		}
		interp := summaryInterpretation(r)
		p.sum = append(p.sum, tableRow{
			cells: []string{groupLabel(r.Breakdown, r.Group), summaryValue(ind, r, r.Value), iv, interp},
			bold:  hasCI(r) && strings.Contains(interp, "excludes"),
		})
	}
	p.sumCols = []column{
		{"Measure", 44, "L"},
		{"Value", 17, "R"},
		{"95% interval", 31, "R"},
		{"What the interval shows", 88, "L"},
	}
	p.legend = "* withheld by disclosure control or not published (see note); – not available."
	if len(p.sum) > 0 {
		p.legend += " Significant results (95% interval excludes 0 for differences, 1 for ratios) are in bold."
	}
	return p
}

// Heights of the pieces of an indicator's opening, in mm.
const (
	domainLabelH = 4.5
	titleLine    = 6.5
	metaLine     = 4.0
)

// indicatorLead is the height of an indicator's opening, which must start on
// one page: title, description, key finding and the chart by IMD quintile,
// or without a chart the first rows of the results table.
func (d *doc) indicatorLead(p indicatorParts) float64 {
	d.font(fontSans, "B", 14)
	h := domainLabelH + float64(len(d.lines(p.ind.ID+"  "+p.ind.Name, contentW)))*titleLine + 0.5
	d.font(fontCond, "", 8)
	h += float64(len(d.lines(p.meta, contentW)))*metaLine + 2
	h += d.paraHeight(p.ind.Description)
	if p.noResult != "" {
		return h + d.paraHeight(p.noResult)
	}
	h += d.boxHeight(p.finding) + 3
	if p.chart {
		// The results table may start on the next page, under the
		// continuation caption: the opening ends with the chart.
		return h + chartHeight
	}
	return h + heading3H + d.resultsKeep(p)
}

// resultsKeep is what the heading of the results table keeps with it; the
// legend follows that table when there are no summary measures.
func (d *doc) resultsKeep(p indicatorParts) float64 {
	after := 0.0
	if len(p.sum) == 0 {
		after = d.noteHeight(p.legend)
	}
	return d.tableKeep(p.cols, p.rows, 4, after)
}

func (d *doc) indicator(p indicatorParts) {
	f := d.f
	ind := p.ind
	d.font(fontSans, "B", 8)
	d.text(colBlue)
	f.SetX(marginX)
	f.CellFormat(contentW, domainLabelH, strings.ToUpper(p.domain), "", 1, "L", false, 0, "")
	d.font(fontSans, "B", 14)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, titleLine, ind.ID+"  "+ind.Name, "", "L", false)
	f.Ln(0.5)
	d.font(fontCond, "", 8)
	d.text(colGrey)
	f.SetX(marginX)
	f.MultiCell(contentW, metaLine, p.meta, "", "L", false)
	f.Ln(2)
	// From here on, a page this indicator runs onto names it at the top.
	d.cont = ind.ID + "  " + ind.Name + " (continued)"
	defer func() { d.cont = "" }()
	if ind.Description != "" {
		d.para(ind.Description)
	}
	if p.noResult != "" {
		d.para(p.noResult)
		return
	}
	d.box(p.finding)
	if p.chart {
		d.imdChart(ind, p.rs)
	}
	d.heading3("Results by group", d.resultsKeep(p))
	if len(p.sum) == 0 {
		d.tableNote(p.cols, p.rows, p.legend)
		return
	}
	d.table(p.cols, p.rows)
	d.f.Ln(3)
	d.heading3("Summary measures of inequality", d.tableKeep(p.sumCols, p.sum, 3, d.noteHeight(p.legend)))
	d.tableNote(p.sumCols, p.sum, p.legend)
}

// keyFinding is the sentence in the box at the top of an indicator's page.
func (d *doc) keyFinding(ind Indicator, rs rowsOf) string {
	overall := rs.find(metrics.Overall, metrics.GroupAll)
	if overall == nil {
		overall = firstOf(rs, metrics.Overall)
	}
	var s string
	if overall != nil && !math.IsNaN(overall.Value) {
		s = "Overall: " + formatValue(ind, overall.Value)
		if hasCI(*overall) {
			s += " (95% CI " + interval(overall.Lower95, overall.Upper95, func(v float64) string { return formatPlain(ind, v) }) + ")"
		}
		if kindOf(ind) != kindPercent {
			s += " " + unitLabel(ind)
		}
		s += ". "
	} else if overall != nil && hidden(*overall, overall.Value) {
		s = "Overall: withheld by disclosure control or not published (see the table). "
	}
	q1, q5 := rs.find(metrics.IMDQuintile, "1"), rs.find(metrics.IMDQuintile, "5")
	if q1 == nil && q5 == nil {
		return s + "No results by deprivation quintile."
	}
	return s + compareQuintiles(ind, q1, q5, rs.find(metrics.IMDSummary, metrics.GroupGap)) + "."
}

// dataQuality writes rows read per source and the unusable-field shares.
func (d *doc) dataQuality() {
	in := d.in
	d.startSection("quality", "Data quality")
	d.para("Records whose ethnic category is not stated (code Z), not known (code 99) or blank or invalid cannot be " +
		"placed in an ethnic group, and records without a valid LSOA cannot be placed in a deprivation quintile. " +
		"They still count in the overall figures and appear in the breakdowns as separate groups (Not stated, " +
		"Not known, Unknown). The higher these percentages, the less certain the comparisons between groups.")
	if len(in.Sources) > 0 {
		var rows []tableRow
		for _, s := range in.Sources {
			share := "–"
			if s.Rows > 0 {
				share = formatPct(float64(s.Rejected) / float64(s.Rows) * 100)
			}
			rows = append(rows, tableRow{cells: []string{
				s.Name, s.Kind, s.File, fixed(float64(s.Rows), 0), fixed(float64(s.Rejected), 0), share,
			}})
		}
		cols := []column{
			{"Source", 34, "L"},
			{"Kind", 26, "L"},
			{"File", 54, "L"},
			{"Rows read", 24, "R"},
			{"Rejected", 22, "R"},
			{"% rejected", 20, "R"},
		}
		d.heading2("Records read per source", d.tableLead(cols, rows))
		d.tableNote(cols, rows, "Rejected rows failed validation (for example an invalid date or code); the run's rejects file lists "+
			"each with its line number and reason.")
	}
	if len(in.DataQuality) > 0 {
		dq := sortedDataQuality(in.DataQuality)
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
		var change string
		if matched == 0 {
			change = "No previous year's run was supplied, so changes since last year are not shown."
		} else {
			prev := "the previous year's run"
			if p := previousPeriod(in.Period); p != "" {
				prev += " (" + p + ")"
			}
			change = "Each change is this year's share minus the share for the same source and indicator in " + prev +
				", in percentage points (pp); a fall means fewer records with unusable fields."
			if matched < len(dq) {
				change += " Last year's figures were supplied for " + itoa(matched) + " of the " + itoa(len(dq)) +
					" rows; the others show –."
			}
		}
		d.heading2("Records with unusable equality fields", d.paraHeight(change)+d.tableLead(cols, rows))
		d.para(change)
		note := "Percentages of the records of each source (and of the records each indicator uses), calculated " +
			"before the counts were rounded. The counts, and last year's figures where supplied, are in " +
			"data-quality.csv and the data pack."
		if withheld {
			note += " " + withheldNote
		}
		d.tableNote(cols, rows, note)
	}
	if len(in.Sources) == 0 && len(in.DataQuality) == 0 {
		d.para("No data-quality figures were supplied for this run.")
	}
}

// previousPeriod is the reporting period before p when p reads like
// "2025/26" (giving "2024/25"), else "".
func previousPeriod(p string) string {
	if len(p) != 7 || p[4] != '/' {
		return ""
	}
	y, err1 := strconv.Atoi(p[:4])
	yy, err2 := strconv.Atoi(p[5:])
	if err1 != nil || err2 != nil || (y+1)%100 != yy || y < 1001 {
		return ""
	}
	return fmt.Sprintf("%d/%02d", y-1, y%100)
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

// methods writes how the figures were produced.
func (d *doc) methods() {
	in := d.in
	d.startSection("methods", "Methods")
	d.para("The statistics follow OHID's Fingertips technical guidance for public health indicators, as implemented " +
		"in the R package PHEindicatormethods. Values and limits for every group are in the data pack, with 99.8% " +
		"limits as well as 95% limits.")
	d.heading2("Confidence intervals", 20)
	d.bullets([]string{
		"Proportions and percentages: Wilson score interval.",
		"Crude rates and counts: exact Poisson interval when there are fewer than 10 events, Byar's method otherwise.",
		"Directly standardised rates (DSR): Dobson's method, standardised by age and sex to the 2013 European " +
			"Standard Population (19 age bands from 0–4 to 90+). A standardised rate based on fewer than 10 events " +
			"is not published.",
		"Indirectly standardised ratios: Byar or exact Poisson limits of the observed count, divided by the expected count.",
	})
	d.heading2("Summary measures of inequality", 20)
	d.bullets([]string{
		"Absolute gap: quintile 1 (most deprived) minus quintile 5 (least deprived), with the 95% interval of the difference.",
		"Relative gap: quintile 1 divided by quintile 5.",
		"Slope index of inequality (SII): a population-weighted regression of the quintile values on each quintile's " +
			"midpoint in the population ranked from most deprived (0) to least deprived (1). The SII is the modelled " +
			"difference between the least and the most deprived ends, so a negative SII means higher values in more " +
			"deprived areas. The relative index (RII) is the ratio of the modelled values at the two ends (least ÷ " +
			"most deprived). Both need all five quintiles; their intervals come from a simulation with a fixed seed, " +
			"so they are reproducible.",
		"Ethnic groups have no order, so there is no SII by ethnicity: each group's value is compared with the White " +
			"group as a ratio, and ratios whose 95% interval excludes 1 are flagged.",
	})
	d.heading2("How differences are described", 20)
	d.para("The most and least deprived quintiles are said to differ significantly when their 95% confidence " +
		"intervals do not overlap, or when the 95% interval of the gap between them excludes 0. Otherwise the " +
		"statement says there is no significant difference: the data cannot distinguish the groups, which is not " +
		"proof that they are the same. Point estimates alone are never used to judge a difference. Where an " +
		"indicator has a preferred direction, the statement says whether a significant difference is worse or " +
		"better for the most deprived.")
	d.heading2("Deprivation", 15)
	imd := in.IMDEdition
	if imd == "" {
		imd = "The English Indices of Deprivation"
	}
	d.para(imd + ", ranked on the LSOA of each person's address. Quintile = decile ÷ 2 rounded up, so quintile 1 is " +
		"the most deprived 20% of neighbourhoods in England and quintile 5 the least deprived. A record with no " +
		"LSOA, or one not in the lookup, is placed in the group Unknown and counted in the data-quality tables.")
	d.heading2("Ethnic group", 40)
	d.para("Ethnic category as coded in the NHS Data Dictionary; only the first character of the field is used. " +
		"Standardised rates by ethnic group leave out Not stated and Not known; counts and the data-quality tables " +
		"show them.")
	var rows []tableRow
	for _, m := range ethnicMapping {
		rows = append(rows, tableRow{cells: []string{m[0], m[1]}})
	}
	d.table([]column{{"Ethnic category codes", 50, "L"}, {"Group in this statement", contentW - 50, "L"}}, rows)
	d.f.Ln(3)
	d.heading2("Age and sex", 15)
	d.para("Reporting age bands are set for each indicator (by default 0–17, 18–34, 35–49, 50–64, 65–79 and 80+). " +
		"Sex is coded 1 male and 2 female; other codes are reported as Other or not known and left out of age–sex " +
		"standardisation.")
	d.heading2("Disclosure control", 15)
	rule := strings.TrimSpace(in.DisclosureRule)
	if rule != "" && !strings.HasSuffix(rule, ".") {
		rule += "."
	}
	d.para(strings.TrimSpace(rule + " Withheld values are shown as * in this statement and are flagged, with a note, " +
		"in the data pack. No record-level data appear in this statement or the data pack."))
	d.heading2("Reproducibility", 15)
	version := "hiis"
	if in.Version != "" {
		version = "hiis version " + in.Version
	}
	d.para("Produced with " + version + " from the run's configuration and input snapshots; the same inputs give " +
		"byte-identical outputs, and the run's manifest records the checksum of every input and output.")
}

// annex lists every indicator with its description and evidence level.
func (d *doc) annex() {
	d.startSection("annex", "Annex: indicator definitions")
	d.para("Evidence level: C, confirmed from a published definition tied to NHS England's statement; P, probable " +
		"(a Core20PLUS5 area named in ICB reports); U, uncertain (an optional indicator).")
	if len(d.inds) == 0 {
		d.para("No indicators were published in this run.")
		return
	}
	var rows []tableRow
	domain := "\x00"
	for _, ind := range d.inds {
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
		}, link: d.links["ind:"+ind.ID]})
	}
	d.table([]column{
		{"ID", 15, "L"},
		{"Indicator", 44, "L"},
		{"Evidence", 19, "L"},
		{"Unit", 18, "L"},
		{"Description", 84, "L"},
	}, rows)
}
