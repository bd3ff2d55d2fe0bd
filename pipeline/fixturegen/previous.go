package fixturegen

import (
	"bytes"
	"fmt"
	"math"

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

// previousMetrics writes the metrics.csv a 2024/25 run would have
// published, from the generating model rather than from extracts: for each
// record-level indicator whose truth is a proportion, crude rate or ratio
// to a baseline, every quintile's expected numerator is scaled by
// previousFactor, drawn as a Poisson count (a normal approximation above
// 500) from its own seeded stream, and its value and limits are computed by
// hiis's stats package with the measure's method (Wilson, Byar or exact,
// ratio of counts); the overall row sums the quintiles. Counts are
// published under the NHS Digital rule (1–7 withheld, others rounded to 5)
// and a value or gap resting on a withheld count is withheld. The file has
// the overall, quintile and Q1−Q5 gap and ratio rows; directly
// standardised rates and the aggregate sources' indicators are not in it,
// so the fixture run also shows indicators with no figure for last year.
func previousMetrics(seed uint64, people []*person) ([]byte, int, error) {
	r := newRNG(seed, streamPrevious)
	draw := func(lambda float64) float64 {
		if lambda > 500 {
			return math.Max(0, math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64()))
		}
		return float64(r.poisson(lambda))
	}
	var rows []metrics.Row
	for _, t := range indicatorTruths(people) {
		if t.Measure == "dsr" {
			continue
		}
		add := func(b, g string, x, n float64, e stats.Estimate, withheld bool) {
			row := metrics.Row{IndicatorID: t.ID, Period: previousPeriod, Organisation: orgCode, Breakdown: b, Group: g,
				Numerator: x, Denominator: n, Value: e.Value, Lower95: e.Lower95, Upper95: e.Upper95, Lower998: e.Lower998, Upper998: e.Upper998,
				Method: e.Method, Note: e.Note}
			if withheld {
				row.Value, row.Lower95, row.Upper95, row.Lower998, row.Upper998 = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
				row.Suppressed, row.Note = true, "suppressed: a count is 1–7 (nhs_digital rule)"
			}
			rows = append(rows, row)
		}
		var xs, ns [5]float64
		var est [5]stats.Estimate
		var held [5]bool
		for q := range 5 {
			v := t.ByQuintile[fmt.Sprint(q+1)]
			xs[q] = draw(v.Numerator * previousFactor[q])
			switch t.Measure {
			case "proportion":
				ns[q] = math.Round(v.Denominator)
				xs[q] = math.Min(xs[q], ns[q])
			case "ratio_to_baseline":
				ns[q] = draw(v.Denominator) // baseline activity, a count too
			default:
				ns[q] = math.Round(v.Denominator) // people
			}
		}
		sx, sn := 0.0, 0.0
		for q := range 5 {
			sx, sn = sx+xs[q], sn+ns[q]
		}
		overall, err := previousEstimate(t.Measure, sx, sn, float64(t.Per))
		if err != nil {
			return nil, 0, fmt.Errorf("previous metrics: %s: %w", t.ID, err)
		}
		px, hx := disclose.Count(sx, disclose.NHSDigital)
		pn, hn := disclose.Count(sn, disclose.NHSDigital)
		add(metrics.Overall, metrics.GroupAll, px, pn, overall, hx || hn)
		for q := range 5 {
			if est[q], err = previousEstimate(t.Measure, xs[q], ns[q], float64(t.Per)); err != nil {
				return nil, 0, fmt.Errorf("previous metrics: %s: %w", t.ID, err)
			}
			px, hx := disclose.Count(xs[q], disclose.NHSDigital)
			pn, hn := disclose.Count(ns[q], disclose.NHSDigital)
			held[q] = hx || hn
			add(metrics.IMDQuintile, fmt.Sprint(q+1), px, pn, est[q], held[q])
		}
		gap := stats.Difference(est[0], est[4])
		gap.Method = "difference, normal approximation"
		ratio := stats.RatioOf(est[0], est[4])
		ratio.Method = "ratio, log-normal approximation"
		add(metrics.IMDSummary, metrics.GroupGap, math.NaN(), math.NaN(), gap, held[0] || held[4])
		add(metrics.IMDSummary, metrics.GroupRatio, math.NaN(), math.NaN(), ratio, held[0] || held[4])
	}
	metrics.Sort(rows)
	var b bytes.Buffer
	if err := metrics.WriteCSV(&b, rows); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), len(rows), nil
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
