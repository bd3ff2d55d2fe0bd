package stats

import (
	"fmt"
	"math"
)

// Rate returns the crude rate x/n × multiplier with its 95% and 99.8% limits,
// as phe_rate does: the count limits of x (exact when x < 10, Byar's
// otherwise) divided by n and multiplied by multiplier. Method is "Exact" or
// "Byars". x > n is allowed.
//
// NA propagates: a NaN x or n gives NaN value and limits and no error, with
// Method still set from x ("Byars" for x >= 10 even when n is NaN, as in R).
// Errors: x < 0, n <= 0, or a multiplier that is not a positive finite
// number.
func Rate(x, n, multiplier float64) (Estimate, error) {
	if err := checkMultiplier(multiplier); err != nil {
		return Estimate{}, fmt.Errorf("rate: %w", err)
	}
	method := countMethod(x)
	if math.IsNaN(x) || math.IsNaN(n) {
		return nanEstimate(method, "missing numerator or denominator"), nil
	}
	switch {
	case x < 0:
		return Estimate{}, fmt.Errorf("rate: numerator %g is negative", x)
	case n <= 0:
		return Estimate{}, fmt.Errorf("rate: denominator %g is not positive", n)
	case math.IsInf(x, 0) || math.IsInf(n, 0):
		return Estimate{}, fmt.Errorf("rate: numerator or denominator is infinite")
	}
	e := Estimate{Value: x / n * multiplier, Method: method}
	l95, u95, l998, u998 := countLimitsBoth(x)
	e.Lower95 = l95 / n * multiplier
	e.Upper95 = u95 / n * multiplier
	e.Lower998 = l998 / n * multiplier
	e.Upper998 = u998 / n * multiplier
	return e, nil
}

// countMethod names the count interval CountLimits uses for o.
func countMethod(o float64) string {
	switch {
	case math.IsNaN(o):
		return ""
	case o < 10:
		return MethodExact
	}
	return MethodByars
}

// exactTable caches the exact 95% and 99.8% limits of the integer counts
// 0..9, which dominate small-area work; entries equal ExactPoissonLimits.
var exactTable = func() (t [10][4]float64) {
	for o := range t {
		t[o][0], t[o][1] = ExactPoissonLimits(float64(o), Conf95)
		t[o][2], t[o][3] = ExactPoissonLimits(float64(o), Conf998)
	}
	return t
}()

// countLimitsBoth returns the 95% and 99.8% count limits of o (exact below 10,
// Byar's otherwise), using the cached exact limits and z values when it can.
func countLimitsBoth(o float64) (l95, u95, l998, u998 float64) {
	if o < 10 {
		if i := int(o); o >= 0 && float64(i) == o {
			e := exactTable[i]
			return e[0], e[1], e[2], e[3]
		}
		l95, u95 = ExactPoissonLimits(o, Conf95)
		l998, u998 = ExactPoissonLimits(o, Conf998)
		return
	}
	l95, u95 = byars(o, z95)
	l998, u998 = byars(o, z998)
	return
}
