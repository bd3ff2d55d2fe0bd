package stats

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// ValueType says what kind of indicator an SII is computed for; it decides
// the scale on which standard errors live and values are simulated.
type ValueType int

// The value types of phe_sii.
const (
	// ValueNormal is an indicator on its natural scale (e.g. life expectancy).
	ValueNormal ValueType = 0
	// ValueRate is a rate: standard errors and simulation on the log scale.
	ValueRate ValueType = 1
	// ValueProportion is a proportion in (0, 1): logit scale.
	ValueProportion ValueType = 2
)

// SIIDefaultRepetitions is the number of simulation repetitions used when
// SIIOptions.Repetitions is 0 (the R package defaults to 100,000).
const SIIDefaultRepetitions = 10000

// SIIGroup is one quantile (e.g. an IMD quintile) of an SII calculation.
type SIIGroup struct {
	// Quantile is the label 1..k; 1 must be the most deprived.
	Quantile int
	// Population is the quantile's population (denominator); it must be > 0.
	Population float64
	// Value is the indicator value on its natural scale; rates must be > 0
	// and proportions in (0, 1).
	Value float64
	// LowerCL and UpperCL are the value's 95% confidence limits on its
	// natural scale. They are used only when SE is NaN.
	LowerCL, UpperCL float64
	// SE is the standard error on the transformed scale (identity for
	// normal values, ln for rates, logit for proportions); NaN derives it
	// from the 95% limits as (g(U) − g(L))/(2·qnorm(0.975)).
	SE float64
}

// SIIOptions control SII.
type SIIOptions struct {
	// ValueType is ValueNormal, ValueRate or ValueProportion.
	ValueType ValueType
	// Transform fits the regression on the log (rates) or logit
	// (proportions) scale; it is not allowed for ValueNormal.
	Transform bool
	// Multiplier scales the SII (0 means 1). A negative multiplier flips the
	// SII's sign and inverts the RII, for indicators where high is good.
	Multiplier float64
	// Repetitions is the number of simulations (0 means
	// SIIDefaultRepetitions); use at least 10,000.
	Repetitions int
	// Confidence lists the levels of the simulated limits, each in (0, 1)
	// (nil means {0.95}).
	Confidence []float64
	// Seed seeds the random stream (math/rand/v2 PCG with both words set to
	// Seed), so equal inputs and seeds give equal limits.
	Seed uint64
}

// SIILimits are the simulated SII and RII limits at one confidence level.
type SIILimits struct {
	// Confidence is the level, as given in SIIOptions.Confidence.
	Confidence float64
	// SIILower and SIIUpper are the SII limits.
	SIILower, SIIUpper float64
	// RIILower and RIIUpper are the RII limits.
	RIILower, RIIUpper float64
}

// SIIResult is the slope and relative index of inequality.
type SIIResult struct {
	// SII is the slope index of inequality × multiplier: the fitted
	// difference between the least (rank 1) and most (rank 0) deprived ends.
	SII float64
	// RII is fitted(1)/fitted(0), inverted when the multiplier is negative.
	RII float64
	// Intercept is the fitted value at rank 0 (the most deprived end): β₀
	// without transform, g⁻¹(β₀)·|multiplier| with transform.
	Intercept float64
	// Limits holds one entry per requested confidence level, in order.
	Limits []SIILimits
}

// zSE is phe_sii's hard-coded qnorm(0.975) for deriving standard errors.
var zSE = distuv.UnitNormal.Quantile(0.975)

// link returns the transform g for a value type (identity, ln or logit).
func link(vt ValueType, v float64) float64 {
	switch vt {
	case ValueRate:
		return math.Log(v)
	case ValueProportion:
		return math.Log(v / (1 - v))
	}
	return v
}

// inverseLink returns g⁻¹ (identity, exp or expit).
func inverseLink(vt ValueType, y float64) float64 {
	switch vt {
	case ValueRate:
		return math.Exp(y)
	case ValueProportion:
		e := math.Exp(y)
		return e / (1 + e)
	}
	return y
}

// SII returns the slope index of inequality (SII), the relative index of
// inequality (RII) and the intercept for groups ordered by deprivation, as
// phe_sii (PHEindicatormethods 2.1.0) computes them, with limits by
// simulation.
//
// Groups are sorted by Quantile, which must run 1..k with none missing or
// repeated, 5 <= k <= 100. With population shares aᵢ and cumulative
// midpoints bᵢ, y is regressed on b by least squares weighted by a; y is the
// value, or g(value) with Transform. The limits come from redrawing each
// group from Normal(g(value), se), back-transforming unless Transform is set,
// refitting, sorting, and taking the draws at 1-based positions
// round(reps·(1−c′)) and round(reps·c′), c′ = c + (1−c)/2, half to even. With
// Transform the sorted slopes s are mapped back around the fitted midpoint
// xh = β₀ + β₁/2 as (g⁻¹(xh+s/2) − g⁻¹(xh−s/2))·m and g⁻¹(xh+s/2)/g⁻¹(xh−s/2).
// A negative multiplier swaps the SII limits and inverts and swaps the RII
// limits. (R also swaps for rates with 0 < multiplier < 1, which yields a
// lower limit above the upper; this function does not copy that quirk.)
//
// Errors: a ValueType out of range, Transform with ValueNormal, a non-finite
// multiplier, negative repetitions or too few for a requested level, a level
// outside (0, 1), fewer than 5 or more than 100 groups, quantiles not 1..k, a
// population that is not positive, a missing value, a rate that is not
// positive or a proportion not in (0, 1), a negative SE, or a NaN SE with a
// missing, inverted or out-of-range 95% limit.
func SII(groups []SIIGroup, opt SIIOptions) (SIIResult, error) {
	fail := func(format string, args ...any) (SIIResult, error) {
		return SIIResult{}, fmt.Errorf("sii: "+format, args...)
	}
	vt := opt.ValueType
	if vt != ValueNormal && vt != ValueRate && vt != ValueProportion {
		return fail("value type %d is not 0 (normal), 1 (rate) or 2 (proportion)", vt)
	}
	if opt.Transform && vt == ValueNormal {
		return fail("transform needs a rate or proportion value type")
	}
	m := opt.Multiplier
	if m == 0 {
		m = 1
	}
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return fail("multiplier %g is not finite", m)
	}
	reps := opt.Repetitions
	if reps == 0 {
		reps = SIIDefaultRepetitions
	}
	if reps < 0 {
		return fail("repetitions %d is negative", reps)
	}
	levels := opt.Confidence
	if levels == nil {
		levels = []float64{Conf95}
	}
	type positions struct{ lo, hi int }
	pos := make([]positions, len(levels))
	for i, c := range levels {
		if !(c > 0 && c < 1) {
			return fail("confidence %g is not in (0, 1)", c)
		}
		cv := c + (1-c)/2
		lo := int(math.RoundToEven(float64(reps) * (1 - cv)))
		hi := int(math.RoundToEven(float64(reps) * cv))
		if lo < 1 || hi > reps || lo >= hi {
			return fail("%d repetitions are too few for confidence %g", reps, c)
		}
		pos[i] = positions{lo - 1, hi - 1}
	}

	k := len(groups)
	if k < 5 || k > 100 {
		return fail("%d quantiles given; between 5 and 100 are needed", k)
	}
	gs := slices.Clone(groups)
	slices.SortStableFunc(gs, func(x, y SIIGroup) int { return cmp.Compare(x.Quantile, y.Quantile) })

	mu := make([]float64, k) // g(value): the simulation mean
	se := make([]float64, k)
	y := make([]float64, k) // regression response
	var total float64
	for i, g := range gs {
		if g.Quantile != i+1 {
			return fail("quantiles must be 1..%d with none missing or repeated; found %d at position %d", k, g.Quantile, i+1)
		}
		if !(g.Population > 0) || math.IsInf(g.Population, 0) {
			return fail("quantile %d: population %g is not positive", g.Quantile, g.Population)
		}
		if err := checkSIIValue(vt, g.Value); err != nil {
			return fail("quantile %d: value: %v", g.Quantile, err)
		}
		total += g.Population
		mu[i] = link(vt, g.Value)
		if opt.Transform {
			y[i] = mu[i]
		} else {
			y[i] = g.Value
		}
		switch {
		case !math.IsNaN(g.SE):
			if g.SE < 0 || math.IsInf(g.SE, 0) {
				return fail("quantile %d: standard error %g is negative or infinite", g.Quantile, g.SE)
			}
			se[i] = g.SE
		case math.IsNaN(g.LowerCL) || math.IsNaN(g.UpperCL):
			return fail("quantile %d: missing standard error and confidence limits", g.Quantile)
		default:
			if err := checkSIIValue(vt, g.LowerCL); err != nil {
				return fail("quantile %d: lower confidence limit: %v", g.Quantile, err)
			}
			if err := checkSIIValue(vt, g.UpperCL); err != nil {
				return fail("quantile %d: upper confidence limit: %v", g.Quantile, err)
			}
			if g.UpperCL < g.LowerCL {
				return fail("quantile %d: upper confidence limit %g is below lower %g", g.Quantile, g.UpperCL, g.LowerCL)
			}
			se[i] = (link(vt, g.UpperCL) - link(vt, g.LowerCL)) / zSE / 2
		}
	}

	// Population shares a and cumulative midpoints b, then the weighted
	// regression written as fixed linear combinations of y so that each
	// simulation is O(k).
	a := make([]float64, k)
	b := make([]float64, k)
	var cum, sa, sab float64
	for i, g := range gs {
		a[i] = g.Population / total
		b[i] = cum + a[i]/2
		cum += a[i]
		sa += a[i]
		sab += a[i] * b[i]
	}
	bbar := sab / sa
	var sxx float64
	for i := range a {
		d := b[i] - bbar
		sxx += a[i] * d * d
	}
	c1 := make([]float64, k) // β₁ = Σ c1ᵢ yᵢ
	w0 := make([]float64, k) // ȳ = Σ w0ᵢ yᵢ, β₀ = ȳ − β₁·b̄
	for i := range a {
		c1[i] = a[i] * (b[i] - bbar) / sxx
		w0[i] = a[i] / sa
	}
	var ybar, sxy float64
	for i := range y {
		ybar += w0[i] * y[i]
	}
	for i := range y {
		sxy += a[i] * (b[i] - bbar) * (y[i] - ybar)
	}
	beta1 := sxy / sxx
	beta0 := ybar - beta1*bbar

	var res SIIResult
	if opt.Transform {
		y0, y1 := inverseLink(vt, beta0), inverseLink(vt, beta0+beta1)
		res.SII = (y1 - y0) * m
		res.RII = y1 / y0
		res.Intercept = y0 * math.Abs(m)
	} else {
		res.SII = beta1 * m
		res.RII = (beta0 + beta1) / beta0
		res.Intercept = beta0
	}
	if m < 0 {
		res.RII = 1 / res.RII
	}

	// Simulation.
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed))
	sims := make([]float64, reps)
	var riis []float64
	if !opt.Transform {
		riis = make([]float64, reps)
	}
	draw := make([]float64, k)
	for r := 0; r < reps; r++ {
		for i := range draw {
			d := mu[i] + se[i]*rng.NormFloat64()
			if !opt.Transform {
				d = inverseLink(vt, d)
			}
			draw[i] = d
		}
		var s1, s0 float64
		for i, d := range draw {
			s1 += c1[i] * d
			s0 += w0[i] * d
		}
		b0 := s0 - s1*bbar
		if opt.Transform {
			sims[r] = s1
			continue
		}
		sims[r] = s1 * m
		rii := (b0 + s1) / b0
		if m < 0 {
			rii = 1 / rii
		}
		riis[r] = rii
	}
	slices.Sort(sims)
	if riis != nil {
		slices.Sort(riis)
	}

	res.Limits = make([]SIILimits, len(levels))
	xh := beta0 + beta1/2
	for i, c := range levels {
		p := pos[i]
		l := SIILimits{Confidence: c}
		if !opt.Transform {
			l.SIILower, l.SIIUpper = sims[p.lo], sims[p.hi]
			l.RIILower, l.RIIUpper = riis[p.lo], riis[p.hi]
		} else {
			back := func(s float64) (sii, rii float64) {
				hi, lo := inverseLink(vt, xh+s/2), inverseLink(vt, xh-s/2)
				return (hi - lo) * m, hi / lo
			}
			sLo, rLo := back(sims[p.lo])
			sHi, rHi := back(sims[p.hi])
			if m < 0 {
				sLo, sHi = sHi, sLo
				rLo, rHi = 1/rHi, 1/rLo
			}
			l.SIILower, l.SIIUpper, l.RIILower, l.RIIUpper = sLo, sHi, rLo, rHi
		}
		res.Limits[i] = l
	}
	return res, nil
}

// checkSIIValue checks that v can be put on the value type's scale.
func checkSIIValue(vt ValueType, v float64) error {
	switch {
	case math.IsNaN(v):
		return fmt.Errorf("missing")
	case math.IsInf(v, 0):
		return fmt.Errorf("infinite")
	case vt == ValueRate && !(v > 0):
		return fmt.Errorf("rate %g is not positive", v)
	case vt == ValueProportion && !(v > 0 && v < 1):
		return fmt.Errorf("proportion %g is not strictly between 0 and 1", v)
	}
	return nil
}
