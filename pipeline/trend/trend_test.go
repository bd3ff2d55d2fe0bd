package trend

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
	"hiis/pipeline/render"
)

const header = "indicator_id,period,organisation,breakdown,group,numerator,denominator,value,lower_95,upper_95,lower_998,upper_998,method,suppressed,note\n"

// lastYear is a small published 2024/25 table: X-1's overall value is 40
// (36–44, half-width 4) and its gap −5.5 (−8.5 to −2.5, half-width 3);
// X-2's gap was withheld; X-3 was not published at all.
const lastYear = header +
	"X-1,2024/25,QXX,overall,All,400,1000,40,36,44,,,Wilson,false,\n" +
	"X-1,2024/25,QXX,imd_summary,gap_q1_q5,,,-5.5,-8.5,-2.5,,,\"difference, normal approximation\",false,\n" +
	"X-2,2024/25,QXX,overall,All,50,100,50,40,60,,,Wilson,false,\n" +
	"X-2,2024/25,QXX,imd_summary,gap_q1_q5,,,,,,,,\"difference, normal approximation\",true,suppressed: an IMD quintile's value is suppressed\n"

// thisYear is the matching 2025/26 table: X-1's overall value 46 (43–49,
// half-width 3), its gap −1.5 (−5.5 to 2.5, half-width 4).
func thisYear() []metrics.Row {
	na := math.NaN()
	row := func(id, b, g string, v, l, u float64, supp bool) metrics.Row {
		return metrics.Row{IndicatorID: id, Period: "2025/26", Organisation: "QXX", Breakdown: b, Group: g,
			Numerator: na, Denominator: na, Value: v, Lower95: l, Upper95: u, Lower998: na, Upper998: na, Suppressed: supp}
	}
	return []metrics.Row{
		row("X-1", metrics.Overall, metrics.GroupAll, 46, 43, 49, false),
		row("X-1", metrics.IMDSummary, metrics.GroupGap, -1.5, -5.5, 2.5, false),
		row("X-2", metrics.Overall, metrics.GroupAll, na, na, na, true),
		row("X-2", metrics.IMDSummary, metrics.GroupGap, 3, 1, 5, false),
		row("X-3", metrics.Overall, metrics.GroupAll, 10, 9, 11, false),
		row("X-4", metrics.Overall, metrics.GroupAll, 1, 0.5, 1.5, false), // a count: no gap this year
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRead(t *testing.T, path string) *Previous {
	t.Helper()
	p, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var opt = Options{Period: "2025/26", Organisation: "QXX", IMDEdition: "English Indices of Deprivation 2019 (LSOA 2011)"}

func find(t *testing.T, changes []render.Change, id, measure string) render.Change {
	t.Helper()
	for _, c := range changes {
		if c.IndicatorID == id && c.Measure == measure {
			return c
		}
	}
	t.Fatalf("no change for %s %s in %+v", id, measure, changes)
	return render.Change{}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestDifferenceHandWorked: the interval of a difference of two independent
// estimates from their 95% limits. Half-widths 4 and 3 give se_a = 4/z and
// se_b = 3/z, so the difference's half-width is z·√(se_a²+se_b²) = 5 at
// 95% and 5·3.090232/1.959964 = 7.883391 at 99.8%.
func TestDifferenceHandWorked(t *testing.T) {
	prev := mustRead(t, writeFile(t, t.TempDir(), "metrics.csv", lastYear))
	rows, changes := Compare([]string{"X-1"}, thisYear(), prev, opt)
	for _, tc := range []struct {
		measure, group       string
		last, this, diff     float64
		lo, hi, lo998, hi998 float64
		note                 string
	}{
		{"overall", "overall_difference", 40, 46, 6, 1, 11, 6 - 7.883391, 6 + 7.883391, "95% interval lies wholly above 0"},
		{"gap", "gap_q1_q5_difference", -5.5, -1.5, 4, -1, 9, 4 - 7.883391, 4 + 7.883391, "95% interval includes 0"},
	} {
		t.Run(tc.measure, func(t *testing.T) {
			c := find(t, changes, "X-1", tc.measure)
			if !c.Comparable || c.Note != "" {
				t.Errorf("comparable %v note %q, want like for like", c.Comparable, c.Note)
			}
			if c.LastYear != tc.last || c.ThisYear != tc.this || !near(c.Difference, tc.diff) || !near(c.Lower95, tc.lo) || !near(c.Upper95, tc.hi) {
				t.Errorf("change %+v, want %v → %v, difference %v (%v to %v)", c, tc.last, tc.this, tc.diff, tc.lo, tc.hi)
			}
			var d metrics.Row
			for _, r := range rows {
				if r.Group == tc.group {
					d = r
				}
			}
			if d.Breakdown != metrics.Change || d.Period != "2025/26" || d.Organisation != "QXX" || d.Method != Method || d.Note != tc.note {
				t.Errorf("difference row %+v", d)
			}
			if !near(d.Value, tc.diff) || math.Abs(d.Upper998-tc.hi998) > 1e-6 || math.Abs(d.Lower998-tc.lo998) > 1e-6 {
				t.Errorf("difference row %v (99.8%% %v to %v), want %v (%v to %v)", d.Value, d.Lower998, d.Upper998, tc.diff, tc.lo998, tc.hi998)
			}
		})
	}
	// Three rows per measure, in the published order.
	metrics.Sort(rows)
	var groups []string
	for _, r := range rows {
		groups = append(groups, r.Group)
	}
	if strings.Join(groups, " ") != strings.Join(metrics.ChangeGroups, " ") {
		t.Errorf("groups %v, want %v", groups, metrics.ChangeGroups)
	}
	if rows[0].Value != 40 || rows[0].Numerator != 400 || rows[0].Note != "as published for 2024/25" || rows[1].Value != 46 || rows[1].Note != "as published for 2025/26" {
		t.Errorf("last and this year's rows: %+v %+v", rows[0], rows[1])
	}
}

// TestWithheldAndMissing: a value withheld in either year, or absent last
// year, gives no difference; a measure not published this year no rows.
func TestWithheldAndMissing(t *testing.T) {
	prev := mustRead(t, writeFile(t, t.TempDir(), "metrics.csv", lastYear))
	rows, changes := Compare([]string{"X-2", "X-3", "X-4"}, thisYear(), prev, opt)
	for _, tc := range []struct {
		id, measure string
		suppressed  bool
		note        string
	}{
		{"X-2", "overall", true, "withheld: this year's value is withheld"},
		{"X-2", "gap", true, "withheld: 2024/25's value was withheld"},
		{"X-3", "overall", false, "no change: not in 2024/25's published metrics"},
	} {
		t.Run(tc.id+" "+tc.measure, func(t *testing.T) {
			c := find(t, changes, tc.id, tc.measure)
			if !math.IsNaN(c.Difference) || !math.IsNaN(c.Lower95) || !math.IsNaN(c.Upper95) {
				t.Errorf("change %+v, want no difference", c)
			}
			prefix := map[string]string{"overall": "overall", "gap": "gap_q1_q5"}[tc.measure]
			for _, r := range rows {
				if r.IndicatorID == tc.id && r.Group == prefix+"_difference" {
					if r.Suppressed != tc.suppressed || r.Note != tc.note || !math.IsNaN(r.Value) {
						t.Errorf("row %+v, want suppressed=%v note %q", r, tc.suppressed, tc.note)
					}
					return
				}
			}
			t.Errorf("no difference row")
		})
	}
	if c := find(t, changes, "X-2", "gap"); !math.IsNaN(c.LastYear) || c.ThisYear != 3 {
		t.Errorf("X-2 gap %+v, want last year withheld (NaN), this year 3", c)
	}
	for _, c := range changes {
		if c.IndicatorID == "X-4" && c.Measure == "gap" || c.IndicatorID == "X-3" && c.Measure == "gap" {
			t.Errorf("a change %+v for a gap not published this year", c)
		}
	}
	if len(rows) != 3*len(changes) {
		t.Errorf("%d rows for %d changes", len(rows), len(changes))
	}
}

// TestNotLikeForLike: another IMD edition makes the gap not comparable; a
// changed definition (from last year's manifest) or another organisation
// makes both measures not comparable.
func TestNotLikeForLike(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "metrics.csv", lastYear)
	for _, tc := range []struct {
		name        string
		opt         func(Options) Options
		manifest    *manifest.Manifest
		overall     bool
		gap         bool
		noteContain string
	}{
		{"same edition, other wording", func(o Options) Options {
			o.PreviousIMDEdition = "IMD 2019"
			return o
		}, nil, true, true, ""},
		{"IMD 2025 this year (config)", func(o Options) Options {
			o.PreviousIMDEdition = o.IMDEdition
			o.IMDEdition = "English Indices of Deprivation 2025 (LSOA 2021)"
			return o
		}, nil, true, false, "the IMD quintiles come from IMD 2019 in 2024/25 and from IMD 2025 this year"},
		{"IMD 2025 last year (manifest)", func(o Options) Options { return o },
			&manifest.Manifest{Status: "ok", Run: manifest.Run{Period: "2024/25"},
				Reference: []manifest.Reference{{Name: "imd", Edition: "English Indices of Deprivation 2025"}}},
			true, false, "IMD 2025 in 2024/25"},
		{"definition changed (manifest)", func(o Options) Options {
			o.Definitions = map[string][]string{"X-1": {"bbb"}}
			return o
		}, &manifest.Manifest{Status: "ok", Run: manifest.Run{Period: "2024/25"},
			Indicators: []manifest.File{{Path: "indicators/X-1.yaml", SHA256: "aaa", ID: "X-1"}}},
			false, false, "the indicator's definition changed since 2024/25"},
		{"definition unchanged (manifest)", func(o Options) Options {
			o.Definitions = map[string][]string{"X-1": {"aaa"}}
			return o
		}, &manifest.Manifest{Status: "ok", Run: manifest.Run{Period: "2024/25"},
			Indicators: []manifest.File{{Path: "indicators/X-1.yaml", SHA256: "aaa", ID: "X-1"}}},
			true, true, ""},
		{"another organisation", func(o Options) Options {
			o.Organisation = "QYY"
			return o
		}, nil, false, false, "2024/25's figures are for organisation QXX and this year's for QYY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(filepath.Join(dir, ManifestName))
			if tc.manifest != nil {
				b, _ := json.Marshal(tc.manifest)
				writeFile(t, dir, ManifestName, string(b))
			}
			rows, changes := Compare([]string{"X-1"}, thisYear(), mustRead(t, path), tc.opt(opt))
			for _, m := range []struct {
				name string
				want bool
			}{{"overall", tc.overall}, {"gap", tc.gap}} {
				c := find(t, changes, "X-1", m.name)
				if c.Comparable != m.want {
					t.Errorf("%s comparable %v, want %v (%q)", m.name, c.Comparable, m.want, c.Note)
				}
				if !c.Comparable && (!math.IsNaN(c.Difference) || !strings.Contains(c.Note, tc.noteContain)) {
					t.Errorf("%s: %+v, want no difference and a note with %q", m.name, c, tc.noteContain)
				}
				if c.Comparable && (c.Note != "" || math.IsNaN(c.Difference)) {
					t.Errorf("%s: %+v, want a difference and no note", m.name, c)
				}
			}
			for _, r := range rows {
				if strings.HasSuffix(r.Group, "_difference") && math.IsNaN(r.Value) && !strings.HasPrefix(r.Note, "not like for like: ") {
					t.Errorf("row %s: note %q", r.Group, r.Note)
				}
			}
		})
	}
}

// TestReadMalformed: a file that is not last year's metrics is refused with
// its name and line.
func TestReadMalformed(t *testing.T) {
	good := "X-1,2024/25,QXX,overall,All,400,1000,40,36,44,,,Wilson,false,\n"
	for _, tc := range []struct {
		name, data, want string
	}{
		{"header", "indicator,period\nX-1,2024/25\n", "metrics.csv: line 1: header is"},
		{"number", header + good + "X-1,2024/25,QXX,sex,Male,40O,1000,40,36,44,,,Wilson,false,\n", "metrics.csv: line 3: field numerator: \"40O\" is not a number"},
		{"suppressed", header + "X-1,2024/25,QXX,overall,All,400,1000,40,36,44,,,Wilson,yes,\n", "metrics.csv: line 2: field suppressed: \"yes\""},
		{"short row", header + good + "X-1,2024/25,QXX\n", "metrics.csv: line 3: 3 fields, want 15"},
		{"duplicate", header + good + good, "metrics.csv: line 3: X-1 overall All appears twice"},
		{"two periods", header + good + "X-1,2023/24,QXX,sex,Male,40,100,40,36,44,,,Wilson,false,\n", "metrics.csv: line 3: field period: \"2023/24\""},
		{"no group", header + "X-1,2024/25,QXX,overall,,400,1000,40,36,44,,,Wilson,false,\n", "metrics.csv: line 2: field group is empty"},
		{"empty", header, "metrics.csv: no metric rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(writeFile(t, t.TempDir(), "metrics.csv", tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	dir := t.TempDir()
	if _, err := Read(writeFile(t, dir, "metrics.xlsx", "x")); err == nil || !strings.Contains(err.Error(), "metrics.xlsx") {
		t.Errorf("xlsx: error %v", err)
	}
	writeFile(t, dir, ManifestName, `{"status": "failed", "run": {"period": "2024/25"}}`)
	if _, err := Read(writeFile(t, dir, "metrics.csv", lastYear)); err == nil || !strings.Contains(err.Error(), "manifest.json: status \"failed\"") {
		t.Errorf("failed manifest: error %v", err)
	}
	writeFile(t, dir, ManifestName, `{"status": "ok", "run": {"period": "2023/24"}}`)
	if _, err := Read(filepath.Join(dir, "metrics.csv")); err == nil || !strings.Contains(err.Error(), "manifest is not that run's") {
		t.Errorf("other year's manifest: error %v", err)
	}
}

// TestReadParquet: metrics.parquet reads to the same rows as metrics.csv;
// one with other columns is refused.
func TestReadParquet(t *testing.T) {
	dir := t.TempDir()
	fromCSV := mustRead(t, writeFile(t, dir, "metrics.csv", lastYear))
	var prs []metrics.ParquetRow
	for _, r := range fromCSV.byKey {
		prs = append(prs, r.Parquet())
	}
	pq := filepath.Join(dir, "metrics.parquet")
	if err := parquet.WriteFile(pq, prs); err != nil {
		t.Fatal(err)
	}
	fromPQ := mustRead(t, pq)
	if fromPQ.Rows != fromCSV.Rows || fromPQ.Period != "2024/25" || fromPQ.Organisation != "QXX" {
		t.Fatalf("parquet: %d rows %s %s", fromPQ.Rows, fromPQ.Period, fromPQ.Organisation)
	}
	for k, r := range fromCSV.byKey {
		got := fromPQ.byKey[k]
		if strings.Join(got.Record(), ",") != strings.Join(r.Record(), ",") {
			t.Errorf("parquet row %v, csv row %v", got.Record(), r.Record())
		}
	}
	type other struct {
		IndicatorID string `parquet:"indicator_id"`
	}
	bad := filepath.Join(dir, "bad.parquet")
	if err := parquet.WriteFile(bad, []other{{"X-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bad); err == nil || !strings.Contains(err.Error(), "bad.parquet: columns are") {
		t.Errorf("bad parquet: error %v", err)
	}
}
