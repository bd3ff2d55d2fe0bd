package extract

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/metrics"
	"hiis/pipeline/refdata"
	"hiis/pipeline/source"
)

// normaliser turns one text row into one snapshot row.
type normaliser struct {
	kind source.Kind
	imd  *refdata.IMD
	pos  map[string]int // kind column name -> index in text
	text []string       // reused per row: trimmed values of the kind's columns
}

func newNormaliser(kind source.Kind, imd *refdata.IMD) *normaliser {
	n := &normaliser{kind: kind, imd: imd, pos: map[string]int{}, text: make([]string, len(kind.Columns))}
	for i, c := range kind.Columns {
		n.pos[c.Name] = i
	}
	return n
}

// field returns the current row's trimmed value of a kind column ("" when
// the kind has no such column).
func (n *normaliser) field(name string) string {
	if i, ok := n.pos[name]; ok {
		return n.text[i]
	}
	return ""
}

// row checks rec and returns its snapshot row, or the field and reason it is
// rejected.
func (n *normaliser) row(rec []string, line int, idx map[string]int, width int, cols map[string]column) (parquet.Row, string, string) {
	if len(rec) != width {
		return nil, "", fmt.Sprintf("row has %d fields, the header has %d", len(rec), width)
	}
	row := make(parquet.Row, len(cols))
	set := func(name string, v parquet.Value) {
		c := cols[name]
		if v.IsNull() {
			row[c.index] = parquet.Value{}.Level(0, 0, c.index)
			return
		}
		row[c.index] = v.Level(0, 1, c.index)
	}
	for ci, c := range n.kind.Columns {
		raw := ""
		if i, ok := idx[c.Name]; ok {
			raw = strings.TrimSpace(rec[i])
		}
		n.text[ci] = raw
		if raw == "" {
			if !c.Blank && !c.Optional {
				return nil, c.Name, "blank, but a value is required"
			}
			set(c.Name, parquet.Value{})
			continue
		}
		v, reason := parse(c.Type, raw)
		if reason != "" {
			return nil, c.Name, reason
		}
		set(c.Name, v)
	}
	set("source_line", parquet.Int64Value(int64(line)))

	switch n.kind.Level {
	case source.Aggregate:
		return n.aggregate(row, set)
	}
	// Equality columns of record-level and population sources.
	if a := n.field("age"); a != "" {
		v, _ := parse(source.Int, a) // checked above: a whole number, "45" or "45.0"
		age := int(v.Int64())
		if age < 0 || age > 130 {
			return nil, "age", fmt.Sprintf("%d is not an age from 0 to 130", age)
		}
		set("age_band", str(AgeBand(age)))
		set("esp_band", str(ESPBand(age)))
	} else {
		set("age_band", str("Unknown"))
		set("esp_band", str("Unknown"))
	}
	if p := n.field("people"); strings.HasPrefix(p, "-") {
		return nil, "people", fmt.Sprintf("%s is negative", p)
	}
	code, group, _ := Ethnicity(n.field("ethnic_category"))
	set("ethnic_code", str(code))
	set("ethnic_group", str(group))
	set("sex_group", str(Sex(n.field("sex"))))
	if dec, q, ok := Deprivation(n.imd, n.field("lsoa")); ok {
		set("imd_decile", parquet.Int64Value(int64(dec)))
		set("imd_quintile", str(q))
	} else {
		set("imd_decile", parquet.Value{})
		set("imd_quintile", str(q))
	}
	return row, "", ""
}

func str(s string) parquet.Value { return parquet.ByteArrayValue([]byte(s)) }

// parse checks a non-blank value against a declared type.
func parse(t source.Type, raw string) (parquet.Value, string) {
	switch t {
	case source.Int:
		v, err := strconv.ParseInt(strings.ReplaceAll(raw, ",", ""), 10, 64)
		if err != nil {
			if f, ferr := strconv.ParseFloat(raw, 64); ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return parquet.Int64Value(int64(f)), "" // "12.0" from a spreadsheet
			}
			return parquet.Value{}, fmt.Sprintf("%q is not a whole number", raw)
		}
		return parquet.Int64Value(v), ""
	case source.Number:
		v, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", ""), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return parquet.Value{}, fmt.Sprintf("%q is not a number", raw)
		}
		return parquet.DoubleValue(v), ""
	case source.Date:
		d, ok := parseDate(raw)
		if !ok {
			return parquet.Value{}, fmt.Sprintf("%q is not a date (expected YYYY-MM-DD or DD/MM/YYYY)", raw)
		}
		return parquet.Int32Value(int32(d.Unix() / 86400)), ""
	}
	return str(raw), ""
}

var aggregateBreakdowns = map[string]bool{
	metrics.Overall: true, metrics.IMDQuintile: true, metrics.Ethnic: true, metrics.AgeBand: true, metrics.Sex: true,
}

// aggregate checks the group columns of an already-counted row.
func (n *normaliser) aggregate(row parquet.Row, set func(string, parquet.Value)) (parquet.Row, string, string) {
	text := func(name string) string { return n.field(name) }
	b := strings.ToLower(text("breakdown"))
	if !aggregateBreakdowns[b] {
		return nil, "breakdown", fmt.Sprintf("%q is not overall, imd_quintile, ethnic_group, age_band or sex", text("breakdown"))
	}
	set("breakdown", str(b))
	g := text("group")
	switch b {
	case metrics.Overall:
		g = metrics.GroupAll
	case metrics.IMDQuintile:
		switch g {
		case "1", "2", "3", "4", "5":
		case "", "Unknown", "unknown":
			g = "Unknown"
		default:
			return nil, "group", fmt.Sprintf("%q is not an IMD quintile 1 (most deprived) to 5, or Unknown", g)
		}
	case metrics.Ethnic:
		ok := false
		for _, e := range metrics.EthnicGroupOrder {
			if strings.EqualFold(g, e) {
				g, ok = e, true
			}
		}
		if !ok {
			return nil, "group", fmt.Sprintf("%q is not an ethnic group (%s)", g, strings.Join(metrics.EthnicGroupOrder, ", "))
		}
	case metrics.Sex:
		switch strings.ToLower(g) {
		case "male", "1", "m":
			g = "Male"
		case "female", "2", "f":
			g = "Female"
		default:
			g = "Other or not known"
		}
	default:
		if g == "" {
			return nil, "group", "blank, but a value is required for this breakdown"
		}
	}
	set("group", str(g))
	num, _ := strconv.ParseFloat(strings.ReplaceAll(text("numerator"), ",", ""), 64)
	den, _ := strconv.ParseFloat(strings.ReplaceAll(text("denominator"), ",", ""), 64)
	switch {
	case num < 0:
		return nil, "numerator", fmt.Sprintf("%s is negative", text("numerator"))
	case den < 0:
		return nil, "denominator", fmt.Sprintf("%s is negative", text("denominator"))
	}
	return row, "", ""
}
