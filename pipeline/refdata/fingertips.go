package refdata

// Fingertips' data download: the CSV that the Fingertips website's "data"
// download and its API's all_data/csv endpoints write, one row per
// indicator, area, sex, age, category and time period. hiis reads the rows
// of one area (England) and one period as a comparator: the overall rows
// (blank Category Type) and one category type of IMD quintiles.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"hiis/pipeline/metrics"
)

// FingertipsColumns are the columns every Fingertips data download starts
// with, in order.
var FingertipsColumns = []string{
	"Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
	"Sex", "Age", "Category Type", "Category", "Time period", "Value",
	"Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
	"Count", "Denominator", "Value note",
}

// fingertipsTrailing are the further columns a download may have after
// FingertipsColumns; "Compared to <areas> value or percentiles" columns
// (one per comparison Fingertips makes) are matched by pattern.
var fingertipsTrailing = []string{"Recent Trend", "Column not used", "Time period Sortable", "New data", "Compared to goal", "Time period range"}

var comparedColumn = regexp.MustCompile(`^Compared to .+ value or percentiles$`)

// FingertipsSelection says which rows of a download to read.
type FingertipsSelection struct {
	Period string // Time period, e.g. "2023/24"
	Area   string // Area Code, e.g. E92000001
	Sex    string // e.g. Persons
	// Quintiles is the Category Type of the IMD quintile rows; "" takes a
	// category type starting "LSOA" and naming "deprivation quintiles".
	Quintiles string
	// Indicators maps a hiis indicator ID to the file's Indicator ID.
	Indicators map[string]string
}

// FingertipsError is a download that failed a check: it names the file,
// the line and the field.
type FingertipsError struct {
	File  string
	Line  int    // 0 for the file as a whole
	Field string // "" for the row or the file
	Err   error
}

func (e *FingertipsError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(": line %d", e.Line)
	}
	if e.Field != "" {
		s += fmt.Sprintf(": field %q", e.Field)
	}
	return s + ": " + e.Err.Error()
}

func (e *FingertipsError) Unwrap() error { return e.Err }

// quintileCategories reads Fingertips' names of the IMD quintiles, named as
// its deciles are ("Most deprived decile (IMD2019)", "Second most …",
// "Third more …", "Second least …", "Least deprived decile"), with the
// bracketed edition removed and case ignored.
var quintileCategories = map[string]string{
	"most deprived quintile":         "1",
	"second most deprived quintile":  "2",
	"third more deprived quintile":   "3",
	"middle quintile":                "3",
	"second least deprived quintile": "4",
	"least deprived quintile":        "5",
}

var edition = regexp.MustCompile(`\s*\([^)]*\)\s*$`)

// quintileOf is the hiis quintile ("1" most deprived … "5") a Category
// names; "" when it names none.
func quintileOf(category string) string {
	c := strings.ToLower(strings.TrimSpace(edition.ReplaceAllString(category, "")))
	return quintileCategories[c]
}

// isQuintileType reports whether a Category Type holds the IMD quintile
// rows: the one sel names, or by default an LSOA deprivation quintiles type.
func (sel FingertipsSelection) isQuintileType(t string) bool {
	if sel.Quintiles != "" {
		return strings.EqualFold(strings.TrimSpace(t), strings.TrimSpace(sel.Quintiles))
	}
	l := strings.ToLower(t)
	return strings.HasPrefix(l, "lsoa") && strings.Contains(l, "deprivation quintiles")
}

// ReadFingertips reads the rows sel selects from a Fingertips data
// download as metrics rows: the overall row (breakdown overall, group All)
// and the IMD quintile rows of each mapped indicator, under its hiis ID.
// Value, the 95% and 99.8% limits, Count (as numerator) and Denominator are
// read as published; a blank is not available. Rows of other indicators,
// areas, sexes, periods and category types are not read.
//
// Errors (*FingertipsError, naming file, line and field): a header that is
// not Fingertips' (a missing column, or one it does not write), a row with
// the wrong number of fields, a number that does not parse, a quintile
// category it does not name, two rows for one indicator and group (with
// the other's line), and a mapped indicator with no row for the period.
func ReadFingertips(r io.Reader, name string, sel FingertipsSelection) ([]metrics.Row, error) {
	bad := func(line int, field string, format string, args ...any) error {
		return &FingertipsError{File: name, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
	}
	cr, head, err := openCSV(r, name, "Fingertips' header, "+strings.Join(FingertipsColumns[:3], ", ")+" …")
	if err != nil {
		return nil, err
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	if len(head) < len(FingertipsColumns) {
		return nil, bad(1, "", "%d columns, Fingertips writes at least %d: %s", len(head), len(FingertipsColumns), strings.Join(FingertipsColumns, ", "))
	}
	for i, want := range FingertipsColumns {
		if strings.TrimSpace(head[i]) != want {
			return nil, bad(1, want, "column %d is %q, Fingertips writes %q there", i+1, head[i], want)
		}
	}
	for _, h := range head[len(FingertipsColumns):] {
		h = strings.TrimSpace(h)
		if !slices.Contains(fingertipsTrailing, h) && !comparedColumn.MatchString(h) {
			return nil, bad(1, h, "not a column of Fingertips' data download")
		}
	}
	col := map[string]int{}
	for i, h := range FingertipsColumns {
		col[h] = i
	}

	byID := map[string][]string{} // Fingertips ID → hiis IDs
	for hiisID, ftID := range sel.Indicators {
		byID[strings.TrimSpace(ftID)] = append(byID[strings.TrimSpace(ftID)], hiisID)
	}
	for _, ids := range byID {
		slices.Sort(ids)
	}
	periods := map[string]map[string]bool{} // Fingertips ID → periods seen for the area
	seen := map[string]int{}                // row key → line
	var rows []metrics.Row
	for rec, err := range records(cr, name, col) {
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, bad(pe.Line, "", "%v", pe.Err)
			}
			return nil, err
		}
		line, get := rec.line, rec.get
		if len(rec.fields) != len(head) {
			return nil, bad(line, "", "%d fields, the header has %d", len(rec.fields), len(head))
		}
		ftID := get("Indicator ID")
		hiisIDs, ok := byID[ftID]
		if !ok || get("Area Code") != sel.Area || !strings.EqualFold(get("Sex"), sel.Sex) {
			continue
		}
		if periods[ftID] == nil {
			periods[ftID] = map[string]bool{}
		}
		periods[ftID][get("Time period")] = true
		if get("Time period") != sel.Period {
			continue
		}
		row := metrics.Row{Period: sel.Period, Organisation: sel.Area, Method: "published (Fingertips)"}
		ctype, cat := get("Category Type"), get("Category")
		switch {
		case ctype == "" && cat != "":
			return nil, bad(line, "Category", "%q with a blank Category Type", cat)
		case ctype == "":
			row.Breakdown, row.Group = metrics.Overall, metrics.GroupAll
		case sel.isQuintileType(ctype):
			q := quintileOf(cat)
			if q == "" {
				return nil, bad(line, "Category", "%q is not an IMD quintile hiis reads (Most deprived quintile … Least deprived quintile)", cat)
			}
			row.Breakdown, row.Group = metrics.IMDQuintile, q
		default:
			continue // deciles, area-level quintiles, ethnic groups …: not compared
		}
		for _, f := range []struct {
			field string
			to    *float64
		}{{"Value", &row.Value}, {"Lower CI 95.0 limit", &row.Lower95}, {"Upper CI 95.0 limit", &row.Upper95},
			{"Lower CI 99.8 limit", &row.Lower998}, {"Upper CI 99.8 limit", &row.Upper998},
			{"Count", &row.Numerator}, {"Denominator", &row.Denominator}} {
			s := get(f.field)
			if s == "" {
				*f.to = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, bad(line, f.field, "%q is not a number", s)
			}
			*f.to = v
		}
		if !math.IsNaN(row.Value) && !math.IsNaN(row.Lower95) && !math.IsNaN(row.Upper95) && (row.Lower95 > row.Value || row.Upper95 < row.Value) {
			return nil, bad(line, "Value", "%s lies outside its 95%% interval %s to %s", get("Value"), get("Lower CI 95.0 limit"), get("Upper CI 95.0 limit"))
		}
		row.Note = get("Value note")
		for _, id := range hiisIDs {
			row.IndicatorID = id
			key := row.Key()
			if first, dup := seen[key]; dup {
				return nil, bad(line, "Category", "a second row for Indicator ID %s, %s, %s %s, %q (the first is line %d)", ftID, sel.Period, row.Breakdown, row.Group, get("Age"), first)
			}
			seen[key] = line
			rows = append(rows, row)
		}
	}
	for _, ftID := range slices.Sorted(maps.Keys(byID)) {
		for _, id := range byID[ftID] {
			if seen[metrics.Row{IndicatorID: id, Breakdown: metrics.Overall, Group: metrics.GroupAll}.Key()] > 0 {
				continue
			}
			found := false
			for q := 1; q <= 5 && !found; q++ {
				found = seen[metrics.Row{IndicatorID: id, Breakdown: metrics.IMDQuintile, Group: strconv.Itoa(q)}.Key()] > 0
			}
			if found {
				continue
			}
			msg := "no rows"
			if ps := slices.Sorted(maps.Keys(periods[ftID])); len(ps) > 0 {
				msg = "no rows for " + strconv.Quote(sel.Period) + " (it has " + strings.Join(ps, ", ") + ")"
			}
			return nil, bad(0, "Indicator ID", "Indicator ID %s (for %s): %s with Area Code %s and Sex %s", ftID, id, msg, sel.Area, sel.Sex)
		}
	}
	metrics.Sort(rows)
	return rows, nil
}
