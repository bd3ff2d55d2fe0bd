package trend

import (
	"math"
	"testing"

	"hiis/pipeline/metrics"
)

// TestDifference checks the difference and its intervals against values
// worked by hand: se = (U − L)/(2 × 1.959964) each year, combined in
// quadrature.
func TestDifference(t *testing.T) {
	// Last year 50 (40–60), this year 56 (48–64): se 5.1021 and 4.0817,
	// combined 6.5338; 95%: 6 ± 12.806; 99.8%: 6 ± 20.191.
	d := Difference(50, 40, 60, 56, 48, 64)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"value", d.Value, 6},
		{"lower 95", d.Lower95, 6 - 12.806248474865697},
		{"upper 95", d.Upper95, 6 + 12.806248474865697},
		{"lower 99.8", d.Lower998, 6 - 20.191331611192428},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if d := Difference(50, math.NaN(), math.NaN(), 56, 48, 64); d.Value != 6 || !math.IsNaN(d.Lower95) {
		t.Errorf("missing limits: %+v", d)
	}
}

func TestRows(t *testing.T) {
	na := math.NaN()
	row := func(period, bd, g string, v, lo, hi float64) metrics.Row {
		return metrics.Row{IndicatorID: "X-1", Period: period, Breakdown: bd, Group: g, Value: v, Lower95: lo, Upper95: hi, Lower998: lo - 1, Upper998: hi + 1}
	}
	prev := []metrics.Row{row("2024/25", metrics.Overall, metrics.GroupAll, 50, 40, 60), row("2024/25", metrics.IMDSummary, metrics.GroupGap, na, na, na)}
	cur := []metrics.Row{row("2025/26", metrics.Overall, metrics.GroupAll, 56, 48, 64), row("2025/26", metrics.IMDSummary, metrics.GroupGap, 3, 1, 5)}
	got := Rows([]string{"X-1", "Y-1"}, cur, prev, "2025/26", "QXX", "2024/25", nil)
	byGroup := map[string]metrics.Row{}
	for _, r := range got {
		if r.Breakdown != Breakdown || r.IndicatorID != "X-1" {
			t.Fatalf("unexpected row %+v", r)
		}
		byGroup[r.Group] = r
	}
	if len(got) != 4 {
		t.Fatalf("%d rows, want 4 (difference and last year, for overall and gap)", len(got))
	}
	if r := byGroup[Overall]; r.Value != 6 || math.IsNaN(r.Lower95) {
		t.Errorf("overall change %+v", r)
	}
	if r := byGroup[Overall+Last]; r.Value != 50 || r.Lower95 != 40 {
		t.Errorf("last year's overall %+v", r)
	}
	if r := byGroup[Gap]; !math.IsNaN(r.Value) || r.Note != "no value in one of the two years" {
		t.Errorf("gap change with last year withheld: %+v", r)
	}
	if r := byGroup[Gap+Last]; r.Note != "not published in 2024/25" {
		t.Errorf("last year's withheld gap: %+v", r)
	}
	got = Rows([]string{"X-1"}, cur, prev, "2025/26", "QXX", "2024/25", map[string]Comparability{"X-1": {Definition: "not like for like: changed"}})
	for _, r := range got {
		if r.Group == Overall && (!math.IsNaN(r.Value) || r.Note != "not like for like: changed") {
			t.Errorf("changed definition: %+v", r)
		}
	}
}
