package render

// Text blocks and tables for the statement PDF. Tables wrap every cell to its
// column, break across pages between rows (never inside one), repeat their
// header on each page, repeat the current section band marked (continued),
// and keep a section band with the row below it.

import "math"

const (
	tableSize = 7.5  // pt
	tableLine = 3.3  // mm per wrapped line
	tablePad  = 0.85 // mm above and below a row's text
)

// column is one column of a table.
type column struct {
	head  string
	width float64 // mm
	align string  // "L", "R" or "C"
}

// tableRow is one row: cells, or (when section is set) a full-width band
// naming the rows below it. link, when set, makes the first cell a link to
// that place in the document ("ind:<id>" for an indicator's results).
type tableRow struct {
	cells   []string
	section string
	bold    bool
	link    string
}

// maxRowHeight is the tallest a row may be: what a page holds below the
// continuation caption, a table header of up to four lines and a section
// band. Taller rows (which no real cell comes near) are cut short with an
// ellipsis rather than split across pages.
const maxRowHeight = bottomLimit - marginTop - contHeight - (4*tableLine + 2*tablePad) - (tableLine + 2*tablePad)

// maxRowLines is how many wrapped lines fit in maxRowHeight.
var maxRowLines = int(math.Floor((maxRowHeight - 2*tablePad) / tableLine))

// cellLines wraps a cell and cuts it to maxRowLines.
func (d *doc) cellLines(text string, width float64) []string {
	l := d.lines(text, width)
	if len(l) > maxRowLines {
		l = append([]string(nil), l[:maxRowLines]...)
		l[len(l)-1] = fit(d.f, l[len(l)-1]+"…", width-1)
	}
	return l
}

// lines wraps text to a cell width in the current font; never empty.
func (d *doc) lines(text string, width float64) []string {
	if text == "" {
		return []string{""}
	}
	l := d.f.SplitText(text, width)
	if len(l) == 0 {
		return []string{""}
	}
	return l
}

func (d *doc) rowHeight(cols []column, r tableRow) float64 {
	if r.section != "" {
		d.font(fontCond, "B", tableSize)
		return tableLine + 2*tablePad
	}
	style := ""
	if r.bold {
		style = "B"
	}
	d.font(fontCond, style, tableSize)
	n := 1
	for i, c := range cols {
		if i < len(r.cells) {
			n = max(n, len(d.cellLines(r.cells[i], c.width)))
		}
	}
	return float64(n)*tableLine + 2*tablePad
}

// tailRows is how many rows at the end of a table are kept together, so
// that a table never ends with one row alone on a page.
const tailRows = 3

// rowNeed is the room row i needs below it on the page to be drawn there: its
// own height, with the row after it when it is a band, or the rest of the
// table when that is no more than tailRows rows.
func (d *doc) rowNeed(cols []column, rows []tableRow, i int) float64 {
	if len(rows)-i <= tailRows {
		h := 0.0
		for _, r := range rows[i:] {
			h += d.rowHeight(cols, r)
		}
		return h
	}
	h := d.rowHeight(cols, rows[i])
	if rows[i].section != "" {
		h += d.rowHeight(cols, rows[i+1])
	}
	return h
}

// tableLead is the height a table needs on the page it starts on: its
// header and its first row (see rowNeed).
func (d *doc) tableLead(cols []column, rows []tableRow) float64 {
	h := d.headHeight(cols)
	if len(rows) > 0 {
		h += d.rowNeed(cols, rows, 0)
	}
	return h
}

// smallTable is the height of a table short enough to be kept whole.
const smallTable = 80.0

// tableKeep is what a heading above a table keeps with it: the whole table
// (with the after mm that follow it) when that is small, else its header and
// first n rows (and the row after the nth when that is a band).
func (d *doc) tableKeep(cols []column, rows []tableRow, n int, after float64) float64 {
	if whole := d.headHeight(cols) + d.rowsHeight(cols, rows) + after; whole <= smallTable {
		return whole
	}
	k := min(n, len(rows))
	for k > 0 && k < len(rows) && rows[k-1].section != "" {
		k++
	}
	return max(d.tableLead(cols, rows), d.headHeight(cols)+d.rowsHeight(cols, rows[:k]))
}

// rowsHeight is the total height of rows.
func (d *doc) rowsHeight(cols []column, rows []tableRow) float64 {
	h := 0.0
	for _, r := range rows {
		h += d.rowHeight(cols, r)
	}
	return h
}

func (d *doc) headHeight(cols []column) float64 {
	d.font(fontCond, "B", tableSize)
	n := 1
	for _, c := range cols {
		n = max(n, len(d.lines(c.head, c.width)))
	}
	return float64(n)*tableLine + 2*tablePad
}

// table draws a full-width table at the current position.
func (d *doc) table(cols []column, rows []tableRow) {
	d.tableAt(marginX, cols, rows, 0)
}

// tableNote draws a full-width table and a note under it, which stays on
// the page of the table's last rows.
func (d *doc) tableNote(cols []column, rows []tableRow, text string) {
	d.tableAt(marginX, cols, rows, d.noteHeight(text))
	d.note(text)
}

// tableAt draws a table with its left edge at x. Automatic page breaks are
// off while it draws: it moves to a new page itself, between rows. after is
// the height of what must follow the table's last rows on their page.
func (d *doc) tableAt(x float64, cols []column, rows []tableRow, after float64) {
	f := d.f
	total := 0.0
	for _, c := range cols {
		total += c.width
	}
	headH := d.headHeight(cols)
	drawHead := func() {
		y := f.GetY()
		d.fill(colBlue)
		f.Rect(x, y, total, headH, "F")
		d.font(fontCond, "B", tableSize)
		d.text(colWhite)
		cx := x
		for _, c := range cols {
			for k, line := range d.lines(c.head, c.width) {
				f.SetXY(cx, y+tablePad+float64(k)*tableLine)
				f.CellFormat(c.width, tableLine, line, "", 0, c.align, false, 0, "")
			}
			cx += c.width
		}
		f.SetXY(x, y+headH)
	}
	drawBand := func(label string) float64 {
		y := f.GetY()
		h := tableLine + 2*tablePad
		d.fill(colTint)
		f.Rect(x, y, total, h, "F")
		d.font(fontCond, "B", tableSize)
		d.text(colBlueDark)
		f.SetXY(x, y+tablePad)
		f.CellFormat(total, tableLine, fit(f, label, total-2), "", 0, "L", false, 0, "")
		return h
	}
	auto, margin := f.GetAutoPageBreak()
	f.SetAutoPageBreak(false, margin)
	defer f.SetAutoPageBreak(auto, margin)

	need := func(i int) float64 {
		h := d.rowNeed(cols, rows, i)
		if len(rows)-i <= tailRows {
			h += after
		}
		if h > maxRowHeight {
			// More than a fresh page holds: keep only the row itself whole.
			h = d.rowHeight(cols, rows[i])
		}
		return h
	}
	lead := d.headHeight(cols)
	if len(rows) > 0 {
		lead += need(0)
	}
	if f.GetY()+lead > bottomLimit {
		d.addPage()
	}
	f.SetX(x)
	drawHead()
	band := "" // the section the rows being drawn belong to
	for i, r := range rows {
		h := d.rowHeight(cols, r)
		if f.GetY()+need(i) > bottomLimit {
			d.addPage()
			f.SetX(x)
			drawHead()
			if r.section == "" && band != "" {
				y := f.GetY()
				f.SetXY(x, y+drawBand(band+" (continued)"))
			}
		}
		y := f.GetY()
		if r.section != "" {
			band = r.section
			drawBand(r.section)
		} else {
			style := ""
			if r.bold {
				style = "B"
			}
			d.font(fontCond, style, tableSize)
			d.text(colText)
			cx := x
			for j, c := range cols {
				if j < len(r.cells) {
					link := 0
					if j == 0 && r.link != "" {
						link = d.links[r.link]
					}
					for k, line := range d.cellLines(r.cells[j], c.width) {
						f.SetXY(cx, y+tablePad+float64(k)*tableLine)
						f.CellFormat(c.width, tableLine, line, "", 0, c.align, false, link, "")
					}
				}
				cx += c.width
			}
		}
		d.draw(colRule)
		f.SetLineWidth(0.2)
		f.Line(x, y+h, x+total, y+h)
		f.SetXY(x, y+h)
	}
	f.SetX(marginX)
}

// heading1 starts a section title at the current position.
func (d *doc) heading1(title string) {
	f := d.f
	d.font(fontSans, "B", 17)
	d.text(colBlue)
	f.SetX(marginX)
	f.MultiCell(contentW, 8, title, "", "L", false)
	d.draw(colBlue)
	f.SetLineWidth(0.5)
	y := f.GetY() + 1
	f.Line(marginX, y, marginX+20, y)
	f.SetY(y + 5)
}

// heading2 writes a sub-heading, moving to a new page first when fewer than
// keep mm would follow it on this one.
func (d *doc) heading2(title string, keep float64) {
	f := d.f
	d.ensure(9 + keep)
	f.Ln(1.5)
	d.font(fontSans, "B", 11.5)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, 6, title, "", "L", false)
	f.Ln(1)
}

// heading3H is the height of a minor heading.
const heading3H = 6.0

// heading3 writes a minor heading, moving to a new page first when fewer
// than keep mm would follow it on this one.
func (d *doc) heading3(title string, keep float64) {
	f := d.f
	d.ensure(heading3H + keep)
	f.Ln(0.5)
	d.font(fontSans, "B", 9.5)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, 5, title, "", "L", false)
	f.Ln(0.5)
}

// paraHeight is the height para takes for text ("" takes none).
func (d *doc) paraHeight(text string) float64 {
	if text == "" {
		return 0
	}
	d.font(fontSans, "", bodySize)
	return float64(len(d.lines(text, contentW)))*bodyLine + 2
}

// para writes a paragraph of body text.
func (d *doc) para(text string) {
	f := d.f
	d.font(fontSans, "", bodySize)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, bodyLine, text, "", "L", false)
	f.Ln(2)
}

// bullets writes a list, each item with a hanging indent, marked with a
// bullet or, when marks is set, with its mark ("1." ...).
func (d *doc) bullets(items, marks []string) {
	f := d.f
	d.font(fontSans, "", bodySize)
	d.text(colText)
	for i, it := range items {
		mark := "•"
		if i < len(marks) {
			mark = marks[i]
		}
		f.SetX(marginX + 1)
		f.CellFormat(4, bodyLine, mark, "", 0, "L", false, 0, "")
		f.SetX(marginX + 5)
		f.MultiCell(contentW-5, bodyLine, it, "", "L", false)
		f.Ln(1)
	}
	f.Ln(1)
}

// noteHeight is the height note takes for text.
func (d *doc) noteHeight(text string) float64 {
	d.font(fontCond, "", 7.5)
	return 1 + float64(len(d.lines(text, contentW)))*3.4 + 2
}

// note writes small grey text, as under a table.
func (d *doc) note(text string) {
	f := d.f
	f.Ln(1)
	d.font(fontCond, "", 7.5)
	d.text(colGrey)
	f.SetX(marginX)
	f.MultiCell(contentW, 3.4, text, "", "L", false)
	f.Ln(2)
}

// boxHeight is the height of box's tinted box for text.
func (d *doc) boxHeight(text string) float64 {
	d.font(fontSans, "", bodySize)
	return float64(len(d.lines(text, contentW-8)))*bodyLine + 5
}

// box writes text in a tinted box with a blue bar on its left.
func (d *doc) box(text string) {
	f := d.f
	h := d.boxHeight(text)
	d.font(fontSans, "", bodySize)
	l := d.lines(text, contentW-8)
	d.ensure(h + 2)
	y := f.GetY()
	d.fill(colTint)
	f.Rect(marginX, y, contentW, h, "F")
	d.fill(colBlue)
	f.Rect(marginX, y, 1.2, h, "F")
	d.text(colText)
	for i, line := range l {
		f.SetXY(marginX+4, y+2.5+float64(i)*bodyLine)
		f.CellFormat(contentW-8, bodyLine, line, "", 0, "L", false, 0, "")
	}
	f.SetXY(marginX, y+h+3)
}
