package measure

import (
	"math"
	"strings"
	"testing"

	"hiis/pipeline/indicator"
	"hiis/pipeline/metrics"
	"hiis/pipeline/stats"
	"hiis/pipeline/transform"
)

var opt = Options{Period: "2025/26", Organisation: "QXX", SIIRepetitions: 10000, Seed: 1}

func find(t *testing.T, rows []metrics.Row, breakdown, group string) metrics.Row {
	t.Helper()
	for _, r := range rows {
		if r.Breakdown == breakdown && r.Group == group {
			return r
		}
	}
	t.Fatalf("no row %s %s", breakdown, group)
	return metrics.Row{}
}

func cell(b, g, stratum string, num, den float64) transform.Cell {
	return transform.Cell{Indicator: "T-1", Breakdown: b, Group: g, Stratum: stratum, Numerator: num, Denominator: den}
}

func TestProportionAndSummaries(t *testing.T) {
	ind := &indicator.Indicator{ID: "T-1", Measure: indicator.Proportion, Multiplier: 100}
	cells := []transform.Cell{cell("overall", "All", "", 300, 1000)}
	for q, x := range []float64{90, 70, 60, 45, 35} {
		cells = append(cells, cell("imd_quintile", string(rune('1'+q)), "", x, 200))
	}
	cells = append(cells, cell("ethnic_group", "White", "", 200, 700), cell("ethnic_group", "Mixed", "", 40, 100), cell("ethnic_group", "Not known", "", 60, 200))
	rows, err := Compute([]*indicator.Indicator{ind}, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := stats.Proportion(90, 200, 100)
	q1 := find(t, rows, "imd_quintile", "1")
	if q1.Value != want.Value || q1.Lower95 != want.Lower95 || q1.Upper998 != want.Upper998 || q1.Method != "Wilson" {
		t.Errorf("quintile 1 = %+v, want %+v", q1, want)
	}
	gap := find(t, rows, "imd_summary", "gap_q1_q5")
	if math.Abs(gap.Value-(45-17.5)) > 1e-9 || !(gap.Lower95 > 0) || !strings.Contains(gap.Note, "wholly above 0") {
		t.Errorf("gap = %+v, want 27.5 with an interval above 0", gap)
	}
	ratio := find(t, rows, "imd_summary", "ratio_q1_q5")
	if math.Abs(ratio.Value-90.0/35) > 1e-9 {
		t.Errorf("ratio = %v, want %v", ratio.Value, 90.0/35)
	}
	sii := find(t, rows, "imd_summary", "sii")
	if !(sii.Value < 0 && sii.Lower95 < sii.Value && sii.Value < sii.Upper95) || !strings.Contains(sii.Method, "10000 repetitions") {
		t.Errorf("sii = %+v, want negative (higher in deprived areas) inside its interval", sii)
	}
	if r := find(t, rows, "ethnic_ratio", "Mixed / White"); math.Abs(r.Value-0.4/(200.0/700)) > 1e-9 {
		t.Errorf("Mixed / White = %v", r.Value)
	}
	for _, r := range rows {
		if r.Breakdown == "ethnic_ratio" && strings.HasPrefix(r.Group, "Not known") {
			t.Error("a ratio to White was computed for Not known")
		}
		if r.Period != "2025/26" || r.Organisation != "QXX" {
			t.Errorf("row %s %s lacks period or organisation", r.Breakdown, r.Group)
		}
	}
}

func TestSIINeedsAllQuintiles(t *testing.T) {
	ind := &indicator.Indicator{ID: "T-1", Measure: indicator.Proportion, Multiplier: 100}
	cells := []transform.Cell{cell("imd_quintile", "1", "", 10, 100), cell("imd_quintile", "5", "", 5, 100), cell("imd_quintile", "3", "", 7, 100)}
	rows, err := Compute([]*indicator.Indicator{ind}, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sii := find(t, rows, "imd_summary", "sii"); !math.IsNaN(sii.Value) || !strings.Contains(sii.Note, "all five quintiles") {
		t.Errorf("sii with 3 quintiles = %+v", sii)
	}
	if gap := find(t, rows, "imd_summary", "gap_q1_q5"); math.IsNaN(gap.Value) {
		t.Error("the gap needs only quintiles 1 and 5")
	}
}

func TestDSR(t *testing.T) {
	ind := &indicator.Indicator{ID: "T-1", Measure: indicator.DSR, Multiplier: 100000, Population: &indicator.Population{Source: "population"}}
	var cells []transform.Cell
	var strata []stats.Stratum
	var total float64
	for i, band := range stats.ESPBandLabels {
		for _, sex := range []string{"Male", "Female"} {
			x, n := float64(2+i), float64(1000+50*i)
			cells = append(cells, cell("overall", "All", sex+"|"+band, x, n))
			strata = append(strata, stats.Stratum{Count: x, Pop: n, StdPop: stats.ESP2013[i]})
			total += x
		}
	}
	cells = append(cells,
		cell("overall", "All", "", total+7, 60000), // 7 events with unknown age or sex
		cell("age_band", "0-17", "", 40, 8000),
		cell("imd_quintile", "Unknown", "", 12, 300),
		cell("ethnic_group", "Not stated", "", 9, 400),
	)
	rows, err := Compute([]*indicator.Indicator{ind}, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := stats.DSR(strata, 100000)
	all := find(t, rows, "overall", "All")
	if all.Value != want.Value || all.Lower95 != want.Lower95 || all.Method != "Dobson" || all.Numerator != total+7 {
		t.Errorf("overall = %+v, want %+v", all, want)
	}
	if !strings.Contains(all.Note, "7 events with unknown age or sex not standardised") {
		t.Errorf("overall note %q", all.Note)
	}
	age := find(t, rows, "age_band", "0-17")
	if age.Value != 500 || !strings.Contains(age.Note, "crude rate") {
		t.Errorf("age band = %+v, want a crude rate of 500 per 100,000", age)
	}
	for _, g := range [][2]string{{"imd_quintile", "Unknown"}, {"ethnic_group", "Not stated"}} {
		if r := find(t, rows, g[0], g[1]); !math.IsNaN(r.Value) || !strings.HasPrefix(r.Note, "no rate") || r.Numerator == 0 {
			t.Errorf("%s %s = %+v, want counts but no rate", g[0], g[1], r)
		}
	}
}

func TestRatioToBaselineAndCount(t *testing.T) {
	inds := []*indicator.Indicator{
		{ID: "T-1", Measure: indicator.RatioToBaseline, Multiplier: 100},
		{ID: "T-2", Measure: indicator.Count, Multiplier: 1},
	}
	cells := []transform.Cell{cell("overall", "All", "", 900, 1000), {Indicator: "T-2", Breakdown: "overall", Group: "All", Numerator: 4, Denominator: math.NaN()}}
	rows, err := Compute(inds, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.IndicatorID != "T-1" || math.Abs(r.Value-90) > 1e-9 || !(r.Lower95 < 90 && 90 < r.Upper95) {
		t.Errorf("ratio to baseline = %+v, want 90%% inside its interval", r)
	}
	c := find(t, rows, "overall", "All")
	for _, x := range rows {
		if x.IndicatorID == "T-2" {
			c = x
		}
	}
	lo, hi := stats.ExactPoissonLimits(4, 0.95)
	if c.Value != 4 || c.Lower95 != lo || c.Upper95 != hi || c.Method != "Exact" {
		t.Errorf("count = %+v, want 4 with exact limits %v–%v", c, lo, hi)
	}
}
