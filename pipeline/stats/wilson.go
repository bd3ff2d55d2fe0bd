package stats

import (
	"fmt"
	"math"
)

// WilsonLimits returns the Wilson score interval for a proportion of x
// successes out of n at confidence conf:
// (2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²)).
//
// x need not be an integer (the package's own tests use 0.445 of 1). At conf
// exactly 1 the limits are 0 and 1. The inputs are not validated: NaN in
// gives NaN out, and callers wanting errors should use Proportion.
func WilsonLimits(x, n, conf float64) (lower, upper float64) {
	if math.IsNaN(x) || math.IsNaN(n) || math.IsNaN(conf) {
		return nan, nan
	}
	if conf == 1 {
		return 0, 1
	}
	z := Z(conf)
	return wilson(x, n, z)
}

// wilson evaluates the Wilson score limits for a given z.
func wilson(x, n, z float64) (lower, upper float64) {
	z2 := z * z
	root := z * math.Sqrt(z2+4*x*(1-x/n))
	lower = (2*x + z2 - root) / 2 / (n + z2)
	upper = (2*x + z2 + root) / 2 / (n + z2)
	return lower, upper
}

// Proportion returns x/n × multiplier with Wilson score limits (× multiplier)
// at 95% and 99.8%, as phe_proportion does. Method is "Wilson".
//
// A NaN x or n gives an all-NaN estimate and no error (NA propagates, as in
// R). Errors: x < 0, n <= 0, x > n, or a multiplier that is not a positive
// finite number. Limits are clamped to [0, value] and [value, multiplier] so
// that rounding at x = 0 or x = n cannot put the value outside its interval;
// the clamp changes results by at most a few ulps.
func Proportion(x, n, multiplier float64) (Estimate, error) {
	if err := checkMultiplier(multiplier); err != nil {
		return Estimate{}, fmt.Errorf("proportion: %w", err)
	}
	if math.IsNaN(x) || math.IsNaN(n) {
		return nanEstimate("Wilson", "missing numerator or denominator"), nil
	}
	switch {
	case x < 0:
		return Estimate{}, fmt.Errorf("proportion: numerator %g is negative", x)
	case n <= 0:
		return Estimate{}, fmt.Errorf("proportion: denominator %g is not positive", n)
	case x > n:
		return Estimate{}, fmt.Errorf("proportion: numerator %g exceeds denominator %g", x, n)
	case math.IsInf(n, 0):
		return Estimate{}, fmt.Errorf("proportion: denominator is infinite")
	}
	p := x / n
	l95, u95 := wilson(x, n, z95)
	l998, u998 := wilson(x, n, z998)
	return Estimate{
		Value:    p * multiplier,
		Lower95:  clampLow(l95, p) * multiplier,
		Upper95:  clampHigh(u95, p) * multiplier,
		Lower998: clampLow(l998, p) * multiplier,
		Upper998: clampHigh(u998, p) * multiplier,
		Method:   "Wilson",
	}, nil
}

// clampLow keeps a Wilson lower limit within [0, p].
func clampLow(l, p float64) float64 {
	return math.Max(0, math.Min(l, p))
}

// clampHigh keeps a Wilson upper limit within [p, 1].
func clampHigh(u, p float64) float64 {
	return math.Min(1, math.Max(u, p))
}

// checkMultiplier rejects multipliers that would flip or destroy an interval.
func checkMultiplier(m float64) error {
	if !(m > 0) || math.IsInf(m, 0) {
		return fmt.Errorf("multiplier %g must be a positive finite number", m)
	}
	return nil
}
