package render

import (
	"math"

	"codeberg.org/go-pdf/fpdf"
)

// The charts' vertical layout, in mm.
const (
	chartTitleH = 5.0
	chartAbove  = 7.0 // room for the overall label
	chartBarH   = 4.8
	chartStep   = 7.0 // bar and gap
	chartBelow  = 11  // tick labels and axis title
	chartKeyH   = 5.0 // the key to the comparator's markers, below the axis title
	chartDiam   = 1.9 // half the width of a comparator's diamond
)

// chartAboveOf is the room above a chart's bars for the labels of its
// lines: the overall value, last year's and the comparators'.
func chartAboveOf(c *chart) float64 {
	above := chartAbove
	if c.lastTxt != "" {
		above += 4
	}
	return above + 4*float64(len(c.refs))
}

// chartHeight is the height a chart takes.
func chartHeight(c *chart) float64 {
	return chartTitleH + chartAboveOf(c) + float64(len(c.bars))*chartStep + chartBelow + chartKeyH*float64(len(c.marks))
}

// pdfRefDashes are the reference lines' dash patterns (mm), as refDashes
// names them.
var pdfRefDashes = [][]float64{{2.4, 0.8}, {1.6, 0.6, 0.4, 0.6}, {2.4, 0.6, 0.8, 0.6}}

// compMark draws a comparator's marker centred on x, y, by shape (see
// markerShapes): a grey diamond outlined in white, or a white triangle or
// circle outlined in black.
func (d *doc) compMark(shape int, x, y float64) {
	switch shape % len(markerShapes) {
	case 1:
		d.fill(colWhite)
		d.draw(colText)
		d.f.SetLineWidth(0.3)
		d.f.Polygon([]fpdf.PointType{{X: x, Y: y - chartDiam}, {X: x + chartDiam, Y: y + chartDiam*0.8}, {X: x - chartDiam, Y: y + chartDiam*0.8}}, "FD")
	case 2:
		d.fill(colWhite)
		d.draw(colText)
		d.f.SetLineWidth(0.3)
		d.f.Circle(x, y, chartDiam*0.8, "FD")
	default:
		d.fill(colGreyDark)
		d.draw(colWhite)
		d.f.SetLineWidth(0.35)
		d.f.Polygon([]fpdf.PointType{{X: x, Y: y - chartDiam}, {X: x + chartDiam, Y: y}, {X: x, Y: y + chartDiam}, {X: x - chartDiam, Y: y}}, "FD")
	}
}

// chart draws a horizontal bar chart with 95% interval whiskers, a dashed
// line at the overall value and a dotted one at last year's, as vector
// graphics, with a grey diamond at the comparator's value of each group
// (and its key under the axis) when it has them. Groups without a value are
// labelled, not drawn; groups of unknown membership have a lighter,
// outlined bar.
func (d *doc) chart(c *chart) {
	f := d.f
	valueW := 30.0 // value and interval text, widened to fit it
	d.font(fontCond, "", 8)
	for _, b := range c.bars {
		valueW = max(valueW, f.GetStringWidth(b.text)+3)
	}
	labelW := 30.0 // group labels, widened to fit them
	for _, b := range c.bars {
		labelW = max(labelW, f.GetStringWidth(b.label)+4)
	}
	const (
		barH = chartBarH
		step = chartStep
	)
	above := chartAboveOf(c)
	plotX := marginX + labelW
	plotW := contentW - labelW - valueW
	d.ensure(chartHeight(c))

	d.font(fontSans, "B", 9)
	d.text(colText)
	f.SetX(marginX)
	f.CellFormat(contentW, chartTitleH, c.title, "", 1, "L", false, 0, "")
	top := f.GetY() + above
	bottom := top + float64(len(c.bars))*step
	xOf := func(v float64) float64 { return plotX + (v-c.axisLo)/(c.axisHi-c.axisLo)*plotW }

	// Grid and tick labels.
	f.SetLineWidth(0.15)
	d.font(fontCond, "", 7)
	d.text(colGrey)
	for _, t := range c.ticks {
		x := xOf(t.v)
		d.draw(colRule)
		f.Line(x, top, x, bottom)
		f.SetXY(x-12, bottom+0.8)
		f.CellFormat(24, 3.5, t.label, "", 0, "C", false, 0, "")
	}
	d.font(fontCond, "", 7)
	f.SetXY(plotX, bottom+4.5)
	f.CellFormat(plotW, 3.5, c.unit, "", 0, "C", false, 0, "")

	// Bars, whiskers, labels.
	var missing []int
	for i, b := range c.bars {
		y := top + float64(i)*step + (step-barH)/2
		yc := y + barH/2
		d.font(fontCond, "", 8)
		d.text(colText)
		f.SetXY(marginX, y)
		f.CellFormat(labelW-2, barH, b.label, "", 0, "R", false, 0, "")
		if math.IsNaN(b.value) {
			missing = append(missing, i) // drawn last, over the grid and markers
			continue
		}
		x0, x1 := xOf(0), xOf(b.value)
		if b.muted {
			d.fill(colBarMuted)
			d.draw(colBar)
			f.SetLineWidth(0.3)
			f.Rect(min(x0, x1), y, math.Abs(x1-x0), barH, "FD")
		} else {
			d.fill(colBar)
			f.Rect(min(x0, x1), y, math.Abs(x1-x0), barH, "F")
		}
		if !math.IsNaN(b.lo) && !math.IsNaN(b.hi) {
			a, e := xOf(b.lo), xOf(b.hi)
			d.draw(colText)
			f.SetLineWidth(0.3)
			f.Line(a, yc, e, yc)
			f.Line(a, yc-1.5, a, yc+1.5)
			f.Line(e, yc-1.5, e, yc+1.5)
		}
		d.font(fontCond, "", 8)
		d.text(colText)
		f.SetXY(plotX+plotW+1, y)
		f.CellFormat(valueW-1, barH, b.text, "", 0, "L", false, 0, "")
	}

	// Zero axis, then the overall value and last year's.
	d.draw(colText)
	f.SetLineWidth(0.3)
	f.Line(xOf(0), top-1, xOf(0), bottom)
	marker := func(v float64, label string, dash []float64, labelY float64) {
		x := xOf(v)
		d.draw(colGreyDark)
		f.SetLineWidth(0.3)
		f.SetDashPattern(dash, 0)
		f.Line(x, top-1.5, x, bottom)
		f.SetDashPattern(nil, 0)
		d.font(fontCond, "B", 7)
		d.text(colGreyDark)
		w := f.GetStringWidth(label) + 2
		lx := min(max(x-w/2, plotX), plotX+plotW-w)
		f.SetXY(lx, labelY)
		f.CellFormat(w, 3.5, label, "", 0, "C", false, 0, "")
	}
	if c.overallTxt != "" {
		marker(c.overall, c.overallTxt, []float64{1.2, 0.9}, top-above+1)
	}
	labelY := top - above + 1
	if c.lastTxt != "" {
		labelY += 4
		marker(c.lastYear, c.lastTxt, []float64{0.3, 0.8}, labelY)
	}
	for _, r := range c.refs {
		labelY += 4
		marker(r.v, r.label, pdfRefDashes[r.style%len(pdfRefDashes)], labelY)
	}
	for k, m := range c.marks {
		for i, b := range c.bars {
			if !math.IsNaN(b.comps[k].v) {
				d.compMark(m.shape, xOf(b.comps[k].v), top+float64(i)*step+step/2)
			}
		}
		ky := bottom + chartBelow + float64(k)*chartKeyH
		d.compMark(m.shape, plotX+chartDiam, ky+chartKeyH/2-0.5)
		d.font(fontCond, "", 7)
		d.text(colGreyDark)
		f.SetXY(plotX+2*chartDiam+1, ky+0.25)
		f.CellFormat(plotW, 3.5, m.key, "", 0, "L", false, 0, "")
	}
	for _, i := range missing {
		y := top + float64(i)*step + (step-barH)/2
		d.font(fontCond, "", 8)
		w := f.GetStringWidth(c.bars[i].missing) + 2
		x := xOf(0)
		for _, cv := range c.bars[i].comps {
			if !math.IsNaN(cv.v) && xOf(cv.v)-chartDiam < x+w+1 {
				// The label follows the comparator's marker, not over it.
				x = max(x, xOf(cv.v)+chartDiam)
			}
		}
		d.fill(colWhite)
		f.Rect(x+0.5, y+0.6, w, barH-1.2, "F")
		d.text(colGrey)
		f.SetXY(x+1, y)
		f.CellFormat(w, barH, c.bars[i].missing, "", 0, "L", false, 0, "")
	}
	f.SetXY(marginX, bottom+chartBelow+chartKeyH*float64(len(c.marks)))
}

// niceScale returns axis limits that include lo and hi and a round tick step
// giving about four to six intervals.
func niceScale(lo, hi float64) (axisLo, axisHi, step float64) {
	if hi <= lo {
		hi = lo + 1
	}
	span := niceNum(hi-lo, false)
	step = niceNum(span/5, true)
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

func niceNum(x float64, round bool) float64 {
	exp := math.Floor(math.Log10(x))
	frac := x / math.Pow(10, exp)
	var nf float64
	switch {
	case round && frac < 1.5, !round && frac <= 1:
		nf = 1
	case round && frac < 3, !round && frac <= 2:
		nf = 2
	case round && frac < 7, !round && frac <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * math.Pow(10, exp)
}
