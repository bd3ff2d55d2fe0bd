package fixturegen

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"hiis/pipeline/disclose"
	"hiis/pipeline/metrics"
	"hiis/pipeline/stats"
)

// previousPeriod is the label of the year before the fixtures' period.
const previousPeriod = "2024/25"

// previousFactor is how much higher each quintile's expected numerator was
// in 2024/25 than in the period: a little higher everywhere and most in
// quintile 1, so that the fixture run shows the gap narrowing.
var previousFactor = [5]float64{1.08, 1.05, 1.04, 1.03, 1.02}

// unknownFactor scales the numerators of people outside the IMD lookup.
const unknownFactor = 1.04

// lastYear is one indicator's 2024/25 figures before disclosure control:
// counts and estimates for the whole population and each quintile.
type lastYear struct {
	id         string
	x, n       float64
	overall    stats.Estimate
	xq, nq     [5]float64
	byQuintile [5]stats.Estimate
}

// previousMetrics writes the metrics.csv a 2024/25 run would have
// published, from the generating model rather than from extracts, with
// every expected numerator of quintile q scaled by previousFactor[q]:
//
//   - record-level proportions, crude rates and ratios to a baseline: each
//     quintile's expected numerator (and a baseline's expected count) is
//     drawn as a Poisson count, a normal approximation above 500, and the
//     value and limits come from hiis's stats package (Wilson, Byar or
//     exact, ratio of counts); the overall row sums the quintiles;
//   - directly standardised rates: each quintile × ESP band × sex's expected
//     events are drawn the same way over its people, and stats.DSR gives
//     the rate and Dobson limits; the overall row sums the strata;
//   - aggregate sources' proportions: each quintile's published numerator
//     this year is scaled and drawn, capped at its denominator, and the
//     overall row adds the groups outside the quintiles (scaled by
//     unknownFactor).
//
// Draws come from their own seeded stream. Counts are published under the
// NHS Digital rule (1–7 withheld, others rounded to 5), and a value or gap
// resting on a withheld count is withheld. The file holds the overall,
// quintile and Q1−Q5 gap and ratio rows (not the SII, RII or the other
// breakdowns, which the change since last year does not read).
func previousMetrics(seed uint64, people []*person, aggs map[string][]aggRow, ms []measure) ([]byte, int, error) {
	r := newRNG(seed, streamPrevious)
	draw := func(lambda float64) float64 {
		if lambda > 500 {
			return math.Max(0, math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64()))
		}
		return float64(r.poisson(lambda))
	}
	var years []lastYear
	for _, t := range indicatorTruths(people) {
		ly := lastYear{id: t.ID}
		var err error
		if t.Measure == "dsr" {
			ly, err = previousDSR(t, draw)
		} else {
			for q := range 5 {
				v := t.ByQuintile[strconv.Itoa(q+1)]
				ly.xq[q] = draw(v.Numerator * previousFactor[q])
				switch t.Measure {
				case "proportion":
					ly.nq[q] = math.Round(v.Denominator)
					ly.xq[q] = math.Min(ly.xq[q], ly.nq[q])
				case "ratio_to_baseline":
					ly.nq[q] = draw(v.Denominator) // baseline activity, a count too
				default:
					ly.nq[q] = math.Round(v.Denominator) // people
				}
			}
			err = ly.estimate(t.Measure, float64(t.Per))
		}
		if err != nil {
			return nil, 0, fmt.Errorf("previous metrics: %s: %w", t.ID, err)
		}
		years = append(years, ly)
	}
	for _, m := range ms {
		ly, ok, err := previousAggregate(m, aggs[m.file], draw)
		if err != nil {
			return nil, 0, fmt.Errorf("previous metrics: %s: %w", m.indicator, err)
		}
		if ok {
			years = append(years, ly)
		}
	}
	var rows []metrics.Row
	for _, ly := range years {
		rows = append(rows, ly.rows()...)
	}
	metrics.Sort(rows)
	var b bytes.Buffer
	if err := metrics.WriteCSV(&b, rows); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), len(rows), nil
}

// estimate fills the overall and quintile estimates from the counts by the
// measure's own method, per `per`.
func (ly *lastYear) estimate(measure string, per float64) error {
	var err error
	for q := range 5 {
		ly.x, ly.n = ly.x+ly.xq[q], ly.n+ly.nq[q]
		if ly.byQuintile[q], err = previousEstimate(measure, ly.xq[q], ly.nq[q], per); err != nil {
			return err
		}
	}
	ly.overall, err = previousEstimate(measure, ly.x, ly.n, per)
	return err
}

// previousDSR draws a standardised rate's events by quintile, band and sex.
func previousDSR(t indicatorTruth, draw func(float64) float64) (lastYear, error) {
	ly := lastYear{id: t.ID}
	var all [19][2]stats.Stratum
	var err error
	for q := range 5 {
		var strata []stats.Stratum
		for b := range 19 {
			for s := range 2 {
				xn := t.bands[q][b][s]
				if xn[1] == 0 {
					continue
				}
				st := stats.Stratum{Count: draw(xn[0] * previousFactor[q]), Pop: xn[1], StdPop: esp2013[b]}
				strata = append(strata, st)
				all[b][s].Count += st.Count
				all[b][s].Pop += st.Pop
				all[b][s].StdPop = esp2013[b]
				ly.xq[q] += st.Count
				ly.nq[q] += st.Pop
			}
		}
		if ly.byQuintile[q], err = stats.DSR(strata, float64(t.Per)); err != nil {
			return ly, err
		}
		ly.x, ly.n = ly.x+ly.xq[q], ly.n+ly.nq[q]
	}
	var strata []stats.Stratum
	for b := range 19 {
		for s := range 2 {
			if all[b][s].Pop > 0 {
				strata = append(strata, all[b][s])
			}
		}
	}
	ly.overall, err = stats.DSR(strata, float64(t.Per))
	return ly, err
}

// aggregateIndicator names the indicator a measure code feeds where the
// measure's indicator field names a family (DM-1) or the code is only an
// intermediate (MSD_COC_PLACED, "" here): as the indicators' filters read.
var aggregateIndicator = map[string]string{
	"NDA_CP8_T1": "DM-1a", "NDA_CP8_T2": "DM-1b",
	"VAC_COVID_AUT25": "RESP-1a", "VAC_FLU_2526": "RESP-1b", "VAC_PPV_65PLUS": "RESP-1c",
	"MSD_COC_PLACED": "", "MSD_COC_TARGET": "MAT-1",
}

// previousAggregate scales this year's published numerators of one
// aggregate measure with an IMD breakdown; ok is false for measures without
// one.
func previousAggregate(m measure, rows []aggRow, draw func(float64) float64) (ly lastYear, ok bool, err error) {
	ly.id = m.indicator
	if id, ok := aggregateIndicator[m.code]; ok {
		ly.id = id
	}
	if ly.id == "" {
		return ly, false, nil
	}
	var overall *aggRow
	seen, thisX := 0, 0.0 // quintiles seen, this year's numerators in them
	for i, a := range rows {
		if a.code != m.code {
			continue
		}
		switch a.breakdown {
		case metrics.Overall:
			overall = &rows[i]
		case metrics.IMDQuintile:
			q, err := strconv.Atoi(a.group)
			if err != nil || q < 1 || q > 5 {
				continue
			}
			ly.nq[q-1] = float64(a.den)
			ly.xq[q-1] = math.Min(ly.nq[q-1], draw(float64(a.num)*previousFactor[q-1]))
			thisX += float64(a.num)
			seen++
		}
	}
	if overall == nil || seen != 5 {
		return ly, false, nil
	}
	if err := ly.estimate("proportion", 100); err != nil {
		return ly, false, err
	}
	// The groups outside the quintiles (no valid LSOA) join the overall row.
	restX, restN := float64(overall.num)-thisX, float64(overall.den)-ly.n
	if restN > 0 && restX >= 0 {
		ly.x += math.Min(restN, draw(restX*unknownFactor))
		ly.n += restN
	}
	ly.overall, err = previousEstimate("proportion", ly.x, ly.n, 100)
	return ly, true, err
}

// rows publishes one indicator's figures: counts under the NHS Digital
// rule, values withheld with a withheld count, the gap and ratio withheld
// with either end quintile.
func (ly lastYear) rows() []metrics.Row {
	var out []metrics.Row
	add := func(b, g string, x, n float64, e stats.Estimate, withheld bool) {
		row := metrics.Row{IndicatorID: ly.id, Period: previousPeriod, Organisation: orgCode, Breakdown: b, Group: g,
			Numerator: x, Denominator: n, Value: e.Value, Lower95: e.Lower95, Upper95: e.Upper95, Lower998: e.Lower998, Upper998: e.Upper998,
			Method: e.Method, Note: e.Note}
		if withheld {
			row.Value, row.Lower95, row.Upper95, row.Lower998, row.Upper998 = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
			row.Suppressed, row.Note = true, "suppressed: a count is 1–7 (nhs_digital rule)"
		}
		out = append(out, row)
	}
	publish := func(x, n float64) (float64, float64, bool) {
		px, hx := disclose.Count(x, disclose.NHSDigital)
		pn, hn := disclose.Count(n, disclose.NHSDigital)
		return px, pn, hx || hn
	}
	px, pn, held := publish(ly.x, ly.n)
	add(metrics.Overall, metrics.GroupAll, px, pn, ly.overall, held)
	var heldQ [5]bool
	for q := range 5 {
		px, pn, heldQ[q] = publish(ly.xq[q], ly.nq[q])
		add(metrics.IMDQuintile, strconv.Itoa(q+1), px, pn, ly.byQuintile[q], heldQ[q])
	}
	gap := stats.Difference(ly.byQuintile[0], ly.byQuintile[4])
	gap.Method = "difference, normal approximation"
	ratio := stats.RatioOf(ly.byQuintile[0], ly.byQuintile[4])
	ratio.Method = "ratio, log-normal approximation"
	na := math.NaN()
	add(metrics.IMDSummary, metrics.GroupGap, na, na, gap, heldQ[0] || heldQ[4])
	add(metrics.IMDSummary, metrics.GroupRatio, na, na, ratio, heldQ[0] || heldQ[4])
	return out
}

// previousEstimate is x of n by the measure's own method, per `per`.
func previousEstimate(measure string, x, n, per float64) (stats.Estimate, error) {
	switch measure {
	case "proportion":
		return stats.Proportion(x, n, per)
	case "crude_rate":
		return stats.Rate(x, n, per)
	case "ratio_to_baseline":
		count := func(v float64) stats.Estimate {
			l95, u95, _ := stats.CountLimits(v, stats.Conf95)
			l998, u998, _ := stats.CountLimits(v, stats.Conf998)
			return stats.Estimate{Value: v, Lower95: l95, Upper95: u95, Lower998: l998, Upper998: u998}
		}
		e := stats.RatioOf(count(x), count(n))
		e.Value, e.Lower95, e.Upper95, e.Lower998, e.Upper998 = e.Value*per, e.Lower95*per, e.Upper95*per, e.Lower998*per, e.Upper998*per
		e.Method = "ratio of counts, log-normal interval from Poisson limits"
		return e, nil
	}
	return stats.Estimate{}, fmt.Errorf("no model for measure %q", measure)
}
