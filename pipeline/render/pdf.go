package render

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-fonts/dejavu/dejavusans"
	"codeberg.org/go-fonts/dejavu/dejavusansbold"
	"codeberg.org/go-fonts/dejavu/dejavusansboldoblique"
	"codeberg.org/go-fonts/dejavu/dejavusanscondensed"
	"codeberg.org/go-fonts/dejavu/dejavusanscondensedbold"
	"codeberg.org/go-fonts/dejavu/dejavusansoblique"
	"codeberg.org/go-pdf/fpdf"
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
	colBarMuted = rgb{174, 183, 189} // bars of unknown groups (Not stated, Not known, Unknown)
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

// doc is one rendering pass of the statement PDF over the document model.
type doc struct {
	f       *fpdf.Fpdf
	m       *document
	section string         // shown in the running header
	cont    string         // caption atop pages an indicator continues on
	pages   map[string]int // contents key → page, recorded in this pass
	known   map[string]int // the same from the previous pass
	links   map[string]int // contents key or "ind:<id>" → internal link
}

// statementPDF renders statement.pdf from the document. It lays the
// document out twice: the first pass finds the page of each section for the
// contents. The contents depend only on the document, not on page numbers,
// so both passes break pages in the same places. The PDF has an outline
// (bookmarks for every section, domain and indicator) and its language set.
func statementPDF(m *document) ([]byte, error) {
	first, err := layout(m, nil)
	if err != nil {
		return nil, err
	}
	second, err := layout(m, first.pages)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := second.f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func layout(m *document, known map[string]int) (*doc, error) {
	f := fpdf.New("P", "mm", "A4", "")
	d := &doc{f: f, m: m, known: known, pages: map[string]int{}, links: map[string]int{}}

	f.SetCreationDate(fixedPDFDate)
	f.SetModificationDate(fixedPDFDate)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.AliasNbPages("{nb}") // before the fonts: it widens their subset
	f.AddUTF8FontFromBytes(fontSans, "", dejavusans.TTF)
	f.AddUTF8FontFromBytes(fontSans, "B", dejavusansbold.TTF)
	f.AddUTF8FontFromBytes(fontSans, "I", dejavusansoblique.TTF)
	f.AddUTF8FontFromBytes(fontSans, "BI", dejavusansboldoblique.TTF)
	f.AddUTF8FontFromBytes(fontCond, "", dejavusanscondensed.TTF)
	f.AddUTF8FontFromBytes(fontCond, "B", dejavusanscondensedbold.TTF)
	f.SetTitle(m.title+" – "+m.org.Name, true)
	f.SetAuthor(m.org.Name, true)
	f.SetSubject(m.subject, true)
	f.SetCreator("hiis "+m.version, true)
	f.SetLang(m.lang)
	f.SetDisplayMode("fullwidth", "continuous")
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(true, marginBottom)
	f.SetHeaderFunc(d.header)
	f.SetFooterFunc(d.footer)

	for _, e := range m.contents() {
		d.links[e.key] = f.AddLink()
	}
	for _, s := range m.sections {
		for _, b := range s.blocks {
			if ib, ok := b.(*indicatorBlock); ok {
				d.links["ind:"+ib.ind.ID] = f.AddLink()
			}
		}
	}
	d.cover()
	d.contentsPage()
	for _, s := range m.sections {
		d.startSection(s.key, s.title)
		d.blocks(s.blocks)
	}
	d.pages["total"] = f.PageNo()
	if err := f.Error(); err != nil {
		return nil, err
	}
	return d, nil
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
	f.CellFormat(contentW/2, 4, d.m.title, "", 0, "L", false, 0, "")
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
	left := d.m.org.Name
	if d.m.org.Code != "" {
		left += " (" + d.m.org.Code + ")"
	}
	if d.m.version != "" {
		left += " · produced with hiis " + d.m.version
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
	m := d.m
	d.section = ""
	f.AddPage()
	d.fill(colBlue)
	f.Rect(0, 0, pageW, 112, "F")

	d.text(colWhite)
	d.font(fontSans, "B", 10)
	f.SetXY(marginX, 22)
	f.CellFormat(contentW, 5, strings.ToUpper(m.kindLabel), "", 1, "L", false, 0, "")
	d.font(fontSans, "B", 28)
	f.SetXY(marginX, 38)
	f.MultiCell(contentW, 12.5, "Health Inequalities\nInformation Statement", "", "L", false)
	f.Ln(4)
	d.font(fontSans, "", 15)
	f.SetX(marginX)
	f.CellFormat(contentW, 8, "Reporting period "+m.period, "", 1, "L", false, 0, "")

	f.SetXY(marginX, 124)
	d.text(colText)
	d.font(fontSans, "B", 18)
	f.MultiCell(contentW, 8.5, m.org.Name, "", "L", false)
	f.Ln(1)
	d.font(fontSans, "", 10)
	d.text(colGrey)
	f.SetX(marginX)
	f.CellFormat(contentW, 5, "Organisation code "+m.org.Code, "", 1, "L", false, 0, "")

	f.SetY(max(f.GetY()+10, 150))
	d.font(fontSans, "", 10.5)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, 5.5, m.scope, "", "L", false)

	// The note sits at the foot of the page, however many lines it takes.
	d.font(fontSans, "", 8)
	d.text(colGrey)
	note := m.note
	const noteLine = 4.0
	f.SetXY(marginX, min(262, bottomLimit-float64(len(d.lines(note, contentW)))*noteLine-1))
	d.withoutPageBreaks(func() { f.MultiCell(contentW, noteLine, note, "", "L", false) })
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
	for i, e := range d.m.contents() {
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
