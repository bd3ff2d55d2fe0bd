package render

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"hiis/pipeline/metrics"
)

// fixedDocDate is the creation and modification date written into the data
// pack's document properties, so the file does not depend on the clock.
const fixedDocDate = "2000-01-01T00:00:00Z"

// columnDescriptions explain metrics.Columns on the Metadata sheet.
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
	f          *excelize.File
	in         Input
	headStyle  int
	titleStyle int
	keyStyle   int
	wrapStyle  int
	// thousandsStyle shows whole numbers with thousands separators (#,##0).
	thousandsStyle int
}

// dataPackXLSX renders datapack.xlsx: Metadata, one sheet per indicator, Data
// quality, Population. Rows are written cell by cell (not streamed) so that
// the parts of the zip come out in a fixed order.
func dataPackXLSX(in Input) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	p := &xlsxPack{f: f, in: in}
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
	if err := f.SetSheetName("Sheet1", "Metadata"); err != nil {
		return nil, err
	}
	sheets := indicatorSheetNames(in)
	if err := p.metadata(sheets); err != nil {
		return nil, fmt.Errorf("sheet Metadata: %w", err)
	}
	for _, s := range sheets {
		if err := p.indicator(s.name, s.rows); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", s.name, err)
		}
	}
	if err := p.dataQuality(); err != nil {
		return nil, fmt.Errorf("sheet Data quality: %w", err)
	}
	if err := p.population(); err != nil {
		return nil, fmt.Errorf("sheet Population: %w", err)
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (p *xlsxPack) styles() error {
	var err error
	if p.headStyle, err = p.f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"005EB8"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	}); err != nil {
		return err
	}
	if p.titleStyle, err = p.f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true, Size: 14, Color: "005EB8"},
	}); err != nil {
		return err
	}
	if p.keyStyle, err = p.f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{Vertical: "top"},
	}); err != nil {
		return err
	}
	if p.wrapStyle, err = p.f.NewStyle(&excelize.Style{
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
	}); err != nil {
		return err
	}
	p.thousandsStyle, err = p.f.NewStyle(&excelize.Style{NumFmt: 3, Alignment: &excelize.Alignment{Horizontal: "right"}})
	return err
}

// row writes values from column A of a 1-based row.
func (p *xlsxPack) row(sheet string, r int, values ...any) error {
	return p.f.SetSheetRow(sheet, fmt.Sprintf("A%d", r), &values)
}

// header writes a header row in the heading style.
func (p *xlsxPack) header(sheet string, r int, names []string) error {
	vals := make([]any, len(names))
	for i, n := range names {
		vals[i] = n
	}
	if err := p.row(sheet, r, vals...); err != nil {
		return err
	}
	end, err := excelize.CoordinatesToCellName(len(names), r)
	if err != nil {
		return err
	}
	return p.f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), end, p.headStyle)
}

// freezeTop keeps the first row visible when scrolling.
func (p *xlsxPack) freezeTop(sheet string) error {
	return p.f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
	})
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
	used := map[string]bool{"metadata": true, "data quality": true, "population": true}
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

func (p *xlsxPack) metadata(sheets []indicatorSheet) error {
	const s = "Metadata"
	in := p.in
	if err := p.row(s, 1, "Health Inequalities Information Statement – data pack"); err != nil {
		return err
	}
	if err := p.f.SetCellStyle(s, "A1", "A1", p.titleStyle); err != nil {
		return err
	}
	core20 := any(nil)
	if !math.IsNaN(in.Core20Share) {
		core20 = math.Round(in.Core20Share*100*10) / 10
	}
	kv := [][]any{
		{"Organisation", in.Organisation.Name},
		{"Organisation code", in.Organisation.Code},
		{"Organisation type", orgKindLabel(in.Organisation.Kind)},
		{"Reporting period", in.Period},
		{"hiis version", in.Version},
		{"Deprivation", in.IMDEdition + "; IMD quintile 1 = most deprived, 5 = least deprived"},
		{"Core20 share (% of people in IMD quintile 1)", core20},
		{"Disclosure control", in.DisclosureRule},
		{"Suppressed cells", "Suppressed cells shown as *: a count or value withheld by disclosure control (or a rate not published, see the note column). Empty cells are not available."},
		{"Confidence intervals", "95% and 99.8% limits; see the statement's Methods section"},
	}
	r := 3
	for _, row := range kv {
		if err := p.row(s, r, row...); err != nil {
			return err
		}
		r++
	}
	if err := p.f.SetCellStyle(s, "A3", fmt.Sprintf("A%d", r-1), p.keyStyle); err != nil {
		return err
	}
	if err := p.f.SetCellStyle(s, "B3", fmt.Sprintf("B%d", r-1), p.wrapStyle); err != nil {
		return err
	}
	r++
	if err := p.header(s, r, []string{"Column", "Description"}); err != nil {
		return err
	}
	r++
	for _, c := range metrics.Columns {
		if err := p.row(s, r, c, columnDescriptions[c]); err != nil {
			return err
		}
		r++
	}
	r++
	if err := p.header(s, r, []string{"Sheet", "Indicator", "Unit", "Domain", "Evidence"}); err != nil {
		return err
	}
	r++
	for _, sh := range sheets {
		if err := p.row(s, r, sh.name, sh.ind.Name, unitLabel(sh.ind), sh.ind.Domain, evidenceLabel(sh.ind.Evidence)); err != nil {
			return err
		}
		r++
	}
	for _, w := range []struct {
		col   string
		width float64
	}{{"A", 40}, {"B", 100}, {"C", 16}, {"D", 24}, {"E", 16}} {
		if err := p.f.SetColWidth(s, w.col, w.col, w.width); err != nil {
			return err
		}
	}
	return nil
}

// xlsxNumber is a cell for a number of a row: the number, "*" when
// withheld, nil (empty) when missing.
func xlsxNumber(r metrics.Row, v float64) any {
	switch {
	case hidden(r, v):
		return "*"
	case math.IsNaN(v):
		return nil
	case v == 0:
		return 0.0
	}
	return v
}

func (p *xlsxPack) indicator(sheet string, rows []metrics.Row) error {
	if _, err := p.f.NewSheet(sheet); err != nil {
		return err
	}
	if err := p.header(sheet, 1, metrics.Columns); err != nil {
		return err
	}
	for i, r := range rows {
		vals := []any{r.IndicatorID, r.Period, r.Organisation, r.Breakdown, r.Group}
		for _, v := range r.Numbers() {
			vals = append(vals, xlsxNumber(r, v))
		}
		vals = append(vals, r.Method, r.Suppressed, r.Note)
		if err := p.row(sheet, i+2, vals...); err != nil {
			return err
		}
	}
	if err := p.f.SetColWidth(sheet, "A", "E", 16); err != nil {
		return err
	}
	if err := p.f.SetColWidth(sheet, "F", "L", 12); err != nil {
		return err
	}
	if err := p.f.SetColWidth(sheet, "M", "M", 22); err != nil {
		return err
	}
	if err := p.f.SetColWidth(sheet, "O", "O", 50); err != nil {
		return err
	}
	return p.freezeTop(sheet)
}

func (p *xlsxPack) dataQuality() error {
	const s = "Data quality"
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
	const s = "Population"
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
