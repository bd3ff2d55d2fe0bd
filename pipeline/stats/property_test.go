package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// checkInterval asserts lower998 <= lower95 <= value <= upper95 <= upper998,
// ignoring limits that are legitimately missing (a Byar lower limit that
// would be negative).
func checkInterval(t *testing.T, what string, e Estimate) {
	t.Helper()
	le := func(a, b float64) bool { return math.IsNaN(a) || math.IsNaN(b) || a <= b }
	if math.IsNaN(e.Value) || math.IsNaN(e.Upper95) || math.IsNaN(e.Upper998) {
		t.Errorf("%s: missing value or upper limit: %+v", what, e)
		return
	}
	if !(le(e.Lower998, e.Lower95) && le(e.Lower95, e.Value) && e.Value <= e.Upper95 && e.Upper95 <= e.Upper998) {
		t.Errorf("%s: limits out of order: %+v", what, e)
	}
}

func TestPropertiesIntervals(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	t.Run("proportion", func(t *testing.T) {
		for range n {
			den := math.Floor(math.Exp(rng.Float64() * 16)) // 1 .. ~9e6
			num := math.Floor(rng.Float64() * (den + 1))
			if rng.IntN(10) == 0 {
				num = []float64{0, den}[rng.IntN(2)] // the edges
			}
			e, err := Proportion(num, den, []float64{1, 100}[rng.IntN(2)])
			if err != nil {
				t.Fatal(err)
			}
			checkInterval(t, "proportion", e)
		}
	})
	t.Run("rate", func(t *testing.T) {
		for range n {
			x := math.Floor(math.Exp(rng.Float64()*12)) - 1 // 0 .. ~160,000, many below 10
			pop := 1 + math.Floor(rng.Float64()*1e6)
			e, err := Rate(x, pop, 1e5)
			if err != nil {
				t.Fatal(err)
			}
			checkInterval(t, "rate", e)
		}
	})
	t.Run("dsr", func(t *testing.T) {
		for range n / 10 {
			s := make([]Stratum, 19)
			scale := math.Exp(rng.Float64() * 8)
			for i := range s {
				pop := math.Floor(rng.Float64() * 5000 * scale)
				var c float64
				if pop > 0 {
					c = math.Floor(rng.Float64() * pop * 0.05)
				}
				s[i] = Stratum{Count: c, Pop: pop, StdPop: ESP2013[i]}
			}
			e, err := DSR(s, 1e5)
			if err != nil {
				t.Fatal(err)
			}
			if e.Note == NoteDSRSmallCount {
				continue
			}
			checkInterval(t, "dsr", e)
		}
	})
}
