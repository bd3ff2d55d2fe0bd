package render

import (
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"hiis/pipeline/metrics"
)

// The rule: significantly above or below only when the 95% intervals do
// not overlap; no judgement when a value is withheld, missing or without an
// interval, or for counts.
func TestCompareWith(t *testing.T) {
	na := math.NaN()
	pct := Indicator{ID: "P", Unit: "%", Measure: "proportion", Multiplier: 100, Polarity: "lower_is_better"}
	count := Indicator{ID: "C", Unit: "people", Measure: "count"}
	row := func(v, lo, hi float64) *metrics.Row {
		return &metrics.Row{Value: v, Lower95: lo, Upper95: hi}
	}
	withheld := &metrics.Row{Value: na, Lower95: na, Upper95: na, Suppressed: true}
	for _, c := range []struct {
		name      string
		ind       Indicator
		r, c      *metrics.Row
		assessed  bool
		position  string
		sig       bool
		judgement string
		why       string
	}{
		{"above, intervals apart", pct, row(30, 28, 32), row(25, 24.5, 25.5), true, "above", true, "worse", ""},
		{"below, intervals apart", pct, row(20, 19, 21), row(25, 24.5, 25.5), true, "below", true, "better", ""},
		{"above, intervals overlap", pct, row(26, 24, 28), row(25, 24.5, 25.5), true, "above", false, "", ""},
		{"touching intervals overlap", pct, row(27, 25.5, 28), row(25, 24.5, 25.5), true, "above", false, "", ""},
		{"level", pct, row(25, 24, 26), row(25, 24.5, 25.5), true, "level with", false, "", ""},
		{"organisation withheld", pct, withheld, row(25, 24.5, 25.5), false, "", false, "", "withheld"},
		{"comparator withheld", pct, row(25, 24, 26), withheld, false, "", false, "", "comp withheld"},
		{"comparator has no row", pct, row(25, 24, 26), nil, false, "", false, "", "missing"},
		{"organisation has no row", pct, nil, row(25, 24.5, 25.5), false, "", false, "", "missing"},
		{"no interval", pct, row(30, na, na), row(25, 24.5, 25.5), false, "", false, "", "no interval"},
		{"count", count, row(300, 280, 320), row(5000, 4900, 5100), false, "", false, "", "count"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := compareWith(c.ind, "All", "", c.r, c.c)
			if v.Assessed != c.assessed || v.Position != c.position || v.Significant != c.sig || v.Judgement != c.judgement {
				t.Errorf("got assessed %v position %q significant %v judgement %q, want %v %q %v %q",
					v.Assessed, v.Position, v.Significant, v.Judgement, c.assessed, c.position, c.sig, c.judgement)
			}
			why := map[string]bool{"withheld": v.Withheld && !v.CompWithheld, "comp withheld": v.Withheld && v.CompWithheld,
				"missing": v.Missing, "no interval": v.NoInterval, "count": v.Count}
			for k, on := range why {
				if on != (k == c.why) {
					t.Errorf("%s is %v, want reason %q", k, on, c.why)
				}
			}
		})
	}
}

// indicatorOf is the block of an indicator in a document.
func indicatorOf(t *testing.T, doc *document, id string) *indicatorBlock {
	t.Helper()
	for _, s := range doc.sections {
		for _, b := range s.blocks {
			if ib, ok := b.(*indicatorBlock); ok && ib.ind.ID == id {
				return ib
			}
		}
	}
	t.Fatalf("no indicator %s", id)
	return nil
}

// sectionOf is a section of a document by key.
func sectionOf(t *testing.T, doc *document, key string) *section {
	t.Helper()
	for _, s := range doc.sections {
		if s.key == key {
			return s
		}
	}
	t.Fatalf("no section %s", key)
	return nil
}

// summaryCells maps each indicator's summary-table row to its cells.
func summaryCells(t *testing.T, doc *document) ([]column, map[string][]string) {
	t.Helper()
	s := sectionOf(t, doc, "summary")
	for _, b := range s.blocks {
		if tb, ok := b.(*tableBlock); ok {
			rows := map[string][]string{}
			for _, r := range tb.rows {
				if r.link != "" {
					rows[strings.TrimPrefix(r.link, "ind:")] = r.cells
				}
			}
			return tb.cols, rows
		}
	}
	t.Fatal("no summary table")
	return nil, nil
}

func mustBuild(t *testing.T, in Input) *document {
	t.Helper()
	doc, err := buildDocument(in)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The statement shows the comparator beside each indicator: a summary
// column, a sentence read from the intervals, markers on the IMD chart (in
// its description and data table), a column of the results table, and the
// unassigned records in data quality.
func TestStatementComparator(t *testing.T) {
	for _, previous := range []bool{false, true} {
		in := withComparator(sampleInput())
		if previous {
			in = withComparator(withChanges(withPrevious(sampleInput())))
		}
		doc := mustBuild(t, in)
		cols, rows := summaryCells(t, doc)
		if cols[2].head != "All organisations" {
			t.Fatalf("summary column 3 is %q, want the comparator", cols[2].head)
		}
		total := 0.0
		for _, c := range cols {
			total += c.width
		}
		if math.Abs(total-contentW) > 1e-9 {
			t.Errorf("summary columns are %.1f mm wide, want %.1f", total, contentW)
		}
		for id, want := range map[string]string{
			"ER-1a": "25.0%\nQUE significantly below", // intervals apart
			"ER-2b": "7,950.3",                        // no interval: no judgement
			"CVD-1": "*",                              // withheld
		} {
			if got := rows[id][2]; got != want {
				t.Errorf("previous %v: %s comparator cell %q, want %q", previous, id, got, want)
			}
		}
	}

	doc := mustBuild(t, withComparator(sampleInput()))
	er1 := indicatorOf(t, doc, "ER-1a")
	for _, want := range []string{
		"The overall value is significantly below All organisations (25.0%, 95% CI 24.8 to 25.2), which is better.",
		"By IMD quintile, against the same quintile of All organisations: Q1 above, not significantly; Q2 significantly below; Q3 not compared (withheld); Q4 significantly above; Q5 not compared.",
	} {
		if !strings.Contains(strings.Join(er1.benchmarks, " "), want) {
			t.Errorf("ER-1a's sentence %q lacks %q", er1.benchmarks, want)
		}
	}
	if b := indicatorOf(t, doc, "CVD-1").benchmarks[0]; !strings.HasPrefix(b, "The overall value is not compared with All organisations: its value is withheld.") {
		t.Errorf("CVD-1's sentence %q", b)
	}
	if b := indicatorOf(t, doc, "ER-2b").benchmarks[0]; !strings.HasPrefix(b, "All organisations: 7,950.3; not compared, as a 95% interval is missing.") ||
		!strings.Contains(b, "Q1 not compared") {
		t.Errorf("ER-2b's sentence %q", b)
	}

	// Key findings: the overall values significantly above or below it.
	findings := docText(&document{sections: []*section{sectionOf(t, doc, "findings")}})
	for _, want := range []string{"Compared with All organisations",
		"Of the 1 indicator whose overall value could be compared with All organisations, 0 are significantly above it and 1 significantly below",
		"Percentage of the waiting list waiting 18 weeks or more (ER-1a): 22.8% against 25.0%, significantly below, better."} {
		if !strings.Contains(findings, want) {
			t.Errorf("key findings lack %q:\n%s", want, findings)
		}
	}

	// The chart by IMD quintile: a marker per quintile the comparator has.
	c := er1.charts[0]
	if len(c.marks) != 1 || c.marks[0].key != "All organisations, same quintile" || c.marks[0].shape != 0 {
		t.Fatalf("IMD chart marks %+v", c.marks)
	}
	var got []string
	for _, b := range c.bars {
		got = append(got, b.comps[0].txt)
	}
	want := []string{"29.0% (28.5 to 29.5)", "30.0% (29.5 to 30.5)", "* withheld", "15.0% (14.5 to 15.5)", "not available"}
	if !slices.Equal(got, want) {
		t.Errorf("comparator markers %q, want %q", got, want)
	}
	if !math.IsNaN(c.bars[2].comps[0].v) || c.bars[3].comps[0].v != 15 {
		t.Errorf("marker values %v, %v", c.bars[2].comps[0].v, c.bars[3].comps[0].v)
	}
	if !strings.Contains(c.desc, "All organisations, same quintile (grey diamonds): 1 – most deprived: 29.0% (28.5 to 29.5); 2: 30.0% (29.5 to 30.5); 3: withheld;") {
		t.Errorf("chart description %q", c.desc)
	}
	if c.axisLo > 15 || c.axisHi < 30.5 {
		t.Errorf("axis %v to %v leaves out a marker", c.axisLo, c.axisHi)
	}
	// The chart by ethnic group: no markers, a line at the overall value.
	eth := er1.charts[1]
	if len(eth.marks) != 0 || len(eth.refs) != 1 || eth.refs[0].v != 25 || eth.refs[0].label != "All organisations 25.0%" {
		t.Errorf("the ethnic chart's marks %+v, lines %+v; want one line at All organisations' 25.0%%", eth.marks, eth.refs)
	}
	if !strings.Contains(eth.desc, "The long-dashed grey line marks the overall value of All organisations (25.0%).") {
		t.Errorf("ethnic chart description %q", eth.desc)
	}

	// The results table: the comparator's value on overall and quintile rows.
	res := er1.results
	if res.cols[6].head != "All organisations" {
		t.Fatalf("results column 7 is %q", res.cols[6].head)
	}
	byGroup := map[string]string{}
	for _, r := range res.rows {
		if len(r.cells) > 6 {
			byGroup[r.cells[0]] = r.cells[6]
		}
	}
	for g, want := range map[string]string{"All people": "25.0", "1 – most deprived": "29.0", "3": "*", "5 – least deprived": "–", "Unknown": "–", "White": "", "Male": ""} {
		if byGroup[g] != want {
			t.Errorf("results: %s's comparator %q, want %q", g, byGroup[g], want)
		}
	}

	// Data quality: the records no organisation took, per source.
	quality := sectionOf(t, doc, "quality")
	var text []string
	for _, b := range quality.blocks {
		if p, ok := b.(*paraBlock); ok {
			text = append(text, plainText(p.spans))
		}
	}
	if !slices.ContainsFunc(text, func(s string) bool {
		return strings.Contains(s, "They count in All organisations but in no organisation's statement: * from sus_apc, 152 from wlmds; none from the other sources. * withheld by disclosure control.")
	}) {
		t.Errorf("data quality does not give the unassigned records: %q", text)
	}
	all := withComparator(sampleInput())
	all.Unassigned = map[string]float64{"wlmds": 0}
	if !strings.Contains(docText(mustBuild(t, all)), "Every record of All organisations was assigned to an organisation.") {
		t.Error("no sentence when every record was assigned")
	}
	if methods := docText(&document{sections: []*section{sectionOf(t, doc, "methods")}}); !strings.Contains(methods, "only when the two 95% confidence intervals do not overlap") {
		t.Error("the methods do not state the rule")
	}

	// Without a comparator nothing of it shows.
	if s := docText(mustBuild(t, sampleInput())); strings.Contains(s, "All organisations") || strings.Contains(s, "same quintile") {
		t.Error("a statement without a comparator mentions one")
	}
}

// docText is every paragraph, sentence, cell and description of a document.
func docText(doc *document) string {
	var b strings.Builder
	var blocks func([]block)
	blocks = func(bs []block) {
		for _, bl := range bs {
			switch x := bl.(type) {
			case *paraBlock:
				b.WriteString(plainText(x.spans) + "\n")
			case *headingBlock:
				b.WriteString(x.text + "\n")
			case *listBlock:
				for _, it := range x.items {
					b.WriteString(plainText(it) + "\n")
				}
			case *tableBlock:
				for _, c := range x.cols {
					b.WriteString(c.head + "\n")
				}
				for _, r := range x.rows {
					b.WriteString(strings.Join(r.cells, "\n") + "\n")
				}
				b.WriteString(x.note + "\n")
			case *indicatorBlock:
				b.WriteString(x.finding + "\n" + x.trend + "\n" + strings.Join(x.benchmarks, "\n") + "\n")
				for _, c := range x.charts {
					b.WriteString(c.desc + "\n")
				}
				blocks([]block{x.results})
			}
		}
	}
	for _, s := range doc.sections {
		blocks(s.blocks)
	}
	return b.String()
}

// The HTML chart draws a grey diamond per comparator value and its key,
// and its data table has the comparator's column.
func TestStatementHTMLComparator(t *testing.T) {
	dir := mustWrite(t, withComparator(sampleInput()))
	root := mustParseHTML(t, dir)
	fig := imdFigure(t, root, "ER-1a")
	diamonds := 0
	for _, p := range elements(fig, "path") {
		if attr(p, "fill") == "#505a5f" {
			diamonds++
		}
	}
	if diamonds != 4 { // quintiles 1, 2 and 4, and the key
		t.Errorf("%d grey diamonds, want 4", diamonds)
	}
	if d := textOf(elements(fig, "desc")[0]); !strings.Contains(d, "All organisations, same quintile (grey diamonds): 1 – most deprived: 29.0% (28.5 to 29.5)") {
		t.Errorf("description %q", d)
	}
	heads := []string{}
	for _, th := range elements(elements(fig, "thead")[0], "th") {
		heads = append(heads, textOf(th))
	}
	if !slices.Contains(heads, "All organisations (95% interval)") {
		t.Errorf("chart data table heads %q", heads)
	}
	if !strings.Contains(textOf(elements(fig, "tbody")[0]), "* withheld") {
		t.Error("the chart's data table does not show the withheld comparator value")
	}
}

// The data pack's indicator tables carry the comparator's value and 95%
// limits on overall and quintile rows, formatted like the value, * where
// withheld and blank where it has none; the chart's data moves right.
func TestDataPackComparator(t *testing.T) {
	x, err := excelize.OpenFile(filepath.Join(mustWrite(t, withComparator(withProvenanceAndChange(sampleInput()))), "datapack.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("ER-1a")
	if err != nil {
		t.Fatal(err)
	}
	head := rows[tableHeaderRow-1]
	if !slices.Equal(head[len(metrics.Columns):len(metrics.Columns)+3], []string{"comparator_value", "comparator_lower_95", "comparator_upper_95"}) {
		t.Fatalf("header %q", head)
	}
	get := func(breakdown, group string) []string {
		r := rowOf(rows, breakdown, group)
		if r == 0 {
			t.Fatalf("no %s %s row", breakdown, group)
		}
		v := make([]string, 3)
		for i := range v {
			v[i], _ = x.GetCellValue("ER-1a", string(rune('P'+i))+itoa(r))
		}
		return v
	}
	for _, c := range []struct {
		breakdown, group string
		want             []string
	}{
		{metrics.Overall, metrics.GroupAll, []string{"25.0", "24.8", "25.2"}},
		{metrics.IMDQuintile, "1", []string{"29.0", "28.5", "29.5"}},
		{metrics.IMDQuintile, "3", []string{"*", "*", "*"}},
		{metrics.IMDQuintile, "5", []string{"", "", ""}},
		{metrics.Ethnic, "White", []string{"", "", ""}},
		{changeBreakdown, "overall", []string{"", "", ""}},
	} {
		if got := get(c.breakdown, c.group); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: comparator %q, want %q", c.breakdown, c.group, got, c.want)
		}
	}
	r := itoa(rowOf(rows, metrics.Overall, metrics.GroupAll))
	if v, want := numFmt(t, x, "ER-1a", "P"+r), numFmt(t, x, "ER-1a", "J"+r); v != want || v == "" {
		t.Errorf("comparator format %q, value format %q", v, want)
	}
	if v, _ := x.GetCellValue("ER-1a", "A3"); !strings.Contains(v, "comparator (columns P to R and the chart's grey bars): All organisations") {
		t.Errorf("sheet facts %q", v)
	}
	if got := rows[tableHeaderRow][chartDataCol+compColumnsN-1]; got != "1 – most deprived" {
		t.Errorf("chart data label %q", got)
	}
	if got := rows[tableHeaderRow-1][chartDataCol+compColumnsN+1]; got != "All organisations (%)" {
		t.Errorf("chart data head %q", got)
	}
	// The change table below has no comparator columns.
	for i, row := range rows {
		if len(row) > 0 && row[0] == "indicator_id" && i+1 != tableHeaderRow && len(row) != len(metrics.Columns) {
			t.Errorf("row %d: change table header %q", i+1, row)
		}
	}
	readme, _ := x.GetRows(readmeSheet)
	found := false
	for _, row := range readme {
		if len(row) > 1 && row[0] == "comparator_value" && strings.HasPrefix(row[1], "Value of All organisations for the same indicator") {
			found = true
		}
	}
	if !found {
		t.Error("the README sheet does not define comparator_value")
	}
}

// A second comparator from a published file (England): its own column in
// the summary and results tables, its sentence, a second marker shape on
// the IMD chart and a second line on the ethnic chart, each described in
// the chart's text; nothing at all for indicators or quintiles it lacks.
func TestSecondComparator(t *testing.T) {
	doc := mustBuild(t, withNational(withComparator(sampleInput())))

	sum := sectionOf(t, doc, "summary")
	var tbl *tableBlock
	for _, b := range sum.blocks {
		if tb, ok := b.(*tableBlock); ok {
			tbl = tb
		}
	}
	if tbl == nil || tbl.cols[2].head != "All organisations" || tbl.cols[3].head != "England" {
		t.Fatalf("summary columns %+v", tbl)
	}
	total := 0.0
	for _, c := range tbl.cols {
		total += c.width
	}
	if math.Abs(total-contentW) > 0.01 {
		t.Errorf("summary columns are %.1f mm wide, want %.1f", total, contentW)
	}
	cells := map[string][]string{}
	for _, r := range tbl.rows {
		if len(r.cells) > 0 {
			cells[strings.SplitN(r.cells[0], "\n", 2)[1][:5]] = r.cells
		}
	}
	if got := cells["ER-1a"][3]; got != "20.0%\nQUE significantly above" {
		t.Errorf("ER-1a's England cell %q", got)
	}
	if got := cells["CVD-1"][3]; got != "–" {
		t.Errorf("CVD-1's England cell %q, want –", got)
	}
	if !strings.Contains(tbl.note, "England: its overall value") {
		t.Errorf("summary note %q", tbl.note)
	}

	er1 := indicatorOf(t, doc, "ER-1a")
	if len(er1.benchmarks) != 2 {
		t.Fatalf("ER-1a's sentences %q, want one per comparator", er1.benchmarks)
	}
	want := "The overall value is significantly above England (20.0%, 95% CI 19.9 to 20.1), which is worse. By IMD quintile, against the same quintile of England: Q1 below, not significantly; Q2 below, not significantly."
	if got := strings.Join(strings.Fields(er1.benchmarks[1]), " "); got != want {
		t.Errorf("ER-1a's England sentence\n%q, want\n%q", got, want)
	}
	if b := indicatorOf(t, doc, "CVD-1").benchmarks; len(b) != 1 || strings.Contains(b[0], "England") {
		t.Errorf("CVD-1 (not in England's file) has sentences %q", b)
	}

	c := er1.charts[0]
	if len(c.marks) != 2 || c.marks[1].key != "England, same quintile" || c.marks[1].shape != 1 {
		t.Fatalf("IMD chart marks %+v", c.marks)
	}
	var got []string
	for _, b := range c.bars {
		got = append(got, b.comps[1].txt)
	}
	if w := []string{"29.5% (29.3 to 29.7)", "26.0% (25.8 to 26.2)", "not available", "not available", "not available"}; !slices.Equal(got, w) {
		t.Errorf("England's markers %q, want %q", got, w)
	}
	if !strings.Contains(c.desc, "England, same quintile (open triangles): 1 – most deprived: 29.5% (29.3 to 29.7); 2: 26.0% (25.8 to 26.2); 3: not available;") {
		t.Errorf("IMD chart description %q", c.desc)
	}
	eth := er1.charts[1]
	if len(eth.refs) != 2 || eth.refs[1].label != "England 20.0%" || eth.refs[1].style != 1 {
		t.Errorf("ethnic chart lines %+v", eth.refs)
	}
	if !strings.Contains(eth.desc, "The dash-dotted grey line marks the overall value of England (20.0%).") {
		t.Errorf("ethnic chart description %q", eth.desc)
	}
	// An indicator England lacks: the all-organisations marks only.
	if cvd := indicatorOf(t, doc, "CVD-1"); len(cvd.charts) > 0 && len(cvd.charts[0].marks) != 1 {
		t.Errorf("CVD-1's IMD chart has %d mark sets, want 1", len(cvd.charts[0].marks))
	}

	if res := er1.results; res.cols[6].head != "All organisations" || res.cols[7].head != "England" {
		t.Errorf("results columns %q, %q", res.cols[6].head, res.cols[7].head)
	}
	methods := docText(&document{sections: []*section{sectionOf(t, doc, "methods")}})
	if !strings.Contains(methods, "England's values are as published for 2023/24") {
		t.Errorf("methods do not describe England's file:\n%s", methods)
	}
}

// The HTML, PDF and data pack carry the second comparator: open triangles
// on the HTML chart and its key, England in the PDF's summary and
// indicator pages, its three columns and chart series in the data pack.
func TestSecondComparatorWritten(t *testing.T) {
	dir := mustWrite(t, withNational(withComparator(sampleInput())))
	root := mustParseHTML(t, dir)
	fig := imdFigure(t, root, "ER-1a")
	triangles := 0
	for _, p := range elements(fig, "path") {
		if attr(p, "fill") == "#fff" && attr(p, "stroke") == "#0b0c0c" {
			triangles++
		}
	}
	if triangles != 3 { // quintiles 1 and 2, and the key
		t.Errorf("%d open triangles, want 3", triangles)
	}
	if d := textOf(elements(fig, "desc")[0]); !strings.Contains(d, "England, same quintile (open triangles)") {
		t.Errorf("description %q", d)
	}
	if !strings.Contains(textOf(fig), "England, same quintile") {
		t.Error("the chart's key does not name England")
	}

	if _, err := exec.LookPath("pdftotext"); err == nil {
		out, err := exec.Command("pdftotext", "-layout", filepath.Join(dir, StatementFile), "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		for _, want := range []string{"England, same quintile", "significantly above England (20.0%, 95% CI 19.9 to 20.1)", "England 20.0%"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF lacks %q", want)
			}
		}
	}

	x, err := excelize.OpenFile(filepath.Join(dir, "datapack.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("ER-1a")
	if err != nil {
		t.Fatal(err)
	}
	head := rows[tableHeaderRow-1]
	n := len(metrics.Columns)
	if !slices.Equal(head[n+3:n+6], []string{"national_value", "national_lower_95", "national_upper_95"}) {
		t.Fatalf("header %q", head)
	}
	r := rowOf(rows, metrics.Overall, metrics.GroupAll)
	if v, _ := x.GetCellValue("ER-1a", "S"+itoa(r)); v != "20.0" {
		t.Errorf("England's overall value in the data pack %q", v)
	}
	if v, _ := x.GetCellValue("ER-1a", "A3"); !strings.Contains(v, "comparator (columns S to U and the chart's yellow bars): England") {
		t.Errorf("sheet facts %q", v)
	}
	if rows, _ := x.GetRows("CVD-1"); len(rows) > 2 && strings.Contains(rows[2][0], "England") {
		t.Errorf("CVD-1's facts name England, which has no value for it: %q", rows[2][0])
	}
}

// TestDataPackUnassigned: in a multi-organisation run the data pack's Data
// quality sheet lists, per source, the comparator's records that no
// organisation took, as the statement does (* withheld); a run without a
// comparator has no such table.
func TestDataPackUnassigned(t *testing.T) {
	table := func(in Input) [][]string {
		x, err := excelize.OpenFile(filepath.Join(mustWrite(t, in), "datapack.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows(qualitySheet)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			if len(r) > 1 && r[0] == "source" && r[1] == "records_no_organisation_took" {
				return rows[i+1:]
			}
		}
		return nil
	}
	got := table(withComparator(sampleInput()))
	want := [][]string{{"cvdprevent", "0"}, {"sus_apc", "*"}, {"wlmds", "152"}}
	if len(got) != len(want) {
		t.Fatalf("unassigned table %q, want %q", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("unassigned row %d: %q, want %q", i, got[i], want[i])
		}
	}
	if got := table(sampleInput()); got != nil {
		t.Errorf("a run without a comparator has an unassigned table: %q", got)
	}
}

// imdFigure is the HTML figure of indicator id's chart by IMD quintile.
func imdFigure(t *testing.T, root *html.Node, id string) *html.Node {
	t.Helper()
	for _, f := range elements(root, "figure") {
		if strings.Contains(textOf(f), id) && strings.Contains(textOf(f), "IMD quintile") {
			return f
		}
	}
	t.Fatalf("no %s chart by IMD quintile", id)
	return nil
}
