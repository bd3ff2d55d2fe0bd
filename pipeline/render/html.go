package render

// The HTML writer's walk over the document model: statement.html, one
// self-contained file (inline CSS and SVG, no script, no external request)
// in the style of GOV.UK's typography and tables, meeting WCAG 2.2 AA:
// language set, headings in order, a skip link and contents, tables with
// captions and header scopes, charts as SVG images with a title, a
// description and their data as a table.

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// htmlWriter writes one document.
type htmlWriter struct {
	b   strings.Builder
	m   *document
	ids map[string]int // ids handed out, to keep them unique
}

// statementHTML renders statement.html from the document. The same document
// always gives the same bytes.
func statementHTML(m *document) ([]byte, error) {
	w := &htmlWriter{m: m, ids: map[string]int{}}
	w.document()
	return []byte(w.b.String()), nil
}

func esc(s string) string { return html.EscapeString(s) }

// escLines escapes s and turns its line breaks into <br>.
func escLines(s string) string { return strings.ReplaceAll(esc(s), "\n", "<br>") }

func (w *htmlWriter) p(format string, a ...any) { fmt.Fprintf(&w.b, format, a...) }

// anchor is the id of a contents key ("domain:Elective recovery" →
// "domain-elective-recovery", "ind:ER-1a" → "ind-er-1a").
func anchor(key string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(key) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// newID returns a unique id built from base.
func (w *htmlWriter) newID(base string) string {
	id := anchor(base)
	w.ids[id]++
	if n := w.ids[id]; n > 1 {
		id += "-" + strconv.Itoa(n)
	}
	return id
}

func (w *htmlWriter) document() {
	m := w.m
	title := m.title + " – " + m.org.Name
	w.p("<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", esc(m.lang))
	w.p("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	w.p("<meta name=\"description\" content=\"%s\">\n", esc(m.subject))
	if m.version != "" {
		w.p("<meta name=\"generator\" content=\"hiis %s\">\n", esc(m.version))
	}
	w.p("<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(title), statementCSS)
	w.p("<a class=\"skip-link\" href=\"#main\">Skip to main content</a>\n")
	w.p("<header class=\"masthead\"><div class=\"width\"><p class=\"masthead-kind\">%s</p><p class=\"masthead-org\">%s</p></div></header>\n",
		esc(m.kindLabel), esc(m.org.Name))
	w.p("<main id=\"main\" class=\"width\" tabindex=\"-1\">\n")
	w.p("<p class=\"caption-l\">%s", esc(m.org.Name))
	if m.org.Code != "" {
		w.p(" (organisation code %s)", esc(m.org.Code))
	}
	w.p("</p>\n<h1>Health Inequalities Information Statement <span class=\"nowrap\">%s</span></h1>\n", esc(m.period))
	w.p("<p class=\"lead\">%s</p>\n", esc(m.scope))
	w.contents()
	for _, s := range m.sections {
		w.section(s)
	}
	w.p("</main>\n<footer class=\"footer\"><div class=\"width\"><p>%s</p></div></footer>\n</body>\n</html>\n", esc(m.note))
}

// contents is the list of sections (and domains) with links.
func (w *htmlWriter) contents() {
	w.p("<nav class=\"contents\" aria-labelledby=\"contents\">\n<h2 id=\"contents\">Contents</h2>\n<ol>\n")
	entries := w.m.contents()
	for i, e := range entries {
		if e.level > 0 {
			continue
		}
		w.p("<li><a href=\"#%s\">%s</a>", anchor(e.key), esc(e.title))
		j := i + 1
		if j < len(entries) && entries[j].level > 0 {
			w.p("\n<ol>\n")
			for ; j < len(entries) && entries[j].level > 0; j++ {
				w.p("<li><a href=\"#%s\">%s</a></li>\n", anchor(entries[j].key), esc(entries[j].title))
			}
			w.p("</ol>\n")
		}
		w.p("</li>\n")
	}
	w.p("</ol>\n</nav>\n")
}

func (w *htmlWriter) section(s *section) {
	id := w.newID(s.key)
	w.p("<section aria-labelledby=\"%s\">\n<h2 id=\"%s\">%s</h2>\n", id, id, esc(s.title))
	w.blocks(s.blocks, 3)
	w.p("</section>\n")
}

// blocks writes blocks; top is the level of a level-2 heading block (h3 in
// a section).
func (w *htmlWriter) blocks(bs []block, top int) {
	domain := ""
	for _, bl := range bs {
		switch b := bl.(type) {
		case *headingBlock:
			level := min(top+b.level-2, 6)
			w.p("<h%d>%s</h%d>\n", level, esc(b.text), level)
		case *paraBlock:
			w.p("<p>%s</p>\n", spansHTML(b.spans))
		case *listBlock:
			tag := "ul"
			if b.ordered {
				tag = "ol"
			}
			w.p("<%s class=\"list\">\n", tag)
			for _, it := range b.items {
				w.p("<li>%s</li>\n", spansHTML(it))
			}
			w.p("</%s>\n", tag)
		case *noteBlock:
			w.p("<p class=\"note\">%s</p>\n", esc(b.text))
		case *tableBlock:
			w.table(b, "")
		case *tableGroupBlock:
			w.p("<div class=\"table-group\">\n")
			for _, t := range b.tables {
				w.table(t, "")
			}
			w.p("</div>\n")
			if b.note != "" {
				w.p("<p class=\"note\">%s</p>\n", esc(b.note))
			}
		case *indicatorBlock:
			if b.domain != domain {
				if domain != "" {
					w.p("</div>\n")
				}
				domain = b.domain
				w.p("<div class=\"domain\">\n<h3 id=\"%s\">%s</h3>\n", w.newID("domain:"+domain), esc(domain))
			}
			w.indicator(b)
		}
	}
	if domain != "" {
		w.p("</div>\n")
	}
}

// spansHTML writes inline text: escaped, with strong, em and safe links.
func spansHTML(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		t := esc(s.text)
		if s.em {
			t = "<em>" + t + "</em>"
		}
		if s.strong {
			t = "<strong>" + t + "</strong>"
		}
		if s.href != "" {
			t = "<a href=\"" + esc(s.href) + "\">" + t + "</a>"
		}
		b.WriteString(t)
	}
	return b.String()
}

// table writes a table in a scrollable, focusable region: a caption (with
// context, visually hidden, when the caption alone is ambiguous), column
// headers with scope, each band of rows as a tbody headed by a rowgroup
// header, and the first cell of each row as its row header.
func (w *htmlWriter) table(t *tableBlock, context string) {
	label := t.caption
	if context != "" {
		label += " – " + context
	}
	tableClass, captionClass := "", ""
	if len(t.cols) >= 6 {
		// Wide tables keep readable columns and scroll in their region
		// on a narrow screen (or at 200% zoom) rather than squeeze.
		tableClass = " class=\"wide\""
	}
	if t.hideCaption {
		captionClass = " class=\"visually-hidden\""
	}
	w.p("<div class=\"table-wrap\" role=\"region\" aria-label=\"%s\" tabindex=\"0\">\n<table%s>\n<caption%s>%s", esc(label), tableClass, captionClass, esc(t.caption))
	if context != "" {
		w.p("<span class=\"visually-hidden\"> – %s</span>", esc(context))
	}
	w.p("</caption>\n<thead><tr>")
	for _, c := range t.cols {
		w.p("<th scope=\"col\"%s>%s</th>", alignClass(c.align), escLines(c.head))
	}
	w.p("</tr></thead>\n<tbody>\n")
	for i, r := range t.rows {
		if r.section != "" {
			if i > 0 {
				w.p("</tbody>\n<tbody>\n")
			}
			w.p("<tr class=\"band\"><th scope=\"rowgroup\" colspan=\"%d\">%s</th></tr>\n", len(t.cols), esc(r.section))
			continue
		}
		cls := ""
		if r.bold {
			cls = " class=\"sig\""
		}
		w.p("<tr%s>", cls)
		for j, c := range t.cols {
			text := ""
			if j < len(r.cells) {
				text = escLines(r.cells[j])
			}
			if j == 0 {
				if r.link != "" {
					text = "<a href=\"#" + anchor(r.link) + "\">" + text + "</a>"
				}
				w.p("<th scope=\"row\"%s>%s</th>", alignClass(c.align), text)
				continue
			}
			w.p("<td%s>%s</td>", alignClass(c.align), text)
		}
		w.p("</tr>\n")
	}
	w.p("</tbody>\n</table>\n</div>\n")
	if t.note != "" {
		w.p("<p class=\"note\">%s</p>\n", esc(t.note))
	}
}

func alignClass(a string) string {
	if a == "R" {
		return " class=\"num\""
	}
	return ""
}

func (w *htmlWriter) indicator(p *indicatorBlock) {
	id := anchor("ind:" + p.ind.ID)
	w.ids[id]++
	w.p("<article class=\"indicator\" aria-labelledby=\"%s\">\n<h4 id=\"%s\"><span class=\"ind-id\">%s</span> %s</h4>\n",
		id, id, esc(p.ind.ID), esc(p.ind.Name))
	w.p("<p class=\"meta\">%s</p>\n", esc(p.meta))
	if p.description != "" {
		w.p("<p>%s</p>\n", esc(p.description))
	}
	if p.noResult != "" {
		w.p("<p>%s</p>\n</article>\n", esc(p.noResult))
		return
	}
	w.p("<div class=\"inset\"><p><strong>Key finding.</strong> %s</p>", esc(p.finding))
	if p.trend != "" {
		w.p("<p>%s</p>", esc(p.trend))
	}
	for _, bm := range p.benchmarks {
		w.p("<p>%s</p>", esc(bm))
	}
	w.p("</div>\n")
	if len(p.charts) > 0 {
		w.p("<div class=\"charts\">\n")
		for _, c := range p.charts {
			w.chart(p, c)
		}
		w.p("</div>\n")
	}
	w.table(p.results, p.ind.ID+" "+p.ind.Name)
	if p.summary != nil {
		w.table(p.summary, p.ind.ID+" "+p.ind.Name)
	}
	w.p("</article>\n")
}

// SVG chart geometry, in the viewBox's units (CSS pixels at 100%).
const (
	svgW      = 600.0
	svgStep   = 30.0
	svgBarH   = 18.0
	svgFont   = 13.0
	svgCharW  = 6.6 // average advance of the chart font at svgFont
	svgBelow  = 44.0
	svgMarker = 18.0
	svgKey    = 22.0 // the key to the comparator's markers
	svgDiam   = 6.0  // half the width of a comparator's diamond
)

// svgNum prints an SVG coordinate to one decimal.
func svgNum(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// svgMark is a comparator's marker centred on x, y, by shape (see
// markerShapes): a grey diamond outlined in white, or a white triangle or
// circle outlined in black, so that each stands out on a bar and on a
// whisker and the shapes differ without colour.
func svgMark(shape int, x, y float64) string {
	n := svgNum
	switch shape % len(markerShapes) {
	case 1:
		return fmt.Sprintf("<path d=\"M%s %sL%s %sL%s %sZ\" fill=\"#fff\" stroke=\"#0b0c0c\" stroke-width=\"1.5\"/>",
			n(x), n(y-svgDiam), n(x+svgDiam), n(y+svgDiam*0.8), n(x-svgDiam), n(y+svgDiam*0.8))
	case 2:
		return fmt.Sprintf("<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"#fff\" stroke=\"#0b0c0c\" stroke-width=\"1.5\"/>", n(x), n(y), n(svgDiam*0.8))
	}
	return fmt.Sprintf("<path d=\"M%s %sL%s %sL%s %sL%s %sZ\" fill=\"#505a5f\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
		n(x), n(y-svgDiam), n(x+svgDiam), n(y), n(x), n(y+svgDiam), n(x-svgDiam), n(y))
}

// svgRefDashes are the reference lines' dash patterns, as refDashes names
// them.
var svgRefDashes = []string{"12 4", "8 3 2 3", "12 3 4 3"}

// chart writes a figure: an SVG bar chart with role="img", a title and a
// description that states every value, then the same data as a table.
func (w *htmlWriter) chart(p *indicatorBlock, c *chart) {
	id := w.newID("chart-" + c.id)
	labelW, valueW := 0.0, 0.0
	for _, b := range c.bars {
		labelW = max(labelW, float64(len([]rune(b.label)))*svgCharW+12)
		valueW = max(valueW, float64(len([]rune(b.text)))*svgCharW+10)
	}
	above := svgMarker + 6
	if c.lastTxt != "" {
		above += svgMarker
	}
	above += float64(len(c.refs)) * svgMarker
	plotX, plotW := labelW, svgW-labelW-valueW
	top := above
	bottom := top + float64(len(c.bars))*svgStep
	height := bottom + svgBelow
	height += float64(len(c.marks)) * svgKey
	xOf := func(v float64) float64 { return plotX + (v-c.axisLo)/(c.axisHi-c.axisLo)*plotW }
	n := svgNum

	title := p.ind.ID + " " + p.ind.Name + ": " + lowerFirst(c.title)
	w.p("<figure class=\"chart\">\n<figcaption>%s</figcaption>\n", esc(c.title))
	w.p("<svg role=\"img\" aria-labelledby=\"%s-title %s-desc\" viewBox=\"0 0 %s %s\" width=\"100%%\" preserveAspectRatio=\"xMinYMin meet\" font-size=\"%s\" font-family=\"arial, sans-serif\">\n",
		id, id, n(svgW), n(height), n(svgFont))
	w.p("<title id=\"%s-title\">%s</title>\n<desc id=\"%s-desc\">%s</desc>\n", id, esc(title), id, esc(c.desc))
	// Grid and ticks.
	for _, t := range c.ticks {
		x := xOf(t.v)
		w.p("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#b1b4b6\" stroke-width=\"1\"/>", n(x), n(top), n(x), n(bottom))
		w.p("<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" fill=\"#505a5f\">%s</text>\n", n(x), n(bottom+16), esc(t.label))
	}
	w.p("<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" fill=\"#505a5f\">%s</text>\n", n(plotX+plotW/2), n(bottom+36), esc(c.unit))
	var missing []string
	for i, b := range c.bars {
		y := top + float64(i)*svgStep + (svgStep-svgBarH)/2
		yc := y + svgBarH/2
		w.p("<text x=\"%s\" y=\"%s\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#0b0c0c\">%s</text>", n(plotX-8), n(yc), esc(b.label))
		if math.IsNaN(b.value) {
			// Written last, over the grid and markers, on a white halo.
			x := xOf(0)
			for _, cv := range b.comps {
				if !math.IsNaN(cv.v) && xOf(cv.v)-svgDiam < x+float64(len([]rune(b.missing)))*svgCharW+12 {
					// The label follows the comparator's marker, not over it.
					x = max(x, xOf(cv.v)+svgDiam)
				}
			}
			missing = append(missing, fmt.Sprintf("<text x=\"%s\" y=\"%s\" dominant-baseline=\"middle\" fill=\"#505a5f\" font-style=\"italic\" stroke=\"#fff\" stroke-width=\"5\" paint-order=\"stroke\">%s</text>\n", n(x+6), n(yc), esc(b.missing)))
			continue
		}
		x0, x1 := xOf(0), xOf(b.value)
		fill := "fill=\"#005eb8\""
		if b.muted {
			fill = "fill=\"#e8edee\" stroke=\"#005eb8\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\""
		}
		w.p("<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" %s/>", n(min(x0, x1)), n(y), n(math.Abs(x1-x0)), n(svgBarH), fill)
		if !math.IsNaN(b.lo) && !math.IsNaN(b.hi) {
			a, e := xOf(b.lo), xOf(b.hi)
			w.p("<path d=\"M%s %sH%sM%s %sV%sM%s %sV%s\" stroke=\"#0b0c0c\" stroke-width=\"1.5\" fill=\"none\"/>",
				n(a), n(yc), n(e), n(a), n(yc-6), n(yc+6), n(e), n(yc-6), n(yc+6))
		}
		w.p("<text x=\"%s\" y=\"%s\" dominant-baseline=\"middle\" fill=\"#0b0c0c\">%s</text>\n", n(plotX+plotW+6), n(yc), esc(b.text))
	}
	w.p("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#0b0c0c\" stroke-width=\"1.5\"/>\n", n(xOf(0)), n(top-2), n(xOf(0)), n(bottom))
	marker := func(v float64, label, dash, colour string, labelY float64) {
		x := xOf(v)
		w.p("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>", n(x), n(top-4), n(x), n(bottom), colour, dash)
		lw := float64(len([]rune(label))) * svgCharW
		lx := min(max(x, plotX+lw/2), plotX+plotW-lw/2)
		w.p("<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"%s\">%s</text>\n", n(lx), n(labelY), colour, esc(label))
	}
	labelY := svgMarker - 2
	if c.overallTxt != "" {
		marker(c.overall, c.overallTxt, "6 4", "#0b0c0c", labelY)
	}
	if c.lastTxt != "" {
		labelY += svgMarker
		marker(c.lastYear, c.lastTxt, "1.5 3", "#0b0c0c", labelY)
	}
	for _, r := range c.refs {
		labelY += svgMarker
		marker(r.v, r.label, svgRefDashes[r.style%len(svgRefDashes)], "#505a5f", labelY)
	}
	for k, m := range c.marks {
		for i, b := range c.bars {
			if !math.IsNaN(b.comps[k].v) {
				w.p("%s\n", svgMark(m.shape, xOf(b.comps[k].v), top+float64(i)*svgStep+svgStep/2))
			}
		}
		ky := bottom + svgBelow + svgKey/2 + float64(k)*svgKey
		w.p("%s<text x=\"%s\" y=\"%s\" dominant-baseline=\"middle\" fill=\"#505a5f\">%s</text>\n",
			svgMark(m.shape, plotX+svgDiam, ky), n(plotX+2*svgDiam+6), n(ky), esc(m.key))
	}
	for _, m := range missing {
		w.p("%s", m)
	}
	w.p("</svg>\n")
	w.p("<details>\n<summary>The chart's data as a table</summary>\n")
	data := &tableBlock{caption: c.title, cols: []column{{c.groupHead, 0, "L"}, {"Value", 0, "R"}, {"95% interval", 0, "R"}}}
	for _, m := range c.marks {
		data.cols = append(data.cols, column{m.head + " (95% interval)", 0, "R"})
	}
	for _, b := range c.bars {
		v, iv := b.valTxt, b.ivTxt
		if v == "" {
			v = b.missing
		}
		if iv == "" {
			iv = "–"
		}
		cells := []string{b.label, v, iv}
		for _, cv := range b.comps {
			cells = append(cells, cv.txt)
		}
		data.rows = append(data.rows, tableRow{cells: cells})
	}
	extra := []string{}
	if c.overallTxt != "" {
		extra = append(extra, c.overallTxt+".")
	}
	if c.lastTxt != "" {
		extra = append(extra, c.lastTxt+".")
	}
	for _, r := range c.refs {
		extra = append(extra, r.name+" overall "+strings.TrimPrefix(r.label, r.name+" ")+".")
	}
	data.note = strings.Join(extra, " ")
	w.table(data, p.ind.ID+" "+p.ind.Name)
	w.p("</details>\n</figure>\n")
}

// statementCSS follows GOV.UK Frontend's type scale, colours, tables and
// focus style, with NHS blue for the masthead and the bars. Nothing is
// loaded from elsewhere.
const statementCSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:arial,sans-serif;font-size:1.1875rem;line-height:1.3158;color:#0b0c0c;background:#fff}
.width{max-width:960px;margin:0 15px}
@media (min-width:40.0625em){.width{margin:0 30px}}
@media (min-width:1020px){.width{margin:0 auto}}
.skip-link{position:absolute;left:-9999em;top:0;padding:10px 15px;background:#fd0;color:#0b0c0c;font-size:1rem;text-decoration:underline}
.skip-link:focus{position:static;display:block;outline:3px solid #fd0;outline-offset:0}
.masthead{background:#005eb8;color:#fff;padding:15px 0 12px;border-bottom:10px solid #003087}
.masthead p{margin:0}
.masthead-kind{font-size:1rem;text-transform:uppercase;letter-spacing:.04em;font-weight:700}
.masthead-org{font-size:1.5rem;font-weight:700}
main{display:block;padding:30px 0 45px}
main:focus{outline:none}
h1,h2,h3,h4,h5{font-weight:700;margin:0 0 15px;line-height:1.2}
h1{font-size:2.25rem;margin-bottom:20px}
h2{font-size:1.75rem;margin-top:50px;padding-top:20px;border-top:2px solid #005eb8}
h3{font-size:1.375rem;margin-top:35px}
h4{font-size:1.1875rem;margin-top:25px}
p{margin:0 0 15px;max-width:40em}
.caption-l{color:#505a5f;font-size:1.375rem;margin-bottom:5px}
.lead{font-size:1.375rem}
.nowrap{white-space:nowrap}
a{color:#1d70b8;text-decoration:underline;text-decoration-thickness:max(1px,.0625rem);text-underline-offset:.1578em}
a:visited{color:#4c2c92}
a:hover{color:#003078;text-decoration-thickness:max(3px,.1875rem)}
a:focus,summary:focus,.table-wrap:focus{outline:3px solid transparent;color:#0b0c0c;background-color:#fd0;box-shadow:0 -2px #fd0,0 4px #0b0c0c;text-decoration:none}
.table-wrap:focus{background-color:transparent;box-shadow:0 0 0 3px #fd0,0 0 0 6px #0b0c0c}
.contents ol{padding-left:20px;margin:0 0 15px}
.contents li{margin-bottom:5px}
.contents ol ol{list-style-type:lower-alpha;margin:5px 0 0}
.list{padding-left:20px;margin:0 0 20px;max-width:40em}
.list li{margin-bottom:8px}
.note,.meta{color:#505a5f;font-size:1rem}
.inset{border-left:10px solid #005eb8;background:#f3f2f1;padding:15px;margin:15px 0 25px;max-width:46em}
.inset p:last-child{margin-bottom:0}
.domain{margin-top:10px}
.indicator{border-top:1px solid #b1b4b6;margin-top:30px}
.ind-id{color:#505a5f;margin-right:.4em}
.table-wrap{overflow-x:auto;margin:0 0 20px;max-width:100%}
table{border-collapse:collapse;border-spacing:0;width:100%;font-size:1rem;line-height:1.25}
table.wide{min-width:60em}
caption{text-align:left;font-weight:700;font-size:1.1875rem;margin-bottom:10px}
th,td{padding:10px 20px 10px 0;border-bottom:1px solid #b1b4b6;text-align:left;vertical-align:top}
th:last-child,td:last-child{padding-right:0}
thead th{font-weight:700}
tbody th[scope=row]{font-weight:400}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.band th{background:#f3f2f1;font-weight:700;padding-left:10px}
tr.sig th,tr.sig td{font-weight:700}
.table-group{display:flex;flex-wrap:wrap;gap:0 30px}
.table-group>.table-wrap{flex:1 1 20em}
.charts{display:flex;flex-wrap:wrap;gap:0 30px}
.chart{flex:1 1 26em;margin:0 0 25px;min-width:0}
.chart figcaption{font-weight:700;margin-bottom:5px}
.chart svg{display:block;max-width:100%;height:auto}
details{margin-top:10px}
summary{color:#1d70b8;text-decoration:underline;cursor:pointer;display:list-item}
details[open] summary{margin-bottom:10px}
.visually-hidden{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;border:0!important;white-space:nowrap!important}
.footer{border-top:1px solid #b1b4b6;background:#f3f2f1;padding:25px 0;font-size:1rem;color:#0b0c0c}
@media print{
 body{font-size:11pt}
 .masthead{background:none;color:#0b0c0c;border-bottom:2px solid #0b0c0c}
 .skip-link{display:none}
 h2{break-before:page;border-top:0}
 .indicator,figure,tr{break-inside:avoid}
 .table-wrap{overflow:visible}
 a{color:#0b0c0c}
}
`
