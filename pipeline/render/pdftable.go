package render

// Text blocks and tables for the statement PDF. Tables wrap every cell to its
// column, break across pages between rows, repeat their header on each page
// and keep a section band with the row below it.

const (
	tableSize = 7.5 // pt
	tableLine = 3.3 // mm per wrapped line
	tablePad  = 1.1 // mm above and below a row's text
)

// column is one column of a table.
type column struct {
	head  string
	width float64 // mm
	align string  // "L", "R" or "C"
}

// tableRow is one row: cells, or (when section is set) a full-width band
// naming the rows below it.
type tableRow struct {
	cells   []string
	section string
	bold    bool
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
			n = max(n, len(d.lines(r.cells[i], c.width)))
		}
	}
	return float64(n)*tableLine + 2*tablePad
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
	d.tableAt(marginX, cols, rows)
}

// tableAt draws a table with its left edge at x.
func (d *doc) tableAt(x float64, cols []column, rows []tableRow) {
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
	first := 0.0
	if len(rows) > 0 {
		first = d.rowHeight(cols, rows[0])
		if rows[0].section != "" && len(rows) > 1 {
			first += d.rowHeight(cols, rows[1])
		}
	}
	if f.GetY()+headH+first > bottomLimit {
		d.addPage()
	}
	f.SetX(x)
	drawHead()
	for i, r := range rows {
		h := d.rowHeight(cols, r)
		need := h
		if r.section != "" && i+1 < len(rows) {
			need += d.rowHeight(cols, rows[i+1])
		}
		if f.GetY()+need > bottomLimit {
			d.addPage()
			f.SetX(x)
			drawHead()
		}
		y := f.GetY()
		if r.section != "" {
			d.fill(colTint)
			f.Rect(x, y, total, h, "F")
			d.font(fontCond, "B", tableSize)
			d.text(colBlueDark)
			f.SetXY(x, y+tablePad)
			f.CellFormat(total, tableLine, r.section, "", 0, "L", false, 0, "")
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
					for k, line := range d.lines(r.cells[j], c.width) {
						f.SetXY(cx, y+tablePad+float64(k)*tableLine)
						f.CellFormat(c.width, tableLine, line, "", 0, c.align, false, 0, "")
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

// heading3 writes a minor heading.
func (d *doc) heading3(title string, keep float64) {
	f := d.f
	d.ensure(6 + keep)
	f.Ln(0.5)
	d.font(fontSans, "B", 9.5)
	d.text(colText)
	f.SetX(marginX)
	f.MultiCell(contentW, 5, title, "", "L", false)
	f.Ln(0.5)
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

// bullets writes a list, each item with a hanging indent.
func (d *doc) bullets(items []string) {
	f := d.f
	d.font(fontSans, "", bodySize)
	d.text(colText)
	for _, it := range items {
		f.SetX(marginX + 1)
		f.CellFormat(4, bodyLine, "•", "", 0, "L", false, 0, "")
		f.SetX(marginX + 5)
		f.MultiCell(contentW-5, bodyLine, it, "", "L", false)
		f.Ln(1)
	}
	f.Ln(1)
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

// box writes text in a tinted box with a blue bar on its left.
func (d *doc) box(text string) {
	f := d.f
	d.font(fontSans, "", bodySize)
	l := d.lines(text, contentW-8)
	h := float64(len(l))*bodyLine + 5
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
