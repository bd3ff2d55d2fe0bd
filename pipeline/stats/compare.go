package stats

import "math"

// Method names of the comparisons.
const (
	// MethodDifference is the interval method of Difference.
	MethodDifference = "normal approximation"
	// MethodRatio is the interval method of RatioOf.
	MethodRatio = "log-normal approximation"
)

// Difference returns a − b (for example the absolute gap between the most and
// least deprived quintiles) with a normal-approximation interval at 95% and
// 99.8%. Each side's standard error comes from its 95% limits,
// se = (U − L)/(2·Z(0.95)); the difference has se = √(se_a² + se_b²) and
// limits d ∓ z·se. This treats each interval as symmetric, which Wilson and
// Byar intervals only approximately are.
//
// A NaN value gives an all-NaN estimate; a NaN 95% limit on either side gives
// NaN limits. Note explains either case.
func Difference(a, b Estimate) Estimate {
	if math.IsNaN(a.Value) || math.IsNaN(b.Value) {
		return nanEstimate(MethodDifference, "difference not available: missing value")
	}
	d := a.Value - b.Value
	se := math.Hypot(seFrom95(a.Lower95, a.Upper95), seFrom95(b.Lower95, b.Upper95))
	if math.IsNaN(se) {
		e := nanEstimate(MethodDifference, "difference interval not available: missing 95% limit")
		e.Value = d
		return e
	}
	return Estimate{
		Value:    d,
		Lower95:  d - z95*se,
		Upper95:  d + z95*se,
		Lower998: d - z998*se,
		Upper998: d + z998*se,
		Method:   MethodDifference,
	}
}

// RatioOf returns a / b (for example a rate ratio to a reference group) with
// an interval on the log scale at 95% and 99.8%: se_ln = (ln U − ln L)/(2·Z(0.95))
// for each side from its 95% limits, se = √(se_a² + se_b²), limits
// exp(ln(a/b) ∓ z·se).
//
// A NaN value or a zero denominator gives an all-NaN estimate. The interval
// is NaN (with Note set) when either value or any 95% limit is missing or not
// positive, since the log scale is then undefined (e.g. zero events).
func RatioOf(a, b Estimate) Estimate {
	if math.IsNaN(a.Value) || math.IsNaN(b.Value) {
		return nanEstimate(MethodRatio, "ratio not available: missing value")
	}
	if b.Value == 0 {
		return nanEstimate(MethodRatio, "ratio not available: denominator is zero")
	}
	r := a.Value / b.Value
	if !(a.Value > 0 && b.Value > 0 && a.Lower95 > 0 && b.Lower95 > 0 && a.Upper95 > 0 && b.Upper95 > 0) {
		e := nanEstimate(MethodRatio, "ratio interval not available: a value or 95% limit is missing or not positive")
		e.Value = r
		return e
	}
	se := math.Hypot(seFrom95(math.Log(a.Lower95), math.Log(a.Upper95)), seFrom95(math.Log(b.Lower95), math.Log(b.Upper95)))
	lr := math.Log(r)
	return Estimate{
		Value:    r,
		Lower95:  math.Exp(lr - z95*se),
		Upper95:  math.Exp(lr + z95*se),
		Lower998: math.Exp(lr - z998*se),
		Upper998: math.Exp(lr + z998*se),
		Method:   MethodRatio,
	}
}

// seFrom95 converts a 95% interval into a standard error.
func seFrom95(lower, upper float64) float64 {
	return (upper - lower) / (2 * z95)
}
