package disclose

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"hiis/pipeline/metrics"
)

var nan = math.NaN()

// row builds a row of indicator "i1" with limits around val.
func row(bd, group string, num, den, val float64) metrics.Row {
	return metrics.Row{
		IndicatorID: "i1", Period: "2025/26", Organisation: "QWE",
		Breakdown: bd, Group: group,
		Numerator: num, Denominator: den, Value: val,
		Lower95: val * 0.9, Upper95: val * 1.1, Lower998: val * 0.8, Upper998: val * 1.2,
		Method: "test",
	}
}

func withInd(r metrics.Row, id string) metrics.Row { r.IndicatorID = id; return r }
func withOrg(r metrics.Row, org string) metrics.Row {
	r.Organisation = org
	return r
}
func withNote(r metrics.Row, supp bool, note string) metrics.Row {
	r.Suppressed, r.Note = supp, note
	return r
}

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func sameRow(a, b metrics.Row) bool {
	an, bn := a.Numbers(), b.Numbers()
	for i := range an {
		if !same(an[i], bn[i]) {
			return false
		}
	}
	a.Numerator, a.Denominator, a.Value, a.Lower95, a.Upper95, a.Lower998, a.Upper998 = 0, 0, 0, 0, 0, 0, 0
	b.Numerator, b.Denominator, b.Value, b.Lower95, b.Upper95, b.Lower998, b.Upper998 = 0, 0, 0, 0, 0, 0, 0
	return a == b
}

// byIndicator is a measure function giving every breakdown of an indicator
// the indicator's measure ("" for an indicator not in m).
func byIndicator(m map[string]Measure) func(indicatorID, breakdown string) Measure {
	return func(id, _ string) Measure { return m[id] }
}

// dsrMeasures is the measure function of a dsr indicator: its age bands are
// crude rates within the band.
func dsrMeasures(_, bd string) Measure {
	if bd == metrics.AgeBand {
		return CrudeRate
	}
	return DSR
}

func limitsNaN(r metrics.Row) bool {
	return math.IsNaN(r.Lower95) && math.IsNaN(r.Upper95) && math.IsNaN(r.Lower998) && math.IsNaN(r.Upper998)
}

func TestParseRule(t *testing.T) {
	tests := []struct {
		name, in string
		want     Rule
		wantErr  bool
	}{
		{"empty is default", "", NHSDigital, false},
		{"nhs digital", "nhs_digital", NHSDigital, false},
		{"below5", "below5", Below5, false},
		{"below10", "below10", Below10, false},
		{"case sensitive", "NHS_DIGITAL", "", true},
		{"unknown", "below7", "", true},
		{"padded", " below5", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRule(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRule(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseRule(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), "unknown disclosure rule") || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in))) {
				t.Errorf("error %q: want a lower-case message naming the rule", err)
			}
		})
	}
}

func TestPolicyFor(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name      string
		rule      string
		secondary *bool
		want      Policy
		wantErr   string
	}{
		{"default rule, no secondary suppression", "", nil, Policy{NHSDigital, false}, ""},
		{"nhs digital, no secondary suppression", "nhs_digital", nil, Policy{NHSDigital, false}, ""},
		{"nhs digital with the recovery guard", "nhs_digital", &yes, Policy{NHSDigital, true}, ""},
		{"default rule with the recovery guard", "", &yes, Policy{NHSDigital, true}, ""},
		{"nhs digital, secondary false", "nhs_digital", &no, Policy{NHSDigital, false}, ""},
		{"below5 defaults to secondary", "below5", nil, Policy{Below5, true}, ""},
		{"below10 defaults to secondary", "below10", nil, Policy{Below10, true}, ""},
		{"below10 without secondary", "below10", &no, Policy{Below10, false}, ""},
		{"unknown rule", "below7", &yes, Policy{}, `unknown disclosure rule "below7"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PolicyFor(tt.rule, tt.secondary)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PolicyFor(%q) error = %v, want %q", tt.rule, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("PolicyFor(%q, %v) = %+v, %v; want %+v", tt.rule, tt.secondary, got, err, tt.want)
			}
			if _, _, err := Apply([]metrics.Row{row(metrics.Sex, "Male", 3, 10, 0.3)}, got, byIndicator(map[string]Measure{"i1": Proportion})); err != nil {
				t.Errorf("Apply refused the policy PolicyFor gave: %v", err)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name    string
		p       Policy
		want    []string
		notWant []string
	}{
		{"nhs digital", Policy{NHSDigital, false},
			[]string{"1 to 7", "nearest 5", "0 shown as 0", "NHS Digital", "fewer than 10 events", "group value it uses", "no secondary suppression", "rounding every count to 5 takes its place"},
			[]string{"single group", "next-smallest", "worked out"}},
		{"zero policy is nhs digital", Policy{},
			[]string{"1 to 7", "nearest 5", "no secondary suppression"}, []string{"single group", "next-smallest"}},
		{"nhs digital with the recovery guard", Policy{NHSDigital, true},
			[]string{"1 to 7", "nearest 5", "going further than NHS Digital's rule", "worked out exactly from the total", "next-smallest"},
			[]string{"single group", "no secondary suppression"}},
		{"below5", Policy{Below5, true},
			[]string{"1 to 4", "unrounded", "single group", "next-smallest"}, []string{"nearest 5", "1 to 7", "NHS Digital"}},
		{"below10 without secondary", Policy{Below10, false},
			[]string{"1 to 9", "unrounded", "secondary suppression is switched off"}, []string{"nearest 5", "next-smallest"}},
		{"unknown rule", Policy{Rule: "x"}, []string{"unrecognised", `"x"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.p)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Describe(%+v) = %q, want it to contain %q", tt.p, got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Describe(%+v) = %q, want it not to contain %q", tt.p, got, w)
				}
			}
			if !strings.HasSuffix(got, ".") || strings.Count(got, ". ") != 0 || got[0] < 'A' || got[0] > 'Z' {
				t.Errorf("Describe(%+v) = %q, want one sentence", tt.p, got)
			}
		})
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		rule     Rule
		in, want float64
		withheld bool
	}{
		{NHSDigital, 0, 0, false}, {NHSDigital, 1, nan, true}, {NHSDigital, 7, nan, true}, {NHSDigital, 7.9, nan, true},
		{NHSDigital, 0.4, nan, true}, {NHSDigital, 8, 10, false}, {NHSDigital, 12, 10, false}, {NHSDigital, 12.5, 15, false},
		{NHSDigital, 13, 15, false}, {NHSDigital, 1002, 1000, false}, {NHSDigital, nan, nan, false}, {NHSDigital, -3, nan, true},
		{NHSDigital, -13, -15, false}, {NHSDigital, 17.5, 20, false},
		{"", 3, nan, true}, {"", 0, 0, false}, {"", 1002, 1000, false}, {"", nan, nan, false},
		{Below5, 4, nan, true}, {Below5, 5, 5, false}, {Below5, 7, 7, false}, {Below5, 0, 0, false}, {Below5, 123, 123, false},
		{Below5, nan, nan, false}, {Below5, 4.9, nan, true},
		{Below10, 9, nan, true}, {Below10, 10, 10, false}, {Below10, 13, 13, false}, {Below10, 0, 0, false},
		{Below10, nan, nan, false}, {Below10, 1, nan, true},
		// An unknown rule fails closed: every count but a missing one is withheld.
		{"below7", 1000, nan, true}, {"below7", 0, nan, true}, {"below7", nan, nan, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.rule, tt.in), func(t *testing.T) {
			got, withheld := Count(tt.in, tt.rule)
			if !same(got, tt.want) || withheld != tt.withheld {
				t.Errorf("Count(%v, %q) = %v, %v; want %v, %v", tt.in, tt.rule, got, withheld, tt.want, tt.withheld)
			}
			if withheld != (math.IsNaN(got) && !math.IsNaN(tt.in)) {
				t.Errorf("Count(%v, %q): withheld %v but published %v", tt.in, tt.rule, withheld, got)
			}
		})
	}
}

// TestCountIsApplyRule checks that Count is the rule Apply applies to the
// counts of a row.
func TestCountIsApplyRule(t *testing.T) {
	for _, rule := range []Rule{NHSDigital, Below5, Below10} {
		for c := range 40 {
			v := float64(c) / 2
			out, _, err := Apply([]metrics.Row{row(metrics.Sex, "Male", v, v, nan)}, Policy{Rule: rule}, byIndicator(map[string]Measure{"i1": Proportion}))
			if err != nil {
				t.Fatal(err)
			}
			want, withheld := Count(v, rule)
			if !same(out[0].Numerator, want) || !same(out[0].Denominator, want) || out[0].Suppressed != withheld {
				t.Errorf("%s: Apply published %v (suppressed %v), Count(%v) = %v, %v", rule, out[0].Numerator, out[0].Suppressed, v, want, withheld)
			}
		}
	}
}

// want is what one output row should be.
type want struct {
	num, den, val float64
	supp          bool
	note          string
}

func TestApply(t *testing.T) {
	const (
		o   = metrics.Overall
		q   = metrics.IMDQuintile
		eth = metrics.Ethnic
		sx  = metrics.Sex
	)
	prop := map[string]Measure{"i1": Proportion, "i2": Proportion}
	primary := "suppressed: numerator 1–7 (nhs_digital rule)"
	primary10 := "suppressed: numerator 1–9 (below10 rule)"
	second := "suppressed: secondary, to protect another cell"
	// A proportion by ethnic group whose Not known group (5 of 100) is
	// withheld, and whose published values give the other counts back.
	ethnicProportions := func() []metrics.Row {
		return []metrics.Row{
			row(o, "All", 247, 2000, 0.1235),
			row(eth, "White", 200, 1500, 0.133), row(eth, "Mixed", 30, 200, 0.15),
			row(eth, "Asian or Asian British", 12, 200, 0.06), row(eth, "Not known", 5, 100, 0.05),
		}
	}
	tests := []struct {
		name     string
		rows     []metrics.Row
		policy   Policy
		measures func(indicatorID, breakdown string) Measure
		want     []want
		wantN    int
	}{
		{
			name:   "nhs digital rounds counts and keeps values",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{row(o, "All", 103, 1002, 0.1028), row(sx, "Male", 0, 500, 0), row(sx, "Female", 103, 502, 0.2052)},
			want: []want{{105, 1000, 0.1028, false, ""}, {0, 500, 0, false, ""}, {105, 500, 0.2052, false, ""}},
		},
		{
			name:   "suppressed numerator withholds proportion",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{row(sx, "Male", 97, 500, 0.194), row(sx, "Female", 3, 500, 0.006)},
			want: []want{{95, 500, 0.194, false, ""}, {nan, 500, nan, true, primary}},
			// numerator, value and four limits
			wantN: 6,
		},
		{
			name:   "suppressed denominator withholds proportion",
			policy: Policy{Below5, false}, measures: byIndicator(prop),
			rows: []metrics.Row{row(sx, "Male", 2, 4, 0.5)},
			want: []want{{nan, nan, nan, true, "suppressed: numerator and denominator 1–4 (below5 rule)"}},
		},
		{
			name:   "secondary picks next smallest, ties by label",
			policy: Policy{Below10, true}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(o, "All", 133, 5000, 0.0266),
				row(q, "1", 50, 1000, 0.05), row(q, "3", 20, 1000, 0.02), row(q, "2", 20, 1000, 0.02),
				row(q, "4", 3, 1000, 0.003), row(q, "5", 40, 1000, 0.04), row(q, "Unknown", 0, 0, nan),
			},
			want: []want{
				{133, 5000, 0.0266, false, ""},
				{50, 1000, 0.05, false, ""}, {20, 1000, 0.02, false, ""}, {nan, 1000, nan, true, second},
				{nan, 1000, nan, true, primary10}, {40, 1000, 0.04, false, ""}, {0, 0, nan, false, ""},
			},
			wantN: 12,
		},
		{
			name:   "secondary off leaves one suppressed group",
			policy: Policy{Below10, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(o, "All", 113, 5000, 0.0226),
				row(q, "1", 50, 1000, 0.05), row(q, "2", 20, 1000, 0.02), row(q, "4", 3, 1000, 0.003), row(q, "5", 40, 1000, 0.04),
			},
			want: []want{
				{113, 5000, 0.0226, false, ""},
				{50, 1000, 0.05, false, ""}, {20, 1000, 0.02, false, ""}, {nan, 1000, nan, true, primary10}, {40, 1000, 0.04, false, ""},
			},
		},
		{
			name:   "not known is a group and is protected",
			policy: Policy{Below10, true}, measures: byIndicator(prop),
			rows: ethnicProportions(),
			want: []want{
				{247, 2000, 0.1235, false, ""},
				{200, 1500, 0.133, false, ""}, {30, 200, 0.15, false, ""},
				{nan, 200, nan, true, second}, {nan, 100, nan, true, primary10},
			},
		},
		{
			// With the recovery guard, rounding to 5 still replaces
			// blanket secondary suppression where only rounded counts are
			// published: 245 − 200 − 30 − 10, each ±2, leaves the withheld
			// group anywhere in 1–7.
			name:   "recovery guard leaves a lone suppressed group it cannot be worked out from",
			policy: Policy{NHSDigital, true}, measures: byIndicator(map[string]Measure{"i1": CountMeasure}),
			rows: []metrics.Row{
				row(o, "All", 247, nan, 247),
				row(eth, "White", 200, nan, 200), row(eth, "Mixed", 30, nan, 30),
				row(eth, "Asian or Asian British", 12, nan, 12), row(eth, "Not known", 5, nan, 5),
			},
			want: []want{
				{245, nan, 245, false, ""},
				{200, nan, 200, false, ""}, {30, nan, 30, false, ""},
				{10, nan, 10, false, ""}, {nan, nan, nan, true, "suppressed: numerator and value 1–7 (nhs_digital rule)"},
			},
		},
		{
			// At the edge of the rounding: 200 stands for 198–202, 90 for
			// 88–92, 115 for 113–117, so the withheld Male count can only
			// be 1.
			name:   "recovery guard protects a count pinned by the rounding",
			policy: Policy{NHSDigital, true}, measures: byIndicator(map[string]Measure{"i1": CountMeasure}),
			rows: []metrics.Row{
				row(o, "All", 202, nan, 202),
				row(sx, "Male", 1, nan, 1), row(sx, "Female", 88, nan, 88), row(sx, "Other or not known", 113, nan, 113),
			},
			want: []want{
				{200, nan, 200, false, ""},
				{nan, nan, nan, true, "suppressed: numerator and value 1–7 (nhs_digital rule)"},
				{nan, nan, nan, true, "suppressed: secondary, to protect another cell"}, {115, nan, 115, false, ""},
			},
		},
		{
			// A proportion and its limits, computed from unrounded counts
			// and published in full, give those counts back: 247 − 200 −
			// 30 − 12 would reveal the withheld 5.
			name:   "recovery guard protects a count pinned by published values",
			policy: Policy{NHSDigital, true}, measures: byIndicator(prop),
			rows: ethnicProportions(),
			want: []want{
				{245, 2000, 0.1235, false, ""},
				{200, 1500, 0.133, false, ""}, {30, 200, 0.15, false, ""},
				{nan, 200, nan, true, second}, {nan, 100, nan, true, primary},
			},
		},
		{
			// METHODS.md: no secondary suppression under NHS Digital's
			// rule, even where published values give the counts back (the
			// same table as the case above).
			name:   "nhs digital default withholds no complement",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: ethnicProportions(),
			want: []want{
				{245, 2000, 0.1235, false, ""},
				{200, 1500, 0.133, false, ""}, {30, 200, 0.15, false, ""},
				{10, 200, 0.06, false, ""}, {nan, 100, nan, true, primary},
			},
			// the withheld numerator, value and four limits only
			wantN: 6,
		},
		{
			// The same table as "recovery guard protects a count pinned by
			// the rounding": the default adds nothing.
			name:   "nhs digital default leaves a count pinned by the rounding",
			policy: Policy{NHSDigital, false}, measures: byIndicator(map[string]Measure{"i1": CountMeasure}),
			rows: []metrics.Row{
				row(o, "All", 202, nan, 202),
				row(sx, "Male", 1, nan, 1), row(sx, "Female", 88, nan, 88), row(sx, "Other or not known", 113, nan, 113),
			},
			want: []want{
				{200, nan, 200, false, ""},
				{nan, nan, nan, true, "suppressed: numerator and value 1–7 (nhs_digital rule)"},
				{90, nan, 90, false, ""}, {115, nan, 115, false, ""},
			},
			// the withheld count, its value and four limits only
			wantN: 6,
		},
		{
			name:   "two suppressed groups need no secondary",
			policy: Policy{Below10, true}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(o, "All", 108, 2000, 0.054),
				row(sx, "Male", 100, 1000, 0.1), row(sx, "Female", 5, 990, 0.005), row(sx, "Other or not known", 3, 10, 0.3),
			},
			want: []want{
				{108, 2000, 0.054, false, ""},
				{100, 1000, 0.1, false, ""}, {nan, 990, nan, true, primary10}, {nan, 10, nan, true, primary10},
			},
		},
		{
			name:   "suppressed total needs no secondary",
			policy: Policy{Below10, true}, measures: byIndicator(prop),
			rows: []metrics.Row{row(o, "All", 6, 1000, 0.006), row(sx, "Male", 6, 500, 0.012), row(sx, "Female", 0, 500, 0)},
			want: []want{{nan, 1000, nan, true, primary10}, {nan, 500, nan, true, primary10}, {0, 500, 0, false, ""}},
		},
		{
			name:   "zero is the complement only when nothing else is left",
			policy: Policy{Below10, true}, measures: byIndicator(prop),
			rows: []metrics.Row{row(o, "All", 20, 1000, 0.02), row(sx, "Female", 0, 500, 0), row(sx, "Male", 6, 500, 0.012)},
			want: []want{{20, 1000, 0.02, false, ""}, {nan, 500, nan, true, second}, {nan, 500, nan, true, primary10}},
		},
		{
			name:   "no overall row is read as a known total",
			policy: Policy{Below5, true}, measures: byIndicator(prop),
			rows: []metrics.Row{row(sx, "Male", 50, 500, 0.1), row(sx, "Female", 3, 500, 0.006)},
			want: []want{{nan, 500, nan, true, second}, {nan, 500, nan, true, "suppressed: numerator 1–4 (below5 rule)"}},
		},
		{
			name:   "secondary on the denominator column",
			policy: Policy{Below10, true}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(o, "All", 40, 530, 0.075),
				row(sx, "Male", 0, 5, 0), row(sx, "Female", 20, 25, 0.8), row(sx, "Other or not known", 20, 500, 0.04),
			},
			want: []want{
				{40, 530, 0.075, false, ""},
				{0, nan, nan, true, "suppressed: denominator 1–9 (below10 rule)"},
				{20, nan, nan, true, second}, {20, 500, 0.04, false, ""},
			},
		},
		{
			name:   "primary and secondary on one row",
			policy: Policy{Below5, true}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(o, "All", 30, 997, 0.03),
				row(sx, "Male", 4, 9, 0.44), row(sx, "Female", 26, 3, 8.7), row(sx, "Other or not known", 0, 985, 0),
			},
			want: []want{
				{30, 997, 0.03, false, ""},
				{nan, nan, nan, true, "suppressed: numerator 1–4 (below5 rule); denominator secondary, to protect another cell"},
				{nan, nan, nan, true, "suppressed: denominator 1–4 (below5 rule); numerator secondary, to protect another cell"},
				{0, 985, 0, false, ""},
			},
		},
		{
			// The 95% and 99.8% Dobson limits of a DSR give back its count:
			// a withheld count withholds the DSR and its limits.
			name:   "dsr withheld with its secondarily suppressed count",
			policy: Policy{Below10, true}, measures: byIndicator(map[string]Measure{"i1": DSR}),
			rows:  []metrics.Row{row(o, "All", 30, 5000, 600), row(sx, "Male", 3, 2500, 123.4), row(sx, "Female", 27, 2500, 1080)},
			want:  []want{{30, 5000, 600, false, ""}, {nan, 2500, nan, true, primary10}, {nan, 2500, nan, true, second}},
			wantN: 12,
		},
		{
			name:   "dsr withheld with its suppressed count",
			policy: Policy{NHSDigital, false}, measures: byIndicator(map[string]Measure{"i1": DSR}),
			rows:  []metrics.Row{row(sx, "Male", 3, 2500, 123.4), row(sx, "Female", 27, 2500, 1080)},
			want:  []want{{nan, 2500, nan, true, primary}, {25, 2500, 1080, false, ""}},
			wantN: 6,
		},
		{
			// The age bands of a dsr are crude rates within the band: a
			// published rate × the denominator would give the count back.
			name:   "age bands of a dsr are crude rates",
			policy: Policy{NHSDigital, false}, measures: dsrMeasures,
			rows: []metrics.Row{
				row(metrics.AgeBand, "0-17", 3, 1000, 300), row(metrics.AgeBand, "18-64", 12, 3000, 400), row(metrics.AgeBand, "65+", 15, 1000, 1500),
				row(sx, "Male", 3, 2500, 123.4), row(sx, "Female", 27, 2500, 1080),
			},
			want: []want{
				{nan, 1000, nan, true, primary}, {10, 3000, 400, false, ""}, {15, 1000, 1500, false, ""},
				{nan, 2500, nan, true, primary}, {25, 2500, 1080, false, ""},
			},
			// one age-band and one sex numerator, each with value and four limits
			wantN: 12,
		},
		{
			// measure_by_breakdown: a crude rate overall and by sex, a dsr by
			// ethnic group.
			name:   "measure decided per breakdown",
			policy: Policy{NHSDigital, false},
			measures: func(id, bd string) Measure {
				if bd == eth {
					return DSR
				}
				return CrudeRate
			},
			rows: []metrics.Row{
				row(eth, "White", 35, 8000, 437.5), row(eth, "Mixed", 5, 2000, 210),
				row(sx, "Male", 4, 5000, 80), row(sx, "Female", 36, 5000, 720),
			},
			want: []want{
				{35, 8000, 437.5, false, ""}, {nan, 2000, nan, true, primary},
				{nan, 5000, nan, true, primary}, {35, 5000, 720, false, ""},
			},
			wantN: 12,
		},
		{
			name:   "dsr not published upstream keeps its note",
			policy: Policy{NHSDigital, false}, measures: byIndicator(map[string]Measure{"i1": DSR}),
			rows:  []metrics.Row{withNote(row(sx, "Male", 4, 2500, nan), true, "dsr not published: total count < 10")},
			want:  []want{{nan, 2500, nan, true, "dsr not published: total count < 10; " + primary}},
			wantN: 1,
		},
		{
			name:   "count measure value is a count",
			policy: Policy{NHSDigital, false}, measures: byIndicator(map[string]Measure{"i1": CountMeasure}),
			rows: []metrics.Row{row(o, "All", 23, nan, 23), row(sx, "Male", 5, nan, 5), row(sx, "Female", 18, nan, 18)},
			want: []want{
				{25, nan, 25, false, ""},
				{nan, nan, nan, true, "suppressed: numerator and value 1–7 (nhs_digital rule)"},
				{20, nan, 20, false, ""},
			},
		},
		{
			name:   "below10 suppresses without rounding",
			policy: Policy{Below10, false}, measures: byIndicator(map[string]Measure{"i1": CrudeRate}),
			rows: []metrics.Row{row(o, "All", 23, 1003, 2293), row(sx, "Male", 9, 500, 1800), row(sx, "Female", 14, 503, 2783)},
			want: []want{
				{23, 1003, 2293, false, ""},
				{nan, 500, nan, true, "suppressed: numerator 1–9 (below10 rule)"},
				{14, 503, 2783, false, ""},
			},
		},
		{
			// The gap and ratio use quintiles 1 and 5 only; the SII and RII
			// all five; none uses the Unknown group.
			name:   "imd summary withheld when a quintile it uses is",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(q, "1", 50, 1000, 0.05), row(q, "2", 3, 1000, 0.003),
				row(metrics.IMDSummary, metrics.GroupGap, nan, nan, 0.01), row(metrics.IMDSummary, metrics.GroupSII, nan, nan, 0.02),
				row(metrics.IMDSummary, metrics.GroupRatio, nan, nan, 1.2), row(metrics.IMDSummary, metrics.GroupRII, nan, nan, 1.3),
				withInd(row(q, "1", 50, 1000, 0.05), "i2"), withInd(row(metrics.IMDSummary, metrics.GroupGap, nan, nan, 0.01), "i2"),
			},
			want: []want{
				{50, 1000, 0.05, false, ""}, {nan, 1000, nan, true, primary},
				{nan, nan, 0.01, false, ""},
				{nan, nan, nan, true, "suppressed: an IMD quintile's value is suppressed"},
				{nan, nan, 1.2, false, ""},
				{nan, nan, nan, true, "suppressed: an IMD quintile's value is suppressed"},
				{50, 1000, 0.05, false, ""}, {nan, nan, 0.01, false, ""},
			},
		},
		{
			name:   "gap and ratio withheld with quintile 5",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(q, "1", 50, 1000, 0.05), row(q, "5", 3, 1000, 0.003),
				row(metrics.IMDSummary, metrics.GroupGap, nan, nan, 0.047), row(metrics.IMDSummary, metrics.GroupRatio, nan, nan, 16.7),
			},
			want: []want{
				{50, 1000, 0.05, false, ""}, {nan, 1000, nan, true, primary},
				{nan, nan, nan, true, "suppressed: an IMD quintile's value is suppressed"},
				{nan, nan, nan, true, "suppressed: an IMD quintile's value is suppressed"},
			},
		},
		{
			name:   "unknown quintile withholds no summary",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(q, "1", 50, 1000, 0.05), row(q, "5", 40, 1000, 0.04), row(q, "Unknown", 2, 30, 0.067),
				row(metrics.IMDSummary, metrics.GroupGap, nan, nan, 0.01), row(metrics.IMDSummary, metrics.GroupRatio, nan, nan, 1.25),
				row(metrics.IMDSummary, metrics.GroupSII, nan, nan, 0.02), row(metrics.IMDSummary, metrics.GroupRII, nan, nan, 1.3),
			},
			want: []want{
				{50, 1000, 0.05, false, ""}, {40, 1000, 0.04, false, ""}, {nan, 30, nan, true, primary},
				{nan, nan, 0.01, false, ""}, {nan, nan, 1.25, false, ""}, {nan, nan, 0.02, false, ""}, {nan, nan, 1.3, false, ""},
			},
		},
		{
			// The change since last year would give this year's value back
			// from last year's.
			name:   "change follows this year's value",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(o, "All", 3, 1000, 0.003), row(q, "1", 50, 1000, 0.05), row(q, "5", 40, 1000, 0.04),
				row("change", "overall", nan, nan, 0.001), row("change", metrics.GroupGap, nan, nan, 0.002), row("change", "other", nan, nan, 0.5),
			},
			want: []want{
				{nan, 1000, nan, true, primary}, {50, 1000, 0.05, false, ""}, {40, 1000, 0.04, false, ""},
				{nan, nan, nan, true, "suppressed: this year's value is suppressed"},
				{nan, nan, 0.002, false, ""},
				{nan, nan, nan, true, "suppressed: this year's value is suppressed"},
			},
		},
		{
			name:   "unknown imd summary uses every quintile",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(q, "Unknown", 2, 30, 0.067), row(metrics.IMDSummary, "concentration_index", nan, nan, 0.1),
			},
			want: []want{
				{nan, 30, nan, true, primary},
				{nan, nan, nan, true, "suppressed: an IMD quintile's value is suppressed"},
			},
		},
		{
			name:   "imd summary of a dsr follows its quintile",
			policy: Policy{NHSDigital, false}, measures: byIndicator(map[string]Measure{"i1": DSR}),
			rows: []metrics.Row{row(q, "2", 3, 1000, 300), row(metrics.IMDSummary, metrics.GroupRII, nan, nan, 1.5)},
			want: []want{{nan, 1000, nan, true, primary}, {nan, nan, nan, true, "suppressed: an IMD quintile's value is suppressed"}},
		},
		{
			name:   "imd summary withheld when an upstream dsr was not published",
			policy: Policy{NHSDigital, false}, measures: byIndicator(map[string]Measure{"i1": DSR}),
			rows: []metrics.Row{
				withNote(row(q, "2", 9, 1000, nan), true, "dsr not published: total count < 10"),
				row(metrics.IMDSummary, metrics.GroupRII, nan, nan, 1.5),
			},
			want: []want{
				{10, 1000, nan, true, "dsr not published: total count < 10"},
				{nan, nan, nan, true, "suppressed: an IMD quintile's value is suppressed"},
			},
		},
		{
			name:   "ethnic ratio withheld with its group",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(eth, "White", 200, 1000, 0.2), row(eth, "Mixed", 2, 100, 0.02), row(eth, "Black or Black British", 20, 100, 0.2),
				row(metrics.EthnicRatio, "Mixed / White", nan, nan, 0.1), row(metrics.EthnicRatio, "Black or Black British / White", nan, nan, 1),
			},
			want: []want{
				{200, 1000, 0.2, false, ""}, {nan, 100, nan, true, primary}, {20, 100, 0.2, false, ""},
				{nan, nan, nan, true, "suppressed: this group's or the White group's value is suppressed"},
				{nan, nan, 1, false, ""},
			},
		},
		{
			name:   "ethnic ratios withheld with the white group",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(eth, "White", 7, 1000, 0.007), row(eth, "Mixed", 20, 100, 0.2),
				row(metrics.EthnicRatio, "Mixed / White", nan, nan, 28),
			},
			want: []want{
				{nan, 1000, nan, true, primary}, {20, 100, 0.2, false, ""},
				{nan, nan, nan, true, "suppressed: this group's or the White group's value is suppressed"},
			},
		},
		{
			name:   "counts on a summary row follow the rule, the value stays",
			policy: Policy{NHSDigital, false}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(metrics.EthnicRatio, "Mixed / White", 3, 1000, 1.2),
				row(metrics.IMDSummary, metrics.GroupSII, 12, nan, 0.3),
			},
			want:  []want{{nan, 1000, 1.2, true, primary}, {10, nan, 0.3, false, ""}},
			wantN: 1,
		},
		{
			name:   "organisations are kept apart",
			policy: Policy{Below10, true}, measures: byIndicator(prop),
			rows: []metrics.Row{
				row(o, "All", 53, 1000, 0.053), row(sx, "Male", 50, 500, 0.1), row(sx, "Female", 3, 500, 0.006),
				withOrg(row(o, "All", 53, 1000, 0.053), "ABC"), withOrg(row(sx, "Male", 3, 500, 0.006), "ABC"), withOrg(row(sx, "Female", 50, 500, 0.1), "ABC"),
			},
			want: []want{
				{53, 1000, 0.053, false, ""}, {nan, 500, nan, true, second}, {nan, 500, nan, true, primary10},
				{53, 1000, 0.053, false, ""}, {nan, 500, nan, true, primary10}, {nan, 500, nan, true, second},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.rows)
			got, n, err := Apply(tt.rows, tt.policy, tt.measures)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Group != in[i].Group || g.Breakdown != in[i].Breakdown {
					t.Errorf("row %d is %s/%s, want input order", i, g.Breakdown, g.Group)
				}
				if !same(g.Numerator, w.num) || !same(g.Denominator, w.den) || !same(g.Value, w.val) || g.Suppressed != w.supp || g.Note != w.note {
					t.Errorf("row %d (%s %s): got num %v den %v val %v supp %v note %q,\n\twant num %v den %v val %v supp %v note %q",
						i, g.Breakdown, g.Group, g.Numerator, g.Denominator, g.Value, g.Suppressed, g.Note,
						w.num, w.den, w.val, w.supp, w.note)
				}
				if math.IsNaN(w.val) && !math.IsNaN(in[i].Value) && !limitsNaN(g) {
					t.Errorf("row %d: value withheld but limits published: %v", i, g.Numbers())
				}
				if !math.IsNaN(w.val) && (g.Lower95 != in[i].Lower95 || g.Upper998 != in[i].Upper998) && w.val == in[i].Value {
					t.Errorf("row %d: limits changed: %v, want %v", i, g.Numbers(), in[i].Numbers())
				}
			}
			if tt.wantN != 0 && n != tt.wantN {
				t.Errorf("suppressed = %d, want %d", n, tt.wantN)
			}
			if n != countHidden(tt.rows, got) {
				t.Errorf("suppressed = %d, but %d cells were hidden", n, countHidden(tt.rows, got))
			}
			for i := range in {
				if !sameRow(in[i], tt.rows[i]) {
					t.Errorf("input row %d changed", i)
				}
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	r := row(metrics.Sex, "Male", 3, 10, 0.3)
	tests := []struct {
		name     string
		rows     []metrics.Row
		policy   Policy
		measures func(indicatorID, breakdown string) Measure
		want     string
	}{
		{"unknown rule", []metrics.Row{r}, Policy{Rule: "below7"}, byIndicator(map[string]Measure{"i1": Proportion}), `unknown disclosure rule "below7"`},
		{"indicator without measure", []metrics.Row{r}, Policy{}, byIndicator(map[string]Measure{"i2": Proportion}), `indicator "i1" has no measure for breakdown "sex"`},
		{"breakdown without measure", []metrics.Row{row(metrics.Overall, "All", 3, 10, 0.3), r}, Policy{},
			func(id, bd string) Measure {
				if bd == metrics.Overall {
					return Proportion
				}
				return ""
			}, `indicator "i1" has no measure for breakdown "sex"`},
		{"nil measures", []metrics.Row{r}, Policy{}, nil, `indicator "i1" has no measure`},
		{"unknown measure", []metrics.Row{r}, Policy{}, byIndicator(map[string]Measure{"i1": "median"}), `indicator "i1", breakdown "sex": unknown measure "median"`},
		{"duplicate row", []metrics.Row{r, r}, Policy{}, byIndicator(map[string]Measure{"i1": Proportion}), "rows 1 and 2: duplicate row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, n, err := Apply(tt.rows, tt.policy, tt.measures)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Apply error = %v, want one containing %q", err, tt.want)
			}
			if out != nil || n != 0 {
				t.Errorf("Apply returned %d rows, %d suppressed with an error", len(out), n)
			}
		})
	}
	t.Run("empty table", func(t *testing.T) {
		out, n, err := Apply(nil, Policy{}, nil)
		if err != nil || len(out) != 0 || n != 0 {
			t.Errorf("Apply(nil) = %v, %d, %v", out, n, err)
		}
	})
}

// countHidden counts numbers present in in and NaN in out.
func countHidden(in, out []metrics.Row) int {
	n := 0
	for i := range in {
		a, b := in[i].Numbers(), out[i].Numbers()
		for k := range a {
			if !math.IsNaN(a[k]) && math.IsNaN(b[k]) {
				n++
			}
		}
	}
	return n
}

var (
	measureKinds = []Measure{Proportion, CrudeRate, DSR, CountMeasure, RatioToBaseline, Mean}
	breakdowns   = []struct {
		name   string
		groups []string
	}{
		{metrics.IMDQuintile, []string{"1", "2", "3", "4", "5", "Unknown"}},
		{metrics.Ethnic, metrics.EthnicGroupOrder},
		{metrics.AgeBand, []string{"0-17", "18-34", "35-49", "50-64", "65-79", "80+"}},
		{metrics.Sex, metrics.SexOrder},
	}
)

// smallCount draws a count from 0 to 200 where small counts are frequent.
func smallCount(rng *rand.Rand) float64 {
	switch rng.IntN(3) {
	case 0:
		return float64(rng.IntN(10))
	case 1:
		return float64(rng.IntN(30))
	}
	return float64(rng.IntN(201))
}

// randomTable returns n indicators with four group breakdowns each (4n
// indicator × breakdowns), an overall row (sometimes missing), IMD summaries
// and ratios to White, and the measure function of the table. As in the
// pipeline, the age bands of a dsr are crude rates, and some crude-rate
// indicators are dsrs by one or more breakdowns (measure_by_breakdown), or
// the other way round.
func randomTable(rng *rand.Rand, n int) ([]metrics.Row, func(indicatorID, breakdown string) Measure) {
	measures := make(map[string]Measure, n)
	byBreakdown := map[[2]string]Measure{}
	measureOf := func(id, bd string) Measure {
		if m, ok := byBreakdown[[2]string{id, bd}]; ok {
			return m
		}
		return measures[id]
	}
	var rows []metrics.Row
	for k := range n {
		id := fmt.Sprintf("ind%05d", k)
		base := measureKinds[rng.IntN(len(measureKinds))]
		measures[id] = base
		if base == CrudeRate || base == DSR {
			for _, bd := range []string{metrics.Overall, metrics.IMDQuintile, metrics.Ethnic, metrics.Sex} {
				if rng.IntN(4) == 0 {
					byBreakdown[[2]string{id, bd}] = []Measure{CrudeRate, DSR}[rng.IntN(2)]
				}
			}
			byBreakdown[[2]string{id, metrics.AgeBand}] = CrudeRate
		}
		mk := func(bd, group string, num, den float64) metrics.Row {
			m := measureOf(id, bd)
			if rng.IntN(50) == 0 {
				num = nan
			}
			if m == CountMeasure && rng.IntN(2) == 0 {
				den = nan
			}
			val := num / den
			switch m {
			case CountMeasure:
				val = num
			case DSR, CrudeRate:
				val *= 100000
			}
			r := metrics.Row{IndicatorID: id, Period: "2025/26", Organisation: "QWE", Breakdown: bd, Group: group,
				Numerator: num, Denominator: den, Value: val,
				Lower95: val * 0.8, Upper95: val * 1.25, Lower998: val * 0.7, Upper998: val * 1.4, Method: string(m)}
			if m == DSR && !(num >= 10) {
				r.Value, r.Lower95, r.Upper95, r.Lower998, r.Upper998 = nan, nan, nan, nan, nan
				r.Suppressed, r.Note = true, "dsr not published: total count < 10"
			}
			return r
		}
		var group []metrics.Row
		var totNum, totDen float64
		for b, bd := range breakdowns {
			for _, g := range bd.groups {
				num := smallCount(rng)
				den := num + smallCount(rng)
				if base == DSR || base == CrudeRate {
					den = num + float64(rng.IntN(5000))
				}
				if b == 0 {
					totNum += num
					totDen += den
				}
				group = append(group, mk(bd.name, g, num, den))
			}
		}
		if rng.IntN(20) != 0 {
			rows = append(rows, mk(metrics.Overall, metrics.GroupAll, totNum, totDen))
		}
		rows = append(rows, group...)
		for _, g := range []string{metrics.GroupGap, metrics.GroupRatio, metrics.GroupSII, metrics.GroupRII} {
			rows = append(rows, metrics.Row{IndicatorID: id, Period: "2025/26", Organisation: "QWE", Breakdown: metrics.IMDSummary, Group: g,
				Numerator: nan, Denominator: nan, Value: rng.Float64(), Lower95: 0, Upper95: 2, Lower998: -1, Upper998: 3})
		}
		for _, g := range metrics.EthnicGroupOrder[1:5] {
			rows = append(rows, metrics.Row{IndicatorID: id, Period: "2025/26", Organisation: "QWE", Breakdown: metrics.EthnicRatio, Group: g + " / White",
				Numerator: nan, Denominator: nan, Value: rng.Float64() * 2, Lower95: 0, Upper95: 2, Lower998: -1, Upper998: 3})
		}
	}
	// Shuffle so that order preservation and grouping are exercised.
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows, measureOf
}

func TestApplyProperties(t *testing.T) {
	policies := []Policy{{NHSDigital, false}, {NHSDigital, true}, {Below5, true}, {Below10, true}, {Below10, false}}
	for _, seed := range []uint64{1, 2, 3} {
		for _, p := range policies {
			t.Run(fmt.Sprintf("seed%d/%s/secondary=%v", seed, p.Rule, p.Secondary), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 0x5eed))
				rows, measures := randomTable(rng, 1000) // 4000 indicator × breakdowns
				in := slices.Clone(rows)
				out, n, err := Apply(rows, p, measures)
				if err != nil {
					t.Fatal(err)
				}
				checkProperties(t, p, in, out, measures)
				if n != countHidden(in, out) {
					t.Errorf("suppressed = %d, want %d", n, countHidden(in, out))
				}
				for i := range in {
					if !sameRow(in[i], rows[i]) {
						t.Fatalf("input row %d changed: %+v, was %+v", i, rows[i], in[i])
					}
				}
				again, n2, err := Apply(rows, p, measures)
				if err != nil || n2 != n || !slices.EqualFunc(out, again, sameRow) {
					t.Errorf("second Apply differs (deterministic): n %d vs %d, err %v", n2, n, err)
				}
				twice, n3, err := Apply(out, p, measures)
				if err != nil || n3 != 0 || !slices.EqualFunc(out, twice, sameRow) {
					t.Errorf("Apply of published rows changed them: %d more cells, err %v", n3, err)
				}
			})
		}
	}
}

func checkProperties(t *testing.T, p Policy, in, out []metrics.Row, measureOf func(indicatorID, breakdown string) Measure) {
	t.Helper()
	pr, _ := paramsFor(p.Rule)
	type bk struct{ ind, bd string }
	byBD := map[bk][]int{}
	overall := map[string]int{}
	for i, r := range out {
		if r.IndicatorID != in[i].IndicatorID || r.Breakdown != in[i].Breakdown || r.Group != in[i].Group {
			t.Fatalf("row %d: output order differs from input", i)
		}
		byBD[bk{r.IndicatorID, r.Breakdown}] = append(byBD[bk{r.IndicatorID, r.Breakdown}], i)
		if r.Breakdown == metrics.Overall {
			overall[r.IndicatorID] = i
		}
		m := measureOf(r.IndicatorID, r.Breakdown)
		cells := []float64{r.Numerator, r.Denominator}
		if m == CountMeasure && !isSummary(r.Breakdown) {
			cells = append(cells, r.Value)
		}
		for _, c := range cells {
			if c != 0 && math.Abs(c) < pr.limit {
				t.Errorf("row %d (%s %s): published count %v in the suppression range of %s", i, r.Breakdown, r.Group, c, p.Rule)
			}
			if p.Rule == NHSDigital && !math.IsNaN(c) && math.Mod(c, 5) != 0 {
				t.Errorf("row %d: published count %v is not a multiple of 5", i, c)
			}
			if p.Rule != NHSDigital && !math.IsNaN(c) && !slices.Contains([]float64{in[i].Numerator, in[i].Denominator, in[i].Value}, c) {
				t.Errorf("row %d: count %v was rounded under %s", i, c, p.Rule)
			}
		}
		if isSummary(r.Breakdown) {
			continue
		}
		countHidden := (!math.IsNaN(in[i].Numerator) && math.IsNaN(r.Numerator)) || (!math.IsNaN(in[i].Denominator) && math.IsNaN(r.Denominator))
		if !p.Secondary && strings.Contains(r.Note, noteSecondary) {
			t.Errorf("row %d (%s %s): secondary suppression with it off: %q", i, r.Breakdown, r.Group, r.Note)
		}
		// Without secondary suppression only counts in the rule's range
		// are withheld.
		for col, c := range []float64{in[i].Numerator, in[i].Denominator} {
			if !p.Secondary && !math.IsNaN(c) && math.IsNaN([]float64{r.Numerator, r.Denominator}[col]) && !(c != 0 && math.Abs(c) < pr.limit) {
				t.Errorf("row %d (%s %s): count %v withheld, outside the rule's range, with secondary off", i, r.Breakdown, r.Group, c)
			}
		}
		if countHidden && !r.Suppressed {
			t.Errorf("row %d: count hidden but not flagged", i)
		}
		if countHidden && !strings.Contains(r.Note, "suppressed: ") {
			t.Errorf("row %d: count hidden but note %q", i, r.Note)
		}
		if m == DSR && in[i].Note != "" && !strings.HasPrefix(r.Note, in[i].Note) {
			t.Errorf("row %d: dsr note %q lost, now %q", i, in[i].Note, r.Note)
		}
		switch {
		case countHidden:
			if !math.IsNaN(r.Value) || !limitsNaN(r) {
				t.Errorf("row %d (%s): count suppressed but value or limits published: %v", i, m, r.Numbers())
			}
		case m != CountMeasure:
			if !same(r.Value, in[i].Value) || !same(r.Lower95, in[i].Lower95) || !same(r.Upper998, in[i].Upper998) {
				t.Errorf("row %d: value changed without suppression: %v -> %v", i, in[i].Numbers(), r.Numbers())
			}
		}
	}

	// Differencing: per indicator × breakdown with a published total, 0 or
	// ≥ 2 suppressed groups per count column under blanket secondary
	// suppression (below5, below10); the recovery guard of nhs_digital
	// leaves a lone group whose count rounding hides, and no secondary
	// suppression leaves every lone group.
	blanket := p.Secondary && !pr.round
	violations := 0
	for k, idx := range byBD {
		if k.bd == metrics.Overall || isSummary(k.bd) {
			continue
		}
		for col := range 2 {
			get := func(r metrics.Row) float64 { return []float64{r.Numerator, r.Denominator}[col] }
			if oi, ok := overall[k.ind]; ok && math.IsNaN(get(out[oi])) {
				continue
			}
			hidden, published := 0, 0
			for _, i := range idx {
				if !math.IsNaN(get(in[i])) && math.IsNaN(get(out[i])) {
					hidden++
				} else if !math.IsNaN(get(out[i])) {
					published++
				}
			}
			if hidden == 1 && published > 0 {
				violations++
				if blanket {
					t.Errorf("%s %s column %d: exactly one suppressed group", k.ind, k.bd, col)
				}
			}
		}
	}
	if !blanket && violations == 0 {
		t.Errorf("without blanket secondary suppression no breakdown had a lone suppressed group: the table does not exercise the rule")
	}

	// Summaries follow the groups they are computed from.
	hiddenValue := func(i int) bool { return out[i].Suppressed && math.IsNaN(out[i].Value) }
	for k, idx := range byBD {
		switch k.bd {
		case metrics.IMDSummary:
			for _, i := range idx {
				used := map[string][]string{
					metrics.GroupGap: {"1", "5"}, metrics.GroupRatio: {"1", "5"},
					metrics.GroupSII: {"1", "2", "3", "4", "5"}, metrics.GroupRII: {"1", "2", "3", "4", "5"},
				}[out[i].Group]
				anyHidden := slices.ContainsFunc(byBD[bk{k.ind, metrics.IMDQuintile}], func(j int) bool {
					return hiddenValue(j) && slices.Contains(used, out[j].Group)
				})
				if anyHidden != math.IsNaN(out[i].Value) || anyHidden != out[i].Suppressed || (anyHidden && !limitsNaN(out[i])) {
					t.Errorf("%s %s: quintile hidden %v, summary %v supp %v", k.ind, out[i].Group, anyHidden, out[i].Value, out[i].Suppressed)
				}
			}
		case metrics.EthnicRatio:
			for _, i := range idx {
				name := strings.TrimSuffix(out[i].Group, " / White")
				h := false
				for _, j := range byBD[bk{k.ind, metrics.Ethnic}] {
					if (out[j].Group == name || out[j].Group == "White") && hiddenValue(j) {
						h = true
					}
				}
				if h != math.IsNaN(out[i].Value) || h != out[i].Suppressed {
					t.Errorf("%s %s: group or White hidden %v, ratio %v supp %v", k.ind, out[i].Group, h, out[i].Value, out[i].Suppressed)
				}
			}
		}
	}
}

// BenchmarkApply discloses 10,000 indicator × breakdown groups (2,500
// indicators with four group breakdowns, plus overall and summary rows:
// 77,500 rows), sorted as the metrics table is.
func BenchmarkApply(b *testing.B) {
	rng := rand.New(rand.NewPCG(42, 0x5eed))
	rows, measures := randomTable(rng, 2500)
	metrics.Sort(rows) // the metrics table arrives sorted
	p := Policy{Below10, true}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Apply(rows, p, measures); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleDescribe() {
	fmt.Println(Describe(Policy{Rule: NHSDigital}))
	fmt.Println(Describe(Policy{Rule: NHSDigital, Secondary: true}))
	fmt.Println(Describe(Policy{Rule: Below10, Secondary: true}))
	// Output:
	// Following NHS Digital's rule for hospital data, counts of 1 to 7 are suppressed (shown as *) and all other counts are rounded to the nearest 5, with 0 shown as 0; proportions, rates, ratios and means are calculated from unrounded counts and suppressed, with their confidence intervals, where a count they use is suppressed; directly standardised rates are not published when based on fewer than 10 events; a gap, ratio or slope index between groups is suppressed when a group value it uses is suppressed; no other group is suppressed to protect a suppressed count (no secondary suppression), as NHS Digital's rule allows, because rounding every count to 5 takes its place.
	// Following NHS Digital's rule for hospital data, counts of 1 to 7 are suppressed (shown as *) and all other counts are rounded to the nearest 5, with 0 shown as 0; proportions, rates, ratios and means are calculated from unrounded counts and suppressed, with their confidence intervals, where a count they use is suppressed; directly standardised rates are not published when based on fewer than 10 events; a gap, ratio or slope index between groups is suppressed when a group value it uses is suppressed; and, going further than NHS Digital's rule, where the published counts, values and intervals would otherwise let a suppressed count be worked out exactly from the total, the next-smallest group is suppressed too.
	// Counts of 1 to 9 are suppressed (shown as *) and other counts are shown unrounded; proportions, rates, ratios and means are calculated from unrounded counts and suppressed, with their confidence intervals, where a count they use is suppressed; directly standardised rates are not published when based on fewer than 10 events; a gap, ratio or slope index between groups is suppressed when a group value it uses is suppressed; and where a single group in a breakdown is suppressed, or the published figures would otherwise let a suppressed count be worked out from the total, the next-smallest group is suppressed too.
}

func TestSetting(t *testing.T) {
	tests := []struct {
		p    Policy
		want []string
	}{
		{Policy{NHSDigital, false}, []string{"disclosure.rule nhs_digital, disclosure.secondary false (the default)", "secondary true would add the recovery guard"}},
		{Policy{NHSDigital, true}, []string{"disclosure.rule nhs_digital, disclosure.secondary true:", "recovery guard is on"}},
		{Policy{Below5, true}, []string{"disclosure.rule below5, disclosure.secondary true (the default)", "next-smallest"}},
		{Policy{Below10, false}, []string{"disclosure.rule below10, disclosure.secondary false:", "switched off"}},
		{Policy{Rule: "x"}, []string{"unrecognised"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.p.Rule, tt.p.Secondary), func(t *testing.T) {
			got := Setting(tt.p)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Setting(%+v) = %q, want it to contain %q", tt.p, got, w)
				}
			}
			if !strings.HasSuffix(got, ".") {
				t.Errorf("Setting(%+v) = %q: want one sentence", tt.p, got)
			}
		})
	}
}
