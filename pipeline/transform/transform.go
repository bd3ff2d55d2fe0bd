package transform

import (
	"context"
	"fmt"
	"os"
	"strings"

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

// Query returns the SQL that computes an indicator's cells, with columns
// breakdown, grp, stratum, numerator, denominator. kinds maps source names
// to their kinds.
func Query(ind *indicator.Indicator, kinds map[string]source.Kind) (string, error) {
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

	ageBand, err := ageBandExpr(ind)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "WITH base AS (SELECT *, %s AS hiis_age_band FROM %s WHERE %s)", ageBand, ident(ind.Source), filter)
	pop := ind.Population
	if pop != nil {
		fmt.Fprintf(&b, ",\npop AS (SELECT *, %s AS hiis_age_band FROM %s WHERE %s)", ageBand, ident(pop.Source), condition(pop.Filter))
	}
	type part struct{ breakdown, stratum string }
	var parts []part
	for _, bd := range breakdowns {
		parts = append(parts, part{bd, "''"})
		if ind.MeasureFor(bd) == indicator.DSR && bd != metrics.AgeBand {
			parts = append(parts, part{bd, "sex_group || '|' || esp_band"})
		}
	}
	var selects []string
	for _, p := range parts {
		g := groupColumn[p.breakdown]
		strat := ""
		if p.stratum != "''" {
			strat = " AND sex_group IN ('Male', 'Female') AND esp_band <> 'Unknown'"
		}
		if pop == nil {
			selects = append(selects, fmt.Sprintf(
				"SELECT %s AS breakdown, CAST(%s AS VARCHAR) AS grp, %s AS stratum, CAST(%s AS DOUBLE) AS numerator, CAST(%s AS DOUBLE) AS denominator FROM base WHERE TRUE%s GROUP BY ALL",
				literal(p.breakdown), g, p.stratum, ind.Numerator, orNull(ind.Denominator), strat))
			continue
		}
		// Events and population grouped alike, joined so that groups with
		// people but no events (and events but no people) both appear.
		selects = append(selects, fmt.Sprintf(`SELECT %[1]s AS breakdown, coalesce(e.grp, p.grp) AS grp, coalesce(e.stratum, p.stratum) AS stratum,
  coalesce(e.numerator, 0) AS numerator, p.denominator
FROM (SELECT CAST(%[2]s AS VARCHAR) AS grp, %[3]s AS stratum, CAST(%[4]s AS DOUBLE) AS numerator FROM base WHERE TRUE%[5]s GROUP BY ALL) e
FULL OUTER JOIN (SELECT CAST(%[2]s AS VARCHAR) AS grp, %[3]s AS stratum, CAST(sum(people) AS DOUBLE) AS denominator FROM pop WHERE TRUE%[5]s GROUP BY ALL) p
ON e.grp = p.grp AND e.stratum = p.stratum`,
			literal(p.breakdown), g, p.stratum, ind.Numerator, strat))
	}
	b.WriteString("\n")
	b.WriteString(strings.Join(selects, "\nUNION ALL\n"))
	return b.String(), nil
}

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
// named population source, "" for none). Rows are sorted.
func (e *Engine) Run(ctx context.Context, inds []*indicator.Indicator, snaps []Snapshot, populationSource string) (Output, error) {
	var out Output
	kinds := map[string]source.Kind{}
	for _, s := range snaps {
		kinds[s.Name] = s.Kind
	}
	for _, ind := range inds {
		q, err := Query(ind, kinds)
		if err != nil {
			return out, err
		}
		cells, err := e.cells(ctx, ind.ID, q)
		if err != nil {
			return out, fmt.Errorf("transform %s (%s): %w", ind.ID, ind.File, err)
		}
		out.Cells = append(out.Cells, cells...)
		if k := kinds[ind.Source]; k.Level == source.Record && ind.SQL == "" {
			qual, err := e.quality(ctx, ind.Source, ind.ID, condition(ind.Filter))
			if err != nil {
				return out, fmt.Errorf("transform %s: data quality: %w", ind.ID, err)
			}
			out.Quality = append(out.Quality, qual)
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

func (e *Engine) cells(ctx context.Context, id, q string) ([]Cell, error) {
	rows, err := e.db.QueryContext(ctx, "SELECT breakdown, grp, stratum, numerator, denominator FROM ("+q+") ORDER BY ALL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Cell
	for rows.Next() {
		var c Cell
		var grp, stratum *string
		var num, den *float64
		if err := rows.Scan(&c.Breakdown, &grp, &stratum, &num, &den); err != nil {
			return nil, err
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
	return out, rows.Err()
}

func (e *Engine) quality(ctx context.Context, src, id, filter string) (Quality, error) {
	q := Quality{Source: src, Indicator: id}
	err := e.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*),
  count(*) FILTER (WHERE ethnic_code = 'Z'),
  count(*) FILTER (WHERE ethnic_code = '99'),
  count(*) FILTER (WHERE ethnic_code = '' OR ethnic_code IS NULL),
  count(*) FILTER (WHERE imd_quintile = 'Unknown')
FROM %s WHERE %s`, ident(src), filter)).Scan(&q.Records, &q.NotStated, &q.NotKnown, &q.Blank, &q.NoLSOA)
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
