package transform

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"hiis/pipeline/indicator"
	"hiis/pipeline/metrics"
	"hiis/pipeline/source"
)

// Cell is one numerator and denominator of an indicator. Stratum is "" for
// the group's totals, or "Male|0-4" style (sex and ESP band) for the strata a
// standardised rate is built from.
type Cell struct {
	Indicator   string
	Breakdown   string
	Group       string
	Stratum     string
	Numerator   float64
	Denominator float64 // NaN when the group has no denominator row
}

// Quality counts records with unusable equality fields, per source (Indicator
// "") and per indicator (over the rows the indicator counts).
type Quality struct {
	Source, Indicator                           string
	Records, NotStated, NotKnown, Blank, NoLSOA int64
	// NotResident counts records whose LSOA is in the IMD lookup but not in
	// the population source: counted in their quintile's numerator unless
	// statistics.population_scope is residents (then left out).
	NotResident int64
}

// PopulationCell is the population context: people per group.
type PopulationCell struct {
	Breakdown, Group string
	People           int64
}

// Output is everything the transform computes.
type Output struct {
	Cells      []Cell
	Quality    []Quality
	Population []PopulationCell
}

// groupColumn is the SQL expression of each breakdown's group.
var groupColumn = map[string]string{
	metrics.Overall:     "'" + metrics.GroupAll + "'",
	metrics.IMDQuintile: "imd_quintile",
	metrics.Ethnic:      "ethnic_group",
	metrics.AgeBand:     "hiis_age_band",
	metrics.Sex:         "sex_group",
}

// stratumExpr is a row's age–sex stratum for standardisation: NULL when its
// sex or age cannot be standardised.
const stratumExpr = "CASE WHEN sex_group IN ('Male', 'Female') AND esp_band <> 'Unknown' THEN sex_group || '|' || esp_band END"

// groupingCols are the columns a grouping set may use, in GROUPING() order;
// together, the finest grouping that counts are rolled up from.
var groupingCols = []string{"imd_quintile", "ethnic_group", "hiis_age_band", "sex_group", "hiis_stratum"}

// part is one breakdown's grouping, optionally by age–sex stratum too.
type part struct {
	breakdown  string
	stratified bool
}

// parts lists an indicator's groupings: overall and each breakdown, and
// their age–sex strata where the breakdown is standardised.
func parts(ind *indicator.Indicator) []part {
	var ps []part
	for _, bd := range append([]string{metrics.Overall}, ind.Breakdowns...) {
		ps = append(ps, part{bd, false})
		if ind.MeasureFor(bd) == indicator.DSR && bd != metrics.AgeBand {
			ps = append(ps, part{bd, true})
		}
	}
	return ps
}

// columns lists the grouping columns of part p.
func (p part) columns() []string {
	var cols []string
	if p.breakdown != metrics.Overall {
		cols = append(cols, groupColumn[p.breakdown])
	}
	if p.stratified {
		cols = append(cols, "hiis_stratum")
	}
	return cols
}

// groupingQuery groups from by every part in one scan (GROUPING SETS),
// selecting breakdown, grp, stratum and the given value columns. Rows of a
// stratified part whose stratum cannot be standardised are left out.
func groupingQuery(ps []part, from, values string) string {
	used := map[string]bool{}
	for _, p := range ps {
		for _, c := range p.columns() {
			used[c] = true
		}
	}
	var cols []string
	for _, c := range groupingCols {
		if used[c] {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 { // overall only
		return fmt.Sprintf("SELECT %s AS breakdown, %s AS grp, '' AS stratum, %s FROM %s", literal(metrics.Overall), literal(metrics.GroupAll), values, from)
	}
	var sets, bdCase, grpCase []string
	for _, p := range ps {
		sets = append(sets, "("+strings.Join(p.columns(), ", ")+")")
		g := 0 // GROUPING() bitmask: 1 for each column the part does not group by
		for i, c := range cols {
			if !slices.Contains(p.columns(), c) {
				g |= 1 << (len(cols) - 1 - i)
			}
		}
		bdCase = append(bdCase, fmt.Sprintf("WHEN %d THEN %s", g, literal(p.breakdown)))
		grpCase = append(grpCase, fmt.Sprintf("WHEN %d THEN CAST(%s AS VARCHAR)", g, groupColumn[p.breakdown]))
	}
	gid := "GROUPING(" + strings.Join(cols, ", ") + ")"
	stratum, having := "''", ""
	if used["hiis_stratum"] {
		stratum = "CASE WHEN GROUPING(hiis_stratum) = 0 THEN hiis_stratum ELSE '' END"
		having = "\nHAVING GROUPING(hiis_stratum) = 1 OR hiis_stratum IS NOT NULL"
	}
	return fmt.Sprintf(`SELECT CASE %[1]s %[2]s END AS breakdown, CASE %[1]s %[3]s END AS grp, %[4]s AS stratum, %[5]s
FROM %[6]s
GROUP BY GROUPING SETS (%[7]s)%[8]s`,
		gid, strings.Join(bdCase, " "), strings.Join(grpCase, " "), stratum, values, from, strings.Join(sets, ", "), having)
}

// Query returns the SQL that computes an indicator's cells, with columns
// breakdown, grp, stratum, numerator, denominator. kinds maps source names
// to their kinds; residents restricts events to LSOAs of the population
// (or unknown ones).
func Query(ind *indicator.Indicator, kinds map[string]source.Kind, residents bool) (string, error) {
	return query(ind, kinds, queryOptions{residents: residents})
}

// queryOptions are what the engine adds to an indicator's query.
type queryOptions struct {
	residents bool // leave out events of LSOAs outside the population
	// quality adds the data-quality counts (qualityColumns) to the
	// overall row, computed in the same scan of the events.
	quality bool
	// population says hiis_resident_lsoas exists, for the quality count
	// of events outside the population.
	population bool
	// rows is the one-row-per-snapshot-row view of a grouped source ("" for
	// none): read, summing record_count, when the expressions only count.
	rows string
}

// query is Query with the engine's options.
func query(ind *indicator.Indicator, kinds map[string]source.Kind, qo queryOptions) (string, error) {
	if ind.SQL != "" {
		b, err := os.ReadFile(ind.SQLPath())
		if err != nil {
			return "", err
		}
		return strings.TrimRight(strings.TrimSpace(string(b)), ";"), nil
	}
	k, ok := kinds[ind.Source]
	if !ok {
		return "", fmt.Errorf("%s: source %q is not loaded", ind.ID, ind.Source)
	}
	breakdowns := append([]string{metrics.Overall}, ind.Breakdowns...)
	filter := condition(ind.Filter)
	if k.Level == source.Aggregate {
		var in []string
		for _, b := range breakdowns {
			in = append(in, literal(b))
		}
		return fmt.Sprintf(`SELECT breakdown, "group" AS grp, '' AS stratum, CAST(%s AS DOUBLE) AS numerator, CAST(%s AS DOUBLE) AS denominator
FROM %s WHERE %s AND breakdown IN (%s) GROUP BY breakdown, "group"`,
			ind.Numerator, orNull(ind.Denominator), ident(ind.Source), filter, strings.Join(in, ", ")), nil
	}
	num, den := ind.Numerator, ind.Denominator
	// Expressions that only count are counted once per finest group
	// (quintile, ethnic group, age band, sex, stratum) and the counts
	// rolled up to every grouping set: one hash of the rows, not one per
	// set. On a grouped source they sum record_count over its rows; any
	// other expression sees one row per record and is grouped per set.
	cs := counts{weighted: qo.rows != ""}
	n, okNum := cs.split(num)
	d, okDen := cs.split(den)
	fine := okNum && okDen
	from, weighted := ident(ind.Source), false
	if fine {
		num, den = n, d
		if qo.rows != "" {
			from, weighted = qo.rows, true
		}
	}
	if k.Level == source.Record && qo.residents {
		filter += " AND " + residentFilter
	}

	ageBand, err := ageBandExpr(ind)
	if err != nil {
		return "", err
	}
	ps := parts(ind)
	var b strings.Builder
	fmt.Fprintf(&b, "WITH base AS (SELECT *, %s AS hiis_age_band, %s AS hiis_stratum FROM %s WHERE %s)", ageBand, stratumExpr, from, filter)
	pop := ind.Population
	events, extra, outer := "base", "", ""
	qual := ""
	if qo.quality {
		qual = qualityAggregates(qo.population, weighted)
		outer = ", " + strings.Join(qualityColumns, ", ")
	}
	if fine {
		cols := []string{}
		if len(cs.terms) > 0 {
			cols = append(cols, cs.fine())
		}
		if qual != "" {
			cols = append(cols, qual)
			var rolled []string
			for _, c := range qualityColumns {
				rolled = append(rolled, fmt.Sprintf("CAST(sum(%s) AS BIGINT) AS %s", c, c))
			}
			qual = strings.Join(rolled, ", ")
		}
		if len(cols) == 0 {
			cols = append(cols, "count(*) AS hiis_n")
		}
		fmt.Fprintf(&b, ",\nfine AS (SELECT %s, %s FROM base GROUP BY ALL)", strings.Join(groupingCols, ", "), strings.Join(cols, ", "))
		events = "fine"
	}
	if qual != "" {
		extra = ", " + qual
	}
	if pop == nil {
		b.WriteString("\n")
		b.WriteString(groupingQuery(ps, events, fmt.Sprintf("CAST(%s AS DOUBLE) AS numerator, CAST(%s AS DOUBLE) AS denominator%s", num, orNull(den), extra)))
		return b.String(), nil
	}
	// Events and population grouped alike, joined so that groups with
	// people but no events (and events but no people) both appear.
	fmt.Fprintf(&b, ",\npop AS (SELECT *, %s AS hiis_age_band, %s AS hiis_stratum FROM %s WHERE %s)", ageBand, stratumExpr, ident(pop.Source), condition(pop.Filter))
	fmt.Fprintf(&b, ",\ne AS (%s)", groupingQuery(ps, events, fmt.Sprintf("CAST(%s AS DOUBLE) AS numerator%s", num, extra)))
	fmt.Fprintf(&b, ",\np AS (%s)", groupingQuery(ps, "pop", "CAST(sum(people) AS DOUBLE) AS denominator"))
	b.WriteString(`
SELECT coalesce(e.breakdown, p.breakdown) AS breakdown, coalesce(e.grp, p.grp) AS grp, coalesce(e.stratum, p.stratum) AS stratum,
  coalesce(e.numerator, 0) AS numerator, p.denominator` + outer + `
FROM e FULL OUTER JOIN p
ON e.breakdown = p.breakdown AND e.grp IS NOT DISTINCT FROM p.grp AND e.stratum = p.stratum`)
	return b.String(), nil
}

// residentFilter keeps events whose LSOA is unknown or in the population.
const residentFilter = "(imd_quintile = 'Unknown' OR upper(trim(lsoa)) IN (SELECT lsoa FROM hiis_resident_lsoas))"

// condition is a filter expression as a SQL condition: TRUE when empty.
func condition(expr string) string {
	if expr == "" {
		return "TRUE"
	}
	return "(" + expr + ")"
}

func orNull(expr string) string {
	if expr == "" {
		return "NULL"
	}
	return expr
}

// ageBandExpr maps age to the indicator's reporting bands.
func ageBandExpr(ind *indicator.Indicator) (string, error) {
	bands, err := indicator.ParseAgeBands(ind.AgeBands)
	if err != nil {
		return "", fmt.Errorf("%s: %w", ind.ID, err)
	}
	var b strings.Builder
	b.WriteString("CASE WHEN age IS NULL THEN 'Unknown'")
	for _, band := range bands {
		if band.Hi < 0 {
			fmt.Fprintf(&b, " ELSE %s END", literal(band.Label))
			break
		}
		fmt.Fprintf(&b, " WHEN age <= %d THEN %s", band.Hi, literal(band.Label))
	}
	return b.String(), nil
}

// Run computes every indicator's cells, the data-quality counts of every
// record-level source and indicator, and the population context (from the
// named population source, "" for none). Rows are sorted. Each query is
// stopped after the engine's QueryTimeout with a *TimeoutError.
func (e *Engine) Run(ctx context.Context, inds []*indicator.Indicator, snaps []Snapshot, populationSource string) (Output, error) {
	var out Output
	kinds := map[string]source.Kind{}
	for _, s := range snaps {
		kinds[s.Name] = s.Kind
	}
	residents := e.opt.ResidentsOnly && e.residents != ""
	for i, ind := range inds {
		// A record-level indicator's data-quality counts come from the
		// same scan as its cells (one more scan each doubled the time).
		quality := kinds[ind.Source].Level == source.Record && ind.SQL == ""
		q, err := query(ind, kinds, queryOptions{residents: residents, quality: quality, population: e.residents != "", rows: e.rows[ind.Source]})
		if err != nil {
			return out, err
		}
		cells, qual, err := e.cells(ctx, ind, q, quality)
		if err != nil {
			return out, err
		}
		out.Cells = append(out.Cells, cells...)
		if quality {
			qual.Source, qual.Indicator = ind.Source, ind.ID
			out.Quality = append(out.Quality, qual)
		}
		if e.opt.Progress != nil {
			e.opt.Progress(i+1, len(inds), ind.ID)
		}
	}
	for _, s := range snaps {
		if s.Kind.Level != source.Record {
			continue
		}
		qual, err := e.quality(ctx, s.Name, "", "TRUE")
		if err != nil {
			return out, fmt.Errorf("transform: data quality of %s: %w", s.Name, err)
		}
		out.Quality = append(out.Quality, qual)
	}
	if populationSource != "" {
		pop, err := e.population(ctx, populationSource)
		if err != nil {
			return out, fmt.Errorf("transform: population context from %s: %w", populationSource, err)
		}
		out.Population = pop
	}
	return out, nil
}

// TimeoutError is an indicator whose query ran past statistics.query_timeout.
type TimeoutError struct {
	Indicator, File string
	Limit           time.Duration
}

// ExitCode is 1: the run stopped on what the input asked for, not a bug
// in hiis (the command line's Coded errors).
func (e *TimeoutError) ExitCode() int { return 1 }

// Unwrap is context.DeadlineExceeded, the time limit that stopped it.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("transform %s (%s): stopped after %s (statistics.query_timeout): the expression may never finish, for example a join in a numerator; simplify it or raise the limit",
		e.Indicator, e.File, e.Limit)
}

// cells runs an indicator's query; with quality, its q_* columns on the
// overall row are the indicator's data-quality counts.
func (e *Engine) cells(ctx context.Context, ind *indicator.Indicator, q string, quality bool) (cells []Cell, qual Quality, err error) {
	id, parent := ind.ID, ctx
	if e.opt.QueryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opt.QueryTimeout)
		defer cancel()
	}
	defer func() {
		switch {
		case err == nil:
		case parent.Err() != nil: // interrupted: say so, not DuckDB's words
			err = fmt.Errorf("transform %s: %w", id, parent.Err())
		case ctx.Err() == context.DeadlineExceeded:
			err = &TimeoutError{Indicator: id, File: ind.File, Limit: e.opt.QueryTimeout}
		default:
			err = fmt.Errorf("transform %s (%s): %s", id, ind.File, sqlMessage(err))
		}
	}()
	cols := "breakdown, grp, stratum, numerator, denominator"
	if quality {
		cols += ", " + strings.Join(qualityColumns, ", ")
	}
	rows, err := e.db.QueryContext(ctx, "SELECT "+cols+" FROM ("+q+") ORDER BY ALL")
	if err != nil {
		return nil, qual, err
	}
	defer rows.Close()
	var out []Cell
	var counts [6]*int64
	for rows.Next() {
		var c Cell
		var grp, stratum *string
		var num, den *float64
		dest := []any{&c.Breakdown, &grp, &stratum, &num, &den}
		var row [6]*int64
		if quality {
			for i := range row {
				dest = append(dest, &row[i])
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, qual, err
		}
		if c.Breakdown == metrics.Overall && deref(stratum, "") == "" {
			counts = row
		}
		c.Indicator = id
		c.Group = deref(grp, "Unknown")
		c.Stratum = deref(stratum, "")
		c.Numerator = 0
		if num != nil {
			c.Numerator = *num
		}
		c.Denominator = nan()
		if den != nil {
			c.Denominator = *den
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, qual, err
	}
	for i, p := range []*int64{&qual.Records, &qual.NotStated, &qual.NotKnown, &qual.Blank, &qual.NoLSOA, &qual.NotResident} {
		if counts[i] != nil {
			*p = *counts[i]
		}
	}
	return out, qual, nil
}

// qualityColumns name the data-quality aggregates, in Quality's order.
var qualityColumns = []string{"q_records", "q_not_stated", "q_not_known", "q_blank", "q_no_lsoa", "q_not_resident"}

// qualityAggregates are the data-quality counts as aggregates over a
// record-level source's rows, named by qualityColumns: counts of rows, or
// with weighted sums of record_count. Records outside the population are
// counted when population is true (hiis_resident_lsoas exists), else 0.
func qualityAggregates(population, weighted bool) string {
	count := func(cond string) string {
		if weighted {
			return "coalesce(sum(record_count) FILTER (WHERE " + cond + "), 0)"
		}
		return "count(*) FILTER (WHERE " + cond + ")"
	}
	notResident := "0"
	if population {
		notResident = count("imd_quintile <> 'Unknown' AND upper(trim(lsoa)) NOT IN (SELECT lsoa FROM hiis_resident_lsoas)")
	}
	exprs := []string{
		count("TRUE"),
		count("ethnic_code = 'Z'"),
		count("ethnic_code = '99'"),
		count("ethnic_code = '' OR ethnic_code IS NULL"),
		count("imd_quintile = 'Unknown'"),
		notResident,
	}
	for i := range exprs {
		exprs[i] = "CAST(" + exprs[i] + " AS BIGINT) AS " + qualityColumns[i]
	}
	return strings.Join(exprs, ", ")
}

func (e *Engine) quality(ctx context.Context, src, id, filter string) (Quality, error) {
	q := Quality{Source: src, Indicator: id}
	from, weighted := ident(src), false
	if rows, ok := e.rows[src]; ok {
		from, weighted = rows, true
	}
	err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s", qualityAggregates(e.residents != "", weighted), from, filter)).
		Scan(&q.Records, &q.NotStated, &q.NotKnown, &q.Blank, &q.NoLSOA, &q.NotResident)
	return q, err
}

func (e *Engine) population(ctx context.Context, src string) ([]PopulationCell, error) {
	var out []PopulationCell
	for _, bd := range []string{metrics.IMDQuintile, metrics.Ethnic, metrics.AgeBand, metrics.Sex} {
		col := groupColumn[bd]
		if bd == metrics.AgeBand {
			col = "age_band"
		}
		rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT CAST(%s AS VARCHAR), CAST(sum(people) AS BIGINT) FROM %s GROUP BY ALL ORDER BY ALL", col, ident(src)))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			c := PopulationCell{Breakdown: bd}
			var g *string
			if err := rows.Scan(&g, &c.People); err != nil {
				rows.Close()
				return nil, err
			}
			c.Group = deref(g, "Unknown")
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func deref(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

// LSOACounts returns a record-level source's records per LSOA code (upper
// case, trimmed; "" for none), so that the caller can say how each code
// matched the IMD lookup.
func (e *Engine) LSOACounts(ctx context.Context, src string) (map[string]int64, error) {
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT coalesce(upper(trim(lsoa)), ''), count(*) FROM %s GROUP BY ALL", ident(src)))
	if err != nil {
		return nil, fmt.Errorf("transform: LSOAs of %s: %s", src, sqlMessage(err))
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		var n int64
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		out[code] = n
	}
	return out, rows.Err()
}
