package render

import (
	"math"
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
		if !strings.Contains(er1.benchmark, want) {
			t.Errorf("ER-1a's sentence %q lacks %q", er1.benchmark, want)
		}
	}
	if b := indicatorOf(t, doc, "CVD-1").benchmark; !strings.HasPrefix(b, "The overall value is not compared with All organisations: its value is withheld.") {
		t.Errorf("CVD-1's sentence %q", b)
	}
	if b := indicatorOf(t, doc, "ER-2b").benchmark; !strings.HasPrefix(b, "All organisations: 7,950.3; not compared, as a 95% interval is missing.") ||
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
	if c.compKey != "All organisations, same quintile" {
		t.Fatalf("IMD chart key %q", c.compKey)
	}
	var got []string
	for _, b := range c.bars {
		got = append(got, b.compTxt)
	}
	want := []string{"29.0% (28.5 to 29.5)", "30.0% (29.5 to 30.5)", "* withheld", "15.0% (14.5 to 15.5)", "not available"}
	if !slices.Equal(got, want) {
		t.Errorf("comparator markers %q, want %q", got, want)
	}
	if !math.IsNaN(c.bars[2].comp) || c.bars[3].comp != 15 {
		t.Errorf("marker values %v, %v", c.bars[2].comp, c.bars[3].comp)
	}
	if !strings.Contains(c.desc, "All organisations, same quintile: 1 – most deprived: 29.0% (28.5 to 29.5); 2: 30.0% (29.5 to 30.5); 3: withheld;") {
		t.Errorf("chart description %q", c.desc)
	}
	if c.axisLo > 15 || c.axisHi < 30.5 {
		t.Errorf("axis %v to %v leaves out a marker", c.axisLo, c.axisHi)
	}
	if er1.charts[1].compKey != "" {
		t.Error("the ethnic chart has comparator markers")
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
				b.WriteString(x.finding + "\n" + x.trend + "\n" + x.benchmark + "\n")
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
	var fig *html.Node
	for _, f := range elements(root, "figure") {
		if strings.Contains(textOf(f), "ER-1a") && strings.Contains(textOf(f), "IMD quintile") {
			fig = f
			break
		}
	}
	if fig == nil {
		t.Fatal("no ER-1a chart by IMD quintile")
	}
	diamonds := 0
	for _, p := range elements(fig, "path") {
		if attr(p, "fill") == "#505a5f" {
			diamonds++
		}
	}
	if diamonds != 4 { // quintiles 1, 2 and 4, and the key
		t.Errorf("%d grey diamonds, want 4", diamonds)
	}
	if d := textOf(elements(fig, "desc")[0]); !strings.Contains(d, "All organisations, same quintile: 1 – most deprived: 29.0% (28.5 to 29.5)") {
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
	if !slices.Equal(head[len(metrics.Columns):len(metrics.Columns)+3], compColumns) {
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
	if got := rows[tableHeaderRow][chartDataCol+len(compColumns)-1]; got != "1 – most deprived" {
		t.Errorf("chart data label %q", got)
	}
	if got := rows[tableHeaderRow-1][chartDataCol+len(compColumns)+1]; got != "All organisations (%)" {
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
