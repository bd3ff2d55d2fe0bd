package render

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"hiis/pipeline/metrics"
)

// fixedDocDate is the creation and modification date written into the data
// pack's document properties, so the file does not depend on the clock.
const fixedDocDate = "2000-01-01T00:00:00Z"

// columnDescriptions explain metrics.Columns on the README sheet.
var columnDescriptions = map[string]string{
	"indicator_id": "Indicator identifier; one sheet per indicator, named by it",
	"period":       "Reporting period",
	"organisation": "Organisation code",
	"breakdown":    "overall, imd_quintile (1 = most deprived, 5 = least deprived), imd_summary, ethnic_group, ethnic_ratio, age_band or sex",
	"group":        "Group within the breakdown; imd_summary: gap_q1_q5, ratio_q1_q5, sii, rii; ethnic_ratio: \"<group> / White\"",
	"numerator":    "Numerator (events, people) after disclosure control",
	"denominator":  "Denominator (population, register, pathways) after disclosure control",
	"value":        "Indicator value in the indicator's unit (multiplier applied)",
	"lower_95":     "Lower 95% confidence limit",
	"upper_95":     "Upper 95% confidence limit",
	"lower_998":    "Lower 99.8% confidence limit",
	"upper_998":    "Upper 99.8% confidence limit",
	"method":       "Statistical method of the value and its limits",
	"suppressed":   "TRUE when disclosure control withheld a count or value in this row",
	"note":         "Why a value is missing, suppressed or not published",
}

// xlsxPack builds datapack.xlsx.
type xlsxPack struct {
	f            *excelize.File
	in           Input
	comps        []*comparator // the comparators, in order; none without
	headStyle    int
	titleStyle   int
	sectionStyle int
	keyStyle     int
	wrapStyle    int
	linkStyle    int
	// thousandsStyle shows whole numbers with thousands separators (#,##0).
	thousandsStyle int
	// countStyle, dec1Style and dec2Style are the number formats of the
	// indicator tables: counts, rates and percentages, ratios.
	countStyle, dec1Style, dec2Style int
	// flagStyle shows the suppressed flag as TRUE or FALSE in every
	// spreadsheet (LibreOffice shows a bare boolean TRUE as 1).
	flagStyle int
}

// Sheet names the data pack always has.
const (
	readmeSheet   = "README"
	contentsSheet = "Contents"
	qualitySheet  = "Data quality"
	popSheet      = "Population"
)

// The indicator sheet's layout: the table's header row and where the chart
// and its data go.
const (
	tableHeaderRow = 7
	chartDataCol   = 17 // Q: the chart's data, beside the table (three columns further right per comparator)
)

// compColumns are a comparator's columns of an indicator's table, after
// metrics.Columns (P to R for the first, S to U for the second): its value
// and 95% limits for the row's breakdown and group, on the overall and IMD
// quintile rows, named by its key ("comparator_value", "national_value").
func compColumns(c *comparator) []string {
	return []string{c.key + "_value", c.key + "_lower_95", c.key + "_upper_95"}
}

// compColumnsN is the number of columns each comparator adds.
const compColumnsN = 3

// colName is the letter of column n (1 = A).
func colName(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}

// chartCol is the first column of an indicator sheet's chart data.
func (p *xlsxPack) chartCol() int {
	return chartDataCol + compColumnsN*len(p.comps)
}

// lastTableCol is the last column of an indicator's table: O, then three
// more per comparator.
func (p *xlsxPack) lastTableCol() string {
	return colName(len(metrics.Columns) + compColumnsN*len(p.comps))
}

// compRange is the first and last column of comparator k's columns.
func compRange(k int) (string, string) {
	first := len(metrics.Columns) + compColumnsN*k + 1
	return colName(first), colName(first + compColumnsN - 1)
}

// compCells are comparator c's value and 95% limits for row m: blank for
// a breakdown that is not compared or a group the comparator lacks (or a
// number it does not have), * where it is withheld.
func (p *xlsxPack) compCells(comp *comparator, m metrics.Row) []any {
	out := make([]any, compColumnsN)
	if !comparedBreakdown(m.Breakdown) {
		return out
	}
	c := comp.find(m.IndicatorID, m.Breakdown, m.Group)
	if c == nil {
		return out
	}
	for i, v := range []float64{c.Value, c.Lower95, c.Upper95} {
		switch {
		case withheldCell(*c, v):
			out[i] = "*"
		case math.IsNaN(v):
		case v == 0:
			out[i] = 0.0
		default:
			out[i] = v
		}
	}
	return out
}

// xlsxCompColours are the comparators' bar colours in the data pack's
// charts, with their names: mid grey, then a light yellow that differs from
// the organisation's NHS blue and the grey in lightness as well as hue.
var xlsxCompColours = [][2]string{{"768692", "grey"}, {"FFB81C", "yellow"}, {"231F20", "black"}}

// dataPackXLSX renders datapack.xlsx: README, Contents, one sheet per
// indicator (title, definition, a bar chart by IMD quintile, the table),
// Data quality, Population. Rows are written cell by cell (not streamed) so
// that the parts of the zip come out in a fixed order, and the document
// properties carry a fixed date, so the same input gives the same bytes.
func dataPackXLSX(in Input) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	p := &xlsxPack{f: f, in: in, comps: newComparators(in)}
	if err := p.styles(); err != nil {
		return nil, err
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Created:        fixedDocDate,
		Modified:       fixedDocDate,
		Creator:        "hiis",
		LastModifiedBy: "hiis",
		Title:          "Health Inequalities Information Statement " + in.Period + " – data pack",
		Subject:        in.Organisation.Name,
		Language:       "en-GB",
	}); err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", readmeSheet); err != nil {
		return nil, err
	}
	sheets := indicatorSheetNames(in)
	if err := p.readme(sheets); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", readmeSheet, err)
	}
	if err := p.contents(sheets); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", contentsSheet, err)
	}
	for _, s := range sheets {
		if err := p.indicator(s); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", s.name, err)
		}
	}
	if err := p.dataQuality(); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", qualitySheet, err)
	}
	if err := p.population(); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", popSheet, err)
	}
	f.SetActiveSheet(0)
	// Adding a chart lists the image types in map order; sort them so the
	// same input gives the same bytes.
	if ct := f.ContentTypes; ct != nil {
		sort.SliceStable(ct.Defaults, func(i, j int) bool { return ct.Defaults[i].Extension < ct.Defaults[j].Extension })
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (p *xlsxPack) styles() error {
	right := &excelize.Alignment{Horizontal: "right"}
	fmt0, fmt1, fmt2, flag := "#,##0", "#,##0.0", "0.00", `"TRUE";"TRUE";"FALSE"`
	for _, s := range []struct {
		id    *int
		style *excelize.Style
	}{
		{&p.headStyle, &excelize.Style{
			Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"005EB8"}},
			Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		}},
		{&p.titleStyle, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Color: "005EB8"}}},
		{&p.sectionStyle, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 12, Color: "003087"}}},
		{&p.keyStyle, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&p.wrapStyle, &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&p.linkStyle, &excelize.Style{Font: &excelize.Font{Color: "005EB8", Underline: "single"}}},
		{&p.thousandsStyle, &excelize.Style{NumFmt: 3, Alignment: right}},
		{&p.countStyle, &excelize.Style{CustomNumFmt: &fmt0, Alignment: right}},
		{&p.dec1Style, &excelize.Style{CustomNumFmt: &fmt1, Alignment: right}},
		{&p.dec2Style, &excelize.Style{CustomNumFmt: &fmt2, Alignment: right}},
		{&p.flagStyle, &excelize.Style{CustomNumFmt: &flag, Alignment: &excelize.Alignment{Horizontal: "center"}}},
	} {
		id, err := p.f.NewStyle(s.style)
		if err != nil {
			return err
		}
		*s.id = id
	}
	return nil
}

// row writes values from column A of a 1-based row.
func (p *xlsxPack) row(sheet string, r int, values ...any) error {
	return p.f.SetSheetRow(sheet, fmt.Sprintf("A%d", r), &values)
}

// header writes a header row in the heading style from column col.
func (p *xlsxPack) headerAt(sheet string, col, r int, names []string) error {
	vals := make([]any, len(names))
	for i, n := range names {
		vals[i] = n
	}
	start, err := excelize.CoordinatesToCellName(col, r)
	if err != nil {
		return err
	}
	end, err := excelize.CoordinatesToCellName(col+len(names)-1, r)
	if err != nil {
		return err
	}
	if err := p.f.SetSheetRow(sheet, start, &vals); err != nil {
		return err
	}
	return p.f.SetCellStyle(sheet, start, end, p.headStyle)
}

// header writes a header row in the heading style from column A.
func (p *xlsxPack) header(sheet string, r int, names []string) error {
	return p.headerAt(sheet, 1, r, names)
}

// freezeTop keeps the first row visible when scrolling.
func (p *xlsxPack) freezeTop(sheet string) error {
	return p.freezeAbove(sheet, 2)
}

// freezeAbove keeps the rows above row r visible when scrolling.
func (p *xlsxPack) freezeAbove(sheet string, r int) error {
	return p.f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, YSplit: r - 1, TopLeftCell: fmt.Sprintf("A%d", r), ActivePane: "bottomLeft",
	})
}

// printWide sets a sheet to print landscape on A4, one page wide, so a wide
// table is not cut into columns across pages.
func (p *xlsxPack) printWide(sheet string) error {
	a4, landscape, wide, tall, fit := 9, "landscape", 1, 0, true
	if err := p.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	return p.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit})
}

// link makes cell a link to cell A1 of sheet target.
func (p *xlsxPack) link(sheet, cell, target string) error {
	if err := p.f.SetCellHyperLink(sheet, cell, quoteSheet(target)+"!A1", "Location"); err != nil {
		return err
	}
	return p.f.SetCellStyle(sheet, cell, cell, p.linkStyle)
}

// quoteSheet quotes a sheet name for a formula or reference.
func quoteSheet(name string) string {
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}

type indicatorSheet struct {
	name string
	ind  Indicator
	rows []metrics.Row
}

// indicatorSheetNames gives each indicator with metrics (in metrics order) a
// valid, unique sheet name: its id without the characters Excel forbids,
// cut to 31 characters.
func indicatorSheetNames(in Input) []indicatorSheet {
	used := map[string]bool{}
	for _, s := range []string{readmeSheet, contentsSheet, qualitySheet, popSheet} {
		used[strings.ToLower(s)] = true
	}
	var out []indicatorSheet
	for _, g := range groupRows(in.Metrics) {
		name := strings.Map(func(r rune) rune {
			if strings.ContainsRune(`:\/?*[]`, r) {
				return '-'
			}
			return r
		}, g.id)
		name = strings.Trim(name, "'")
		if name == "" {
			name = "indicator"
		}
		base := []rune(name)
		if len(base) > 31 {
			base = base[:31]
		}
		name = string(base)
		for n := 2; used[strings.ToLower(name)]; n++ {
			suffix := fmt.Sprintf("~%d", n)
			b := base
			if len(b)+len(suffix) > 31 {
				b = b[:31-len(suffix)]
			}
			name = string(b) + suffix
		}
		used[strings.ToLower(name)] = true
		ind, _ := findIndicator(in, g.id)
		out = append(out, indicatorSheet{name: name, ind: ind, rows: g.rows})
	}
	return out
}

// readmeMethods are the README sheet's methods, one line each.
var readmeMethods = []string{
	"Statistics follow OHID's Fingertips technical guidance as implemented in the R package PHEindicatormethods.",
	"Proportions: Wilson score intervals. Crude rates and counts: exact Poisson limits below 10 events, Byar's method from 10.",
	"Directly standardised rates: European Standard Population 2013, Dobson limits; not published when based on fewer than 10 events.",
	"Means: Student's t interval. Every value has 95% and 99.8% confidence limits.",
	"Deprivation: patients are placed in an IMD quintile by the LSOA they live in; quintile 1 is the most deprived 20% of areas in England, 5 the least deprived. No or unmatched LSOA: group Unknown.",
	"Gap: quintile 1 minus quintile 5, with the interval of the difference. Ratio: quintile 1 / quintile 5 (log-normal interval).",
	"Slope index of inequality (SII): the modelled difference between the most and least deprived ends of the population, from a population-weighted regression of the quintile values; relative index (RII) the ratio of the two ends. Limits by simulation with a fixed seed.",
	"Ethnic groups: NHS Data Dictionary ethnic categories grouped as in NHS publications; each group's ratio to the White group with its interval. Not stated and Not known are shown, not compared.",
	"A difference is called significant only when the 95% intervals say so, never from the values alone.",
}

// readme writes the README sheet: what the data pack is, what each sheet
// holds, definitions, methods, disclosure control, sources and the sha256 of
// what it was made from.
func (p *xlsxPack) readme(sheets []indicatorSheet) error {
	const s = readmeSheet
	in := p.in
	r := 1
	var keys, texts []int // rows of key/text pairs, styled at the end
	line := func(vals ...any) error {
		if err := p.row(s, r, vals...); err != nil {
			return err
		}
		if len(vals) >= 2 {
			keys, texts = append(keys, r), append(texts, r)
			// Spreadsheets do not grow a row for wrapped text they did
			// not lay out themselves: give it the lines it needs.
			if text, ok := vals[1].(string); ok {
				if err := p.f.SetRowHeight(s, r, 15*math.Max(1, math.Ceil(float64(len([]rune(text)))/95))); err != nil {
					return err
				}
			}
		}
		r++
		return nil
	}
	section := func(title string) error {
		r++
		if err := p.row(s, r, title); err != nil {
			return err
		}
		if err := p.f.SetCellStyle(s, fmt.Sprintf("A%d", r), fmt.Sprintf("A%d", r), p.sectionStyle); err != nil {
			return err
		}
		r++
		return nil
	}
	if err := p.row(s, r, "Health Inequalities Information Statement – data pack"); err != nil {
		return err
	}
	if err := p.f.SetCellStyle(s, "A1", "A1", p.titleStyle); err != nil {
		return err
	}
	r += 2
	core20 := "not known"
	if !math.IsNaN(in.Core20Share) {
		core20 = fixed(in.Core20Share*100, 1) + "% of the population live in IMD quintile 1, the most deprived 20% of areas in England"
	}
	for _, kv := range [][]any{
		{"Organisation", in.Organisation.Name},
		{"Organisation code", in.Organisation.Code},
		{"Organisation type", orgKindLabel(in.Organisation.Kind)},
		{"Reporting period", in.Period},
		{"hiis version", in.Version},
		{"Deprivation", in.IMDEdition + "; IMD quintile 1 = most deprived, 5 = least deprived"},
		{"Core20 share", core20},
	} {
		if err := line(kv...); err != nil {
			return err
		}
	}

	if err := section("What each sheet holds"); err != nil {
		return err
	}
	for _, kv := range [][]any{
		{readmeSheet, "This sheet: what the data pack is, definitions, methods, disclosure control, sources and the sha256 of what it was made from."},
		{contentsSheet, "A link to every sheet."},
		{"One sheet per indicator", "Named by the indicator's id: its title and definition, a bar chart of the value by IMD quintile, and the table of every breakdown (overall, IMD quintile and the inequality summaries, ethnic group and ratios to White, age band, sex), with a filter on each column."},
		{qualitySheet, qualityWhat(p.showUnassigned())},
		{popSheet, "People in each group, as counted for the denominators."},
	} {
		if err := line(kv...); err != nil {
			return err
		}
	}

	if err := section("Definitions"); err != nil {
		return err
	}
	for _, kv := range [][]any{
		{"*", "Withheld by disclosure control, or not published under the Fingertips rule (a directly standardised rate on fewer than 10 events); the row's note says which."},
		{"Blank cell", "Does not apply (for example the numerator of a gap or ratio) or not available (the note says why)."},
	} {
		if err := line(kv...); err != nil {
			return err
		}
	}
	for _, c := range metrics.Columns {
		if err := line(c, columnDescriptions[c]); err != nil {
			return err
		}
	}
	for _, comp := range p.comps {
		for i, what := range []string{"Value", "Lower 95% confidence limit", "Upper 95% confidence limit"} {
			text := what + " of " + comp.label + " for the same indicator, breakdown and group, on the overall and IMD quintile rows; blank where it has none, * where it is withheld. The statement calls a value significantly above or below it only when the two 95% intervals do not overlap."
			if err := line(compColumns(comp)[i], text); err != nil {
				return err
			}
		}
	}

	if err := section("Indicators"); err != nil {
		return err
	}
	for _, sh := range sheets {
		text := sh.ind.Name
		if sh.ind.Description != "" {
			text += ": " + sh.ind.Description
		}
		text += " Unit: " + unitLabel(sh.ind) + "."
		if sh.ind.Source != "" {
			text += " Source: " + sh.ind.Source + " (" + sh.ind.SourceKind + ")."
		}
		if err := line(sh.ind.ID, text); err != nil {
			return err
		}
	}

	if err := section("Methods"); err != nil {
		return err
	}
	for _, m := range readmeMethods {
		if err := line("", m); err != nil {
			return err
		}
	}

	if err := section("Disclosure control"); err != nil {
		return err
	}
	if err := line("Rule", in.DisclosureRule); err != nil {
		return err
	}
	if in.DisclosureSetting != "" {
		if err := line("Setting", in.DisclosureSetting); err != nil {
			return err
		}
	}

	if err := section("Sources"); err != nil {
		return err
	}
	if err := p.header(s, r, []string{"Source", "Kind", "File", "Rows read", "Rows rejected"}); err != nil {
		return err
	}
	r++
	for _, src := range in.Sources {
		if err := p.row(s, r, src.Name, src.Kind, src.File, src.Rows, src.Rejected); err != nil {
			return err
		}
		if err := p.f.SetCellStyle(s, fmt.Sprintf("D%d", r), fmt.Sprintf("E%d", r), p.thousandsStyle); err != nil {
			return err
		}
		r++
	}

	if err := section("Made from (sha256)"); err != nil {
		return err
	}
	if err := line("", "The sha256 of the config and of every input this data pack was made from. The run's manifest.json holds this file's own sha256 (a file cannot hold its own)."); err != nil {
		return err
	}
	if err := p.header(s, r, []string{"What", "File", "sha256"}); err != nil {
		return err
	}
	r++
	for _, h := range append([]HashedFile{in.Provenance.Config}, in.Provenance.Inputs...) {
		if h.SHA256 == "" {
			continue
		}
		if err := p.row(s, r, h.Role, h.Name, h.SHA256); err != nil {
			return err
		}
		r++
	}

	for _, k := range keys {
		if err := p.f.SetCellStyle(s, fmt.Sprintf("A%d", k), fmt.Sprintf("A%d", k), p.keyStyle); err != nil {
			return err
		}
	}
	for _, t := range texts {
		if err := p.f.SetCellStyle(s, fmt.Sprintf("B%d", t), fmt.Sprintf("B%d", t), p.wrapStyle); err != nil {
			return err
		}
	}
	for _, w := range []struct {
		col   string
		width float64
	}{{"A", 30}, {"B", 100}, {"C", 66}, {"D", 12}, {"E", 14}} {
		if err := p.f.SetColWidth(s, w.col, w.col, w.width); err != nil {
			return err
		}
	}
	return p.printWide(s)
}

// contents writes the Contents sheet: a link to every sheet.
func (p *xlsxPack) contents(sheets []indicatorSheet) error {
	const s = contentsSheet
	if _, err := p.f.NewSheet(s); err != nil {
		return err
	}
	if err := p.row(s, 1, "Contents"); err != nil {
		return err
	}
	if err := p.f.SetCellStyle(s, "A1", "A1", p.titleStyle); err != nil {
		return err
	}
	if err := p.header(s, 3, []string{"Sheet", "What it holds", "Unit", "Domain", "Evidence"}); err != nil {
		return err
	}
	type entry struct{ sheet, what, unit, domain, evidence string }
	entries := []entry{{sheet: readmeSheet, what: "About this data pack: definitions, methods, disclosure control, sources, hashes"}}
	for _, sh := range sheets {
		entries = append(entries, entry{sh.name, sh.ind.Name, unitLabel(sh.ind), sh.ind.Domain, evidenceLabel(sh.ind.Evidence)})
	}
	entries = append(entries, entry{sheet: qualitySheet, what: "Ethnicity and LSOA recording, per source and indicator"},
		entry{sheet: popSheet, what: "People in each group"})
	for i, e := range entries {
		r := i + 4
		if err := p.row(s, r, e.sheet, e.what, e.unit, e.domain, e.evidence); err != nil {
			return err
		}
		if err := p.link(s, fmt.Sprintf("A%d", r), e.sheet); err != nil {
			return err
		}
	}
	for _, w := range []struct {
		col   string
		width float64
	}{{"A", 16}, {"B", 80}, {"C", 16}, {"D", 36}, {"E", 16}} {
		if err := p.f.SetColWidth(s, w.col, w.col, w.width); err != nil {
			return err
		}
	}
	if err := p.printWide(s); err != nil {
		return err
	}
	return p.freezeAbove(s, 4)
}

// withheldCell reports whether a missing number of a row is withheld (shown
// as *): the row is suppressed, or its note says the value is not
// published. Other missing numbers do not apply or are not available (blank).
func withheldCell(r metrics.Row, v float64) bool {
	return math.IsNaN(v) && (r.Suppressed || strings.Contains(strings.ToLower(r.Note), "not published"))
}

// isSummaryRow reports whether a row summarises groups (gap, ratio, SII,
// RII, ratio to White, change since last year): it has no numerator or
// denominator of its own.
func isSummaryRow(r metrics.Row) bool {
	return r.Breakdown == metrics.IMDSummary || r.Breakdown == metrics.EthnicRatio || r.Breakdown == changeBreakdown
}

// changeBreakdown is the breakdown of the rows giving the change since last
// year; they get their own table on the indicator sheet.
const changeBreakdown = "change"

// xlsxCell is the cell for number k (0 numerator … 6 upper_998) of a row:
// the number, "*" when withheld, nil (blank) when it does not apply or is
// not available.
func xlsxCell(r metrics.Row, k int) any {
	v := r.Numbers()[k]
	switch {
	case k < 2 && isSummaryRow(r):
		return nil
	case withheldCell(r, v):
		return "*"
	case math.IsNaN(v):
		return nil
	case v == 0:
		return 0.0
	}
	return v
}

// valueStyle is the number format of a row's value and limits: two decimals
// for ratios, whole numbers for counts, otherwise one decimal.
func (p *xlsxPack) valueStyle(ind Indicator, r metrics.Row) int {
	switch {
	case r.Breakdown == metrics.EthnicRatio,
		r.Breakdown == metrics.IMDSummary && (r.Group == metrics.GroupRatio || r.Group == metrics.GroupRII):
		return p.dec2Style
	}
	switch kindOf(ind) {
	case kindRatio:
		return p.dec2Style
	case kindCount:
		if r.Breakdown != metrics.IMDSummary {
			return p.countStyle
		}
	}
	return p.dec1Style
}

// table writes rows under a header at row top and returns the last row
// written; with comp, the comparator's columns follow the metrics'.
func (p *xlsxPack) table(sheet string, ind Indicator, top int, rows []metrics.Row, comp bool) (int, error) {
	head := metrics.Columns
	if comp {
		for _, c := range p.comps {
			head = slices.Concat(head, compColumns(c))
		}
	}
	if err := p.header(sheet, top, head); err != nil {
		return 0, err
	}
	r := top
	for _, m := range rows {
		r++
		vals := []any{m.IndicatorID, m.Period, m.Organisation, m.Breakdown, m.Group}
		for k := range 7 {
			vals = append(vals, xlsxCell(m, k))
		}
		vals = append(vals, m.Method, m.Suppressed, m.Note)
		if comp && len(p.comps) > 0 {
			for _, c := range p.comps {
				vals = append(vals, p.compCells(c, m)...)
			}
			first, _ := compRange(0)
			_, last := compRange(len(p.comps) - 1)
			if err := p.f.SetCellStyle(sheet, fmt.Sprintf("%s%d", first, r), fmt.Sprintf("%s%d", last, r), p.valueStyle(ind, m)); err != nil {
				return 0, err
			}
		}
		if err := p.row(sheet, r, vals...); err != nil {
			return 0, err
		}
		if err := p.f.SetCellStyle(sheet, fmt.Sprintf("F%d", r), fmt.Sprintf("G%d", r), p.countStyle); err != nil {
			return 0, err
		}
		if err := p.f.SetCellStyle(sheet, fmt.Sprintf("H%d", r), fmt.Sprintf("L%d", r), p.valueStyle(ind, m)); err != nil {
			return 0, err
		}
		if err := p.f.SetCellStyle(sheet, fmt.Sprintf("N%d", r), fmt.Sprintf("N%d", r), p.flagStyle); err != nil {
			return 0, err
		}
	}
	return r, nil
}

// indicator writes one indicator's sheet: title, definition and key, the
// table of every breakdown with a frozen header and filters, a bar chart of
// the value by IMD quintile beside it, and the change since last year in a
// table of its own below.
func (p *xlsxPack) indicator(sh indicatorSheet) error {
	sheet, ind := sh.name, sh.ind
	if _, err := p.f.NewSheet(sheet); err != nil {
		return err
	}
	title := ind.ID
	if ind.Name != "" && ind.Name != ind.ID {
		title += " – " + ind.Name
	}
	facts := []string{"Unit: " + unitLabel(ind)}
	if ind.Measure != "" {
		facts = append(facts, "measure: "+strings.ReplaceAll(ind.Measure, "_", " "))
	}
	if ind.Source != "" {
		facts = append(facts, "source: "+ind.Source+" ("+ind.SourceKind+")")
	}
	if ind.Domain != "" {
		facts = append(facts, "domain: "+ind.Domain)
	}
	if ind.Evidence != "" {
		facts = append(facts, "evidence: "+evidenceLabel(ind.Evidence))
	}
	for k, comp := range p.comps {
		if !comp.covers(ind.ID) {
			continue
		}
		first, last := compRange(k)
		facts = append(facts, fmt.Sprintf("comparator (columns %s to %s and the chart's %s bars): %s", first, last, xlsxCompColours[k%len(xlsxCompColours)][1], comp.label))
	}
	definition := ind.Description
	if definition == "" {
		definition = "No definition given."
	}
	for r, v := range []string{title, definition, strings.Join(facts, "; ") + ".",
		"* withheld by disclosure control (the note says why); blank: does not apply or not available. IMD quintile 1 = most deprived, 5 = least deprived."} {
		if err := p.row(sheet, r+1, v); err != nil {
			return err
		}
	}
	if err := p.f.SetCellStyle(sheet, "A1", "A1", p.titleStyle); err != nil {
		return err
	}
	if err := p.f.MergeCell(sheet, "A2", "O2"); err != nil {
		return err
	}
	if err := p.f.SetCellStyle(sheet, "A2", "O2", p.wrapStyle); err != nil {
		return err
	}
	if err := p.f.SetRowHeight(sheet, 2, 15*math.Max(1, math.Ceil(float64(len([]rune(definition)))/170))); err != nil {
		return err
	}
	if err := p.row(sheet, 5, "Contents"); err != nil {
		return err
	}
	if err := p.link(sheet, "A5", contentsSheet); err != nil {
		return err
	}

	var main, change []metrics.Row
	for _, r := range sh.rows {
		if r.Breakdown == changeBreakdown {
			change = append(change, r)
		} else {
			main = append(main, r)
		}
	}
	last, err := p.table(sheet, ind, tableHeaderRow, main, len(p.comps) > 0)
	if err != nil {
		return err
	}
	if err := p.f.AutoFilter(sheet, fmt.Sprintf("A%d:%s%d", tableHeaderRow, p.lastTableCol(), max(last, tableHeaderRow+1)), nil); err != nil {
		return err
	}
	if len(change) > 0 {
		r := last + 2
		if err := p.row(sheet, r, "Change since last year"); err != nil {
			return err
		}
		if err := p.f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), fmt.Sprintf("A%d", r), p.sectionStyle); err != nil {
			return err
		}
		if _, err := p.table(sheet, ind, r+1, change, false); err != nil {
			return err
		}
	}
	if err := p.chart(sheet, ind, main); err != nil {
		return err
	}
	type width struct {
		from, to string
		width    float64
	}
	widths := []width{{"A", "A", 12}, {"B", "C", 10}, {"D", "D", 14}, {"E", "E", 26}, {"F", "L", 12}, {"M", "M", 24}, {"N", "N", 13}, {"O", "O", 60}, {"P", "P", 3}, {"Q", "Q", 22}, {"R", "S", 12}}
	if n := len(p.comps); n > 0 {
		_, last := compRange(n - 1)
		gap := len(metrics.Columns) + compColumnsN*n + 1
		widths = append(widths[:8], width{"P", last, 14}, width{colName(gap), colName(gap), 3}, width{colName(gap + 1), colName(gap + 1), 22}, width{colName(gap + 2), colName(gap + 2 + n), 14})
	}
	for _, w := range widths {
		if err := p.f.SetColWidth(sheet, w.from, w.to, w.width); err != nil {
			return err
		}
	}
	if err := p.printWide(sheet); err != nil {
		return err
	}
	return p.freezeAbove(sheet, tableHeaderRow+1)
}

// chart writes the IMD quintiles' values beside the table (blank where
// withheld or missing, so the chart shows a gap rather than a zero, and the
// label says why) and a clustered bar chart of them. An indicator without
// IMD quintiles gets neither.
func (p *xlsxPack) chart(sheet string, ind Indicator, rows []metrics.Row) error {
	byGroup := map[string]metrics.Row{}
	for _, r := range rows {
		if r.Breakdown == metrics.IMDQuintile {
			byGroup[r.Group] = r
		}
	}
	if len(byGroup) == 0 {
		return nil
	}
	col, err := excelize.ColumnNumberToName(p.chartCol())
	if err != nil {
		return err
	}
	valCol, err := excelize.ColumnNumberToName(p.chartCol() + 1)
	if err != nil {
		return err
	}
	// The comparators' columns, after the value's: those that cover the
	// indicator.
	var comps []*comparator
	var compCols []string
	for _, c := range p.comps {
		if c.covers(ind.ID) {
			comps = append(comps, c)
			compCols = append(compCols, colName(p.chartCol()+1+len(comps)))
		}
	}
	top := tableHeaderRow
	head := []string{"IMD quintile", "value (" + unitLabel(ind) + ")"}
	for _, c := range comps {
		head = append(head, c.label+" ("+unitLabel(ind)+")")
	}
	if err := p.headerAt(sheet, p.chartCol(), top, head); err != nil {
		return err
	}
	labels := map[string]string{"1": "1 – most deprived", "5": "5 – least deprived"}
	for q := 1; q <= 5; q++ {
		g := fmt.Sprint(q)
		label := g
		if l, ok := labels[g]; ok {
			label = l
		}
		var v any
		if r, ok := byGroup[g]; !ok || math.IsNaN(r.Value) {
			if withheldCell(r, r.Value) {
				label += " (withheld *)"
			} else {
				label += " (not available)"
			}
		} else {
			v = r.Value
		}
		vals, last := []any{label, v}, valCol
		for k, comp := range comps {
			// The comparator's bar: blank (a gap) where it has none or
			// withholds it; its table says which.
			var cv any
			if c := comp.find(ind.ID, metrics.IMDQuintile, g); c != nil && !math.IsNaN(c.Value) {
				cv = c.Value
			}
			vals, last = append(vals, cv), compCols[k]
		}
		cell := fmt.Sprintf("%s%d", col, top+q)
		if err := p.f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
		if err := p.f.SetCellStyle(sheet, fmt.Sprintf("%s%d", valCol, top+q), fmt.Sprintf("%s%d", last, top+q), p.dec1Style); err != nil {
			return err
		}
	}
	ref := func(c string, from, to int) string {
		return fmt.Sprintf("%s!$%s$%d:$%s$%d", quoteSheet(sheet), c, from, c, to)
	}
	gap, vary := uint(60), false
	axisFont := excelize.Font{Color: "425563", Size: 9}
	series := []excelize.ChartSeries{{
		Name:       fmt.Sprintf("%s!$%s$%d", quoteSheet(sheet), valCol, top),
		Categories: ref(col, top+1, top+5),
		Values:     ref(valCol, top+1, top+5),
		Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"005EB8"}},
	}}
	legend := excelize.ChartLegend{Position: "none"}
	for k, comp := range comps {
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$%s$%d", quoteSheet(sheet), compCols[k], top),
			Categories: ref(col, top+1, top+5),
			Values:     ref(compCols[k], top+1, top+5),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{xlsxCompColours[comp.shape%len(xlsxCompColours)][0]}},
		})
		legend.Position = "bottom"
	}
	return p.f.AddChart(sheet, fmt.Sprintf("%s%d", col, top+7), &excelize.Chart{
		Type:         excelize.Col,
		Series:       series,
		Title:        excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: ind.ID + " by IMD quintile (" + unitLabel(ind) + ")"}}},
		Legend:       legend,
		XAxis:        excelize.ChartAxis{Font: axisFont, Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "IMD quintile (1 = most deprived)"}}}},
		YAxis:        excelize.ChartAxis{Font: axisFont, MajorGridLines: true, Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: unitLabel(ind)}}}},
		PlotArea:     excelize.ChartPlotArea{ShowVal: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "#,##0.0"}},
		Dimension:    excelize.ChartDimension{Width: 520, Height: 320},
		ShowBlanksAs: "gap",
		GapWidth:     &gap,
		VaryColors:   &vary,
	})
}

// showUnassigned is true in a multi-organisation run: the Data quality
// sheet then lists the comparator's records that no organisation took, as
// the statement's data-quality section gives them (published under the
// disclosure rule, * withheld).
func (p *xlsxPack) showUnassigned() bool { return p.in.Unassigned != nil && len(p.comps) > 0 }

// qualityWhat is the README sheet's line on the Data quality sheet.
func qualityWhat(unassigned bool) string {
	s := "Records with ethnicity not stated, not known or blank, and records without a valid LSOA, per source and indicator; rows read and rejected per source"
	if unassigned {
		s += "; and the comparator's records that no organisation took, per source"
	}
	return s + "."
}

func (p *xlsxPack) dataQuality() error {
	const s = qualitySheet
	if _, err := p.f.NewSheet(s); err != nil {
		return err
	}
	if err := p.header(s, 1, dataQualityColumns); err != nil {
		return err
	}
	r := 2
	for _, q := range sortedDataQuality(p.in.DataQuality) {
		vals := []any{q.Source, q.Indicator, xlsxPublished(q.Records)}
		for _, v := range q.counts() {
			vals = append(vals, xlsxPublished(v))
		}
		vals = append(vals, xlsxShares(q)...)
		if q.Previous != nil {
			vals = append(vals, xlsxPublished(q.Previous.Records))
			vals = append(vals, xlsxShares(*q.Previous)...)
			for i, v := range q.changes() {
				switch {
				case q.changeWithheld(i):
					vals = append(vals, "*")
				case math.IsNaN(v):
					vals = append(vals, nil)
				default:
					vals = append(vals, xlsxPublished(v))
				}
			}
		} else {
			vals = append(vals, make([]any, 9)...)
		}
		vals = append(vals, xlsxCount(q.Duplicates), xlsxCount(q.OutsidePopulation))
		for _, l := range matchColumns {
			var v any
			for _, m := range q.Matches {
				if m.Label == l {
					v = xlsxPublished(m.Records)
				}
			}
			vals = append(vals, v)
		}
		if err := p.row(s, r, vals...); err != nil {
			return err
		}
		r++
	}
	r++
	if err := p.header(s, r, []string{"source", "kind", "file", "rows_read", "rows_rejected"}); err != nil {
		return err
	}
	r++
	for _, src := range p.in.Sources {
		if err := p.row(s, r, src.Name, src.Kind, src.File, src.Rows, src.Rejected); err != nil {
			return err
		}
		r++
	}
	if p.showUnassigned() {
		r++
		if err := p.header(s, r, []string{"source", "records_no_organisation_took"}); err != nil {
			return err
		}
		r++
		for _, name := range slices.Sorted(maps.Keys(p.in.Unassigned)) {
			if err := p.row(s, r, name, xlsxPublished(p.in.Unassigned[name])); err != nil {
				return err
			}
			r++
		}
	}
	if err := p.f.SetColWidth(s, "A", "B", 18); err != nil {
		return err
	}
	last, err := excelize.ColumnNumberToName(len(dataQualityColumns))
	if err != nil {
		return err
	}
	if err := p.f.SetColWidth(s, "C", last, 14); err != nil {
		return err
	}
	return p.freezeTop(s)
}

// xlsxPublished is a cell for a figure as published (a data-quality count
// or share, a population count): "*" when NaN (withheld by disclosure
// control), else the number.
func xlsxPublished(v float64) any {
	switch {
	case math.IsNaN(v):
		return "*"
	case v == 0:
		return 0.0 // not -0 (a change of nothing)
	}
	return v
}

// xlsxShares are the cells of a data-quality row's four shares: the number,
// "*" when withheld, nil (empty) when not available (no records).
func xlsxShares(q DataQuality) []any {
	var out []any
	for i, v := range q.shares() {
		switch {
		case q.shareWithheld(i):
			out = append(out, "*")
		case math.IsNaN(v):
			out = append(out, nil)
		default:
			out = append(out, xlsxPublished(v))
		}
	}
	return out
}

// population writes the people in each group as published: never a share
// of the breakdown's total, which would be a percentage of rounded counts
// (and of only the groups not withheld).
func (p *xlsxPack) population() error {
	const s = popSheet
	if _, err := p.f.NewSheet(s); err != nil {
		return err
	}
	if err := p.header(s, 1, []string{"breakdown", "group", "people"}); err != nil {
		return err
	}
	pop := sortedPopulation(p.in.Population)
	for i, pr := range pop {
		if err := p.row(s, i+2, pr.Breakdown, pr.Group, xlsxPublished(pr.People)); err != nil {
			return err
		}
	}
	if len(pop) > 0 {
		if err := p.f.SetCellStyle(s, "C2", fmt.Sprintf("C%d", len(pop)+1), p.thousandsStyle); err != nil {
			return err
		}
	}
	if err := p.f.SetColWidth(s, "A", "B", 24); err != nil {
		return err
	}
	if err := p.f.SetColWidth(s, "C", "C", 22); err != nil {
		return err
	}
	return p.freezeTop(s)
}

// sortedPopulation returns the population rows in the order of the metrics
// table: breakdowns as there, groups in natural order (IMD quintiles 1 to 5,
// White first among ethnic groups, Male before Female, Unknown last).
func sortedPopulation(pop []PopulationRow) []PopulationRow {
	out := append([]PopulationRow(nil), pop...)
	sort.SliceStable(out, func(i, j int) bool {
		return metrics.Less(metrics.Row{Breakdown: out[i].Breakdown, Group: out[i].Group},
			metrics.Row{Breakdown: out[j].Breakdown, Group: out[j].Group})
	})
	return out
}

// xlsxCount is a published count that may not apply: blank when NaN.
func xlsxCount(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return xlsxPublished(v)
}
