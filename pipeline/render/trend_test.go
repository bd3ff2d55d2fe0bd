package render

import (
	"path/filepath"
	"strings"
	"testing"
)

// With last year's figures the statement gives each indicator a trend
// sentence, marks last year in the IMD chart and adds a change column to the
// summary table; without them, none of these. Change rows in the metrics are
// not groups.
func TestStatementTrend(t *testing.T) {
	with := statementText(t, withChanges(sampleInput()))
	for _, s := range []string{
		// ER-1a: significant rise; the gap's fall is not significant.
		"Since 2024/25, the overall value went from 19.6% to 22.8% (+3.2 pp, 95% CI +2.4 to +4.1 pp): an increase the intervals show to be significant.",
		"The gap between the most and least deprived quintiles went from +14.1 pp to +12.8 pp (−1.3 pp, 95% CI −4.0 to +1.5 pp), not a significant change.",
		// ER-2b: not like for like, and not significant.
		"not a significant change. The definition changed between the two years, so the comparison is not like for like.",
		// CVD-1: not published last year.
		"The overall value cannot be compared with 2024/25: it was not published in one of the two years.",
		// The chart's marker.
		"2024/25 overall 19.6%",
		// Key findings list the significant change.
		"Largest changes since 2024/25",
		"19.6% to 22.8% (+3.2 pp, 95% CI +2.4 to +4.1 pp), an increase.",
	} {
		if !strings.Contains(with, s) {
			t.Errorf("with last year's figures, the statement lacks %q", s)
		}
	}
	for _, s := range []string{"overall_difference", "gap_difference"} {
		if strings.Contains(with, s) {
			t.Errorf("a change row is shown as a group: %q", s)
		}
	}
	// The summary table's change column, read from the HTML (the PDF's
	// columns interleave in pdftotext).
	summary := func(in Input) string {
		return htmlSection(t, mustParseHTML(t, mustWrite(t, in)), "Summary of indicators")
	}
	withTable := summary(withChanges(sampleInput()))
	for _, s := range []string{"Change since 2024/25", "+3.2 pp significant", "−117.2 not like for like"} {
		if !strings.Contains(withTable, s) {
			t.Errorf("with last year's figures, the summary table lacks %q", s)
		}
	}
	without := statementText(t, sampleInput()) + summary(sampleInput())
	for _, s := range []string{"Since 2024/25", "2024/25 overall", "Change since", "Largest changes since", "cannot be compared with"} {
		if strings.Contains(without, s) {
			t.Errorf("without last year's figures, the statement says %q", s)
		}
	}
}

// Key findings come from the data: the significant gaps largest first, the
// significant ratios to White, and the sources whose unusable fields limit
// the conclusions.
func TestKeyFindings(t *testing.T) {
	b := builtinBuilder(t)
	b.in = withWithheld(sampleInput())
	b.inds, b.rows = statementIndicators(b.in)
	s := b.keyFindings()
	if b.err != nil {
		t.Fatal(b.err)
	}
	var lists [][]string
	var heads []string
	for _, bl := range s.blocks {
		switch bl := bl.(type) {
		case *headingBlock:
			heads = append(heads, bl.text)
		case *listBlock:
			var items []string
			for _, it := range bl.items {
				items = append(items, plainText(it))
			}
			lists = append(lists, items)
		}
	}
	wantHeads := []string{"Largest differences by deprivation", "Ethnic groups that differ from the White group", "Data quality that limits these conclusions"}
	if strings.Join(heads, "|") != strings.Join(wantHeads, "|") {
		t.Errorf("headings %q, want %q", heads, wantHeads)
	}
	if len(lists) != 3 {
		t.Fatalf("%d lists, want 3: %q", len(lists), lists)
	}
	// ER-2b's ratio Q1/Q5 (1.94) is further from 1 than ER-1a's (1.78) and
	// CVD-1's (0.91).
	for i, id := range []string{"(ER-2b)", "(ER-1a)", "(CVD-1)"} {
		if i >= len(lists[0]) || !strings.Contains(lists[0][i], id) {
			t.Errorf("gap %d: %q, want %s", i+1, lists[0], id)
		}
	}
	for _, it := range lists[1] {
		if !strings.Contains(it, "significantly") || !strings.Contains(it, "times the White group's value") {
			t.Errorf("ethnic finding %q", it)
		}
	}
	// cvdprevent: 9.5% without a valid LSOA, above the 5% limit; its
	// ethnicity shares are withheld, so not judged.
	if len(lists[2]) == 0 || lists[2][0] != "cvdprevent: 9.5% without a valid LSOA." {
		t.Errorf("quality warnings %q", lists[2])
	}
}

// The PDF declares its language and has an outline: a bookmark for every
// section, domain and indicator.
func TestStatementPDFOutlineAndLanguage(t *testing.T) {
	pdf := string(mustRead(t, filepath.Join(mustWrite(t, sampleInput()), StatementFile)))
	if !strings.Contains(pdf, "/Lang (en-GB)") {
		t.Error("statement.pdf does not declare its language en-GB")
	}
	if !strings.Contains(pdf, "/Outlines") || !strings.Contains(pdf, "/PageMode /UseOutlines") {
		t.Error("statement.pdf has no outline shown on opening")
	}
	for _, title := range []string{"Key findings", "Summary of indicators", "Elective recovery", "ER-1a Percentage of the waiting list waiting 18 weeks or more", "Methods"} {
		if !strings.Contains(pdf, pdfUTF16(title)) {
			t.Errorf("no bookmark %q", title)
		}
	}
}

// pdfUTF16 is how fpdf writes a bookmark title: UTF-16BE with a byte-order
// mark, in a PDF string.
func pdfUTF16(s string) string {
	var b strings.Builder
	b.WriteString("\xfe\xff")
	for _, r := range s {
		b.WriteByte(byte(r >> 8))
		b.WriteByte(byte(r))
	}
	return b.String()
}

// A gap withheld by disclosure control is never worked out for the key
// findings from the quintiles.
func TestKeyFindingsWithheldGap(t *testing.T) {
	b := builtinBuilder(t)
	b.in = withSuppressedSummary(sampleInput())
	b.inds, b.rows = statementIndicators(b.in)
	s := b.keyFindings()
	if b.err != nil {
		t.Fatal(b.err)
	}
	for _, bl := range s.blocks {
		if l, ok := bl.(*listBlock); ok {
			for _, it := range l.items {
				text := plainText(it)
				if strings.Contains(text, "(ER-1a)") && strings.Contains(text, "gap") {
					t.Errorf("ER-1a's withheld gap is printed: %q", text)
				}
			}
		}
	}
}
