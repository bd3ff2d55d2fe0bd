package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Count interval method names, as PHEindicatormethods reports them.
const (
	// MethodExact is the exact (chi-square / Poisson) count interval.
	MethodExact = "Exact"
	// MethodByars is Byar's approximation to the Poisson count interval.
	MethodByars = "Byars"
)

// ByarLimits returns Byar's confidence interval for an observed Poisson count
// o at confidence conf:
// lower = o(1 − 1/(9o) − z/(3√o))³, upper = (o+1)(1 − 1/(9(o+1)) + z/(3√(o+1)))³.
//
// A negative lower limit is returned as NaN (missing), as the package does
// (for example o = 1 at 99.8%); the lower limit is also NaN at o = 0, where
// the formula is undefined. NaN in gives NaN out; o must not be negative.
func ByarLimits(o, conf float64) (lower, upper float64) {
	return byars(o, Z(conf))
}

// byars evaluates Byar's limits for a given z.
func byars(o, z float64) (lower, upper float64) {
	if math.IsNaN(o) || o < 0 {
		return nan, nan
	}
	t := 1 - 1/(9*o) - z/(3*math.Sqrt(o))
	lower = o * t * t * t
	if !(lower >= 0) {
		lower = nan
	}
	o1 := o + 1
	u := 1 - 1/(9*o1) + z/(3*math.Sqrt(o1))
	upper = o1 * u * u * u
	return lower, upper
}

// ExactPoissonLimits returns the exact (chi-square) confidence interval for an
// observed Poisson count o at confidence conf:
// lower = χ²((1−conf)/2; 2o)/2 and upper = χ²(conf + (1−conf)/2; 2o+2)/2.
//
// The lower limit is 0 when o is 0. o may be fractional; a NaN or negative o,
// or conf outside (0, 1), gives NaN.
func ExactPoissonLimits(o, conf float64) (lower, upper float64) {
	if math.IsNaN(o) || o < 0 || !(conf > 0 && conf < 1) {
		return nan, nan
	}
	alpha := (1 - conf) / 2
	if o == 0 {
		lower = 0
	} else {
		lower = distuv.ChiSquared{K: 2 * o}.Quantile(alpha) / 2
	}
	upper = distuv.ChiSquared{K: 2*o + 2}.Quantile(conf+alpha) / 2
	return lower, upper
}

// CountLimits returns the confidence interval for an observed count o the way
// phe_rate and the indirect standardisation functions choose it: exact when
// o < 10, Byar's otherwise. method is "Exact" or "Byars", or "" when o is NaN
// (as R's method is NA there).
func CountLimits(o, conf float64) (lower, upper float64, method string) {
	switch {
	case math.IsNaN(o):
		return nan, nan, ""
	case o < 10:
		lower, upper = ExactPoissonLimits(o, conf)
		return lower, upper, MethodExact
	default:
		lower, upper = ByarLimits(o, conf)
		return lower, upper, MethodByars
	}
}
