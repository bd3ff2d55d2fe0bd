package stats

import (
	"fmt"
	"math"
)

// ISInput is one age (or age–sex) band for indirect standardisation.
type ISInput struct {
	// Count is the local number of events; NaN is treated as 0.
	Count float64
	// Pop is the local population; NaN is treated as 0.
	Pop float64
	// RefCount is the reference population's events; NaN is treated as 0.
	RefCount float64
	// RefPop is the reference population; it must be positive.
	RefPop float64
}

// isSums returns observed O = Σ Count and expected E = Σ RefCount/RefPop·Pop,
// and the reference totals, validating the bands.
func isSums(bands []ISInput) (o, e, refCount, refPop float64, err error) {
	if len(bands) == 0 {
		return 0, 0, 0, 0, fmt.Errorf("no bands")
	}
	for i, b := range bands {
		x, n, rx := zeroNaN(b.Count), zeroNaN(b.Pop), zeroNaN(b.RefCount)
		switch {
		case x < 0 || n < 0 || rx < 0:
			return 0, 0, 0, 0, fmt.Errorf("band %d: negative count or population", i+1)
		case !(b.RefPop > 0) || math.IsInf(b.RefPop, 0):
			return 0, 0, 0, 0, fmt.Errorf("band %d: reference population %g must be positive", i+1, b.RefPop)
		case math.IsInf(x, 0) || math.IsInf(n, 0) || math.IsInf(rx, 0):
			return 0, 0, 0, 0, fmt.Errorf("band %d: infinite count or population", i+1)
		}
		o += x
		e += rx / b.RefPop * n
		refCount += rx
		refPop += b.RefPop
	}
	if !(e > 0) {
		return 0, 0, 0, 0, fmt.Errorf("expected count is zero")
	}
	return o, e, refCount, refPop, nil
}

// zeroNaN maps NaN (missing) to 0, as the package's na.zero does.
func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// isEstimate scales O/E and its count limits by scale.
func isEstimate(o, e, scale float64) Estimate {
	l95, u95, l998, u998 := countLimitsBoth(o)
	return Estimate{
		Value:    o / e * scale,
		Lower95:  l95 / e * scale,
		Upper95:  u95 / e * scale,
		Lower998: l998 / e * scale,
		Upper998: u998 / e * scale,
		Method:   countMethod(o),
	}
}

// ISRatio returns the indirectly standardised ratio O/E × refValue with its
// 95% and 99.8% limits, as calculate_ISRatio does, together with observed
// O = Σ Count and expected E = Σ RefCount/RefPop × Pop. The limits are the
// count limits of O (exact when O < 10, Byar's otherwise; Method "Exact" or
// "Byars") divided by E and multiplied by refValue.
//
// Errors: no bands, a negative count or population, a reference population
// that is not positive, a zero expected count, or a refValue that is not a
// positive finite number.
func ISRatio(bands []ISInput, refValue float64) (est Estimate, observed, expected float64, err error) {
	if err := checkMultiplier(refValue); err != nil {
		return Estimate{}, 0, 0, fmt.Errorf("isratio: refvalue: %w", err)
	}
	o, e, _, _, err := isSums(bands)
	if err != nil {
		return Estimate{}, 0, 0, fmt.Errorf("isratio: %w", err)
	}
	return isEstimate(o, e, refValue), o, e, nil
}

// ISRate returns the indirectly standardised rate O/E × refRate per
// multiplier, as calculate_ISRate does, where refRate = Σ RefCount / Σ RefPop
// × multiplier is the reference rate (also returned), with observed O and
// expected E as for ISRatio. The limits are the count limits of O (exact when
// O < 10, Byar's otherwise) divided by E and multiplied by refRate.
//
// Errors: as ISRatio, with multiplier in place of refValue.
func ISRate(bands []ISInput, multiplier float64) (est Estimate, observed, expected, refRate float64, err error) {
	if err := checkMultiplier(multiplier); err != nil {
		return Estimate{}, 0, 0, 0, fmt.Errorf("israte: %w", err)
	}
	o, e, rx, rn, err := isSums(bands)
	if err != nil {
		return Estimate{}, 0, 0, 0, fmt.Errorf("israte: %w", err)
	}
	refRate = rx / rn * multiplier
	return isEstimate(o, e, refRate), o, e, refRate, nil
}
