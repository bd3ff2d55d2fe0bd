// Package trend compares this year's metrics with last year's published
// ones: for each indicator, the change in its overall value and in the
// absolute gap between the most and least deprived IMD quintiles, with the
// 95% and 99.8% intervals of each difference. It is pure computation over
// metrics rows: no files, no SQL.
package trend

import (
	"fmt"
	"math"

	"hiis/pipeline/metrics"
)

// Breakdown is the metrics breakdown of the change rows.
const Breakdown = "change"

// The groups of the change rows. Each measure has two rows: the difference
// (this year − last year, with its intervals) and last year's published
// value (with its own limits), so that the tidy table holds last year,
// this year (the measure's own row) and the difference.
const (
	Overall = "overall"        // change in the overall value
	Gap     = metrics.GroupGap // change in the quintile 1 − quintile 5 gap
	Last    = " last year"     // suffix of the rows holding last year's value
	method  = "difference of two independent estimates, normal approximation"
)

// Measures lists the compared measures: the row of this year's metrics each
// change is about.
var Measures = []struct{ Group, Breakdown, Of string }{
	{Overall, metrics.Overall, metrics.GroupAll},
	{Gap, metrics.IMDSummary, metrics.GroupGap},
}

// z95 and z998 are the standard normal quantiles of the two-sided levels.
const (
	z95  = 1.959963984540054
	z998 = 3.090232306167813
)

// Comparability says whether an indicator's two years are like for like.
type Comparability struct {
	// Definition is "" when the indicator's definition is unchanged, else
	// why not (it then applies to every measure).
	Definition string
	// Deprivation is "" when both years used the same IMD edition, else why
	// not (it applies to the quintile gap only).
	Deprivation string
}

// Note returns why measure group is not like for like, "" when it is.
func (c Comparability) Note(group string) string {
	if c.Definition != "" {
		return c.Definition
	}
	if group == Gap {
		return c.Deprivation
	}
	return ""
}

// Rows returns the change rows of every indicator in ids that appears in
// both years: for each measure, the difference this year − last year with
// its 95% and 99.8% intervals, and last year's value. current are this
// year's rows (unsuppressed: disclosure control then treats the change
// rows like the value they compare), previous last year's published rows
// (a withheld value is NaN and gives no difference). A measure that is not
// like for like keeps last year's value but has no difference, and its
// note says why.
func Rows(ids []string, current, previous []metrics.Row, period, organisation, previousPeriod string, comp map[string]Comparability) []metrics.Row {
	find := func(rows []metrics.Row) map[[3]string]metrics.Row {
		m := map[[3]string]metrics.Row{}
		for _, r := range rows {
			m[[3]string{r.IndicatorID, r.Breakdown, r.Group}] = r
		}
		return m
	}
	cur, prev := find(current), find(previous)
	var out []metrics.Row
	for _, id := range ids {
		for _, m := range Measures {
			key := [3]string{id, m.Breakdown, m.Of}
			last, ok := prev[key]
			if !ok {
				continue
			}
			this, haveThis := cur[key]
			na := math.NaN()
			lastRow := metrics.Row{IndicatorID: id, Period: period, Organisation: organisation, Breakdown: Breakdown,
				Group: m.Group + Last, Numerator: na, Denominator: na, Value: last.Value,
				Lower95: last.Lower95, Upper95: last.Upper95, Lower998: last.Lower998, Upper998: last.Upper998,
				Method: "published " + previousPeriod, Note: last.Note}
			if math.IsNaN(last.Value) && lastRow.Note == "" {
				lastRow.Note = "not published in " + previousPeriod
			}
			out = append(out, lastRow)
			diff := metrics.Row{IndicatorID: id, Period: period, Organisation: organisation, Breakdown: Breakdown, Group: m.Group,
				Numerator: na, Denominator: na, Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na, Method: method}
			switch note := comp[id].Note(m.Group); {
			case note != "":
				diff.Method, diff.Note = "", note
			case !haveThis || math.IsNaN(this.Value) || math.IsNaN(last.Value):
				diff.Method, diff.Note = "", "no value in one of the two years"
			default:
				d := Difference(last.Value, last.Lower95, last.Upper95, this.Value, this.Lower95, this.Upper95)
				diff.Value, diff.Lower95, diff.Upper95, diff.Lower998, diff.Upper998 = d.Value, d.Lower95, d.Upper95, d.Lower998, d.Upper998
				diff.Note = fmt.Sprintf("%s compared with %s", period, previousPeriod)
				if math.IsNaN(d.Lower95) {
					diff.Note += "; no interval: a year's limits are missing"
				}
			}
			out = append(out, diff)
		}
	}
	metrics.Sort(out)
	return out
}

// Diff is a difference between two estimates with its intervals.
type Diff struct {
	Value, Lower95, Upper95, Lower998, Upper998 float64
}

// Difference returns b − a with its 95% and 99.8% intervals, treating the
// two years as independent: each estimate's standard error is read from
// its 95% limits as (upper − lower)/(2 × 1.96), and the difference's is the
// root of the sum of their squares. The limits of rates and proportions are
// not quite symmetric, so this is the normal approximation Fingertips uses
// for comparisons over time; the intervals are NaN when either year's
// limits are missing.
func Difference(a, aLo, aHi, b, bLo, bHi float64) Diff {
	d := Diff{Value: b - a, Lower95: math.NaN(), Upper95: math.NaN(), Lower998: math.NaN(), Upper998: math.NaN()}
	seA, seB := (aHi-aLo)/(2*z95), (bHi-bLo)/(2*z95)
	if math.IsNaN(seA) || math.IsNaN(seB) || seA < 0 || seB < 0 {
		return d
	}
	se := math.Hypot(seA, seB)
	d.Lower95, d.Upper95 = d.Value-z95*se, d.Value+z95*se
	d.Lower998, d.Upper998 = d.Value-z998*se, d.Value+z998*se
	return d
}
