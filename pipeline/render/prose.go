package render

// The statement's wording comes from Go text/template files, one per
// section, under a templates folder's statement/ (see templates/statement).
// A run reads each file from its own folder when it has one and falls back to
// the built-in copy, so a body rewrites only the sections it wants to.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	builtin "hiis/templates"
)

// statementTemplateFiles are the section templates the statement reads, in
// statement order (without the .tmpl extension), then comparator.tmpl: the
// wording a statement with a comparator adds to several sections.
var statementTemplateFiles = []string{"cover", "key-findings", "about", "summary", "indicators", "quality", "methods", "annex", "comparator"}

// templateNames are the {{define}}s each section file must have: the
// statement uses every one of them.
var templateNames = map[string][]string{
	"cover": {"scope", "note"},
	"key-findings": {"title", "intro", "gaps-heading", "gaps-lead", "gap", "withheld", "ethnic-heading", "ethnic-lead", "ethnic",
		"changes-heading", "changes-lead", "change", "quality-heading", "quality-lead", "quality"},
	"about":   {"title", "intro", "population-heading", "core20", "no-population", "narrative-title"},
	"summary": {"title", "intro", "note", "none"},
	"indicators": {"title", "intro", "imd-chart-title", "ethnic-chart-title", "results-caption", "summary-caption",
		"compare", "finding", "trend", "no-result"},
	"quality": {"title", "intro", "sources-heading", "sources-note", "fields-heading", "change", "fields-note", "none"},
	"methods": {"title", "body"},
	"annex":   {"title", "intro", "none"},
	// The comparator's wording, used only when the run has one.
	"comparator": {"intro", "indicator", "summary-cell", "summary-note", "chart-key", "unassigned", "method",
		"key-heading", "key-lead", "key"},
}

// TemplateError is a statement template that does not parse, lacks a
// {{define}} the statement needs, or fails on the run's data: a problem of
// the run's templates folder, not of hiis.
type TemplateError struct{ Err error }

func (e *TemplateError) Error() string { return e.Err.Error() }
func (e *TemplateError) Unwrap() error { return e.Err }

// placeholder is what {{table "name"}} writes: a line of its own that the
// prose parser turns into the named table.
const placeholderPrefix = "\x00table:"

// prose is the parsed section templates of a run.
type prose struct {
	sets map[string]*template.Template // by file name
	from map[string]string             // file name → where it was read
	used map[string]bool               // "file/name" of each template run, when set (tests)
}

// loadProse parses every section template: the built-in copy, then the
// file in dir when there is one, whose {{define}}s replace the built-in
// ones of the same name. A folder made for an earlier hiis keeps working
// when a section gains a sentence: what it does not define comes from hiis.
// dir "" means built-ins only. Errors name the file.
func loadProse(dir string) (*prose, error) {
	p := &prose{sets: map[string]*template.Template{}, from: map[string]string{}}
	funcs := template.FuncMap{
		"table": func(name string) string { return "\n\n" + placeholderPrefix + name + "\n\n" },
	}
	for _, name := range statementTemplateFiles {
		file := name + ".tmpl"
		builtIn, err := builtin.Statement.ReadFile("statement/" + file)
		if err != nil {
			return nil, fmt.Errorf("built-in statement template %s: %w", file, err)
		}
		where := "built-in statement/" + file
		t, err := template.New(file).Funcs(funcs).Option("missingkey=error").Parse(string(builtIn))
		if err != nil {
			return nil, &TemplateError{fmt.Errorf("statement template %s: %w", where, err)}
		}
		if dir != "" {
			b, err := os.ReadFile(filepath.Join(dir, file))
			switch {
			case err == nil:
				where = filepath.Join(dir, file)
				if _, err := t.Parse(string(b)); err != nil {
					return nil, &TemplateError{fmt.Errorf("statement template %s: %w", where, err)}
				}
			case !errors.Is(err, fs.ErrNotExist):
				return nil, &TemplateError{fmt.Errorf("statement template %s: %w", filepath.Join(dir, file), err)}
			}
		}
		for _, def := range templateNames[name] {
			if t.Lookup(def) == nil {
				return nil, &TemplateError{fmt.Errorf("statement template %s: no {{define %q}} (copy it from hiis's templates/statement/%s)", where, def, file)}
			}
		}
		p.sets[name], p.from[name] = t, where
	}
	return p, nil
}

// CheckTemplates parses the statement templates a run would use: the files
// in dir (a templates folder's statement/), built-ins for the rest. The
// error names the file that does not parse.
func CheckTemplates(dir string) error {
	_, err := loadProse(dir)
	return err
}

// exec runs the named template of a section file with data.
func (p *prose) exec(file, name string, data any) (string, error) {
	t := p.sets[file]
	if t == nil {
		return "", fmt.Errorf("statement template %s.tmpl: not loaded", file)
	}
	if t.Lookup(name) == nil {
		return "", &TemplateError{fmt.Errorf("statement template %s: no {{define %q}}", p.from[file], name)}
	}
	if p.used != nil {
		p.used[file+"/"+name] = true
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", &TemplateError{fmt.Errorf("statement template %s: %w", p.from[file], err)}
	}
	return b.String(), nil
}

// span is a run of inline text: plain, strong, emphasised or a link.
type span struct {
	text   string
	strong bool
	em     bool
	href   string
}

// plainText joins spans for a writer without inline styles: a link whose
// text is not its address is followed by the address in brackets.
func plainText(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.text)
		if s.href != "" && s.href != s.text && "mailto:"+s.text != s.href {
			b.WriteString(" (" + strings.TrimPrefix(s.href, "mailto:") + ")")
		}
	}
	return b.String()
}

// parseMarkdown reads the small, safe subset of Markdown that templates and
// an organisation's own text may use: paragraphs (separated by blank lines),
// "## " and "### " headings, "- " or "* " lists and "1. " numbered lists,
// **strong**, *emphasis* and [links](https://...). Anything else is text;
// raw HTML is text too (the HTML writer escapes it). headingBase is the
// level a "## " heading becomes.
func parseMarkdown(src string, headingBase int) []block {
	var out []block
	var para []string
	var list *listBlock
	flushPara := func() {
		if len(para) > 0 {
			out = append(out, &paraBlock{spans: parseInline(strings.Join(para, " "))})
			para = nil
		}
	}
	flushList := func() {
		if list != nil {
			out = append(out, list)
			list = nil
		}
	}
	var item []string
	flushItem := func() {
		if item != nil {
			list.items = append(list.items, parseInline(strings.Join(item, " ")))
			item = nil
		}
	}
	for _, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		indented := len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t')
		marker, ordered := listMarker(line)
		switch {
		case line == "":
			if list != nil {
				flushItem()
				flushList()
			}
			flushPara()
		case strings.HasPrefix(line, placeholderPrefix):
			flushPara()
			if list != nil {
				flushItem()
				flushList()
			}
			out = append(out, &placeholderBlock{name: strings.TrimPrefix(line, placeholderPrefix)})
		case strings.HasPrefix(line, "### ") || strings.HasPrefix(line, "## "):
			flushPara()
			if list != nil {
				flushItem()
				flushList()
			}
			level := headingBase
			if strings.HasPrefix(line, "### ") {
				level++
			}
			out = append(out, &headingBlock{text: strings.TrimSpace(strings.TrimLeft(line, "#")), level: level})
		case marker > 0 && len(para) == 0:
			if list == nil || list.ordered != ordered {
				if list != nil {
					flushItem()
					flushList()
				}
				list = &listBlock{ordered: ordered}
			}
			flushItem()
			item = []string{strings.TrimSpace(line[marker:])}
		case list != nil && indented:
			item = append(item, line)
		default:
			if list != nil {
				flushItem()
				flushList()
			}
			para = append(para, line)
		}
	}
	if list != nil {
		flushItem()
		flushList()
	}
	flushPara()
	return out
}

// listMarker returns the length of a list item's marker at the start of
// line ("- ", "* ", "12. "), 0 when it is not a list item.
func listMarker(line string) (n int, ordered bool) {
	if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") {
		return 2, false
	}
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && strings.HasPrefix(line[i:], ". ") {
		return i + 2, true
	}
	return 0, false
}

// parseInline splits text into spans: **strong**, *emphasis*, [text](url)
// with an http, https or mailto address (any other link is kept as its
// text), and \ escaping the next character. An opening * or ** with no
// closing one is plain text, so "shown as *" needs no escape.
func parseInline(s string) []span {
	var out []span
	var cur strings.Builder
	flush := func(strong, em bool, href string) {
		if cur.Len() > 0 {
			out = append(out, span{text: cur.String(), strong: strong, em: em, href: href})
			cur.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("\\*_[]()#-", s[i+1]) >= 0:
			cur.WriteByte(s[i+1])
			i += 2
			continue
		case strings.HasPrefix(s[i:], "**"):
			if j := closing(s, i+2, "**"); j > 0 {
				flush(false, false, "")
				for _, in := range parseInline(s[i+2 : j]) {
					in.strong = true
					out = append(out, in)
				}
				i = j + 2
				continue
			}
		case c == '*':
			if j := closing(s, i+1, "*"); j > 0 {
				flush(false, false, "")
				for _, in := range parseInline(s[i+1 : j]) {
					in.em = true
					out = append(out, in)
				}
				i = j + 1
				continue
			}
		case c == '[':
			if text, href, n, ok := link(s[i:]); ok {
				flush(false, false, "")
				for _, in := range parseInline(text) {
					if safeHref(href) {
						in.href = href
					}
					out = append(out, in)
				}
				i += n
				continue
			}
		}
		cur.WriteByte(c)
		i++
	}
	flush(false, false, "")
	return out
}

// mdEscape escapes the characters that would start inline Markdown, for
// data (names, labels) that a template puts into Markdown text.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\*_[]`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// closing finds delim closing an emphasis opened before from: the text
// inside must not start or end with a space. -1 when there is none.
func closing(s string, from int, delim string) int {
	if from >= len(s) || s[from] == ' ' || strings.HasPrefix(s[from:], delim) {
		return -1
	}
	for j := from + 1; j+len(delim) <= len(s); j++ {
		if s[j] == '\\' {
			j++
			continue
		}
		if strings.HasPrefix(s[j:], delim) && s[j-1] != ' ' {
			if delim == "*" && strings.HasPrefix(s[j:], "**") {
				j++
				continue
			}
			return j
		}
	}
	return -1
}

// link reads "[text](href)" at the start of s.
func link(s string) (text, href string, n int, ok bool) {
	end := strings.Index(s, "](")
	if end < 0 {
		return "", "", 0, false
	}
	close := strings.IndexByte(s[end+2:], ')')
	if close < 0 {
		return "", "", 0, false
	}
	href = strings.TrimSpace(s[end+2 : end+2+close])
	if strings.ContainsAny(href, " \t") || s[1:end] == "" {
		return "", "", 0, false
	}
	return s[1:end], href, end + 3 + close, true
}

// safeHref allows only web and mail links: no javascript:, data: or
// relative links reach the published HTML.
func safeHref(h string) bool {
	l := strings.ToLower(h)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:")
}
