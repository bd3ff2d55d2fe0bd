package stats

import (
	"fmt"
	"math"
	"sort"
)

// DSR method names and notes.
const (
	// MethodDobson is the Dobson interval for a directly standardised rate.
	MethodDobson = "Dobson"
	// MethodDobsonNonIndependent is the Dobson interval with its variance
	// adjusted for individuals with more than one event.
	MethodDobsonNonIndependent = "Dobson, with confidence adjusted for non-independent events"
	// NoteDSRSmallCount is set on a DSR that is not published because its
	// total count is below 10 (the Fingertips rule).
	NoteDSRSmallCount = "dsr not published: total count < 10"
)

// Stratum is one age (or age–sex) band of a directly standardised rate.
type Stratum struct {
	// Count is the number of events in the band; NaN is treated as 0.
	Count float64
	// Pop is the band's population (the denominator).
	Pop float64
	// StdPop is the band's standard population weight (e.g. ESP2013).
	StdPop float64
}

// dsrSums accumulates the sums behind a DSR.
type dsrSums struct {
	count  float64 // Σx
	rate   float64 // Σ x·w/n
	varSum float64 // Σ x·(w/n)²
	stdPop float64 // Σw
}

// addStrata adds the strata to s, validating each band. scale multiplies the
// count (the event frequency for non-independent events).
func (s *dsrSums) addStrata(strata []Stratum, scale float64, withStd bool) error {
	for i, st := range strata {
		x := st.Count
		if math.IsNaN(x) {
			x = 0
		}
		switch {
		case math.IsNaN(st.Pop):
			return fmt.Errorf("band %d: missing population", i+1)
		case math.IsNaN(st.StdPop):
			return fmt.Errorf("band %d: missing standard population", i+1)
		case x < 0:
			return fmt.Errorf("band %d: count %g is negative", i+1, x)
		case st.Pop < 0:
			return fmt.Errorf("band %d: population %g is negative", i+1, st.Pop)
		case st.StdPop < 0:
			return fmt.Errorf("band %d: standard population %g is negative", i+1, st.StdPop)
		case st.Pop == 0 && x > 0:
			return fmt.Errorf("band %d: %g events in a zero population", i+1, x)
		case math.IsInf(x, 0) || math.IsInf(st.Pop, 0) || math.IsInf(st.StdPop, 0):
			return fmt.Errorf("band %d: infinite count or population", i+1)
		}
		if withStd {
			s.stdPop += st.StdPop
		}
		if x == 0 {
			continue // contributes nothing, even when the population is 0
		}
		w := st.StdPop / st.Pop
		s.count += scale * x
		s.rate += scale * x * st.StdPop / st.Pop
		s.varSum += x * w * w
	}
	return nil
}

// dobson turns the sums into an Estimate, with variance var (already divided
// by (Σw)²) and total count o.
func dobson(rate, variance, o, multiplier float64, method string) Estimate {
	if !(o >= 10) {
		return nanEstimate(method, NoteDSRSmallCount)
	}
	value := rate * multiplier
	sd := math.Sqrt(variance / o)
	l95, u95 := byars(o, z95)
	l998, u998 := byars(o, z998)
	return Estimate{
		Value:    value,
		Lower95:  value + sd*(l95-o)*multiplier,
		Upper95:  value + sd*(u95-o)*multiplier,
		Lower998: value + sd*(l998-o)*multiplier,
		Upper998: value + sd*(u998-o)*multiplier,
		Method:   method,
	}
}

// DSR returns the directly standardised rate per multiplier over the strata
// with Dobson confidence limits at 95% and 99.8%, as calculate_dsr does:
// DSR = Σ(xᵢwᵢ/nᵢ)/Σwᵢ × m; var = Σxᵢ(wᵢ/nᵢ)²/(Σwᵢ)²;
// limit = DSR + √(var/O)·(O_Byar − O)·m with O = Σxᵢ. Method is "Dobson".
//
// When the total count is below 10 the value and limits are NaN and Note is
// NoteDSRSmallCount (no error). A NaN count is 0; a band with no events and
// zero population is skipped. Errors: no strata, a NaN population or standard
// population, a negative count, population or weight, events in a zero
// population, a zero total weight, or a multiplier that is not a positive
// finite number.
func DSR(strata []Stratum, multiplier float64) (Estimate, error) {
	if err := checkMultiplier(multiplier); err != nil {
		return Estimate{}, fmt.Errorf("dsr: %w", err)
	}
	if len(strata) == 0 {
		return Estimate{}, fmt.Errorf("dsr: no strata")
	}
	var s dsrSums
	if err := s.addStrata(strata, 1, true); err != nil {
		return Estimate{}, fmt.Errorf("dsr: %w", err)
	}
	if !(s.stdPop > 0) {
		return Estimate{}, fmt.Errorf("dsr: standard populations sum to zero")
	}
	return dobson(s.rate/s.stdPop, s.varSum/(s.stdPop*s.stdPop), s.count, multiplier, MethodDobson), nil
}

// DSRNonIndependent returns the directly standardised rate when individuals
// can have more than one event (calculate_dsr with independent_events =
// FALSE). byFreq maps an event frequency f (f >= 0; frequency 0 adds
// nothing) to the strata of that frequency, where Count is the number of individuals
// with exactly f events in the band. Every frequency must list the same bands
// in the same order with the same Pop and StdPop.
//
// Events per band are Σ_f f·individuals; the value is the ordinary DSR of
// those events; the variance is Σ_f f²·var_f, where var_f is the DSR
// variance of frequency f's individuals, so only the interval widens. Method
// is MethodDobsonNonIndependent. A total event count below 10 gives NaN value
// and limits with Note NoteDSRSmallCount. Errors: as DSR, plus an empty map,
// a negative frequency, or bands whose number, Pop or StdPop differ between
// frequencies.
func DSRNonIndependent(byFreq map[int][]Stratum, multiplier float64) (Estimate, error) {
	if err := checkMultiplier(multiplier); err != nil {
		return Estimate{}, fmt.Errorf("dsr non-independent: %w", err)
	}
	if len(byFreq) == 0 {
		return Estimate{}, fmt.Errorf("dsr non-independent: no event frequencies")
	}
	freqs := make([]int, 0, len(byFreq))
	for f := range byFreq {
		freqs = append(freqs, f)
	}
	sort.Ints(freqs) // fixed summation order keeps results reproducible
	ref := byFreq[freqs[0]]
	if len(ref) == 0 {
		return Estimate{}, fmt.Errorf("dsr non-independent: no strata")
	}
	var count, rate, variance, stdPop float64
	for i, st := range ref {
		if math.IsNaN(st.StdPop) {
			return Estimate{}, fmt.Errorf("dsr non-independent: band %d: missing standard population", i+1)
		}
		stdPop += st.StdPop
	}
	for _, f := range freqs {
		strata := byFreq[f]
		if f < 0 {
			return Estimate{}, fmt.Errorf("dsr non-independent: event frequency %d is negative", f)
		}
		if len(strata) != len(ref) {
			return Estimate{}, fmt.Errorf("dsr non-independent: frequency %d has %d bands, frequency %d has %d", f, len(strata), freqs[0], len(ref))
		}
		for i, st := range strata {
			if st.Pop != ref[i].Pop || st.StdPop != ref[i].StdPop {
				return Estimate{}, fmt.Errorf("dsr non-independent: band %d: population or standard population differs between event frequencies %d and %d", i+1, freqs[0], f)
			}
		}
		var s dsrSums
		if err := s.addStrata(strata, float64(f), false); err != nil {
			return Estimate{}, fmt.Errorf("dsr non-independent: frequency %d: %w", f, err)
		}
		count += s.count
		rate += s.rate
		variance += float64(f) * float64(f) * s.varSum
	}
	if !(stdPop > 0) {
		return Estimate{}, fmt.Errorf("dsr non-independent: standard populations sum to zero")
	}
	return dobson(rate/stdPop, variance/(stdPop*stdPop), count, multiplier, MethodDobsonNonIndependent), nil
}
