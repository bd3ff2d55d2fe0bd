package extract

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"hiis/pipeline/config"
	"hiis/pipeline/metrics"
	"hiis/pipeline/source"
)

// The checks and normalisation of one extract as one DuckDB query. The
// query reads a relation with __line (the record's line in the file) and
// one text column per kind column (NULL when the extract lacks it), and
// yields the snapshot's columns plus __err: NULL for a good row, else
// "field\x1freason\x1fvalue" for the first check the row fails.

// errSep separates the parts of __err.
const errSep = "\x1f"

// lit quotes s as a SQL string literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ident quotes a SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// validEthnic are the NHS Data Dictionary ethnic category codes (2001
// census categories) with their groups (METHODS.md).
var validEthnic = []struct{ code, group string }{
	{"A", "White"}, {"B", "White"}, {"C", "White"},
	{"D", "Mixed"}, {"E", "Mixed"}, {"F", "Mixed"}, {"G", "Mixed"},
	{"H", "Asian or Asian British"}, {"J", "Asian or Asian British"}, {"K", "Asian or Asian British"}, {"L", "Asian or Asian British"},
	{"M", "Black or Black British"}, {"N", "Black or Black British"}, {"P", "Black or Black British"},
	{"R", "Other ethnic groups"}, {"S", "Other ethnic groups"},
	{"Z", "Not stated"},
}

// sexCodes are the NHS sex and gender codes; codes mapped to "" are valid
// codes for "not known" or "not specified".
var sexCodes = map[string]string{"1": "Male", "M": "Male", "MALE": "Male", "2": "Female", "F": "Female", "FEMALE": "Female",
	"0": "", "9": "", "X": "", "I": "", "U": "", "N": ""}

// closedColumns are the snapshot columns of record-level and population
// kinds whose values come from a closed list that equality derives, each
// with every value it can take (sorted). The snapshot is written with them
// as DuckDB ENUMs: the Parquet file holds the same text, written about
// twice as fast.
func closedColumns() map[string][]string {
	set := func(vals ...string) []string {
		seen := map[string]bool{}
		var out []string
		for _, v := range vals {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
		sort.Strings(out)
		return out
	}
	codes := []string{"", "99"}
	groups := []string{"Not known"}
	for _, c := range validEthnic {
		codes = append(codes, c.code)
		groups = append(groups, c.group)
	}
	sexes := []string{"Other or not known"}
	for _, g := range sexCodes {
		if g != "" {
			sexes = append(sexes, g)
		}
	}
	ages, esp := []string{"Unknown"}, []string{"Unknown"}
	for a := 0; a <= ageTop; a++ {
		ages, esp = append(ages, AgeBand(a)), append(esp, ESPBand(a))
	}
	return map[string][]string{
		"ethnic_code":  set(codes...),
		"ethnic_group": set(groups...),
		"sex_group":    set(sexes...),
		"age_band":     set(ages...),
		"esp_band":     set(esp...),
		"imd_quintile": set("1", "2", "3", "4", "5", "Unknown"),
	}
}

// enumType names the DuckDB ENUM of a closed column.
func enumType(column string) string { return ident("hiis_" + column) }

// snapshotSelect is the projection that writes a snapshot's columns: the
// closed columns as their ENUMs when closed is true.
func snapshotSelect(names []string, closed bool) string {
	enums := closedColumns()
	cols := make([]string, len(names))
	for i, n := range names {
		cols[i] = ident(n)
		if _, ok := enums[n]; ok && closed {
			cols[i] = fmt.Sprintf("CAST(%s AS %s) AS %s", ident(n), enumType(n), ident(n))
		}
	}
	return strings.Join(cols, ", ")
}

// ageTop is the oldest age accepted.
const ageTop = 130

// spec is what the query needs to know about one source.
type spec struct {
	kind source.Kind
	src  *config.Source
	text map[string]string // kind column -> SQL expression of its raw text
	// staged is true when rel is the staging CSV: fields already trimmed
	// with NULL blank, and the IMD decile in __decile (no join, so rows
	// stay in file order).
	staged bool
}

// selectSQL returns the query over rel (which has __line and the text
// expressions of s.text) yielding the snapshot columns and __err.
func (s spec) selectSQL(rel string) string {
	var t []string // layer 1: trimmed text, NULL when blank or "NULL"
	t = append(t, "__line")
	text := func(name string) string {
		if s.staged && s.text[name] != "" {
			return s.text[name]
		}
		return blankNull(s.text[name])
	}
	for _, c := range s.kind.Columns {
		t = append(t, fmt.Sprintf("%s AS %s", text(c.Name), ident("t_"+c.Name)))
	}
	if s.kind.Level == source.Record {
		t = append(t, fmt.Sprintf("%s AS t_count", text(source.CountColumn.Name)))
	}
	if s.staged {
		t = append(t, "__decile", "__ok")
	}
	var v []string // layer 2: parsed values
	var errs []string
	v = append(v, "r.*")
	for _, c := range s.kind.Columns {
		tc := ident("t_" + c.Name)
		vc := ident("v_" + c.Name)
		if !c.Blank && !c.Optional {
			errs = append(errs, fmt.Sprintf("WHEN %s IS NULL THEN %s", tc, lit(c.Name+errSep+"blank, but a value is required"+errSep)))
		}
		switch c.Type {
		case source.Int:
			expr := intExpr(tc)
			if c.Name == "age" && s.src.AgeTopCode != "" {
				expr = fmt.Sprintf("CASE WHEN %s = %s THEN %d ELSE %s END", tc, lit(strings.TrimSpace(s.src.AgeTopCode)), topAge(s.src.AgeTopCode), expr)
			}
			if s.staged {
				expr = fmt.Sprintf("CASE WHEN __ok THEN TRY_CAST(%s AS BIGINT) ELSE %s END", tc, expr)
			}
			v = append(v, expr+" AS "+vc)
			errs = append(errs, fmt.Sprintf("WHEN %s IS NOT NULL AND %s IS NULL THEN %s", tc, vc, errText(c.Name, intReason(tc, c.Name == "age"), tc)))
		case source.Number:
			v = append(v, numberExpr(tc)+" AS "+vc)
			errs = append(errs, fmt.Sprintf("WHEN %s IS NOT NULL AND %s IS NULL THEN %s", tc, vc, errText(c.Name, numberReason(tc), tc)))
		case source.Date:
			expr := dateExpr(tc, s.src.DateFormat)
			if s.staged {
				expr = fmt.Sprintf("CASE WHEN __ok THEN TRY_CAST(%s AS DATE) ELSE %s END", tc, expr)
			}
			v = append(v, expr+" AS "+vc)
			errs = append(errs, fmt.Sprintf("WHEN %s IS NOT NULL AND %s IS NULL THEN %s", tc, vc, errText(c.Name, dateReason(tc, s.src.DateFormat), tc)))
		default:
			v = append(v, tc+" AS "+vc)
		}
	}
	out := map[string]string{"source_line": "__line"}
	for _, c := range s.kind.Columns {
		out[c.Name] = ident("v_" + c.Name)
	}
	switch s.kind.Level {
	case source.Aggregate:
		errs = append(errs, s.aggregate(out, &v)...)
	default:
		errs = append(errs, s.equality(out, &v)...)
	}
	var cols []string
	for _, name := range slices.Sorted(maps.Keys(out)) {
		cols = append(cols, fmt.Sprintf("%s AS %s", out[name], ident(name)))
	}
	join := ""
	if s.kind.Level != source.Aggregate && !s.staged {
		join = " LEFT JOIN imd ON imd.lsoa = upper(r.t_lsoa)"
	}
	errCase := "CASE " + strings.Join(errs, " ") + " END"
	if s.staged {
		// Records that passed the scan's fast checks need none here.
		errCase = "CASE WHEN __ok THEN NULL ELSE " + errCase + " END"
	}
	return fmt.Sprintf("SELECT %s, %s AS __err FROM (SELECT %s FROM (SELECT %s FROM %s) r%s) q",
		strings.Join(cols, ", "), errCase, strings.Join(v, ", "), strings.Join(t, ", "), rel, join)
}

// snapshotNames are the snapshot's columns, sorted.
func snapshotNames(kind source.Kind) []string {
	var names []string
	for _, c := range snapshotColumns(kind) {
		names = append(names, c.name)
	}
	return names
}

func blankNull(expr string) string {
	if expr == "" {
		return "CAST(NULL AS VARCHAR)"
	}
	return fmt.Sprintf("CASE WHEN trim(%[1]s) IN ('', 'NULL') THEN NULL ELSE trim(%[1]s) END", expr)
}

func errText(field, reason, tc string) string {
	return fmt.Sprintf("%s || %s || %s || left(%s, 40)", lit(field+errSep), reason, lit(errSep), tc)
}

// intExpr parses a whole number: digits (the fast path), a sign, "45.0"
// from a spreadsheet, or thousands separators "1,234". Anything else,
// including "4,5", "1e1" and numbers beyond 64 bits, is NULL.
func intExpr(tc string) string {
	return fmt.Sprintf(`CASE WHEN CAST(TRY_CAST(%[1]s AS BIGINT) AS VARCHAR) = %[1]s THEN TRY_CAST(%[1]s AS BIGINT)
		WHEN regexp_full_match(%[1]s, '[+-]?[0-9]+(\.0*)?') THEN TRY_CAST(regexp_replace(%[1]s, '\.0*$', '') AS BIGINT)
		WHEN regexp_full_match(%[1]s, '[0-9]{1,3}(,[0-9]{3})+') THEN TRY_CAST(replace(%[1]s, ',', '') AS BIGINT) END`, tc)
}

func intReason(tc string, age bool) string {
	top := ""
	if age {
		top = fmt.Sprintf(`WHEN regexp_full_match(%[1]s, '[0-9]+ ?(\+|and over|or over)') THEN '"' || left(%[1]s, 40) || '" is not a whole number; declare age_top_code: "' || %[1]s || '" if the extract top-codes ages'`, tc)
	}
	return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '[+-]?[0-9]+(\.0*)?|[0-9]{1,3}(,[0-9]{3})+')
		THEN '"' || left(%[1]s, 40) || '" is beyond the largest whole number hiis reads (2^63-1)' %[2]s
		ELSE '"' || left(%[1]s, 40) || '" is not a whole number' END`, tc, top)
}

// maxNumber bounds a count or number: beyond it a value cannot be summed
// exactly and is a reject.
const maxNumber = "1e18"

func numberExpr(tc string) string {
	return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?')
		AND abs(TRY_CAST(replace(%[1]s, ',', '') AS DOUBLE)) < %[2]s THEN TRY_CAST(replace(%[1]s, ',', '') AS DOUBLE) END`, tc, maxNumber)
}

func numberReason(tc string) string {
	return fmt.Sprintf(`CASE WHEN TRY_CAST(replace(%[1]s, ',', '') AS DOUBLE) IS NOT NULL AND regexp_full_match(%[1]s, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?')
		THEN '"' || left(%[1]s, 40) || '" is beyond the largest number hiis reads (10^18)'
		ELSE '"' || left(%[1]s, 40) || '" is not a number' END`, tc)
}

// dateExpr parses a date as the source declares (config.Source.DateFormat):
// ISO dates (with an optional time) always; d/m/y unless the source says
// mm/dd/yyyy or iso; bare day numbers only with excel_serial.
func dateExpr(tc, format string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CASE WHEN CAST(TRY_CAST(%[1]s AS DATE) AS VARCHAR) = %[1]s THEN TRY_CAST(%[1]s AS DATE)", tc)
	fmt.Fprintf(&b, " WHEN regexp_full_match(%[1]s, '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]*)?)?(Z|[+-][0-9:]+)?') THEN TRY_CAST(left(%[1]s, 10) AS DATE)", tc)
	switch format {
	case "", "dd/mm/yyyy":
		fmt.Fprintf(&b, " WHEN regexp_full_match(%[1]s, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}') THEN CAST(try_strptime(%[1]s, '%%d/%%m/%%Y') AS DATE)", tc)
	case "mm/dd/yyyy":
		fmt.Fprintf(&b, " WHEN regexp_full_match(%[1]s, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}') THEN CAST(try_strptime(%[1]s, '%%m/%%d/%%Y') AS DATE)", tc)
	case "excel_serial":
		fmt.Fprintf(&b, " WHEN regexp_full_match(%[1]s, '[0-9]{1,7}(\\.0*)?') AND TRY_CAST(regexp_replace(%[1]s, '\\.0*$', '') AS BIGINT) BETWEEN 1 AND 2958465 THEN CAST(DATE '1899-12-30' + TRY_CAST(regexp_replace(%[1]s, '\\.0*$', '') AS INTEGER) AS DATE)", tc)
	}
	b.WriteString(" END")
	return b.String()
}

func dateReason(tc, format string) string {
	want := map[string]string{
		"":             "YYYY-MM-DD or DD/MM/YYYY",
		"iso":          "YYYY-MM-DD (date_format: iso)",
		"dd/mm/yyyy":   "YYYY-MM-DD or DD/MM/YYYY (date_format: dd/mm/yyyy)",
		"mm/dd/yyyy":   "YYYY-MM-DD or MM/DD/YYYY (date_format: mm/dd/yyyy)",
		"excel_serial": "YYYY-MM-DD or a day number from 1 (date_format: excel_serial)",
	}[format]
	hint := ""
	if format == "" {
		hint = "; bare day numbers are read only with date_format: excel_serial"
	}
	return fmt.Sprintf(`CASE WHEN regexp_full_match(%[1]s, '[0-9]+(\.0*)?') THEN '"' || left(%[1]s, 40) || '" is not a date (expected %[2]s%[3]s)'
		ELSE '"' || left(%[1]s, 40) || '" is not a date (expected %[2]s)' END`, tc, want, hint)
}

func topAge(code string) int {
	n := 0
	for _, r := range code {
		if r >= '0' && r <= '9' {
			n = n*10 + int(r-'0')
		} else if n > 0 {
			break
		}
	}
	return n
}

// labelled maps a column's declared labels (config labels:) to codes,
// comparing upper case; other values pass as they are, upper case.
func labelled(tc string, labels map[string]string) string {
	up := "upper(" + tc + ")"
	if len(labels) == 0 {
		return up
	}
	keys := slices.Sorted(maps.Keys(labels))
	var b strings.Builder
	b.WriteString("CASE " + up)
	for _, k := range keys {
		fmt.Fprintf(&b, " WHEN %s THEN %s", lit(strings.ToUpper(strings.TrimSpace(k))), lit(strings.ToUpper(strings.TrimSpace(labels[k]))))
	}
	b.WriteString(" ELSE " + up + " END")
	return b.String()
}

// equality derives the normalised columns of record-level and population
// kinds and returns their checks.
func (s spec) equality(out map[string]string, v *[]string) []string {
	var errs []string
	// Ethnic category: a valid code, optionally through declared labels and
	// two-character local subcodes.
	e := labelled(`"t_ethnic_category"`, s.src.Labels["ethnic_category"])
	*v = append(*v, e+" AS v_e")
	// Codes and groups by position in one string and one list: a few
	// string functions per row instead of a comparison per code.
	var letters strings.Builder
	var groups []string
	for _, c := range validEthnic {
		letters.WriteString(c.code)
		groups = append(groups, lit(c.group))
	}
	valid := lit(letters.String())
	code := fmt.Sprintf("CASE WHEN v_e IS NULL THEN '' WHEN v_e = '99' THEN '99' WHEN length(v_e) = 1 AND strpos(%s, v_e) > 0 THEN v_e", valid)
	if s.src.EthnicSubcodes {
		code += fmt.Sprintf(" WHEN length(v_e) = 2 AND left(v_e, 1) <> 'Z' AND strpos(%s, left(v_e, 1)) > 0 THEN left(v_e, 1)", valid)
	}
	code += " ELSE '' END"
	*v = append(*v, code+" AS v_code")
	code = "v_code"
	group := fmt.Sprintf("CASE WHEN length(v_code) = 1 THEN [%s][strpos(%s, v_code)] ELSE 'Not known' END", strings.Join(groups, ", "), valid)
	out["ethnic_code"] = code
	out["ethnic_group"] = group

	// Sex: NHS codes, through declared labels.
	sx := labelled(`"t_sex"`, s.src.Labels["sex"])
	sex := "CASE " + sx
	for _, k := range slices.Sorted(maps.Keys(sexCodes)) {
		if g := sexCodes[k]; g != "" {
			sex += fmt.Sprintf(" WHEN %s THEN %s", lit(k), lit(g))
		}
	}
	sex += " ELSE 'Other or not known' END"
	out["sex_group"] = sex

	// Age bands from the checked age.
	out["age_band"] = bandCase("v_age", AgeBand)
	out["esp_band"] = bandCase("v_age", ESPBand)
	errs = append(errs, fmt.Sprintf("WHEN v_age < 0 OR v_age > %d THEN 'age' || %s || CAST(v_age AS VARCHAR) || ' is not an age from 0 to %d' || %s || t_age", ageTop, lit(errSep), ageTop, lit(errSep)))

	// Deprivation from the lookup join.
	if !s.staged {
		*v = append(*v, "imd.decile AS __decile")
	}
	out["imd_decile"] = "__decile"
	out["imd_quintile"] = "CASE WHEN __decile IS NULL THEN 'Unknown' ELSE CAST((__decile + 1) // 2 AS VARCHAR) END"
	if _, ok := s.kind.Column("people"); ok && s.kind.Level == source.Population {
		errs = append(errs, fmt.Sprintf("WHEN v_people < 0 THEN 'people' || %s || t_people || ' is negative' || %s || t_people", lit(errSep), lit(errSep)))
	}
	if s.kind.Level == source.Record {
		*v = append(*v, "COALESCE("+intExpr("t_count")+", CASE WHEN t_count IS NULL THEN 1 END) AS v_count")
		out[source.RecordCount] = "v_count"
		errs = append(errs, fmt.Sprintf("WHEN v_count IS NULL OR v_count < 1 THEN 'count' || %s || '\"' || left(t_count, 40) || '\" is not a positive whole number of records' || %s || left(t_count, 40)", lit(errSep), lit(errSep)))
	}
	return errs
}

// bandCase writes band(age) for ages 0 to ageTop as a lookup in a list of
// labels; NULL or out-of-range ages give Unknown.
func bandCase(age string, band func(int) string) string {
	labels := make([]string, 0, ageTop+1)
	for a := 0; a <= ageTop; a++ {
		labels = append(labels, lit(band(a)))
	}
	return fmt.Sprintf("CASE WHEN %[1]s BETWEEN 0 AND %[2]d THEN [%[3]s][%[1]s + 1] ELSE 'Unknown' END", age, ageTop, strings.Join(labels, ", "))
}

// aggregate checks and normalises the group columns of already-counted rows.
func (s spec) aggregate(out map[string]string, v *[]string) []string {
	sep := lit(errSep)
	*v = append(*v, "lower(t_breakdown) AS b")
	var eth []string
	for _, g := range metrics.EthnicGroupOrder {
		eth = append(eth, fmt.Sprintf("WHEN lower(t_group) = %s THEN %s", lit(strings.ToLower(g)), lit(g)))
	}
	*v = append(*v, fmt.Sprintf(`CASE b
		WHEN %[1]s THEN %[2]s
		WHEN %[3]s THEN CASE WHEN t_group IN ('1', '2', '3', '4', '5') THEN t_group WHEN t_group IS NULL OR lower(t_group) = 'unknown' THEN 'Unknown' END
		WHEN %[4]s THEN CASE %[5]s END
		WHEN %[6]s THEN CASE WHEN lower(t_group) IN ('male', '1', 'm') THEN 'Male' WHEN lower(t_group) IN ('female', '2', 'f') THEN 'Female' ELSE 'Other or not known' END
		ELSE t_group END AS g`,
		lit(metrics.Overall), lit(metrics.GroupAll), lit(metrics.IMDQuintile), lit(metrics.Ethnic), strings.Join(eth, " "), lit(metrics.Sex)))
	out["breakdown"] = "b"
	out["group"] = "g"
	var bs []string
	for _, b := range []string{metrics.Overall, metrics.IMDQuintile, metrics.Ethnic, metrics.AgeBand, metrics.Sex} {
		bs = append(bs, lit(b))
	}
	return []string{
		fmt.Sprintf(`WHEN b NOT IN (%s) THEN 'breakdown' || %s || '"' || left(t_breakdown, 40) || '" is not overall, imd_quintile, ethnic_group, age_band or sex' || %s || left(t_breakdown, 40)`, strings.Join(bs, ", "), sep, sep),
		fmt.Sprintf(`WHEN g IS NULL AND b = %s THEN 'group' || %s || '"' || left(t_group, 40) || '" is not an IMD quintile 1 (most deprived) to 5, or Unknown' || %s || left(t_group, 40)`, lit(metrics.IMDQuintile), sep, sep),
		fmt.Sprintf(`WHEN g IS NULL AND b = %s THEN 'group' || %s || '"' || left(t_group, 40) || '" is not an ethnic group (%s)' || %s || left(t_group, 40)`, lit(metrics.Ethnic), sep, strings.Join(metrics.EthnicGroupOrder, ", "), sep),
		fmt.Sprintf(`WHEN g IS NULL THEN 'group' || %s || 'blank, but a value is required for this breakdown' || %s`, sep, sep),
		fmt.Sprintf(`WHEN v_numerator < 0 THEN 'numerator' || %s || t_numerator || ' is negative' || %s || t_numerator`, sep, sep),
		fmt.Sprintf(`WHEN v_denominator < 0 THEN 'denominator' || %s || t_denominator || ' is negative' || %s || t_denominator`, sep, sep),
	}
}
