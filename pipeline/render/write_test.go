package render

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"hiis/pipeline/metrics"
)

var wantPaths = []string{
	"data-quality.csv", "datapack.xlsx", "metrics.csv", "metrics.parquet",
	"restricted/README.txt", "restricted/metrics_unsuppressed.csv", "statement.html", "statement.pdf",
}

// mustWrite writes the sample outputs into a fresh folder (or into
// $HIIS_RENDER_OUT when set, to look at them) and returns the folder.
func mustWrite(tb testing.TB, in Input) string {
	tb.Helper()
	dir := tb.TempDir()
	if out := os.Getenv("HIIS_RENDER_OUT"); out != "" {
		dir = out
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	paths, err := Write(dir, in)
	if err != nil {
		tb.Fatalf("Write: %v", err)
	}
	if !slices.Equal(paths, wantPaths) {
		tb.Fatalf("Write returned %q, want %q", paths, wantPaths)
	}
	return dir
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestWriteIsDeterministic(t *testing.T) {
	for _, input := range []func() Input{sampleInput, func() Input { return withWithheld(withPrevious(sampleInput())) }} {
		a := mustWrite(t, input())
		b := mustWrite(t, input())
		for _, p := range wantPaths {
			x, y := mustRead(t, filepath.Join(a, p)), mustRead(t, filepath.Join(b, p))
			if len(x) == 0 {
				t.Errorf("%s is empty", p)
			}
			if !bytes.Equal(x, y) {
				t.Errorf("%s differs between two runs (%d and %d bytes)", p, len(x), len(y))
			}
		}
	}
}

func TestMetricsCSV(t *testing.T) {
	in := sampleInput()
	dir := mustWrite(t, in)
	for _, c := range []struct {
		path string
		rows []metrics.Row
	}{{"metrics.csv", in.Metrics}, {"restricted/metrics_unsuppressed.csv", in.Unsuppressed}} {
		var want bytes.Buffer
		if err := metrics.WriteCSV(&want, c.rows); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, filepath.Join(dir, c.path)); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s is not metrics.WriteCSV's output", c.path)
		}
	}
	readme := string(mustRead(t, filepath.Join(dir, "restricted/README.txt")))
	if !strings.Contains(readme, "NOT FOR PUBLICATION") {
		t.Errorf("restricted/README.txt does not say the files are not for publication:\n%s", readme)
	}
}

func TestDataQualityCSV(t *testing.T) {
	dir := mustWrite(t, sampleInput())
	got := strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "data-quality.csv")))), "\n")
	want := []string{
		dataQualityHeader,
		"sus_apc,,248102,6120,9342,96,2301,2.47,3.77,0.04,0.93,,,,,,,,,,0,0,,,,,,",
		"sus_apc,ER-2b,61230,1400,2210,15,612,2.29,3.61,0.02,1,,,,,,,,,,0,0,,,,,,",
		"wlmds,,18450,1100,420,80,150,5.96,2.28,0.43,0.81,,,,,,,,,,0,0,,,,,,",
		"wlmds,ER-1a,18450,1100,420,80,150,5.96,2.28,0.43,0.81,,,,,,,,,,0,0,,,,,,",
	}
	if !slices.Equal(got, want) {
		t.Errorf("data-quality.csv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

const dataQualityHeader = "source,indicator,records,ethnic_not_stated,ethnic_not_known,ethnic_blank_or_invalid,no_valid_lsoa," +
	"pct_ethnic_not_stated,pct_ethnic_not_known,pct_ethnic_blank_or_invalid,pct_no_valid_lsoa," +
	"prev_records,prev_pct_ethnic_not_stated,prev_pct_ethnic_not_known,prev_pct_ethnic_blank_or_invalid,prev_pct_no_valid_lsoa," +
	"change_pct_ethnic_not_stated,change_pct_ethnic_not_known,change_pct_ethnic_blank_or_invalid,change_pct_no_valid_lsoa," +
	"duplicates,outside_population,lsoa_direct,lsoa_lsoa2011,lsoa_lsoa2011_split,lsoa_lsoa2021,lsoa_lsoa2021_merged,lsoa_unmatched"

// Duplicates, records outside the population and how LSOAs matched reach
// data-quality.csv, and the statement says them.
func TestDataQualityDuplicatesAndMatches(t *testing.T) {
	in := sampleInput()
	matches := []MatchCount{{"direct", 240000}, {"lsoa2011", 8000}, {"unmatched", 100}}
	for i, q := range in.DataQuality {
		if q.Source == "sus_apc" && q.Indicator == "" {
			in.DataQuality[i].Duplicates, in.DataQuality[i].OutsidePopulation, in.DataQuality[i].Matches = 500, 12, matches
		}
	}
	in.Sources[0].Duplicates, in.Sources[0].OutsidePopulation, in.Sources[0].Matches = 500, 12, matches
	dir := mustWrite(t, in)
	got := strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "data-quality.csv")))), "\n")
	if want := "sus_apc,,248102,6120,9342,96,2301,2.47,3.77,0.04,0.93,,,,,,,,,,500,12,240000,8000,,,,100"; got[1] != want {
		t.Errorf("data-quality.csv row:\n%s\nwant\n%s", got[1], want)
	}
	html := string(mustRead(t, filepath.Join(dir, "statement.html")))
	for _, want := range []string{">Duplicates<", ">500<", "12 from " + in.Sources[0].Name, "240,000 direct", "8,000 lsoa2011"} {
		if !strings.Contains(html, want) {
			t.Errorf("statement.html lacks %q", want)
		}
	}
}

// With last year's counts, data-quality.csv and the data pack give them and
// the change in percentage points (this year's printed share minus last
// year's); rows without them, or without last year's records, leave those
// columns empty.
func TestDataQualityPrevious(t *testing.T) {
	dir := mustWrite(t, withPrevious(sampleInput()))
	got := strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "data-quality.csv")))), "\n")
	want := []string{
		dataQualityHeader,
		"sus_apc,,248102,6120,9342,96,2301,2.47,3.77,0.04,0.93,0,,,,,,,,,0,0,,,,,,",
		"sus_apc,ER-2b,61230,1400,2210,15,612,2.29,3.61,0.02,1,,,,,,,,,,0,0,,,,,,",
		"wlmds,,18450,1100,420,80,150,5.96,2.28,0.43,0.81,17200,5.99,2.62,0.35,0.99,-0.03,-0.34,0.08,-0.18,0,0,,,,,,",
		"wlmds,ER-1a,18450,1100,420,80,150,5.96,2.28,0.43,0.81,17200,5.99,2.62,0.35,0.99,-0.03,-0.34,0.08,-0.18,0,0,,,,,,",
	}
	if !slices.Equal(got, want) {
		t.Errorf("data-quality.csv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	x, err := excelize.OpenFile(filepath.Join(dir, "datapack.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Data quality")
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Join(rows[0], ","); h != dataQualityHeader {
		t.Errorf("Data quality sheet header %q, want %q", h, dataQualityHeader)
	}
	for i, w := range want[1:] {
		// GetRows drops trailing empty cells.
		if g, w := strings.Join(rows[i+1], ","), strings.TrimRight(w, ","); g != w {
			t.Errorf("Data quality sheet row %d: %q, want %q", i+2, g, w)
		}
	}
	typ, err := x.GetCellType("Data quality", "T4") // wlmds change_pct_no_valid_lsoa
	if err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
		t.Errorf("change cell type %v (%v), want a number", typ, err)
	}
}

func TestDataQualityNoPreviousInDataPack(t *testing.T) {
	dir := mustWrite(t, sampleInput())
	x, err := excelize.OpenFile(filepath.Join(dir, "datapack.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Data quality")
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Join(rows[0], ","); h != dataQualityHeader {
		t.Errorf("Data quality sheet header %q, want %q", h, dataQualityHeader)
	}
	for i := 11; i < 20 && i < len(rows[1]); i++ {
		if rows[1][i] != "" {
			t.Errorf("Data quality sheet row 2 has %q in column %d, want no previous year's figures", rows[1][i], i+1)
		}
	}
}

func TestMetricsParquet(t *testing.T) {
	in := sampleInput()
	dir := mustWrite(t, in)
	b := mustRead(t, filepath.Join(dir, "metrics.parquet"))
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range f.Schema().Fields() {
		names = append(names, c.Name())
	}
	if !slices.Equal(names, metrics.Columns) {
		t.Errorf("columns %q, want %q", names, metrics.Columns)
	}
	if cb := f.Metadata().CreatedBy; cb != "hiis version 0.4.0" {
		t.Errorf("created_by %q, want a fixed one", cb)
	}
	for _, fl := range f.Schema().Fields() {
		switch fl.Name() {
		case "value":
			if !fl.Optional() || fl.Type().Kind() != parquet.Double {
				t.Errorf("value column is %v, want optional DOUBLE", fl.Type())
			}
		case "group":
			if lt := fl.Type().LogicalType(); lt == nil || lt.String() != "STRING" {
				t.Errorf("group column is %v, want a UTF-8 string", fl.Type())
			}
		case "suppressed":
			if fl.Type().Kind() != parquet.Boolean {
				t.Errorf("suppressed column is %v, want BOOLEAN", fl.Type())
			}
		}
	}

	rows, err := parquet.Read[metrics.ParquetRow](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(in.Metrics) {
		t.Fatalf("%d rows, want %d", len(rows), len(in.Metrics))
	}
	nulls := 0
	for i, r := range rows {
		m := in.Metrics[i]
		if r.IndicatorID != m.IndicatorID || r.Group != m.Group || r.Suppressed != m.Suppressed || r.Note != m.Note {
			t.Errorf("row %d: %+v, want %+v", i, r, m)
		}
		for j, p := range []*float64{r.Numerator, r.Denominator, r.Value, r.Lower95, r.Upper95, r.Lower998, r.Upper998} {
			want := m.Numbers()[j]
			switch {
			case p == nil:
				nulls++
				if want == want { // not NaN
					t.Errorf("row %d %s: null, want %v", i, metrics.NumberColumns[j], want)
				}
			case *p != want:
				t.Errorf("row %d %s: %v, want %v", i, metrics.NumberColumns[j], *p, want)
			}
		}
	}
	if nulls == 0 {
		t.Error("no nulls read back, but the sample has NaN values")
	}
}

func TestStatementText(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not on PATH (apt-get install poppler-utils): statement text not checked")
	}
	in := sampleInput()
	dir := mustWrite(t, in)
	out, err := exec.Command("pdftotext", "-layout", filepath.Join(dir, "statement.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	// pdftotext breaks lines; compare with runs of spaces and newlines folded.
	flat := strings.Join(strings.Fields(text), " ")
	want := []string{
		in.Organisation.Name, "Health Inequalities", "Information Statement", "2025/26", "0.4.0",
		"1 – most deprived", "5 – least deprived", "£2.4m", "café", "≤ 18 weeks", "✓",
		"Page 2 of", "95% intervals do not overlap", "English Indices of Deprivation 2019",
		"Wilson", "Dobson", "European Standard Population", "Counts of 1 to 7 are suppressed",
		"15.9% of the population (118,500 people)",
	}
	for _, ind := range in.Indicators {
		want = append(want, ind.Name, ind.ID)
	}
	for _, s := range want {
		if !strings.Contains(flat, s) {
			t.Errorf("statement text lacks %q", s)
		}
	}
	if strings.Contains(text, "{nb}") {
		t.Error("page count alias {nb} was not replaced")
	}
}

// statementText renders the statement of in and returns its text with runs
// of spaces and newlines folded, skipping the test without pdftotext.
func statementText(t *testing.T, in Input, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not on PATH (apt-get install poppler-utils): statement text not checked")
	}
	dir := mustWrite(t, in)
	args = append(append([]string{"-layout"}, args...), filepath.Join(dir, "statement.pdf"), "-")
	out, err := exec.Command("pdftotext", args...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestStatementDataQualityChange(t *testing.T) {
	absent := statementText(t, sampleInput())
	if !strings.Contains(absent, "No previous year's run was supplied, so changes since last year are not shown.") {
		t.Error("without last year's counts, the statement does not say that changes are not shown")
	}
	// The data-quality section (the key findings may quote gaps in pp).
	quality := absent[strings.LastIndex(absent, "Records with unusable equality fields"):]
	if strings.Contains(quality, " pp)") || strings.Contains(quality, "Change ") {
		t.Error("without last year's counts, the statement shows changes")
	}
	present := statementText(t, withPrevious(sampleInput()))
	for _, s := range []string{
		"in the previous year's run (2024/25), in percentage points (pp)",
		"Last year's figures were supplied for 3 of the 4 rows",
		// wlmds: shares 5.96, 2.28, 0.43, 0.81 against 5.99, 2.62, 0.35, 0.99.
		"6.0% 0.0 pp 2.3% −0.3 pp 0.4% +0.1 pp 0.8% −0.2 pp",
	} {
		if !strings.Contains(present, s) {
			t.Errorf("with last year's counts, the statement lacks %q", s)
		}
	}
	if strings.Contains(present, "No previous year's run was supplied") {
		t.Error("with last year's counts, the statement says none was supplied")
	}
}

// A withheld summary measure says only that it was withheld and why, never
// what its hidden interval showed.
func TestStatementWithheldSummary(t *testing.T) {
	text := statementText(t, withSuppressedSummary(sampleInput()))
	if !strings.Contains(text, "Withheld (suppressed: an IMD quintile's value is suppressed)") {
		t.Error("the withheld gap does not say why it was withheld")
	}
	for _, s := range []string{"wholly above", "Not assessed: 95%"} {
		if strings.Contains(text, s) {
			t.Errorf("the statement prints %q for a withheld value", s)
		}
	}
}

// Contents of any length stay whole: each line on one page, the cover's
// note on the cover.
func TestStatementLongContents(t *testing.T) {
	in := sampleInput()
	var inds []Indicator
	for i, ind := range in.Indicators {
		for k := 0; k < 12; k++ {
			c := ind
			c.Domain = fmt.Sprintf("Domain %02d of the %d", i*12+k, len(in.Indicators)*12)
			if k > 0 {
				c.ID = fmt.Sprintf("%s-%d", ind.ID, k)
			}
			inds = append(inds, c)
		}
	}
	in.Indicators = inds
	cover := statementText(t, in, "-f", "1", "-l", "1")
	if !strings.Contains(cover, "Published in line with NHS England") || strings.Contains(cover, "Domain 00") {
		t.Errorf("cover page reads %q", cover)
	}
	contents := statementText(t, in, "-f", "2", "-l", "3")
	for i := range len(inds) {
		d := fmt.Sprintf("Domain %02d of the %d", i, len(inds))
		if n := strings.Count(contents, d); n != 1 {
			t.Errorf("%q is %d times in the contents, want once", d, n)
		}
	}
	for _, s := range []string{"Contents", "Data quality", "Annex: indicator definitions"} {
		if !strings.Contains(contents, s) {
			t.Errorf("contents lack %q", s)
		}
	}
}

func mkdir(dir, name string) error { return os.Mkdir(filepath.Join(dir, name), 0o755) }

// Withheld data-quality counts and shares are empty in data-quality.csv and
// * in the data pack and the statement; shares are the ones computed
// upstream from unrounded counts, never 100·count/records of the published
// counts; changes come from those shares.
func TestDataQualityWithheld(t *testing.T) {
	in := withWithheld(sampleInput())
	dir := mustWrite(t, in)
	csvRows := strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "data-quality.csv")))), "\n")
	wantCSV := []string{
		"cvdprevent,,100,5,,0,10,4.86,,0,9.5,90,3.5,2,,9.25,1.36,,,0.25,0,0,,,,,,",
		"cvdprevent,CVD-1,,,,,,,,,,,,,,,,,,,0,0,,,,,,",
	}
	if len(csvRows) < 3 || !slices.Equal(csvRows[1:3], wantCSV) {
		t.Errorf("data-quality.csv:\n%s\nwant rows 2 and 3:\n%s", strings.Join(csvRows, "\n"), strings.Join(wantCSV, "\n"))
	}

	x, err := excelize.OpenFile(filepath.Join(dir, "datapack.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Data quality")
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []string{
		"cvdprevent,,100,5,*,0,10,4.86,*,0,9.5,90,3.5,2,*,9.25,1.36,*,*,0.25,0,0",
		"cvdprevent,CVD-1,*,*,*,*,*,*,*,*,*,,,,,,,,,,0,0",
	} {
		if g := strings.Join(rows[i+1], ","); g != w {
			t.Errorf("Data quality sheet row %d: %q, want %q", i+2, g, w)
		}
	}
	for cell, want := range map[string]string{"H2": "4.86", "C2": "100", "E2": "*", "I2": "*", "R2": "*", "T2": "0.25"} {
		if v, err := x.GetCellValue("Data quality", cell, excelize.Options{RawCellValue: true}); err != nil || v != want {
			t.Errorf("Data quality %s reads %q (%v), want %q", cell, v, err, want)
		}
	}
	if typ, err := x.GetCellType("Data quality", "H2"); err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
		t.Errorf("share cell type %v (%v), want a number", typ, err)
	}

	text := statementText(t, in)
	for _, s := range []string{
		// 4.86% and +1.36 pp, not 5 of 100; withheld shares and the changes
		// from them are *.
		"cvdprevent All records 100 4.9% +1.4 pp * * 0.0% * 9.5% +0.3 pp",
		"cvdprevent CVD-1 * * – * – * – * –", // no last year's figures: –
		"* withheld by disclosure control.",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("statement lacks %q", s)
		}
	}
	if regexp.MustCompile(`(^|[^0-9.,])5\.0%`).MatchString(text) {
		t.Error("statement prints a share of the published counts (5.0%)")
	}
}

// The population is printed as published, * where withheld, with thousands
// separators and no shares of the (rounded) totals.
func TestPopulationWithheld(t *testing.T) {
	in := withWithheld(sampleInput())
	dir := mustWrite(t, in)
	x, err := excelize.OpenFile(filepath.Join(dir, "datapack.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Population")
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Join(rows[0], ","); h != "breakdown,group,people" {
		t.Errorf("Population header %q", h)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		if len(r) != 3 {
			t.Errorf("Population row %q, want 3 cells", r)
			continue
		}
		got[r[0]+"/"+r[1]] = r[2]
	}
	for k, want := range map[string]string{
		"imd_quintile/1": "*", "ethnic_group/Mixed": "*", "imd_quintile/2": "142,300", "sex/Female": "373,990",
	} {
		if got[k] != want {
			t.Errorf("Population %s reads %q, want %q", k, got[k], want)
		}
	}
	text := statementText(t, in)
	for _, s := range []string{
		"15.9% of the population live in the most deprived 20%",
		"1 – most deprived *", "Mixed *", "2 142,300", "Female 373,990",
		"* withheld by disclosure control.",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("statement lacks %q", s)
		}
	}
	if strings.Contains(text, "( people)") {
		t.Error("statement prints a withheld Core20 count")
	}

	plain := statementText(t, sampleInput())
	if strings.Contains(plain, "* withheld by disclosure control.") {
		t.Error("statement has the withheld footnote with nothing withheld")
	}
}
