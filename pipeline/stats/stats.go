// Package stats implements the public-health statistics of OHID's Fingertips
// technical guidance as the R package PHEindicatormethods (version 2.1.0)
// computes them: Wilson, Byar and exact Poisson intervals, crude rates,
// directly and indirectly standardised rates, means, the slope and relative
// index of inequality, quantile assignment and the European Standard
// Population 2013.
//
// Results are checked against the package's own expected values in
// shared/reference/phe. NaN stands for R's NA (missing) in every input and
// output. The package is pure Go; quantiles of the normal, chi-square and
// Student t distributions come from gonum's distuv.
package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// The two confidence levels hiis reports for every estimate.
const (
	// Conf95 is the 95% confidence level.
	Conf95 = 0.95
	// Conf998 is the 99.8% confidence level.
	Conf998 = 0.998
)

// z95 and z998 are cached because every estimate needs them.
var (
	z95  = Z(Conf95)
	z998 = Z(Conf998)
)

// Z returns the two-sided standard normal quantile for confidence conf, that
// is qnorm(conf + (1-conf)/2): 1.959964 at 0.95 and 3.090232 at 0.998.
// conf must lie in (0, 1]; Z(1) is +Inf and a conf outside [0, 1] (or NaN)
// gives NaN.
func Z(conf float64) float64 {
	p := conf + (1-conf)/2
	if !(p >= 0 && p <= 1) {
		return nan
	}
	return distuv.UnitNormal.Quantile(p)
}

// Estimate is a value with its 95% and 99.8% confidence limits.
//
// A NaN field is missing: for example a Byar lower limit that would be
// negative, or a DSR that is not published because it rests on fewer than 10
// events (then Note says so).
type Estimate struct {
	// Value is the point estimate, already scaled by any multiplier.
	Value float64
	// Lower95 and Upper95 are the 95% confidence limits.
	Lower95, Upper95 float64
	// Lower998 and Upper998 are the 99.8% confidence limits.
	Lower998, Upper998 float64
	// Method names the interval method: "Wilson", "Byars", "Exact",
	// "Dobson", "Student's t-distribution", ...
	Method string
	// Note explains a missing value or interval, e.g.
	// "dsr not published: total count < 10".
	Note string
}

// nan is the missing value.
var nan = math.NaN()

// nanEstimate returns an estimate whose value and limits are all missing.
func nanEstimate(method, note string) Estimate {
	return Estimate{Value: nan, Lower95: nan, Upper95: nan, Lower998: nan, Upper998: nan, Method: method, Note: note}
}
