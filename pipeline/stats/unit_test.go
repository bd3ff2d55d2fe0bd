package stats

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestZ(t *testing.T) {
	for _, c := range []struct {
		conf, want float64
	}{
		{0.95, 1.959963984540054},
		{0.998, 3.090232306167813},
		{0.99, 2.5758293035489004},
		{0.9, 1.6448536269514722},
	} {
		t.Run(fmtG(c.conf), func(t *testing.T) {
			near(t, "unit", "z", Z(c.conf), c.want, 1e-12)
		})
	}
	if !math.IsInf(Z(1), 1) {
		t.Errorf("Z(1) = %g, want +Inf", Z(1))
	}
	if !math.IsNaN(Z(1.5)) || !math.IsNaN(Z(math.NaN())) {
		t.Error("Z outside [0, 1] must be NaN")
	}
}

func TestExactPoissonClosedForm(t *testing.T) {
	// With 2o = 2 and 2o+2 = 2 or 4 degrees of freedom the chi-square
	// quantiles have closed forms.
	for _, conf := range []float64{Conf95, Conf998} {
		t.Run(fmtG(conf), func(t *testing.T) {
			alpha := (1 - conf) / 2
			l, u := ExactPoissonLimits(0, conf)
			if l != 0 {
				t.Errorf("lower at 0 = %g, want 0", l)
			}
			near(t, "unit", "upper at 0", u, -math.Log(alpha), 1e-12)
			l, _ = ExactPoissonLimits(1, conf)
			near(t, "unit", "lower at 1", l, -math.Log(1-alpha), 1e-12)
		})
	}
	if l, u := ExactPoissonLimits(math.NaN(), Conf95); !math.IsNaN(l) || !math.IsNaN(u) {
		t.Error("NaN count must give NaN limits")
	}
}

func TestCountLimitsSwitch(t *testing.T) {
	for _, c := range []struct {
		o      float64
		method string
	}{{0, "Exact"}, {9, "Exact"}, {9.99, "Exact"}, {10, "Byars"}, {1e6, "Byars"}, {math.NaN(), ""}} {
		t.Run(fmtG(c.o), func(t *testing.T) {
			l, u, m := CountLimits(c.o, Conf95)
			if m != c.method {
				t.Errorf("method %q, want %q", m, c.method)
			}
			var wl, wu float64
			switch m {
			case "Exact":
				wl, wu = ExactPoissonLimits(c.o, Conf95)
			case "Byars":
				wl, wu = ByarLimits(c.o, Conf95)
			default:
				wl, wu = math.NaN(), math.NaN()
			}
			near(t, "unit", "lower", l, wl, 0)
			near(t, "unit", "upper", u, wu, 0)
		})
	}
}

func TestValidationErrors(t *testing.T) {
	strata := func(count, pop, std float64) []Stratum {
		s := make([]Stratum, 19)
		for i := range s {
			s[i] = Stratum{Count: 5, Pop: 1000, StdPop: ESP2013[i]}
		}
		s[3] = Stratum{Count: count, Pop: pop, StdPop: std}
		return s
	}
	for _, c := range []struct {
		name string
		call func() error
		want string // substring of the error; "" means no error
	}{
		{"proportion ok", func() error { _, err := Proportion(1, 2, 100); return err }, ""},
		{"proportion negative x", func() error { _, err := Proportion(-1, 2, 1); return err }, "negative"},
		{"proportion zero n", func() error { _, err := Proportion(0, 0, 1); return err }, "not positive"},
		{"proportion x > n", func() error { _, err := Proportion(3, 2, 1); return err }, "exceeds"},
		{"proportion bad multiplier", func() error { _, err := Proportion(1, 2, 0); return err }, "multiplier"},
		{"proportion NaN is not an error", func() error { _, err := Proportion(math.NaN(), 2, 1); return err }, ""},
		{"rate ok x > n", func() error { _, err := Rate(250, 220, 1e5); return err }, ""},
		{"rate negative x", func() error { _, err := Rate(-1, 2, 1e5); return err }, "negative"},
		{"rate zero n", func() error { _, err := Rate(1, 0, 1e5); return err }, "not positive"},
		{"dsr ok", func() error { _, err := DSR(strata(1, 10, 5500), 1e5); return err }, ""},
		{"dsr NaN count is zero", func() error { _, err := DSR(strata(math.NaN(), 10, 5500), 1e5); return err }, ""},
		{"dsr empty band skipped", func() error { _, err := DSR(strata(0, 0, 5500), 1e5); return err }, ""},
		{"dsr events in zero pop", func() error { _, err := DSR(strata(1, 0, 5500), 1e5); return err }, "zero population"},
		{"dsr NaN pop", func() error { _, err := DSR(strata(1, math.NaN(), 5500), 1e5); return err }, "missing population"},
		{"dsr NaN stdpop", func() error { _, err := DSR(strata(1, 10, math.NaN()), 1e5); return err }, "missing standard population"},
		{"dsr negative count", func() error { _, err := DSR(strata(-1, 10, 5500), 1e5); return err }, "negative"},
		{"dsr no strata", func() error { _, err := DSR(nil, 1e5); return err }, "no strata"},
		{"nonindependent differing pop", func() error {
			a, b := strata(1, 10, 5500), strata(1, 11, 5500)
			_, err := DSRNonIndependent(map[int][]Stratum{1: a, 2: b}, 1e5)
			return err
		}, "differs"},
		{"nonindependent differing bands", func() error {
			a := strata(1, 10, 5500)
			_, err := DSRNonIndependent(map[int][]Stratum{1: a, 2: a[:18]}, 1e5)
			return err
		}, "bands"},
		{"nonindependent empty", func() error { _, err := DSRNonIndependent(nil, 1e5); return err }, "no event frequencies"},
		{"isratio zero refpop", func() error {
			_, _, _, err := ISRatio([]ISInput{{Count: 1, Pop: 10, RefCount: 1, RefPop: 0}}, 1)
			return err
		}, "reference population"},
		{"isratio zero expected", func() error {
			_, _, _, err := ISRatio([]ISInput{{Count: 1, Pop: 10, RefCount: 0, RefPop: 100}}, 1)
			return err
		}, "expected count is zero"},
		{"israte no bands", func() error { _, _, _, _, err := ISRate(nil, 1e5); return err }, "no bands"},
		{"mean empty", func() error { _, err := Mean(nil); return err }, "no values"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("no error, want one containing %q", c.want)
			case err != nil && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
			if err != nil {
				if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
					t.Errorf("error %q: want lower-case with no trailing period", msg)
				}
			}
		})
	}
}

func TestDSRSmallCount(t *testing.T) {
	s := []Stratum{{Count: 4, Pop: 100, StdPop: 5000}, {Count: 5, Pop: 100, StdPop: 5000}}
	e, err := DSR(s, 1e5)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(e.Value) || !math.IsNaN(e.Lower95) || e.Note != NoteDSRSmallCount || e.Method != MethodDobson {
		t.Errorf("total 9: got %+v", e)
	}
	s[0].Count = 5
	if e, _ = DSR(s, 1e5); math.IsNaN(e.Value) || e.Note != "" {
		t.Errorf("total 10: got %+v", e)
	}
}

func TestDSRNonIndependentFrequencyOne(t *testing.T) {
	// With every individual having one event the adjustment changes nothing.
	s := []Stratum{{Count: 30, Pop: 1000, StdPop: 5000}, {Count: 12, Pop: 400, StdPop: 3000}, {Count: math.NaN(), Pop: 50, StdPop: 100}}
	want, err := DSR(s, 1e5)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DSRNonIndependent(map[int][]Stratum{1: s}, 1e5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"value", got.Value, want.Value}, {"lower95", got.Lower95, want.Lower95}, {"upper95", got.Upper95, want.Upper95},
		{"lower998", got.Lower998, want.Lower998}, {"upper998", got.Upper998, want.Upper998},
	} {
		near(t, "unit", c.name, c.got, c.want, 1e-14)
	}
	if got.Method != MethodDobsonNonIndependent {
		t.Errorf("method %q", got.Method)
	}
}

func TestMean(t *testing.T) {
	// With n = 2 and n = 3 (1 and 2 degrees of freedom) the t quantile has a
	// closed form, so the expected limits are exact.
	t1 := func(p float64) float64 { return math.Tan(math.Pi * (p - 0.5)) }
	t2 := func(p float64) float64 { return (2*p - 1) / math.Sqrt(2*p*(1-p)) }
	for _, c := range []struct {
		name string
		xs   []float64
		q    func(float64) float64
	}{
		{"n2", []float64{3, 7}, t1},
		{"n3", []float64{1, 2, 6}, t2},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := Mean(c.xs)
			if err != nil {
				t.Fatal(err)
			}
			var sum, ss float64
			for _, x := range c.xs {
				sum += x
			}
			n := float64(len(c.xs))
			mean := sum / n
			for _, x := range c.xs {
				ss += (x - mean) * (x - mean)
			}
			se := math.Sqrt(ss/(n-1)) / math.Sqrt(n)
			near(t, "unit", "value", e.Value, mean, 1e-15)
			near(t, "unit", "lower95", e.Lower95, mean-c.q(0.975)*se, 1e-9)
			near(t, "unit", "upper95", e.Upper95, mean+c.q(0.975)*se, 1e-9)
			near(t, "unit", "lower998", e.Lower998, mean-c.q(0.999)*se, 1e-9)
			near(t, "unit", "upper998", e.Upper998, mean+c.q(0.999)*se, 1e-9)
			if e.Method != MethodStudentT {
				t.Errorf("method %q", e.Method)
			}
		})
	}
	t.Run("NA propagates", func(t *testing.T) {
		e, err := Mean([]float64{1, math.NaN(), 3})
		if err != nil || !math.IsNaN(e.Value) || !math.IsNaN(e.Upper95) {
			t.Errorf("got %+v, %v", e, err)
		}
	})
	t.Run("single value", func(t *testing.T) {
		e, err := Mean([]float64{4})
		if err != nil || e.Value != 4 || !math.IsNaN(e.Lower95) || e.Note == "" {
			t.Errorf("got %+v, %v", e, err)
		}
	})
}

func TestDifferenceAndRatio(t *testing.T) {
	a := Estimate{Value: 10, Lower95: 10 - 2*z95, Upper95: 10 + 2*z95}                        // se 2
	b := Estimate{Value: 4, Lower95: 4 - 1.5*z95, Upper95: 4 + 1.5*z95}                       // se 1.5
	la := Estimate{Value: 8, Lower95: 8 * math.Exp(-0.3*z95), Upper95: 8 * math.Exp(0.3*z95)} // se_ln 0.3
	lb := Estimate{Value: 2, Lower95: 2 * math.Exp(-0.4*z95), Upper95: 2 * math.Exp(0.4*z95)} // se_ln 0.4
	for _, c := range []struct {
		name                        string
		got                         Estimate
		value, l95, u95, l998, u998 float64
	}{
		{"difference", Difference(a, b), 6, 6 - 2.5*z95, 6 + 2.5*z95, 6 - 2.5*z998, 6 + 2.5*z998},
		{"ratio", RatioOf(la, lb), 4, 4 * math.Exp(-0.5*z95), 4 * math.Exp(0.5*z95), 4 * math.Exp(-0.5*z998), 4 * math.Exp(0.5*z998)},
	} {
		t.Run(c.name, func(t *testing.T) {
			near(t, "unit", "value", c.got.Value, c.value, 1e-14)
			near(t, "unit", "lower95", c.got.Lower95, c.l95, 1e-12)
			near(t, "unit", "upper95", c.got.Upper95, c.u95, 1e-12)
			near(t, "unit", "lower998", c.got.Lower998, c.l998, 1e-12)
			near(t, "unit", "upper998", c.got.Upper998, c.u998, 1e-12)
		})
	}
	t.Run("NaN propagates", func(t *testing.T) {
		if e := Difference(a, nanEstimate("", "")); !math.IsNaN(e.Value) || !math.IsNaN(e.Lower95) {
			t.Errorf("difference %+v", e)
		}
		if e := RatioOf(nanEstimate("", ""), b); !math.IsNaN(e.Value) || !math.IsNaN(e.Upper998) {
			t.Errorf("ratio %+v", e)
		}
		c := a
		c.Lower95 = math.NaN() // e.g. a Byar lower limit that is NA
		if e := Difference(c, b); e.Value != 6 || !math.IsNaN(e.Lower95) || e.Note == "" {
			t.Errorf("difference with missing limit %+v", e)
		}
	})
	t.Run("zero events", func(t *testing.T) {
		z, err := Rate(0, 1000, 1e5)
		if err != nil {
			t.Fatal(err)
		}
		if e := RatioOf(z, lb); e.Value != 0 || !math.IsNaN(e.Lower95) || e.Note == "" {
			t.Errorf("ratio of zero %+v", e)
		}
		if e := RatioOf(lb, z); !math.IsNaN(e.Value) || e.Note == "" {
			t.Errorf("ratio to zero %+v", e)
		}
	})
}

func TestQuantilesEdges(t *testing.T) {
	for _, c := range []struct {
		name   string
		values []float64
		nq     int
		invert bool
		want   []int
		ok     bool
	}{
		{"quintiles of 10", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, false, []int{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, true},
		{"inverted", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, true, []int{5, 5, 4, 4, 3, 3, 2, 2, 1, 1}, true},
		{"NaN is missing", []float64{5, math.NaN(), 4, 3, 2, 1}, 5, true, []int{1, 0, 2, 3, 4, 5}, true},
		{"too few values", []float64{1, 2, 3, math.NaN()}, 5, true, []int{0, 0, 0, 0}, false},
		{"bad nq", []float64{1, 2}, 0, true, []int{0, 0}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, ok := Quantiles(c.values, c.nq, c.invert)
			if ok != c.ok {
				t.Errorf("ok %v, want %v", ok, c.ok)
			}
			for i := range q {
				if q[i] != c.want[i] {
					t.Errorf("quantiles %v, want %v", q, c.want)
					break
				}
			}
		})
	}
}

func TestESPBandEdges(t *testing.T) {
	for age, want := range map[int]int{-1: -1, 0: 0, 4: 0, 5: 1, 84: 16, 85: 17, 89: 17, 90: 18, 120: 18} {
		if got := ESPBand(age); got != want {
			t.Errorf("ESPBand(%d) = %d, want %d", age, got, want)
		}
	}
}

// fmtG names a subtest after a number.
func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
