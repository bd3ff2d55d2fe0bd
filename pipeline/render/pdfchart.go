package render

import (
	"math"
	"strconv"

	"hiis/pipeline/metrics"
)

// The IMD chart's vertical layout, in mm.
const (
	chartTitleH = 5.0
	chartAbove  = 7.0 // room for the overall label
	chartBarH   = 4.8
	chartStep   = 7.0 // bar and gap
	chartBelow  = 11  // tick labels and axis title
	chartHeight = chartTitleH + chartAbove + 5*chartStep + chartBelow
)

// imdChart draws a horizontal bar chart of an indicator by IMD quintile with
// 95% interval whiskers and a dashed line at the overall value, as vector
// graphics. Quintiles without a value are labelled, not drawn.
func (d *doc) imdChart(ind Indicator, rows []metrics.Row) {
	f := d.f
	var q [5]*metrics.Row
	var overall *metrics.Row
	for i := range rows {
		r := &rows[i]
		switch r.Breakdown {
		case metrics.IMDQuintile:
			if n, err := strconv.Atoi(r.Group); err == nil && n >= 1 && n <= 5 {
				q[n-1] = r
			}
		case metrics.Overall:
			overall = r
		}
	}
	labels := make([]string, 5)
	valueW := 30.0 // value and interval text, widened to fit it
	d.font(fontCond, "", 8)
	for i, r := range q {
		if r == nil || math.IsNaN(r.Value) {
			continue
		}
		labels[i] = formatValue(ind, r.Value)
		if !math.IsNaN(r.Lower95) && !math.IsNaN(r.Upper95) {
			labels[i] += " (" + formatPlain(ind, r.Lower95) + " to " + formatPlain(ind, r.Upper95) + ")"
		}
		valueW = max(valueW, f.GetStringWidth(labels[i])+3)
	}
	const (
		labelW = 30.0 // quintile labels
		barH   = chartBarH
		step   = chartStep
		above  = chartAbove
		below  = chartBelow
	)
	plotX := marginX + labelW
	plotW := contentW - labelW - valueW
	d.ensure(chartHeight)

	d.font(fontSans, "B", 9)
	d.text(colText)
	f.SetX(marginX)
	f.CellFormat(contentW, chartTitleH, "By IMD quintile, with 95% confidence intervals", "", 1, "L", false, 0, "")
	top := f.GetY() + above
	bottom := top + 5*step

	lo, hi := 0.0, 0.0
	consider := func(vs ...float64) {
		for _, v := range vs {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	for _, r := range q {
		if r != nil {
			consider(r.Value, r.Lower95, r.Upper95)
		}
	}
	if overall != nil {
		consider(overall.Value)
	}
	percent := kindOf(ind) == kindPercent
	axisLo, axisHi, tick := niceScale(lo, hi)
	if percent && hi <= 100 && axisHi > 100 {
		axisHi = 100
	}
	xOf := func(v float64) float64 { return plotX + (v-axisLo)/(axisHi-axisLo)*plotW }

	// Grid and tick labels.
	dp := 0
	if tick < 1 {
		dp = int(math.Ceil(-math.Log10(tick) - 1e-9))
	}
	f.SetLineWidth(0.15)
	d.font(fontCond, "", 7)
	d.text(colGrey)
	for i := 0; ; i++ {
		t := axisLo + float64(i)*tick
		if t > axisHi+tick/1e6 {
			break
		}
		x := xOf(t)
		d.draw(colRule)
		f.Line(x, top, x, bottom)
		label := fixed(t, dp)
		if percent {
			label += "%"
		}
		f.SetXY(x-12, bottom+0.8)
		f.CellFormat(24, 3.5, label, "", 0, "C", false, 0, "")
	}
	d.font(fontCond, "", 7)
	f.SetXY(plotX, bottom+4.5)
	f.CellFormat(plotW, 3.5, unitLabel(ind), "", 0, "C", false, 0, "")

	// Bars, whiskers, labels.
	for i, r := range q {
		y := top + float64(i)*step + (step-barH)/2
		yc := y + barH/2
		d.font(fontCond, "", 8)
		d.text(colText)
		f.SetXY(marginX, y)
		f.CellFormat(labelW-2, barH, groupLabel(metrics.IMDQuintile, strconv.Itoa(i+1)), "", 0, "R", false, 0, "")
		if r == nil || math.IsNaN(r.Value) {
			msg := "not available"
			if r != nil && hidden(*r, r.Value) {
				msg = "* withheld (see table)"
			}
			d.text(colGrey)
			f.SetXY(xOf(0)+1, y)
			f.CellFormat(plotW-2, barH, msg, "", 0, "L", false, 0, "")
			continue
		}
		x0, x1 := xOf(0), xOf(r.Value)
		d.fill(colBar)
		f.Rect(min(x0, x1), y, math.Abs(x1-x0), barH, "F")
		if !math.IsNaN(r.Lower95) && !math.IsNaN(r.Upper95) {
			a, b := xOf(r.Lower95), xOf(r.Upper95)
			d.draw(colText)
			f.SetLineWidth(0.3)
			f.Line(a, yc, b, yc)
			f.Line(a, yc-1.5, a, yc+1.5)
			f.Line(b, yc-1.5, b, yc+1.5)
		}
		d.font(fontCond, "", 8)
		d.text(colText)
		f.SetXY(plotX+plotW+1, y)
		f.CellFormat(valueW-1, barH, labels[i], "", 0, "L", false, 0, "")
	}

	// Zero axis, then the overall value.
	d.draw(colText)
	f.SetLineWidth(0.3)
	f.Line(xOf(0), top-1, xOf(0), bottom)
	if overall != nil && !math.IsNaN(overall.Value) {
		x := xOf(overall.Value)
		d.draw(colGreyDark)
		f.SetLineWidth(0.3)
		f.SetDashPattern([]float64{1.2, 0.9}, 0)
		f.Line(x, top-2, x, bottom)
		f.SetDashPattern(nil, 0)
		d.font(fontCond, "B", 7)
		d.text(colGreyDark)
		label := "Overall " + formatValue(ind, overall.Value)
		w := f.GetStringWidth(label) + 2
		lx := min(max(x-w/2, plotX), plotX+plotW-w)
		f.SetXY(lx, top-above+1)
		f.CellFormat(w, 3.5, label, "", 0, "C", false, 0, "")
	}
	f.SetXY(marginX, bottom+below)
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
