package render

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hiis/pipeline/metrics"
)

// builtinBuilder is a builder with the built-in templates only.
func builtinBuilder(tb testing.TB) *builder {
	tb.Helper()
	p, err := loadProse("")
	if err != nil {
		tb.Fatal(err)
	}
	return &builder{p: p}
}

func TestParseMarkdown(t *testing.T) {
	for _, c := range []struct {
		name string
		src  string
		want []block
	}{
		{"paragraphs and a list", "First line\r\nsame paragraph\n\n- item one\n- item two\n  continued\n \n\nSecond paragraph.  \n",
			[]block{
				&paraBlock{spans: []span{{text: "First line same paragraph"}}},
				&listBlock{items: [][]span{{{text: "item one"}}, {{text: "item two continued"}}}},
				&paraBlock{spans: []span{{text: "Second paragraph."}}},
			}},
		{"heading and numbered list", "## Actions\n1. First\n2. Second",
			[]block{
				&headingBlock{text: "Actions", level: 2},
				&listBlock{ordered: true, items: [][]span{{{text: "First"}}, {{text: "Second"}}}},
			}},
		{"inline marks", "A **bold** and *em* [link](https://example.org/a) [bad](javascript:alert(1)) shown as * and 3 * 4",
			[]block{&paraBlock{spans: []span{
				{text: "A "}, {text: "bold", strong: true}, {text: " and "}, {text: "em", em: true}, {text: " "},
				{text: "link", href: "https://example.org/a"}, {text: " "}, {text: "bad"},
				{text: ") shown as * and 3 * 4"},
			}}}},
		{"escapes and raw html", `\*not em\* <script>x</script>`,
			[]block{&paraBlock{spans: []span{{text: "*not em* <script>x</script>"}}}}},
		{"placeholder", "Before\n\n" + placeholderPrefix + "codes\n\nAfter",
			[]block{&paraBlock{spans: []span{{text: "Before"}}}, &placeholderBlock{name: "codes"}, &paraBlock{spans: []span{{text: "After"}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := parseMarkdown(c.src, 2)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got:")
				for _, b := range got {
					t.Errorf("  %#v", b)
				}
			}
		})
	}
}

// The HTML writer escapes everything and keeps only safe links.
func TestSpansHTML(t *testing.T) {
	got := spansHTML(parseInline(`<b>x</b> **y** [z](https://a.b/?q=1&r=2) [j](javascript:x)`))
	want := `&lt;b&gt;x&lt;/b&gt; <strong>y</strong> <a href="https://a.b/?q=1&amp;r=2">z</a> j`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A template folder overrides a section's wording without a build; files it
// lacks come from the built-ins, and a broken template is an error naming
// the file.
func TestTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	in := sampleInput()
	in.Templates = dir
	base, err := buildDocument(in)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "templates", "statement", "about.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	const old = "Every figure has a 95% confidence interval"
	const repl = "Each number comes with a 95% confidence interval"
	if !strings.Contains(string(src), old) {
		t.Fatalf("about.tmpl no longer says %q: update the test", old)
	}
	if err := os.WriteFile(filepath.Join(dir, "about.tmpl"), []byte(strings.Replace(string(src), old, repl, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := buildDocument(in)
	if err != nil {
		t.Fatal(err)
	}
	html := func(d *document) string {
		b, _ := statementHTML(d)
		return string(b)
	}
	if h := html(base); !strings.Contains(h, old) || strings.Contains(h, repl) {
		t.Errorf("built-in wording missing before the override")
	}
	if h := html(changed); strings.Contains(h, old) || !strings.Contains(h, repl) {
		t.Errorf("the template folder's wording did not reach the statement")
	}
	// Sections the folder does not override keep the built-in wording.
	if h := html(changed); !strings.Contains(h, "The statistics follow OHID") {
		t.Errorf("methods lost its built-in wording")
	}

	if err := os.WriteFile(filepath.Join(dir, "methods.tmpl"), []byte(`{{define "body"}}{{.NoSuchField}}{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var te *TemplateError
	if _, err := buildDocument(in); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "methods.tmpl")) || !errors.As(err, &te) {
		t.Errorf("error %v, want a TemplateError naming methods.tmpl", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "methods.tmpl"), []byte(`{{define "title"}}Methods{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A folder file that lacks a define (made for an earlier hiis) takes
	// that define from hiis's own copy.
	if err := CheckTemplates(dir); err != nil {
		t.Errorf("a methods.tmpl defining only the title: %v", err)
	}
	if d, err := buildDocument(in); err != nil || !strings.Contains(html(d), "The statistics follow OHID") {
		t.Errorf("methods lost its built-in body when the folder's file defines only the title (%v)", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "methods.tmpl"), []byte(`{{define "body"}}{{if}}{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := buildDocument(in); err == nil || !strings.Contains(err.Error(), "methods.tmpl") {
		t.Errorf("error %v, want a parse error naming methods.tmpl", err)
	}
}

// Every section file is compiled into hiis, so a folder may leave any of them out.
func TestEverySectionFileIsBuiltIn(t *testing.T) {
	for _, name := range statementTemplateFiles {
		b, err := os.ReadFile(filepath.Join("..", "..", "templates", "statement", name+".tmpl"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := loadProse("")
		if err != nil {
			t.Fatal(err)
		}
		if p.from[name] != "built-in statement/"+name+".tmpl" || len(b) == 0 {
			t.Errorf("%s: read from %s", name, p.from[name])
		}
	}
}

// Names put into Markdown templates keep their characters.
func TestMDEscape(t *testing.T) {
	for _, s := range []string{"Trust *A* [north]", `back\slash_x`, "plain – text"} {
		if got := plainText(parseInline(mdEscape(s))); got != s {
			t.Errorf("%q came back as %q", s, got)
		}
	}
}

// templateNames lists exactly the {{define}}s the statement runs: every one
// is used by some statement, and none is used without being listed (so a
// folder's template that lacks one fails at load, not at render).
func TestTemplateNamesComplete(t *testing.T) {
	used := map[string]bool{}
	q5Withheld := sampleInput()
	q5Withheld.Metrics = append([]metrics.Row(nil), q5Withheld.Metrics...)
	for i, r := range q5Withheld.Metrics {
		if r.IndicatorID == "ER-1a" && r.Breakdown == metrics.IMDQuintile && r.Group == "5" {
			q5Withheld.Metrics[i].Value, q5Withheld.Metrics[i].Lower95, q5Withheld.Metrics[i].Upper95 = math.NaN(), math.NaN(), math.NaN()
			q5Withheld.Metrics[i].Suppressed = true
		}
		if r.IndicatorID == "ER-1a" && r.Breakdown == metrics.IMDSummary {
			q5Withheld.Metrics[i].Value, q5Withheld.Metrics[i].Lower95, q5Withheld.Metrics[i].Upper95 = math.NaN(), math.NaN(), math.NaN()
			q5Withheld.Metrics[i].Suppressed = true
		}
	}
	for _, in := range []Input{
		q5Withheld,
		withChanges(withWithheld(withPrevious(sampleInput()))),
		withSuppressedSummary(sampleInput()),
		withComparator(withChanges(sampleInput())),
		{Organisation: Organisation{Code: "X1", Name: "Tiny Trust", Kind: "trust"}, Period: "2025/26", Core20Share: math.NaN(),
			Narrative: []Narrative{{Title: "A", Text: "B"}}},
		{Organisation: Organisation{Code: "X1", Name: "Tiny Trust", Kind: "trust"}, Period: "2025/26", Core20Share: math.NaN(),
			Indicators: []Indicator{{ID: "Z-1", Name: "Nothing published"}}},
	} {
		p, err := loadProse("")
		if err != nil {
			t.Fatal(err)
		}
		p.used = used
		b := &builder{in: in, p: p, changes: map[string]map[string]Change{}}
		if _, err := b.build(); err != nil {
			t.Fatal(err)
		}
	}
	listed := map[string]bool{}
	for file, names := range templateNames {
		for _, n := range names {
			listed[file+"/"+n] = true
			if !used[file+"/"+n] {
				t.Errorf("%s is listed but no test statement uses it", file+"/"+n)
			}
		}
	}
	for u := range used {
		if !listed[u] {
			t.Errorf("%s is used but not in templateNames", u)
		}
	}
}
