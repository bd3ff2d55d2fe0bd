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
	if all.Note != "some events with unknown age or sex were not standardised" {
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

// stratumCell is a stratum cell of indicator "T-1".
func stratumCell(b, g, sex string, band int, x, n float64) transform.Cell {
	return cell(b, g, sex+"|"+stats.ESPBandLabels[band], x, n)
}

// handStratum is one stratum of a hand-computed DSR.
type handStratum struct{ x, n, w float64 }

// handDSR computes the DSR and its 95% Dobson limits from METHODS.md's
// formulas, with sumW the standard's total weight.
func handDSR(strata []handStratum, sumW, m float64) (value, lower, upper float64) {
	var o, rate, v float64
	for _, s := range strata {
		o += s.x
		rate += s.x * s.w / s.n
		v += s.x * (s.w / s.n) * (s.w / s.n)
	}
	value = rate / sumW * m
	v /= sumW * sumW
	const z = 1.959963984540054
	lo := o * math.Pow(1-1/(9*o)-z/(3*math.Sqrt(o)), 3)
	hi := (o + 1) * math.Pow(1-1/(9*(o+1))+z/(3*math.Sqrt(o+1)), 3)
	return value, value + math.Sqrt(v/o)*(lo-o)*m, value + math.Sqrt(v/o)*(hi-o)*m
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }

func checkDSR(t *testing.T, r metrics.Row, strata []handStratum, sumW float64) {
	t.Helper()
	v, lo, hi := handDSR(strata, sumW, 100000)
	if !near(r.Value, v) || !near(r.Lower95, lo) || !near(r.Upper95, hi) {
		t.Errorf("%s %s: dsr %v (%v–%v), want %v (%v–%v) with Σw = %v", r.Breakdown, r.Group, r.Value, r.Lower95, r.Upper95, v, lo, hi, sumW)
	}
}

// TestDSRFullStandard: every group is standardised over the whole standard,
// the strata with population in the overall group, even when it lacks some.
func TestDSRFullStandard(t *testing.T) {
	ind := &indicator.Indicator{ID: "T-1", Measure: indicator.DSR, Multiplier: 100000, Population: &indicator.Population{Source: "population"},
		Breakdowns: []string{"imd_quintile", "sex"}}
	var cells []transform.Cell
	var q1, q2, female []handStratum
	var tot, tot1, tot2, totF float64
	for i := range stats.ESPBandLabels {
		w := stats.ESP2013[i]
		for _, sex := range []string{"Male", "Female"} {
			x, n := float64(4+i), float64(2000+100*i)
			cells = append(cells, stratumCell("overall", "All", sex, i, x, n))
			tot += x
			// Quintile 1 has nobody who is female and aged 90+, and no
			// population (nor events) among boys aged 0-4.
			switch {
			case sex == "Female" && i == 18:
			case sex == "Male" && i == 0:
				cells = append(cells, stratumCell("imd_quintile", "1", sex, i, 0, 0))
			default:
				cells = append(cells, stratumCell("imd_quintile", "1", sex, i, x/2, n/2))
				q1 = append(q1, handStratum{x / 2, n / 2, w})
				tot1 += x / 2
			}
			// Quintile 2 has 3 events among men aged 5-9 but no population
			// there: they cannot be standardised.
			if sex == "Male" && i == 1 {
				cells = append(cells, stratumCell("imd_quintile", "2", sex, i, 3, math.NaN()))
				tot2 += 3
			} else {
				cells = append(cells, stratumCell("imd_quintile", "2", sex, i, x/2, n/2))
				q2 = append(q2, handStratum{x / 2, n / 2, w})
				tot2 += x / 2
			}
			// Women have nobody aged 85-89.
			if sex == "Female" && i != 17 {
				cells = append(cells, stratumCell("sex", "Female", sex, i, x, n))
				female = append(female, handStratum{x, n, w})
				totF += x
			}
		}
	}
	cells = append(cells,
		cell("overall", "All", "", tot, 1e6),
		cell("imd_quintile", "1", "", tot1, 5e5),
		cell("imd_quintile", "2", "", tot2, 5e5),
		cell("sex", "Female", "", totF, 5e5),
	)
	rows, err := Compute([]*indicator.Indicator{ind}, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	// The ESP sums to 100,000 for each sex.
	r1 := find(t, rows, "imd_quintile", "1")
	checkDSR(t, r1, q1, 200000)
	if r1.Note != "" {
		t.Errorf("quintile 1 note %q, want none", r1.Note)
	}
	if truncated, _, _ := handDSR(q1, 200000-stats.ESP2013[18]-stats.ESP2013[0], 100000); near(r1.Value, truncated) {
		t.Errorf("quintile 1 = %v, standardised to the strata it has", r1.Value)
	}
	r2 := find(t, rows, "imd_quintile", "2")
	checkDSR(t, r2, q2, 200000)
	if r2.Note != "some events in age–sex strata with no population were not standardised" {
		t.Errorf("quintile 2 note %q", r2.Note)
	}
	// The sex breakdown is standardised over the strata of its own sex.
	checkDSR(t, find(t, rows, "sex", "Female"), female, 100000)
}

// TestDSRStandardFollowsPopulation: an indicator whose population is
// restricted (here to people aged 35 and over) is standardised over its own
// age range, and events outside it are left out with a note.
func TestDSRStandardFollowsPopulation(t *testing.T) {
	ind := &indicator.Indicator{ID: "T-1", Measure: indicator.DSR, Multiplier: 100000, Population: &indicator.Population{Source: "population"},
		Breakdowns: []string{"imd_quintile"}}
	var cells []transform.Cell
	var all, q1 []handStratum
	var sumW, tot, tot1 float64
	for i := range stats.ESPBandLabels {
		w := stats.ESP2013[i]
		for _, sex := range []string{"Male", "Female"} {
			if i < 7 { // under 35: events recorded, but no population
				cells = append(cells, stratumCell("overall", "All", sex, i, 1, math.NaN()))
				tot++
				continue
			}
			x, n := float64(10+i), float64(3000-100*i)
			sumW += w
			cells = append(cells, stratumCell("overall", "All", sex, i, x, n))
			all = append(all, handStratum{x, n, w})
			tot += x
			if i == 12 && sex == "Male" {
				continue // quintile 1 lacks men aged 60-64
			}
			cells = append(cells, stratumCell("imd_quintile", "1", sex, i, x/2, n/2))
			q1 = append(q1, handStratum{x / 2, n / 2, w})
			tot1 += x / 2
		}
	}
	// Inconsistent input: quintile 1 has a population among 30-34s, which the
	// overall group does not.
	cells = append(cells, stratumCell("imd_quintile", "1", "Female", 6, 2, 50))
	tot1 += 2
	cells = append(cells, cell("overall", "All", "", tot, 1e5), cell("imd_quintile", "1", "", tot1, 5e4))
	rows, err := Compute([]*indicator.Indicator{ind}, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	o := find(t, rows, "overall", "All")
	checkDSR(t, o, all, sumW)
	if o.Note != "some events in age–sex strata with no population were not standardised" {
		t.Errorf("overall note %q", o.Note)
	}
	r1 := find(t, rows, "imd_quintile", "1")
	checkDSR(t, r1, q1, sumW)
	if r1.Note != "some events in age–sex strata outside the indicator's standard population were not standardised" {
		t.Errorf("quintile 1 note %q", r1.Note)
	}
}

// TestDSRByBreakdownOnly: a crude rate overall that is standardised by
// ethnic group (measure_by_breakdown) has no overall strata; its standard is
// the strata with population in any group.
func TestDSRByBreakdownOnly(t *testing.T) {
	ind := &indicator.Indicator{ID: "T-1", Measure: indicator.CrudeRate, Multiplier: 100000, Population: &indicator.Population{Source: "population"},
		Breakdowns: []string{"ethnic_group"}, MeasureByBreakdown: map[string]string{"ethnic_group": indicator.DSR}}
	cells := []transform.Cell{cell("overall", "All", "", 500, 1e5)}
	var white, mixed []handStratum
	var totW, totM float64
	for i := range stats.ESPBandLabels {
		w := stats.ESP2013[i]
		for _, sex := range []string{"Male", "Female"} {
			x, n := float64(5+i), float64(1000+10*i)
			cells = append(cells, stratumCell("ethnic_group", "White", sex, i, x, n))
			white = append(white, handStratum{x, n, w})
			totW += x
			if i < 15 { // nobody of Mixed ethnicity aged 75 or over
				cells = append(cells, stratumCell("ethnic_group", "Mixed", sex, i, x, n/4))
				mixed = append(mixed, handStratum{x, n / 4, w})
				totM += x
			}
		}
	}
	cells = append(cells, cell("ethnic_group", "White", "", totW, 5e4), cell("ethnic_group", "Mixed", "", totM, 1e4))
	rows, err := Compute([]*indicator.Indicator{ind}, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkDSR(t, find(t, rows, "ethnic_group", "White"), white, 200000)
	checkDSR(t, find(t, rows, "ethnic_group", "Mixed"), mixed, 200000)
	if o := find(t, rows, "overall", "All"); o.Value != 500 || o.Method == "Dobson" {
		t.Errorf("overall = %+v, want a crude rate of 500", o)
	}
}

// TestNotesCarryNoCounts: notes pass disclosure control untouched, so they
// must not hold counts.
func TestNotesCarryNoCounts(t *testing.T) {
	inds := []*indicator.Indicator{
		{ID: "T-1", Measure: indicator.Proportion, Multiplier: 100},
		{ID: "T-2", Measure: indicator.DSR, Multiplier: 100000, Population: &indicator.Population{Source: "population"}},
	}
	cells := []transform.Cell{cell("overall", "All", "", 13, 11)}
	var tot float64
	for i := range stats.ESPBandLabels {
		for _, sex := range []string{"Male", "Female"} {
			c := stratumCell("overall", "All", sex, i, 3, 1000)
			if i == 4 && sex == "Female" {
				c.Denominator = 0 // 3 events with no population
			}
			c.Indicator = "T-2"
			cells = append(cells, c)
			tot += 3
		}
	}
	cells = append(cells, transform.Cell{Indicator: "T-2", Breakdown: "overall", Group: "All", Numerator: tot + 5, Denominator: 38000})
	rows, err := Compute(inds, cells, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"T-1": "numerator exceeds denominator",
		"T-2": "some events with unknown age or sex were not standardised; some events in age–sex strata with no population were not standardised",
	}
	for _, r := range rows {
		if r.Breakdown != "overall" {
			continue
		}
		if r.Note != want[r.IndicatorID] {
			t.Errorf("%s note %q, want %q", r.IndicatorID, r.Note, want[r.IndicatorID])
		}
		if strings.ContainsAny(r.Note, "0123456789") {
			t.Errorf("%s note %q holds a number", r.IndicatorID, r.Note)
		}
	}
}

func TestComputed(t *testing.T) {
	dsr := &indicator.Indicator{Measure: indicator.DSR}
	mh := &indicator.Indicator{Measure: indicator.CrudeRate, MeasureByBreakdown: map[string]string{"ethnic_group": indicator.DSR}}
	prop := &indicator.Indicator{Measure: indicator.Proportion}
	tests := []struct {
		ind       *indicator.Indicator
		breakdown string
		want      string
	}{
		{dsr, "overall", indicator.DSR}, {dsr, "imd_quintile", indicator.DSR}, {dsr, "sex", indicator.DSR},
		{dsr, "age_band", indicator.CrudeRate}, {dsr, "imd_summary", indicator.DSR},
		{mh, "overall", indicator.CrudeRate}, {mh, "ethnic_group", indicator.DSR}, {mh, "age_band", indicator.CrudeRate},
		{prop, "age_band", indicator.Proportion}, {prop, "overall", indicator.Proportion},
	}
	for _, tt := range tests {
		if got := Computed(tt.ind, tt.breakdown); got != tt.want {
			t.Errorf("Computed(%s indicator, %s) = %s, want %s", tt.ind.Measure, tt.breakdown, got, tt.want)
		}
	}
}
