package stats

import (
	"math"
	"strings"
	"testing"
)

// quintiles is a small deprivation gradient used by several tests.
func quintiles() []SIIGroup {
	vals := []float64{900, 800, 700, 650, 600} // rate per 100,000, 1 = most deprived
	pops := []float64{52000, 61000, 58000, 60000, 55000}
	g := make([]SIIGroup, 5)
	for i := range g {
		e, err := Rate(vals[i]*pops[i]/1e5, pops[i], 1e5)
		if err != nil {
			panic(err)
		}
		g[i] = SIIGroup{Quantile: i + 1, Population: pops[i], Value: e.Value, LowerCL: e.Lower95, UpperCL: e.Upper95, SE: math.NaN()}
	}
	return g
}

// TestSIINormalMatchesAnalytic checks the simulation itself: for a normal
// indicator without transform the slope is a linear function of normal
// draws, so its limits are exactly β₁ ∓ z·√(Σ cᵢ² seᵢ²).
func TestSIINormalMatchesAnalytic(t *testing.T) {
	g := []SIIGroup{
		{1, 7291, 75.9, nan, nan, 1.64}, {2, 7997, 78.3, nan, nan, 1.58}, {3, 6105, 83.8, nan, nan, 1.51},
		{4, 7666, 83.6, nan, nan, 1.78}, {5, 5790, 80.5, nan, nan, 1.70},
	}
	levels := []float64{0.95, 0.998}
	res, err := SII(g, SIIOptions{Repetitions: 200000, Confidence: levels, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, x := range g {
		total += x.Population
	}
	a, b := make([]float64, 5), make([]float64, 5)
	var cum, bbar float64
	for i, x := range g {
		a[i] = x.Population / total
		b[i] = cum + a[i]/2
		cum += a[i]
		bbar += a[i] * b[i]
	}
	var sxx float64
	for i := range a {
		sxx += a[i] * (b[i] - bbar) * (b[i] - bbar)
	}
	var v float64
	for i := range a {
		c := a[i] * (b[i] - bbar) / sxx
		v += c * c * g[i].SE * g[i].SE
	}
	for i, c := range levels {
		z := Z(c)
		lim := res.Limits[i]
		sd := math.Sqrt(v)
		if d := math.Abs(lim.SIILower-(res.SII-z*sd)) / sd; d > 0.05 {
			t.Errorf("%g: lower %g, analytic %g (%.3f sd off)", c, lim.SIILower, res.SII-z*sd, d)
		}
		if d := math.Abs(lim.SIIUpper-(res.SII+z*sd)) / sd; d > 0.05 {
			t.Errorf("%g: upper %g, analytic %g (%.3f sd off)", c, lim.SIIUpper, res.SII+z*sd, d)
		}
	}
}

func TestSIIDeterministicAndOrderFree(t *testing.T) {
	g := quintiles()
	opt := SIIOptions{ValueType: ValueRate, Transform: true, Multiplier: 1, Confidence: []float64{Conf95, Conf998}, Seed: 42}
	r1, err := SII(g, opt)
	if err != nil {
		t.Fatal(err)
	}
	rev := []SIIGroup{g[4], g[2], g[0], g[3], g[1]}
	r2, err := SII(rev, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r1.SII != r2.SII || r1.RII != r2.RII || r1.Limits[0] != r2.Limits[0] || r1.Limits[1] != r2.Limits[1] {
		t.Errorf("same seed, shuffled input: %+v vs %+v", r1, r2)
	}
	if g[0].Quantile != 1 || rev[0].Quantile != 5 {
		t.Error("SII modified its input")
	}
	opt.Seed = 43
	r3, _ := SII(g, opt)
	if r3.Limits[0] == r1.Limits[0] {
		t.Error("different seeds gave identical limits")
	}
	if r1.SII >= 0 || r1.RII >= 1 {
		t.Errorf("falling gradient: sii %g rii %g", r1.SII, r1.RII)
	}
	l95, l998 := r1.Limits[0], r1.Limits[1]
	if !(l998.SIILower <= l95.SIILower && l95.SIILower <= r1.SII && r1.SII <= l95.SIIUpper && l95.SIIUpper <= l998.SIIUpper) {
		t.Errorf("limits not nested: %+v", r1)
	}
}

func TestSIINegativeMultiplier(t *testing.T) {
	for _, c := range []struct {
		name      string
		vt        ValueType
		transform bool
	}{{"normal", ValueNormal, false}, {"rate", ValueRate, false}, {"rate log", ValueRate, true}} {
		t.Run(c.name, func(t *testing.T) {
			g := quintiles()
			pos, err := SII(g, SIIOptions{ValueType: c.vt, Transform: c.transform, Multiplier: 1, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			neg, err := SII(g, SIIOptions{ValueType: c.vt, Transform: c.transform, Multiplier: -1, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			near(t, "unit", "sii", neg.SII, -pos.SII, 1e-14)
			near(t, "unit", "rii", neg.RII, 1/pos.RII, 1e-14)
			l := neg.Limits[0]
			if !(l.SIILower < neg.SII && neg.SII < l.SIIUpper && l.RIILower < neg.RII && neg.RII < l.RIIUpper) {
				t.Errorf("limits %+v do not contain sii %g rii %g", l, neg.SII, neg.RII)
			}
		})
	}
}

func TestSIIErrors(t *testing.T) {
	base := quintiles
	for _, c := range []struct {
		name   string
		mutate func(g []SIIGroup, o *SIIOptions) []SIIGroup
		want   string
	}{
		{"four quantiles", func(g []SIIGroup, o *SIIOptions) []SIIGroup { return g[:4] }, "between 5 and 100"},
		{"missing quantile", func(g []SIIGroup, o *SIIOptions) []SIIGroup { g[2].Quantile = 7; return g }, "none missing"},
		{"repeated quantile", func(g []SIIGroup, o *SIIOptions) []SIIGroup { g[2].Quantile = 2; return g }, "none missing"},
		{"zero population", func(g []SIIGroup, o *SIIOptions) []SIIGroup { g[1].Population = 0; return g }, "population"},
		{"NaN population", func(g []SIIGroup, o *SIIOptions) []SIIGroup { g[1].Population = nan; return g }, "population"},
		{"missing value", func(g []SIIGroup, o *SIIOptions) []SIIGroup { g[1].Value = nan; return g }, "missing"},
		{"missing se and CL", func(g []SIIGroup, o *SIIOptions) []SIIGroup { g[3].LowerCL = nan; return g }, "missing standard error"},
		{"negative se", func(g []SIIGroup, o *SIIOptions) []SIIGroup { g[3].SE = -1; return g }, "negative"},
		{"zero rate", func(g []SIIGroup, o *SIIOptions) []SIIGroup { o.ValueType = ValueRate; g[0].Value = 0; return g }, "not positive"},
		{"proportion of 1", func(g []SIIGroup, o *SIIOptions) []SIIGroup {
			o.ValueType = ValueProportion
			for i := range g {
				g[i] = SIIGroup{Quantile: i + 1, Population: 100, Value: 0.5, SE: 0.1}
			}
			g[4].Value = 1
			return g
		}, "strictly between 0 and 1"},
		{"transform normal", func(g []SIIGroup, o *SIIOptions) []SIIGroup { o.Transform = true; return g }, "transform"},
		{"bad value type", func(g []SIIGroup, o *SIIOptions) []SIIGroup { o.ValueType = 3; return g }, "value type"},
		{"bad confidence", func(g []SIIGroup, o *SIIOptions) []SIIGroup { o.Confidence = []float64{95}; return g }, "confidence"},
		{"too few reps", func(g []SIIGroup, o *SIIOptions) []SIIGroup {
			o.Repetitions = 100
			o.Confidence = []float64{0.998}
			return g
		}, "too few"},
		{"negative reps", func(g []SIIGroup, o *SIIOptions) []SIIGroup { o.Repetitions = -1; return g }, "negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o SIIOptions
			g := c.mutate(base(), &o)
			_, err := SII(g, o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
