package stats

import (
	"fmt"
	"strings"
	"testing"
)

// siiInputs returns the groups of each "case/area" in sii_inputs.csv, with
// both ways of giving the value's uncertainty, and the count-based values.
func siiInputs(t *testing.T) map[string][]row {
	t.Helper()
	out := map[string][]row{}
	for _, r := range mustReadCSV(t, "sii_inputs.csv") {
		k := r["case_id"] + "/" + r["area"]
		out[k] = append(out[k], r)
	}
	return out
}

// siiVariant is one way a test passed the inputs to phe_sii.
type siiVariant struct {
	name  string
	build func(t *testing.T, r row) SIIGroup
}

var (
	viaSE = siiVariant{"se", func(t *testing.T, r row) SIIGroup {
		return SIIGroup{Quantile: int(r.f(t, "quantile")), Population: r.f(t, "population"), Value: r.f(t, "value"),
			LowerCL: nan, UpperCL: nan, SE: r.f(t, "se")}
	}}
	viaCL = siiVariant{"cl", func(t *testing.T, r row) SIIGroup {
		return SIIGroup{Quantile: int(r.f(t, "quantile")), Population: r.f(t, "population"), Value: r.f(t, "value"),
			LowerCL: r.f(t, "lower_cl"), UpperCL: r.f(t, "upper_cl"), SE: nan}
	}}
	viaCount = siiVariant{"count_se", func(t *testing.T, r row) SIIGroup {
		g := viaSE.build(t, r)
		g.Value = r.f(t, "count") / g.Population
		return g
	}}
)

// variantsFor reads the ci_input_in_test column: every input route the R
// test exercised must give the expected values.
func variantsFor(desc string) []siiVariant {
	var vs []siiVariant
	if strings.HasPrefix(desc, "se") || strings.Contains(desc, "also se") {
		vs = append(vs, viaSE)
	}
	if strings.Contains(desc, "lower_cl") {
		vs = append(vs, viaCL)
	}
	if strings.Contains(desc, "x=Count") {
		vs = append(vs, viaCount)
	}
	return vs
}

func TestReferenceSII(t *testing.T) {
	inputs := siiInputs(t)
	rows := mustReadCSV(t, "sii_expected.csv")
	var order []string
	byCase := map[string][]row{}
	for _, r := range rows {
		id := r["case_id"]
		if byCase[id] == nil {
			order = append(order, id)
		}
		byCase[id] = append(byCase[id], r)
	}
	for _, id := range order {
		t.Run(id, func(t *testing.T) {
			for _, r := range byCase[id] {
				in := inputs[id+"/"+r["area"]]
				if want := int(r.f(t, "n_quantiles")); len(in) != want {
					t.Fatalf("%s: %d input rows, want %d", r["area"], len(in), want)
				}
				vs := variantsFor(r["ci_input_in_test"])
				if len(vs) == 0 {
					t.Fatalf("no input route in %q", r["ci_input_in_test"])
				}
				for _, v := range vs {
					t.Run(r["area"]+"_"+v.name, func(t *testing.T) {
						checkSIICase(t, r, in, v)
					})
				}
			}
		})
	}
}

func checkSIICase(t *testing.T, r row, in []row, v siiVariant) {
	groups := make([]SIIGroup, len(in))
	for i, ir := range in {
		groups[i] = v.build(t, ir)
	}
	// Reverse the order: SII must sort by quantile itself.
	for i, j := 0, len(groups)-1; i < j; i, j = i+1, j-1 {
		groups[i], groups[j] = groups[j], groups[i]
	}
	levels := []float64{r.f(t, "confidence_1")}
	if c2 := r.f(t, "confidence_2"); c2 == c2 {
		levels = append(levels, c2)
	}
	opt := SIIOptions{
		ValueType:   ValueType(r.f(t, "value_type")),
		Transform:   r["transform"] == "TRUE",
		Multiplier:  r.f(t, "multiplier"),
		Repetitions: testReps,
		Confidence:  levels,
		Seed:        testSeed,
	}
	res, err := SII(groups, opt)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "sii point", "sii", res.SII, r.f(t, "sii"), tolDet)
	near(t, "sii point", "rii", res.RII, r.f(t, "rii"), tolDet)
	if want := r.f(t, "intercept"); want == want {
		near(t, "sii point", "intercept", res.Intercept, want, tolDet)
	}
	if len(res.Limits) != len(levels) {
		t.Fatalf("%d limits for %d levels", len(res.Limits), len(levels))
	}
	for k, l := range res.Limits {
		sfx := fmt.Sprintf("_%d", k+1)
		if l.Confidence != levels[k] {
			t.Errorf("limit %d at confidence %g, want %g", k, l.Confidence, levels[k])
		}
		if !(l.SIILower <= res.SII && res.SII <= l.SIIUpper && l.RIILower <= res.RII && res.RII <= l.RIIUpper) {
			t.Errorf("confidence %g: interval does not contain estimate: %+v, sii %g rii %g", l.Confidence, l, res.SII, res.RII)
		}
		for _, c := range []struct {
			col string
			got float64
		}{
			{"sii_lower" + sfx, l.SIILower}, {"sii_upper" + sfx, l.SIIUpper},
			{"rii_lower" + sfx, l.RIILower}, {"rii_upper" + sfx, l.RIIUpper},
		} {
			want := r.f(t, c.col)
			if want != want {
				continue // the sheet has no limits for this case (sii03)
			}
			near(t, "sii simulated limit", c.col, c.got, want, tolSIILimit)
		}
	}
}
