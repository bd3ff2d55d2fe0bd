package refdata

import (
	"errors"
	"math"
	"strings"
	"testing"

	"hiis/pipeline/metrics"
)

const ftHead = `"Indicator ID","Indicator Name","Parent Code","Parent Name","Area Code","Area Name","Area Type","Sex","Age","Category Type","Category","Time period","Value","Lower CI 95.0 limit","Upper CI 95.0 limit","Lower CI 99.8 limit","Upper CI 99.8 limit","Count","Denominator","Value note","Recent Trend","Compared to England value or percentiles","Compared to ICBs value or percentiles","Time period Sortable","New data","Compared to goal","Time period range"`

// ftRow is one England row of indicator 90001 for 2023/24 with the given
// category type, category and value.
func ftRow(id, area, sex, ctype, cat, period, value string) string {
	return id + `,"Test indicator",,,` + area + `,"England","England",` + sex + `,"18+ yrs","` + ctype + `","` + cat + `","` + period + `",` +
		value + `,10,30,8,32,200,1000,,,,,20230000,,,1y`
}

const lsoaQ = "LSOA21 deprivation quintiles in England (IMD2019)"

func goodFT() []string {
	return []string{
		ftHead,
		ftRow("90001", "E92000001", "Persons", "", "", "2023/24", "20"),
		ftRow("90001", "E92000001", "Persons", lsoaQ, "Most deprived quintile (IMD2019)", "2023/24", "25"),
		ftRow("90001", "E92000001", "Persons", lsoaQ, "Second most deprived quintile (IMD2019)", "2023/24", "22"),
		ftRow("90001", "E92000001", "Persons", lsoaQ, "Least deprived quintile (IMD2019)", "2023/24", "15"),
		ftRow("90001", "E92000001", "Persons", "County & UA deprivation deciles in England (IMD2019, 4/21 geography)", "Most deprived decile (IMD2019)", "2023/24", "28"),
		ftRow("90001", "E92000001", "Male", "", "", "2023/24", "21"),
		ftRow("90001", "E92000001", "Persons", "", "", "2022/23", "19"),
		ftRow("90001", "E06000031", "Persons", "", "", "2023/24", "29"),
		ftRow("90002", "E92000001", "Persons", "", "", "2023/24", "11"),
		ftRow("90003", "E92000001", "Persons", "", "", "2023/24", ""),
	}
}

var ftSel = FingertipsSelection{Period: "2023/24", Area: "E92000001", Sex: "Persons", Indicators: map[string]string{"CVD-1": "90001", "MH-4": "90003"}}

func TestReadFingertips(t *testing.T) {
	rows, err := ReadFingertips(strings.NewReader(strings.Join(goodFT(), "\r\n")+"\r\n"), "england.csv", ftSel)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		id, breakdown, group string
		value                float64
	}
	var g []got
	for _, r := range rows {
		g = append(g, got{r.IndicatorID, r.Breakdown, r.Group, r.Value})
	}
	want := []got{
		{"CVD-1", metrics.Overall, metrics.GroupAll, 20},
		{"CVD-1", metrics.IMDQuintile, "1", 25},
		{"CVD-1", metrics.IMDQuintile, "2", 22},
		{"CVD-1", metrics.IMDQuintile, "5", 15},
		{"MH-4", metrics.Overall, metrics.GroupAll, math.NaN()},
	}
	if len(g) != len(want) {
		t.Fatalf("rows = %v, want %v", g, want)
	}
	for i := range want {
		w := want[i]
		if g[i].id != w.id || g[i].breakdown != w.breakdown || g[i].group != w.group || !(g[i].value == w.value || math.IsNaN(g[i].value) && math.IsNaN(w.value)) {
			t.Errorf("row %d = %v, want %v", i, g[i], w)
		}
	}
	if r := rows[0]; r.Lower95 != 10 || r.Upper95 != 30 || r.Lower998 != 8 || r.Upper998 != 32 || r.Numerator != 200 || r.Denominator != 1000 || r.Period != "2023/24" {
		t.Errorf("overall row = %+v", r)
	}
}

func TestReadFingertipsErrors(t *testing.T) {
	replace := func(i int, s string) func([]string) []string {
		return func(l []string) []string { l[i] = s; return l }
	}
	tests := []struct {
		name  string
		edit  func([]string) []string
		sel   *FingertipsSelection
		line  int
		field string
		msg   string
	}{
		{"missing column", replace(0, strings.Replace(ftHead, `"Lower CI 99.8 limit",`, "", 1)), nil, 1, "Lower CI 99.8 limit", "Fingertips writes"},
		{"unknown column", replace(0, ftHead+`,"Extra"`), nil, 1, "Extra", "not a column"},
		{"short header", replace(0, `"Indicator ID","Value"`), nil, 1, "", "at least 20"},
		{"bad number", replace(2, ftRow("90001", "E92000001", "Persons", lsoaQ, "Most deprived quintile (IMD2019)", "2023/24", "2x")), nil, 3, "Value", `"2x" is not a number`},
		{"unknown quintile", replace(3, ftRow("90001", "E92000001", "Persons", lsoaQ, "Quintile six", "2023/24", "22")), nil, 4, "Category", "not an IMD quintile"},
		{"category without type", replace(3, ftRow("90001", "E92000001", "Persons", "", "Quintile six", "2023/24", "22")), nil, 4, "Category", "blank Category Type"},
		{"duplicate", replace(4, ftRow("90001", "E92000001", "Persons", lsoaQ, "Most deprived quintile (IMD2019)", "2023/24", "25")), nil, 5, "Category", "first is line 3"},
		{"value outside interval", replace(1, ftRow("90001", "E92000001", "Persons", "", "", "2023/24", "40")), nil, 2, "Value", "outside its 95% interval"},
		{"short row", replace(9, `90002,"x"`), nil, 10, "", "2 fields"},
		{"mapped absent", nil, &FingertipsSelection{Period: "2023/24", Area: "E92000001", Sex: "Persons", Indicators: map[string]string{"CVD-1": "90001", "DM-2": "99999"}}, 0, "Indicator ID", "Indicator ID 99999 (for DM-2): no rows"},
		{"period absent", nil, &FingertipsSelection{Period: "2024/25", Area: "E92000001", Sex: "Persons", Indicators: map[string]string{"CVD-1": "90001"}}, 0, "Indicator ID", `no rows for "2024/25" (it has 2022/23, 2023/24)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := goodFT()
			if tc.edit != nil {
				lines = tc.edit(lines)
			}
			sel := ftSel
			if tc.sel != nil {
				sel = *tc.sel
			}
			_, err := ReadFingertips(strings.NewReader(strings.Join(lines, "\n")+"\n"), "england.csv", sel)
			var fe *FingertipsError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FingertipsError", err)
			}
			if fe.File != "england.csv" || fe.Line != tc.line || fe.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v (line %d, field %q); want line %d, field %q, containing %q", err, fe.Line, fe.Field, tc.line, tc.field, tc.msg)
			}
		})
	}
	if _, err := ReadFingertips(strings.NewReader(""), "empty.csv", ftSel); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: err = %v", err)
	}
}
