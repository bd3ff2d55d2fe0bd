package fixturegen

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
)

// Stream constants: each component draws from its own PCG stream, so a change
// to one source does not reshuffle every other file.
const (
	streamGeography uint64 = 0x6765_6f67 + iota
	streamPopulation
	streamEthnicity
	streamPeople
	streamWLMDS
	streamAPC
	streamOutpatients
	streamECDS
	streamMHSDS
	streamTalking
	streamCancer
	streamAggregate
	streamLDInpatients
	streamPrevious
	streamNational
	streamEngland
)

// rng wraps a seeded PCG generator with the draws the generator needs.
type rng struct{ *rand.Rand }

func newRNG(seed, stream uint64) rng {
	return rng{rand.New(rand.NewPCG(seed, stream))}
}

// bern returns true with probability p.
func (r rng) bern(p float64) bool { return r.Float64() < p }

// poisson draws a Poisson count with mean lambda by inversion (lambda is small
// everywhere here).
func (r rng) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	p := math.Exp(-lambda)
	s := p
	u := r.Float64()
	k := 0
	for u > s && k < 1000 {
		k++
		p *= lambda / float64(k)
		s += p
	}
	return k
}

// pick returns an index drawn with probability proportional to weights.
func (r rng) pick(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	u := r.Float64() * total
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

// cumulative is a precomputed weighted choice, for draws made many times.
type cumulative []float64

func newCumulative(weights []float64) cumulative {
	c := make(cumulative, len(weights))
	s := 0.0
	for i, w := range weights {
		s += w
		c[i] = s
	}
	return c
}

func (c cumulative) pick(r rng) int {
	u := r.Float64() * c[len(c)-1]
	i := sort.SearchFloat64s(c, u)
	for i < len(c)-1 && c[i] <= u {
		i++
	}
	return i
}

// weighted is a string chosen with a weight.
type weighted struct {
	v string
	w float64
}

// pickString draws one of opts with probability proportional to its weight,
// exactly as pick does over the weights (without allocating).
func pickString(r rng, opts []weighted) string {
	total := 0.0
	for _, o := range opts {
		total += o.w
	}
	u := r.Float64() * total
	for _, o := range opts {
		if u < o.w {
			return o.v
		}
		u -= o.w
	}
	return opts[len(opts)-1].v
}

// curve is a piecewise-linear function of age per sex, clamped at its ends:
// the annual event rate (or probability) before multipliers.
type curve struct {
	ages   []float64
	male   []float64
	female []float64
}

// at returns the curve's value at age for sex 1 (male) or 2 (female).
func (c curve) at(age, sex int) float64 {
	ys := c.male
	if sex == 2 {
		ys = c.female
	}
	a := float64(age)
	if a <= c.ages[0] {
		return ys[0]
	}
	for i := 1; i < len(c.ages); i++ {
		if a <= c.ages[i] {
			t := (a - c.ages[i-1]) / (c.ages[i] - c.ages[i-1])
			return ys[i-1] + t*(ys[i]-ys[i-1])
		}
	}
	return ys[len(ys)-1]
}

// scaled returns a curve whose values are multiplied by f (per sex).
func (c curve) scaled(fm, ff float64) curve {
	out := curve{ages: c.ages, male: make([]float64, len(c.male)), female: make([]float64, len(c.female))}
	for i := range c.male {
		out.male[i] = c.male[i] * fm
		out.female[i] = c.female[i] * ff
	}
	return out
}

// same builds a curve with the same values for both sexes.
func same(ages []float64, ys []float64) curve { return curve{ages: ages, male: ys, female: ys} }

// sig rounds v to 10 significant digits, so truth.json does not depend on the
// last bits of floating-point arithmetic.
func sig(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 10, 64), 64)
	return r
}
