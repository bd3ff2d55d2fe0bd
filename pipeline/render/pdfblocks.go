package render

// The PDF writer's walk over the document model: one function per block
// kind, reusing the drawing helpers of pdftable.go and pdfchart.go.

import (
	"strconv"
	"strings"
)

// blocks draws a section's blocks in order. A heading keeps with it the
// start of the block after it.
func (d *doc) blocks(bs []block) {
	for i, bl := range bs {
		var next block
		if i+1 < len(bs) {
			next = bs[i+1]
		}
		switch b := bl.(type) {
		case *headingBlock:
			if b.level <= 2 {
				d.heading2(b.text, d.lead(next))
			} else {
				d.heading3(b.text, d.lead(next))
			}
		case *paraBlock:
			if styled(b.spans) {
				d.richPara(b.spans, 0)
				d.f.Ln(2)
			} else {
				d.para(plainText(b.spans))
			}
		case *listBlock:
			d.list(b)
		case *noteBlock:
			d.note(b.text)
		case *tableBlock:
			d.tableBlock(b)
		case *tableGroupBlock:
			d.tableGroup(b)
		case *indicatorBlock:
			d.indicatorAt(b, i == 0 || !isIndicator(bs[i-1]))
		}
	}
}

func isIndicator(b block) bool {
	_, ok := b.(*indicatorBlock)
	return ok
}

// lead is the height the start of a block needs on the page of the heading
// above it.
func (d *doc) lead(b block) float64 {
	switch b := b.(type) {
	case *paraBlock:
		return d.paraHeight(plainText(b.spans))
	case *listBlock:
		if len(b.items) > 0 {
			return d.paraHeight(plainText(b.items[0]))
		}
	case *tableBlock:
		h := d.tableKeep(b.cols, b.rows, max(b.keepRows, 1), d.noteHeight(b.note))
		if b.captionLevel > 0 {
			h += heading3H
		}
		return h
	case *tableGroupBlock:
		return 30
	}
	return 10
}

// styled reports whether spans have any strong, emphasised or linked text.
func styled(spans []span) bool {
	for _, s := range spans {
		if s.strong || s.em || s.href != "" {
			return true
		}
	}
	return false
}

// richPara writes body text with bold, oblique and linked runs, flowing
// from the left margin plus indent.
func (d *doc) richPara(spans []span, indent float64) {
	f := d.f
	left, top, right, _ := f.GetMargins()
	f.SetLeftMargin(marginX + indent)
	f.SetX(marginX + indent)
	for _, s := range spans {
		style := ""
		if s.strong {
			style += "B"
		}
		if s.em {
			style += "I"
		}
		d.font(fontSans, style, bodySize)
		d.text(colText)
		if s.href != "" {
			d.text(colBlue)
			f.WriteLinkString(bodyLine, s.text, s.href)
			if plain := plainText([]span{s}); plain != s.text {
				// The print copy keeps the address.
				d.font(fontSans, "", bodySize)
				d.text(colGrey)
				f.Write(bodyLine, strings.TrimPrefix(plain, s.text))
			}
			continue
		}
		f.Write(bodyLine, s.text)
	}
	f.Ln(bodyLine)
	f.SetMargins(left, top, right)
	f.SetX(marginX)
}

// list draws a bulleted or numbered list.
func (d *doc) list(l *listBlock) {
	var items []string
	rich := false
	for _, it := range l.items {
		items = append(items, plainText(it))
		rich = rich || styled(it)
	}
	if rich {
		f := d.f
		for i, it := range l.items {
			mark := "•"
			if l.ordered {
				mark = strconv.Itoa(i+1) + "."
			}
			d.ensure(bodyLine * 2)
			d.font(fontSans, "", bodySize)
			d.text(colText)
			f.SetX(marginX + 1)
			f.CellFormat(4, bodyLine, mark, "", 0, "L", false, 0, "")
			d.richPara(it, 5)
			f.Ln(1)
		}
		f.Ln(1)
		return
	}
	if !l.ordered {
		d.bullets(items, nil)
		return
	}
	var marks []string
	for i := range items {
		marks = append(marks, strconv.Itoa(i+1)+".")
	}
	d.bullets(items, marks)
}

// tableBlock draws a table under its caption (when the PDF shows one) with
// its note.
func (d *doc) tableBlock(t *tableBlock) {
	keep := d.tableKeep(t.cols, t.rows, max(t.keepRows, 1), d.noteHeight(t.note))
	switch t.captionLevel {
	case 2:
		d.heading2(t.caption, keep)
	case 3:
		d.heading3(t.caption, keep)
	}
	if t.note == "" {
		d.table(t.cols, t.rows)
		d.f.Ln(3)
		return
	}
	d.tableNote(t.cols, t.rows, t.note)
}

// tableGroup draws small tables side by side in pairs; a pair too long to
// stand side by side on one page is drawn one table after the other. The
// tables are drawn half width, whatever their columns say.
func (d *doc) tableGroup(g *tableGroupBlock) {
	f := d.f
	const gutter = 10.0
	colW := (contentW - gutter) / 2
	cols := func(t *tableBlock) []column {
		c := append([]column(nil), t.cols...)
		last := c[len(c)-1].width
		c[0].width = colW - last
		return c
	}
	height := func(t *tableBlock) float64 { return d.headHeight(cols(t)) + d.rowsHeight(cols(t), t.rows) }
	for i := 0; i < len(g.tables); i += 2 {
		pair := g.tables[i:min(i+2, len(g.tables))]
		h := 0.0
		for _, t := range pair {
			h = max(h, height(t))
		}
		if h+2 > bottomLimit-marginTop-contHeight {
			for _, t := range pair {
				if len(t.rows) > 0 {
					d.tableAt(marginX, cols(t), t.rows, 0)
					f.Ln(5)
				}
			}
			continue
		}
		d.ensure(h + 2)
		y := f.GetY()
		end := y
		for k, t := range pair {
			if len(t.rows) == 0 {
				continue
			}
			f.SetY(y)
			d.tableAt(marginX+float64(k)*(colW+gutter), cols(t), t.rows, 0)
			end = max(end, f.GetY())
		}
		f.SetXY(marginX, end+5)
	}
	if g.note != "" {
		d.note(g.note)
	}
}

// indicatorGap is the space, with a rule across it, between two indicators
// on the same page.
const indicatorGap = 9.0

// Heights of the pieces of an indicator's opening, in mm.
const (
	domainLabelH = 4.5
	titleLine    = 6.5
	metaLine     = 4.0
)

// indicatorAt places an indicator: it follows the one before on the same
// page, below a rule, when its whole opening (see indicatorLead) fits there,
// and starts a new page otherwise. Each names its domain above its title;
// the running header names the domain of the indicator that starts or
// continues on the page.
func (d *doc) indicatorAt(p *indicatorBlock, first bool) {
	f := d.f
	d.section = p.domain
	switch {
	case first && f.GetY()+6+d.indicatorLead(p) <= bottomLimit:
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
	if _, done := d.pages["domain:"+p.domain]; !done {
		d.mark("domain:"+p.domain, p.domain, 1)
	}
	if link, ok := d.links["ind:"+p.ind.ID]; ok {
		f.SetLink(link, f.GetY(), -1)
	}
	f.Bookmark(p.ind.ID+" "+p.ind.Name, 2, -1)
	d.indicator(p)
}

// indicatorLead is the height of an indicator's opening, which must start on
// one page: title, description, key finding, trend and the first chart, or
// without a chart the first rows of the results table.
func (d *doc) indicatorLead(p *indicatorBlock) float64 {
	d.font(fontSans, "B", 14)
	h := domainLabelH + float64(len(d.lines(p.title, contentW)))*titleLine + 0.5
	d.font(fontCond, "", 8)
	h += float64(len(d.lines(p.meta, contentW)))*metaLine + 2
	h += d.paraHeight(p.description)
	if p.noResult != "" {
		return h + d.paraHeight(p.noResult)
	}
	h += d.boxHeight(p.finding) + 3 + d.paraHeight(p.trend)
	for _, bm := range p.benchmarks {
		h += d.paraHeight(bm)
	}
	if len(p.charts) > 0 {
		// The rest may follow on the next page, under the continuation
		// caption: the opening ends with the first chart.
		return h + chartHeight(p.charts[0])
	}
	return h + heading3H + d.resultsKeep(p)
}

// resultsKeep is what the heading of the results table keeps with it; the
// legend follows that table when there are no summary measures.
func (d *doc) resultsKeep(p *indicatorBlock) float64 {
	return d.tableKeep(p.results.cols, p.results.rows, p.results.keepRows, d.noteHeight(p.results.note))
}

func (d *doc) indicator(p *indicatorBlock) {
	f := d.f
	d.font(fontSans, "B", 8)
	d.text(colBlue)
	f.SetX(marginX)
	f.CellFormat(contentW, domainLabelH, strings.ToUpper(p.domain), "", 1, "L", false, 0, "")
	d.font(fontSans, "B", 14)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, titleLine, p.title, "", "L", false)
	f.Ln(0.5)
	d.font(fontCond, "", 8)
	d.text(colGrey)
	f.SetX(marginX)
	f.MultiCell(contentW, metaLine, p.meta, "", "L", false)
	f.Ln(2)
	// From here on, a page this indicator runs onto names it at the top.
	d.cont = p.title + " (continued)"
	defer func() { d.cont = "" }()
	if p.description != "" {
		d.para(p.description)
	}
	if p.noResult != "" {
		d.para(p.noResult)
		return
	}
	d.box(p.finding)
	if p.trend != "" {
		d.para(p.trend)
	}
	for _, bm := range p.benchmarks {
		d.para(bm)
	}
	for _, c := range p.charts {
		d.chart(c)
	}
	d.heading3(p.results.caption, d.resultsKeep(p))
	if p.summary == nil {
		d.tableNote(p.results.cols, p.results.rows, p.results.note)
		return
	}
	d.table(p.results.cols, p.results.rows)
	d.f.Ln(3)
	s := p.summary
	d.heading3(s.caption, d.tableKeep(s.cols, s.rows, s.keepRows, d.noteHeight(s.note)))
	d.tableNote(s.cols, s.rows, s.note)
}
