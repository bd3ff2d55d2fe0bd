package render

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// mustParseHTML parses statement.html from a run folder.
func mustParseHTML(tb testing.TB, dir string) *html.Node {
	tb.Helper()
	doc, err := html.Parse(bytes.NewReader(mustRead(tb, filepath.Join(dir, StatementHTML))))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// walk calls f on n and every node below it, in document order.
func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// textOf is the text under n, with runs of white space folded.
func textOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data + " ")
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

func elements(root *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

// The HTML statement has what WCAG and GOV.UK ask of it, by construction:
// checked here without a browser, so that it holds where chromium is absent.
func TestStatementHTMLStructure(t *testing.T) {
	dir := mustWrite(t, withChanges(sampleInput()))
	raw := string(mustRead(t, filepath.Join(dir, StatementHTML)))
	doc := mustParseHTML(t, dir)
	root := elements(doc, "html")[0]
	if attr(root, "lang") != "en-GB" {
		t.Errorf("html lang %q, want en-GB", attr(root, "lang"))
	}
	for _, bad := range []string{"<script", " src=", "<link", "@import", "url(", "<iframe", "<img"} {
		if strings.Contains(raw, bad) {
			t.Errorf("statement.html contains %q: it must be one self-contained file with no script", bad)
		}
	}
	links := elements(doc, "a")
	if len(links) == 0 || attr(links[0], "href") != "#main" || len(elements(doc, "main")) != 1 || attr(elements(doc, "main")[0], "id") != "main" {
		t.Error("the first link is not a skip link to <main id=main>")
	}
	ids := map[string]bool{}
	walk(doc, func(n *html.Node) {
		if id := attr(n, "id"); id != "" {
			if ids[id] {
				t.Errorf("id %q used twice", id)
			}
			ids[id] = true
		}
	})
	for _, a := range links {
		if h := attr(a, "href"); strings.HasPrefix(h, "#") && !ids[h[1:]] {
			t.Errorf("link %q (%s) goes nowhere", h, textOf(a))
		}
	}
	if len(elements(doc, "nav")) != 1 || !strings.HasPrefix(textOf(elements(doc, "nav")[0]), "Contents") {
		t.Error("no contents")
	}
	// Headings start at h1 and never skip a level going down.
	level := 0
	var outline []string
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode || len(n.Data) != 2 || n.Data[0] != 'h' || n.Data[1] < '1' || n.Data[1] > '6' {
			return
		}
		l, _ := strconv.Atoi(n.Data[1:])
		if l > level+1 {
			t.Errorf("heading %q is h%d after h%d", textOf(n), l, level)
		}
		level = l
		outline = append(outline, n.Data+" "+textOf(n))
	})
	for _, want := range []string{"h1 Health Inequalities Information Statement 2025/26", "h2 Key findings", "h2 Summary of indicators",
		"h3 Elective recovery", "h4 ER-1a Percentage of the waiting list waiting 18 weeks or more", "h2 Methods", "h3 Confidence intervals"} {
		if !slices.Contains(outline, want) {
			t.Errorf("no heading %q in %q", want, outline)
		}
	}
	tables := elements(doc, "table")
	if len(tables) < 10 {
		t.Fatalf("%d tables", len(tables))
	}
	for _, tb := range tables {
		caps := elements(tb, "caption")
		if len(caps) != 1 || textOf(caps[0]) == "" {
			t.Errorf("a table has no caption: %.80s", textOf(tb))
		}
		for _, th := range elements(tb, "th") {
			if s := attr(th, "scope"); s != "col" && s != "row" && s != "rowgroup" {
				t.Errorf("th %q has scope %q", textOf(th), s)
			}
		}
	}
	svgs := elements(doc, "svg")
	// Charts by IMD quintile and ethnic group for ER-1a and ER-2b; CVD-1
	// (aggregate) has only quintiles.
	if len(svgs) != 5 {
		t.Errorf("%d charts, want 5", len(svgs))
	}
	for _, s := range svgs {
		labels := strings.Fields(attr(s, "aria-labelledby"))
		if attr(s, "role") != "img" || len(labels) != 2 || len(elements(s, "title")) != 1 || len(elements(s, "desc")) != 1 {
			t.Errorf("chart without role=img, title and description: %s", attr(s, "aria-labelledby"))
			continue
		}
		desc := textOf(elements(s, "desc")[0])
		if !strings.HasPrefix(desc, "Bar chart of ") {
			t.Errorf("chart description %q", desc)
		}
		// The same data as a table, next to the chart.
		fig := s.Parent
		if fig.Data != "figure" || len(elements(fig, "table")) != 1 {
			t.Errorf("chart %s has no data table", labels[0])
		}
	}
	// ER-1a's ethnic chart shows Not stated and Not known.
	for _, s := range svgs {
		if strings.Contains(attr(s, "aria-labelledby"), "er-1a-ethnic-group") {
			if d := textOf(elements(s, "desc")[0]); !strings.Contains(d, "Not stated: 22.7% (20.3 to 25.3)") || !strings.Contains(d, "Not known: 17.0%") {
				t.Errorf("ER-1a's ethnic chart hides the unknown groups: %s", d)
			}
		}
	}
}

// numberRE matches a number as the statement prints it.
var numberRE = regexp.MustCompile(`[−+]?\d[\d,]*(?:\.\d+)?%?`)

func numbers(s string) []string {
	n := numberRE.FindAllString(s, -1)
	slices.Sort(n)
	return n
}

// pdfSection is the text of the PDF pages whose running header names the
// section, without the running header and footer.
func pdfSection(t *testing.T, pdf, title string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	var b strings.Builder
	for _, page := range strings.Split(string(out), "\f") {
		lines := strings.Split(strings.TrimLeft(page, "\n"), "\n")
		if len(lines) == 0 || !strings.HasSuffix(strings.TrimSpace(lines[0]), title) {
			continue
		}
		for _, l := range lines[1:] {
			if !regexp.MustCompile(`Page \d+ of \d+`).MatchString(l) {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}

// htmlSection is the text of the HTML section with the title.
func htmlSection(t *testing.T, doc *html.Node, title string) string {
	t.Helper()
	for _, s := range elements(doc, "section") {
		if h := elements(s, "h2"); len(h) > 0 && textOf(h[0]) == title {
			return textOf(s)
		}
	}
	t.Fatalf("no HTML section %q", title)
	return ""
}

// The HTML and PDF statements carry the same numbers: every number of the
// summary table (the comparator's column too), the key findings and the
// data-quality section, as printed.
func TestStatementHTMLAndPDFAgree(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not on PATH (apt-get install poppler-utils): PDF and HTML not compared")
	}
	for name, in := range map[string]Input{
		"with changes":    withChanges(withPrevious(sampleInput())),
		"withheld values": withWithheld(sampleInput()),
		// The comparator's column in the summary (with and without the
		// change column) and its unassigned records in data quality.
		"with comparator":             withComparator(withWithheld(sampleInput())),
		"with comparator and changes": withComparator(withChanges(withPrevious(sampleInput()))),
		"with two comparators":        withNational(withComparator(withChanges(withPrevious(sampleInput())))),
	} {
		t.Run(name, func(t *testing.T) {
			dir := mustWrite(t, in)
			doc := mustParseHTML(t, dir)
			for _, title := range []string{"Summary of indicators", "Key findings", "Data quality"} {
				p := numbers(pdfSection(t, filepath.Join(dir, StatementFile), title))
				h := numbers(htmlSection(t, doc, title))
				if len(p) < 10 {
					t.Errorf("%s: only %d numbers in the PDF", title, len(p))
				}
				if !slices.Equal(p, h) {
					t.Errorf("%s: the PDF and HTML differ\nPDF:  %q\nHTML: %q", title, p, h)
				}
			}
		})
	}
}
