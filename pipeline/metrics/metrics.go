// Package metrics defines the tidy metrics table that every stage after the
// transform shares: one row per indicator × breakdown × group, with the fixed
// column order of DESIGN.md, a stable sort and one number format.
package metrics

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Breakdown names used in the Breakdown column.
const (
	Overall     = "overall"
	IMDQuintile = "imd_quintile"
	IMDSummary  = "imd_summary" // gap, ratio, SII, RII between IMD quintiles
	Ethnic      = "ethnic_group"
	EthnicRatio = "ethnic_ratio" // each ethnic group's ratio to the White group
	AgeBand     = "age_band"
	Sex         = "sex"
	Change      = "change" // the change since last year's published metrics (package trend)
)

// Group labels of the summary breakdowns.
const (
	GroupAll   = "All"
	GroupGap   = "gap_q1_q5"   // quintile 1 minus quintile 5
	GroupRatio = "ratio_q1_q5" // quintile 1 / quintile 5
	GroupSII   = "sii"
	GroupRII   = "rii"
)

// ChangeGroups are the groups of the Change breakdown, in order: for the
// overall value and the Q1–Q5 gap, last year's published figure, this
// year's and the difference (this year minus last year) with its interval.
var ChangeGroups = []string{
	"overall_last_year", "overall_this_year", "overall_difference",
	"gap_q1_q5_last_year", "gap_q1_q5_this_year", "gap_q1_q5_difference",
}

// Columns is the header of metrics.csv and the column order of metrics.parquet.
var Columns = []string{
	"indicator_id", "period", "organisation", "breakdown", "group",
	"numerator", "denominator", "value", "lower_95", "upper_95",
	"lower_998", "upper_998", "method", "suppressed", "note",
}

// Row is one line of the tidy metrics table. A NaN number is missing: not
// computable, not published, or suppressed (then Suppressed is true).
type Row struct {
	IndicatorID  string
	Period       string
	Organisation string
	Breakdown    string
	Group        string
	Numerator    float64
	Denominator  float64
	Value        float64
	Lower95      float64
	Upper95      float64
	Lower998     float64
	Upper998     float64
	Method       string
	Suppressed   bool
	Note         string
}

// NA is the missing value.
var NA = math.NaN()

// Key identifies a row within a run.
func (r Row) Key() string {
	return r.IndicatorID + "\x00" + r.Breakdown + "\x00" + r.Group
}

// Numbers returns the row's numeric fields in column order, for comparisons.
func (r Row) Numbers() []float64 {
	return []float64{r.Numerator, r.Denominator, r.Value, r.Lower95, r.Upper95, r.Lower998, r.Upper998}
}

// NumberColumns names the values of Numbers.
var NumberColumns = []string{"numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998"}

// FormatNumber prints a number the same way in every output: the shortest
// decimal that reads back to the same float64, no exponent; "" for NaN.
func FormatNumber(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	if v == 0 {
		return "0" // also folds -0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ParseNumber reads what FormatNumber wrote.
func ParseNumber(s string) (float64, error) {
	if s == "" {
		return NA, nil
	}
	return strconv.ParseFloat(s, 64)
}

var breakdownRank = map[string]int{
	Overall: 0, IMDQuintile: 1, IMDSummary: 2, Ethnic: 3, EthnicRatio: 4, AgeBand: 5, Sex: 6, Change: 7,
}

// groupRank orders groups within a breakdown the way a reader expects: known
// labels in their natural order, numbers numerically, Unknown-like labels last.
func groupRank(breakdown, g string) (int, float64, string) {
	switch breakdown {
	case Overall:
		return 0, 0, g
	case IMDSummary:
		for i, s := range []string{GroupGap, GroupRatio, GroupSII, GroupRII} {
			if g == s {
				return i, 0, g
			}
		}
	case Ethnic, EthnicRatio:
		name := strings.TrimSuffix(g, " / White")
		for i, s := range EthnicGroupOrder {
			if name == s {
				return i, 0, g
			}
		}
	case Change:
		for i, s := range ChangeGroups {
			if g == s {
				return i, 0, g
			}
		}
	case Sex:
		for i, s := range SexOrder {
			if g == s {
				return i, 0, g
			}
		}
	}
	// Numeric prefix (quintiles "1", age bands "18-34", "80+").
	end := 0
	for end < len(g) && g[end] >= '0' && g[end] <= '9' {
		end++
	}
	if end > 0 {
		n, _ := strconv.ParseFloat(g[:end], 64)
		return 100, n, g
	}
	return 1000, 0, g
}

// EthnicGroupOrder is the order of ethnic groups in every output.
var EthnicGroupOrder = []string{
	"White", "Mixed", "Asian or Asian British", "Black or Black British",
	"Other ethnic groups", "Not stated", "Not known",
}

// SexOrder is the order of sex groups in every output.
var SexOrder = []string{"Male", "Female", "Other or not known"}

// Less reports whether a sorts before b: by indicator, breakdown, then group
// in natural order.
func Less(a, b Row) bool {
	if a.IndicatorID != b.IndicatorID {
		return a.IndicatorID < b.IndicatorID
	}
	if a.Breakdown != b.Breakdown {
		ra, oka := breakdownRank[a.Breakdown]
		rb, okb := breakdownRank[b.Breakdown]
		if !oka {
			ra = 100
		}
		if !okb {
			rb = 100
		}
		if ra != rb {
			return ra < rb
		}
		return a.Breakdown < b.Breakdown
	}
	r1, n1, s1 := groupRank(a.Breakdown, a.Group)
	r2, n2, s2 := groupRank(b.Breakdown, b.Group)
	if r1 != r2 {
		return r1 < r2
	}
	if n1 != n2 {
		return n1 < n2
	}
	return s1 < s2
}

// Sort sorts rows in place into the published order.
func Sort(rows []Row) {
	sort.SliceStable(rows, func(i, j int) bool { return Less(rows[i], rows[j]) })
}

// Record renders a row as CSV fields in Columns order.
func (r Row) Record() []string {
	rec := []string{r.IndicatorID, r.Period, r.Organisation, r.Breakdown, r.Group}
	for _, v := range r.Numbers() {
		rec = append(rec, FormatNumber(v))
	}
	supp := "false"
	if r.Suppressed {
		supp = "true"
	}
	return append(rec, r.Method, supp, r.Note)
}

// WriteCSV writes the header and the rows (which the caller has sorted).
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.Record()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads a metrics.csv written by WriteCSV.
func ReadCSV(r io.Reader, name string) ([]Row, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading header: %w", name, err)
	}
	if strings.Join(head, ",") != strings.Join(Columns, ",") {
		return nil, fmt.Errorf("%s: line 1: header is %q, want %q", name, strings.Join(head, ","), strings.Join(Columns, ","))
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		row, err := ParseRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		rows = append(rows, row)
	}
}

// ParseRecord reads one CSV record of a metrics table in Columns order. The
// suppressed field must be true or false; a number field must read back
// with ParseNumber. The error names the field.
func ParseRecord(rec []string) (Row, error) {
	if len(rec) != len(Columns) {
		return Row{}, fmt.Errorf("%d fields, want %d", len(rec), len(Columns))
	}
	row := Row{IndicatorID: rec[0], Period: rec[1], Organisation: rec[2], Breakdown: rec[3], Group: rec[4],
		Method: rec[12], Suppressed: rec[13] == "true", Note: rec[14]}
	if rec[13] != "true" && rec[13] != "false" {
		return Row{}, fmt.Errorf("field suppressed: %q is not true or false", rec[13])
	}
	nums := make([]float64, 7)
	for i := range nums {
		v, err := ParseNumber(rec[5+i])
		if err != nil {
			return Row{}, fmt.Errorf("field %s: %q is not a number", Columns[5+i], rec[5+i])
		}
		nums[i] = v
	}
	row.Numerator, row.Denominator, row.Value = nums[0], nums[1], nums[2]
	row.Lower95, row.Upper95, row.Lower998, row.Upper998 = nums[3], nums[4], nums[5], nums[6]
	return row, nil
}

// ParquetRow is one row of metrics.parquet: fields in Columns order, a nil
// number is missing (NaN). Read and write it with parquet-go's generic
// reader and writer.
type ParquetRow struct {
	IndicatorID  string   `parquet:"indicator_id"`
	Period       string   `parquet:"period"`
	Organisation string   `parquet:"organisation"`
	Breakdown    string   `parquet:"breakdown"`
	Group        string   `parquet:"group"`
	Numerator    *float64 `parquet:"numerator,optional"`
	Denominator  *float64 `parquet:"denominator,optional"`
	Value        *float64 `parquet:"value,optional"`
	Lower95      *float64 `parquet:"lower_95,optional"`
	Upper95      *float64 `parquet:"upper_95,optional"`
	Lower998     *float64 `parquet:"lower_998,optional"`
	Upper998     *float64 `parquet:"upper_998,optional"`
	Method       string   `parquet:"method"`
	Suppressed   bool     `parquet:"suppressed"`
	Note         string   `parquet:"note"`
}

// Parquet returns r as a metrics.parquet row; -0 is written as 0, as
// FormatNumber does.
func (r Row) Parquet() ParquetRow {
	opt := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		if v == 0 {
			v = 0
		}
		return &v
	}
	return ParquetRow{IndicatorID: r.IndicatorID, Period: r.Period, Organisation: r.Organisation, Breakdown: r.Breakdown, Group: r.Group,
		Numerator: opt(r.Numerator), Denominator: opt(r.Denominator), Value: opt(r.Value),
		Lower95: opt(r.Lower95), Upper95: opt(r.Upper95), Lower998: opt(r.Lower998), Upper998: opt(r.Upper998),
		Method: r.Method, Suppressed: r.Suppressed, Note: r.Note}
}

// Row returns the metrics row a metrics.parquet row holds.
func (p ParquetRow) Row() Row {
	num := func(v *float64) float64 {
		if v == nil {
			return NA
		}
		return *v
	}
	return Row{IndicatorID: p.IndicatorID, Period: p.Period, Organisation: p.Organisation, Breakdown: p.Breakdown, Group: p.Group,
		Numerator: num(p.Numerator), Denominator: num(p.Denominator), Value: num(p.Value),
		Lower95: num(p.Lower95), Upper95: num(p.Upper95), Lower998: num(p.Lower998), Upper998: num(p.Upper998),
		Method: p.Method, Suppressed: p.Suppressed, Note: p.Note}
}
