package render

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hiis/pipeline/metrics"
)

// withProvenanceAndChange adds hashes for the README and two change rows to
// ER-1a: one with a value, one that is not available (no value last year).
func withProvenanceAndChange(in Input) Input {
	in.Provenance = Provenance{
		Config: HashedFile{Role: "config", Name: "fixture.yaml", SHA256: strings.Repeat("ab", 32)},
		Inputs: []HashedFile{
			{Role: "source wlmds (wlmds)", Name: "wlmds_2026-03-29.csv", SHA256: strings.Repeat("cd", 32)},
			{Role: "reference imd (IMD 2019)", Name: "File_1.csv", SHA256: strings.Repeat("ef", 32)},
		},
	}
	na := math.NaN()
	in.Metrics = append(in.Metrics,
		metrics.Row{IndicatorID: "ER-1a", Period: in.Period, Organisation: in.Organisation.Code, Breakdown: changeBreakdown, Group: "overall",
			Numerator: na, Denominator: na, Value: -1.25, Lower95: -2.5, Upper95: 0.1, Lower998: na, Upper998: na, Method: "difference"},
		metrics.Row{IndicatorID: "ER-1a", Period: in.Period, Organisation: in.Organisation.Code, Breakdown: changeBreakdown, Group: "gap_q1_q5",
			Numerator: na, Denominator: na, Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na, Method: "difference", Note: "no value last year"},
	)
	return in
}

// numFmt returns the custom number format of a cell ("" for none).
func numFmt(t *testing.T, x *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := x.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := x.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil {
		return ""
	}
	return *st.CustomNumFmt
}

// rowOf returns the 1-based row of the table on sheet whose breakdown (D)
// and group (E) are given, or 0.
func rowOf(rows [][]string, breakdown, group string) int {
	for i, r := range rows {
		if len(r) > 4 && r[3] == breakdown && r[4] == group {
			return i + 1
		}
	}
	return 0
}

func TestDataPackXLSX(t *testing.T) {
	in := withProvenanceAndChange(sampleInput())
	dir := mustWrite(t, in)
	path := filepath.Join(dir, "datapack.xlsx")
	again := mustWrite(t, in)
	if !bytes.Equal(mustRead(t, path), mustRead(t, filepath.Join(again, "datapack.xlsx"))) {
		t.Error("datapack.xlsx differs between two runs")
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	want := []string{"README", "Contents", "CVD-1", "ER-1a", "ER-2b", "Data quality", "Population"}
	if got := x.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}

	t.Run("readme", func(t *testing.T) {
		rows, err := x.GetRows("README")
		if err != nil {
			t.Fatal(err)
		}
		var flat []string
		for _, r := range rows {
			flat = append(flat, strings.Join(r, "|"))
		}
		text := strings.Join(flat, "\n")
		for _, s := range []string{in.Organisation.Name, in.Period, "hiis version|" + in.Version, in.IMDEdition, "Rule|" + in.DisclosureRule, "Setting|" + in.DisclosureSetting,
			"What each sheet holds", "Contents|", "Data quality|", "Definitions", "*|Withheld by disclosure control", "Blank cell|Does not apply",
			"lower_998|", "Indicators", "ER-2b|Emergency admissions, age–sex standardised rate: Emergency admissions (admission methods", "Methods", "Wilson", "Sources", "wlmds|wlmds|wlmds_2026-03-29.csv|18,463|13",
			"config|fixture.yaml|" + strings.Repeat("ab", 32), "source wlmds (wlmds)|wlmds_2026-03-29.csv|" + strings.Repeat("cd", 32),
			"manifest.json"} {
			if !strings.Contains(text, s) {
				t.Errorf("README lacks %q", s)
			}
		}
	})

	t.Run("contents links every sheet", func(t *testing.T) {
		for i, s := range slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == "Contents" }) {
			cell := fmt.Sprintf("A%d", i+4)
			v, err := x.GetCellValue("Contents", cell)
			if err != nil || v != s {
				t.Errorf("Contents %s = %q (%v), want %q", cell, v, err, s)
			}
			ok, link, err := x.GetCellHyperLink("Contents", cell)
			if err != nil || !ok || link != "'"+s+"'!A1" {
				t.Errorf("Contents %s links to %q (%v, %v), want '%s'!A1", cell, link, ok, err, s)
			}
		}
	})

	t.Run("indicator sheet", func(t *testing.T) {
		const s = "ER-1a"
		ind, _ := findIndicator(in, s)
		if v, _ := x.GetCellValue(s, "A1"); v != s+" – "+ind.Name {
			t.Errorf("A1 title %q", v)
		}
		if v, _ := x.GetCellValue(s, "A2"); v != ind.Description {
			t.Errorf("A2 definition %q, want %q", v, ind.Description)
		}
		if ok, link, _ := x.GetCellHyperLink(s, "A5"); !ok || link != "'Contents'!A1" {
			t.Errorf("A5 links to %q, want the contents", link)
		}
		rows, err := x.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[tableHeaderRow-1][:len(metrics.Columns)], metrics.Columns) {
			t.Errorf("header row %q, want %q", rows[tableHeaderRow-1], metrics.Columns)
		}
		panes, err := x.GetPanes(s)
		if err != nil || !panes.Freeze || panes.YSplit != tableHeaderRow {
			t.Errorf("panes %+v (%v): want the rows down to the header frozen", panes, err)
		}
		var filter bool
		for _, d := range x.GetDefinedName() {
			if d.Name == "_xlnm._FilterDatabase" && d.Scope == s && strings.HasPrefix(d.RefersTo, "'ER-1a'!$A$7:$O$") {
				filter = true
			}
		}
		if !filter {
			t.Errorf("no filter on the table: %+v", x.GetDefinedName())
		}

		all := rowOf(rows, metrics.Overall, metrics.GroupAll)
		cell := func(col string, r int) string { return fmt.Sprintf("%s%d", col, r) }
		if all != tableHeaderRow+1 {
			t.Fatalf("overall row at %d, want %d", all, tableHeaderRow+1)
		}
		// Values are numbers with formats: counts #,##0, percentages one decimal.
		for col, f := range map[string]string{"F": "#,##0", "G": "#,##0", "H": "#,##0.0", "I": "#,##0.0", "L": "#,##0.0"} {
			if got := numFmt(t, x, s, cell(col, all)); got != f {
				t.Errorf("%s%d number format %q, want %q", col, all, got, f)
			}
		}
		if typ, _ := x.GetCellType(s, cell("H", all)); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("value stored as %v, want a number", typ)
		}
		first := in.Metrics[slices.IndexFunc(in.Metrics, func(r metrics.Row) bool { return r.IndicatorID == s })]
		if v, _ := x.GetCellValue(s, cell("H", all), excelize.Options{RawCellValue: true}); v != metrics.FormatNumber(first.Value) {
			t.Errorf("value cell holds %q, want %s", v, metrics.FormatNumber(first.Value))
		}
		if v, _ := x.GetCellValue(s, cell("F", all)); v != "4,210" {
			t.Errorf("numerator displays %q, want 4,210", v)
		}
		if v, _ := x.GetCellValue(s, cell("H", all)); v != "22.8" {
			t.Errorf("value displays %q, want 22.8", v)
		}
		ratio := rowOf(rows, metrics.IMDSummary, metrics.GroupRatio)
		if got := numFmt(t, x, s, cell("H", ratio)); got != "0.00" {
			t.Errorf("ratio number format %q, want 0.00", got)
		}
		// Blank where a number does not apply, * only where withheld.
		gap := rowOf(rows, metrics.IMDSummary, metrics.GroupGap)
		for _, col := range []string{"F", "G"} {
			if v, _ := x.GetCellValue(s, cell(col, gap)); v != "" {
				t.Errorf("gap %s reads %q, want blank (does not apply)", col, v)
			}
		}
		other := rowOf(rows, metrics.Sex, "Other or not known")
		for col, want := range map[string]string{"F": "*", "G": "15", "H": "*", "L": "*", "N": "TRUE"} {
			if v, _ := x.GetCellValue(s, cell(col, other)); v != want {
				t.Errorf("withheld row %s reads %q, want %q", col, v, want)
			}
		}
		if v, _ := x.GetCellValue(s, cell("O", other)); !strings.Contains(v, "suppressed") {
			t.Errorf("withheld row's note %q", v)
		}
		// The change since last year has its own table below.
		change := rowOf(rows, changeBreakdown, "overall")
		if change <= gap || rows[change-3][0] != "Change since last year" || !slices.Equal(rows[change-2][:3], metrics.Columns[:3]) {
			t.Errorf("change table at row %d: %q", change, rows[max(change-3, 0)])
		}
		none := rowOf(rows, changeBreakdown, metrics.GroupGap)
		for _, col := range []string{"F", "H", "I"} {
			if v, _ := x.GetCellValue(s, cell(col, none)); v != "" {
				t.Errorf("change not available %s reads %q, want blank", col, v)
			}
		}
		if v, _ := x.GetCellValue(s, cell("H", change)); v != "-1.3" && v != "-1.2" {
			t.Errorf("change value displays %q", v)
		}
		// ER-2b's Mixed DSR is not published (fewer than 10 events): *.
		er2, _ := x.GetRows("ER-2b")
		mixed := rowOf(er2, metrics.Ethnic, "Mixed")
		if v, _ := x.GetCellValue("ER-2b", cell("H", mixed)); v != "*" {
			t.Errorf("DSR not published reads %q, want *", v)
		}
	})

	t.Run("a native bar chart by IMD quintile on each indicator sheet", func(t *testing.T) {
		b := mustRead(t, path)
		z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		charts := map[string]string{}
		for _, f := range z.File {
			if strings.HasPrefix(f.Name, "xl/charts/chart") {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(rc)
				rc.Close()
				charts[f.Name] = string(body)
			}
		}
		for _, id := range []string{"CVD-1", "ER-1a", "ER-2b"} {
			found := false
			for _, c := range charts {
				q := "&#39;" + id + "&#39;!"
				if strings.Contains(c, "<barChart>") && strings.Contains(c, id+" by IMD quintile") &&
					strings.Contains(c, q+"$R$8:$R$12") && strings.Contains(c, q+"$Q$8:$Q$12") {
					found = true
				}
			}
			if !found {
				t.Errorf("no bar chart of %s by IMD quintile among %d charts", id, len(charts))
			}
		}
		rows, _ := x.GetRows("ER-1a")
		if got := rows[tableHeaderRow][chartDataCol-1]; got != "1 – most deprived" {
			t.Errorf("chart label %q", got)
		}
	})
}

// A quintile withheld by disclosure control is a gap in the chart, labelled
// as withheld, never a zero bar.
func TestDataPackChartWithheldQuintile(t *testing.T) {
	in := sampleInput()
	for i, r := range in.Metrics {
		if r.IndicatorID == "ER-1a" && r.Breakdown == metrics.IMDQuintile && r.Group == "3" {
			in.Metrics[i].Numerator, in.Metrics[i].Value = math.NaN(), math.NaN()
			in.Metrics[i].Lower95, in.Metrics[i].Upper95, in.Metrics[i].Lower998, in.Metrics[i].Upper998 = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			in.Metrics[i].Suppressed, in.Metrics[i].Note = true, "suppressed: numerator 1–7 (nhs_digital rule)"
		}
	}
	x, err := excelize.OpenFile(filepath.Join(mustWrite(t, in), "datapack.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if v, _ := x.GetCellValue("ER-1a", "Q10"); v != "3 (withheld *)" {
		t.Errorf("chart label %q, want 3 (withheld *)", v)
	}
	if v, _ := x.GetCellValue("ER-1a", "R10"); v != "" {
		t.Errorf("chart value %q, want blank (a gap)", v)
	}
}
