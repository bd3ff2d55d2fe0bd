package render

import (
	"math"
	"strings"
	"testing"

	"hiis/pipeline/metrics"
)

func TestFixed(t *testing.T) {
	for _, c := range []struct {
		v    float64
		dp   int
		want string
	}{
		{0, 1, "0.0"},
		{math.Copysign(0, -1), 1, "0.0"},
		{-0.04, 1, "0.0"},
		{1234567.891, 1, "1,234,567.9"},
		{-9876.5, 0, "−9,877"},
		{999.96, 1, "1,000.0"},
		{12.5, 2, "12.50"},
		{math.NaN(), 1, ""},
	} {
		if got := fixed(c.v, c.dp); got != c.want {
			t.Errorf("fixed(%v, %d) = %q, want %q", c.v, c.dp, got, c.want)
		}
	}
}

func TestFormatByUnit(t *testing.T) {
	pctInd := Indicator{Measure: "proportion", Unit: "%", Multiplier: 100}
	rate := Indicator{Measure: "dsr", Unit: "per 100,000", Multiplier: 100000}
	count := Indicator{Measure: "count", Unit: "people"}
	for _, c := range []struct{ got, want string }{
		{formatValue(pctInd, 23.456), "23.5%"},
		{formatDiff(pctInd, 12.84), "+12.8 pp"},
		{formatDiff(pctInd, -3.21), "−3.2 pp"},
		{formatValue(rate, 11873.25), "11,873.3"},
		{formatDiff(rate, 5768.5), "+5,768.5"},
		{formatValue(count, 12345), "12,345"},
		{formatCount(18450), "18,450"},
		{formatCount(1234.56), "1,234.6"},
		{formatRatio(1.7783), "1.78"},
		{unitLabel(rate), "per 100,000"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestCompareQuintiles(t *testing.T) {
	row := func(v, lo, hi float64) *metrics.Row {
		return &metrics.Row{Value: v, Lower95: lo, Upper95: hi}
	}
	lower := Indicator{Polarity: "lower_is_better"}
	higher := Indicator{Polarity: "higher_is_better"}
	for _, c := range []struct {
		name        string
		ind         Indicator
		q1, q5, gap *metrics.Row
		want        string
	}{
		{"apart, higher, worse", lower, row(30, 28, 32), row(16, 15, 18), nil,
			"Most deprived quintile significantly higher than least deprived (95% intervals do not overlap); worse for the most deprived"},
		{"apart, lower, worse", higher, row(60, 59, 61), row(68, 67, 69), nil,
			"Most deprived quintile significantly lower than least deprived (95% intervals do not overlap); worse for the most deprived"},
		{"overlap, gap excludes 0", Indicator{}, row(30, 27, 33), row(25, 22, 28), row(5, 0.5, 9.5),
			"Most deprived quintile significantly higher than least deprived (95% interval of the gap excludes 0)"},
		{"overlap, gap includes 0", Indicator{}, row(30, 25, 35), row(28, 23, 33), row(2, -4, 8),
			"No significant difference between most and least deprived (95% interval of the gap includes 0)"},
		// A larger point estimate alone never makes a difference significant.
		{"overlap, no gap", lower, row(30, 20, 40), row(20, 12, 31), nil,
			"No significant difference between most and least deprived (95% intervals overlap)"},
		{"suppressed", lower, row(math.NaN(), math.NaN(), math.NaN()), row(20, 12, 31), nil,
			"Not assessed: quintile 1 or 5 has no published interval"},
		{"withheld", lower, row(30, 28, 32), &metrics.Row{Value: math.NaN(), Lower95: math.NaN(), Upper95: math.NaN(), Suppressed: true},
			&metrics.Row{Value: math.NaN(), Lower95: math.NaN(), Upper95: math.NaN(), Suppressed: true,
				Note: "95% interval lies wholly above 0; suppressed: an IMD quintile's value is suppressed"},
			"Not assessed: quintile 5 is withheld by disclosure control"},
		{"no quintiles", lower, nil, nil, nil, "Not assessed: no results by deprivation quintile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := builtinBuilder(t)
			if got := b.line("indicators", "compare", compareQuintiles(c.ind, c.q1, c.q5, c.gap)); got != c.want || b.err != nil {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestSummaryInterpretation(t *testing.T) {
	for _, c := range []struct {
		r    metrics.Row
		want string
	}{
		{metrics.Row{Breakdown: metrics.EthnicRatio, Group: "Black or Black British / White", Value: 1.19, Lower95: 1.07, Upper95: 1.32},
			"Black or Black British significantly higher than White (interval excludes 1)"},
		{metrics.Row{Breakdown: metrics.EthnicRatio, Group: "Mixed / White", Value: 1.12, Lower95: 0.96, Upper95: 1.31},
			"No significant difference (interval includes 1)"},
		{metrics.Row{Breakdown: metrics.IMDSummary, Group: metrics.GroupSII, Value: -15.6, Lower95: -18.1, Upper95: -13.2},
			"Significant gradient: higher in more deprived areas (interval excludes 0)"},
		{metrics.Row{Breakdown: metrics.IMDSummary, Group: metrics.GroupRII, Value: 0.9, Lower95: 0.8, Upper95: 1.05},
			"No significant difference (interval includes 1)"},
		// Withheld: only that, and why; never what the hidden interval showed.
		{metrics.Row{Breakdown: metrics.IMDSummary, Group: metrics.GroupGap, Value: math.NaN(), Lower95: math.NaN(), Upper95: math.NaN(),
			Suppressed: true, Note: "95% interval lies wholly above 0; suppressed: an IMD quintile's value is suppressed"},
			"Withheld (suppressed: an IMD quintile's value is suppressed)"},
		{metrics.Row{Breakdown: metrics.EthnicRatio, Group: "Mixed / White", Value: math.NaN(), Lower95: math.NaN(), Upper95: math.NaN(),
			Suppressed: true, Note: "95% interval includes 1: no significant difference; Suppressed: this group's or the White group's value is suppressed"},
			"Withheld (Suppressed: this group's or the White group's value is suppressed)"},
		{metrics.Row{Breakdown: metrics.IMDSummary, Group: metrics.GroupSII, Value: math.NaN(), Lower95: math.NaN(), Upper95: math.NaN(),
			Suppressed: true, Note: "95% interval lies wholly below 0"},
			"Withheld by disclosure control"},
	} {
		if got := summaryInterpretation(c.r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.r.Group, got, c.want)
		}
	}
}

func TestSummaryValue(t *testing.T) {
	ind := Indicator{Measure: "proportion", Unit: "%", Multiplier: 100}
	na := math.NaN()
	notComputed := metrics.Row{Breakdown: metrics.IMDSummary, Group: metrics.GroupSII, Value: na, Note: "needs all five quintiles"}
	withheld := metrics.Row{Breakdown: metrics.EthnicRatio, Group: "Mixed / White", Value: na, Suppressed: true, Note: "suppressed"}
	for _, c := range []struct{ got, want string }{
		{summaryValue(ind, notComputed, notComputed.Value), "–"},
		{summaryInterpretation(notComputed), "Not assessed: needs all five quintiles"},
		{summaryValue(ind, withheld, withheld.Value), "*"},
		{summaryValue(ind, metrics.Row{Breakdown: metrics.IMDSummary, Group: metrics.GroupGap}, 12.84), "+12.8 pp"},
		{summaryValue(ind, metrics.Row{Breakdown: metrics.EthnicRatio, Group: "Mixed / White"}, 1.1207), "1.12"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// A run with almost nothing in it still writes every file.
func TestWriteMinimalInput(t *testing.T) {
	in := Input{
		Organisation: Organisation{Code: "X1", Name: "Tiny Trust", Kind: "trust"},
		Period:       "2025/26",
		Core20Share:  math.NaN(),
	}
	mustWrite(t, in)
}

func TestWriteErrorNamesFile(t *testing.T) {
	dir := t.TempDir()
	// A folder where a file should go makes the write fail.
	if err := mkdir(dir, "metrics.csv"); err != nil {
		t.Fatal(err)
	}
	_, err := Write(dir, sampleInput())
	if err == nil || !strings.Contains(err.Error(), "metrics.csv") {
		t.Errorf("error %v, want one naming metrics.csv", err)
	}
}
