package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"hiis/pipeline"
	"hiis/pipeline/config"
	"hiis/pipeline/indicator"
	"hiis/pipeline/refdata"
	"hiis/pipeline/source"
)

// baselineResult is what the baseline child reports on stdout (JSON).
type baselineResult struct {
	Seconds    float64 `json:"seconds"`    // the queries, DuckDB opened
	Rows       int64   `json:"rows"`       // rows counted over every source read
	Sources    int     `json:"sources"`    // record-level sources and the population
	Indicators int     `json:"indicators"` // indicators whose counts were computed
	Skipped    int     `json:"skipped"`    // indicators with their own SQL file, left out
	Groups     int64   `json:"group_rows"` // rows of the grouped results
	// Organisations is the most organisations any source's records fell
	// in, when grouped by organisation (0 otherwise).
	Organisations int64  `json:"organisations"`
	Threads       int    `json:"threads"`    // DuckDB threads
	DuckDB        string `json:"duckdb"`     // DuckDB version
	Statements    int    `json:"statements"` // queries run
	// PerSource is each source's query time, seconds.
	PerSource  map[string]float64 `json:"source_seconds"`
	SQLPreview string             `json:"sql_preview"` // the first source's query, for the curious
}

// runBaseline counts, with DuckDB alone and straight from the CSVs of the
// run config cfgPath, what the fixture indicators count: each record-level
// source read with read_csv and declared types, joined to the IMD lookup,
// normalised in SQL (IMD quintile, ethnic group, age band, sex) and grouped
// by those four with one count(*) FILTER (WHERE …) per indicator numerator
// and denominator; the population summed the same way. One query per
// source, every core.
func runBaseline(ctx context.Context, cfgPath string) (baselineResult, error) {
	var res baselineResult
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return res, err
	}
	inds, err := pipeline.LoadIndicators(cfg)
	if err != nil {
		return res, err
	}
	macros, err := pipeline.ReadMacros(cfg)
	if err != nil {
		return res, err
	}
	imdPath, err := cfg.Resolve(cfg.Reference.IMD.Path)
	if err != nil {
		return res, fmt.Errorf("baseline: IMD lookup: %w", err)
	}

	start := time.Now()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return res, fmt.Errorf("baseline: open duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the macros and views live in it
	res.Threads = runtime.NumCPU()
	exec := func(q string) error {
		res.Statements++
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("baseline: %w\n%s", err, q)
		}
		return nil
	}
	if err := exec(fmt.Sprintf("SET threads = %d", res.Threads)); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&res.DuckDB); err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	setup := fmt.Sprintf("CREATE MACRO period_start() AS DATE '%s'; CREATE MACRO period_end() AS DATE '%s';\n%s",
		cfg.Period.Start, cfg.Period.End, macros)
	if err := exec(setup); err != nil {
		return res, err
	}
	lsoaCol, decileCol := "LSOA code (2011)", "Index of Multiple Deprivation (IMD) Decile"
	if c := cfg.Reference.IMD.Columns; c["decile"] != "" && c["lsoa"] != "" {
		lsoaCol, decileCol = c["lsoa"], c["decile"]
	}
	if err := exec(fmt.Sprintf(`CREATE TABLE imd AS SELECT %s AS lsoa, CAST(%s AS INTEGER) AS imd_decile FROM read_csv(%s, header = true, all_varchar = true)`,
		ident(lsoaCol), ident(decileCol), quote(imdPath))); err != nil {
		return res, err
	}

	// A multi-organisation config is measured as issue 10 asks: grouping
	// by organisation too, through the same LSOA → organisation lookup.
	byOrg := ""
	if o := cfg.Organisations; o != nil && o.Lookup != nil {
		p, err := cfg.Resolve(o.Lookup.Path)
		if err != nil {
			return res, fmt.Errorf("baseline: organisation lookup: %w", err)
		}
		lsoa, code := refdata.ColOrgLSOA, refdata.ColOrgCode
		if c := o.Lookup.Columns; c["lsoa"] != "" && c["code"] != "" {
			lsoa, code = c["lsoa"], c["code"]
		}
		if err := exec(fmt.Sprintf(`CREATE TABLE orgs AS SELECT DISTINCT upper(trim(%s)) AS lsoa, %s AS organisation FROM read_csv(%s, header = true, all_varchar = true)`,
			ident(lsoa), ident(code), quote(p))); err != nil {
			return res, err
		}
		byOrg = "hiis_org, "
	}

	bySource := map[string][]*indicator.Indicator{}
	popFilters := []string{"true"}
	for _, ind := range inds {
		if ind.SQL != "" {
			res.Skipped++
			continue
		}
		bySource[ind.Source] = append(bySource[ind.Source], ind)
		if ind.Population != nil && ind.Population.Filter != "" {
			popFilters = append(popFilters, ind.Population.Filter)
		}
	}
	var names []string
	for name, s := range cfg.Sources {
		k, err := source.Lookup(s.Kind)
		if err != nil || k.Level == source.Aggregate {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	// Views first: an indicator's filter may name another source.
	for _, name := range names {
		s := cfg.Sources[name]
		k, _ := source.Lookup(s.Kind)
		path, err := cfg.Resolve(s.Path)
		if err != nil {
			return res, fmt.Errorf("baseline: source %s: %w", name, err)
		}
		header, err := csvHeader(path)
		if err != nil {
			return res, fmt.Errorf("baseline: source %s: %w", name, err)
		}
		if err := exec(sourceView(name, k, s, path, header, byOrg != "")); err != nil {
			return res, err
		}
	}
	for _, name := range names {
		k, _ := source.Lookup(cfg.Sources[name].Kind)
		var aggs []string
		if k.Level == source.Population {
			for _, f := range popFilters {
				aggs = append(aggs, fmt.Sprintf("sum(people) FILTER (WHERE %s)", f))
			}
		} else {
			for _, ind := range bySource[name] {
				res.Indicators++
				aggs = append(aggs, withFilter(ind.Numerator, ind.Filter))
				if ind.Denominator != "" {
					aggs = append(aggs, withFilter(ind.Denominator, ind.Filter))
				}
			}
		}
		q := fmt.Sprintf("SELECT %simd_quintile, ethnic_group, age_band, sex_group, count(*) AS n_rows%s FROM %s GROUP BY ALL",
			byOrg, prefixed(aggs), ident(name))
		if res.SQLPreview == "" && len(aggs) > 0 && k.Level == source.Record {
			res.SQLPreview = q
		}
		qStart := time.Now()
		orgs := "0"
		if byOrg != "" {
			orgs = "count(DISTINCT hiis_org)"
		}
		rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT count(*), sum(n_rows), %s FROM (%s)", orgs, q))
		if err != nil {
			return res, fmt.Errorf("baseline: source %s: %w\n%s", name, err, q)
		}
		var groups, norgs int64
		var n sql.NullInt64
		for rows.Next() {
			if err := rows.Scan(&groups, &n, &norgs); err != nil {
				rows.Close()
				return res, fmt.Errorf("baseline: source %s: %w", name, err)
			}
		}
		if err := rows.Close(); err != nil {
			return res, fmt.Errorf("baseline: source %s: %w", name, err)
		}
		if res.PerSource == nil {
			res.PerSource = map[string]float64{}
		}
		res.PerSource[name] = time.Since(qStart).Seconds()
		res.Statements++
		res.Sources++
		res.Groups += groups
		res.Organisations = max(res.Organisations, norgs)
		res.Rows += n.Int64
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// sourceView is a view over one CSV: read_csv with the kind's declared types
// (dates read as text and parsed in either accepted form), rows that do not
// parse skipped (ignore_errors), joined to the IMD lookup, with the
// normalised columns computed in SQL.
func sourceView(name string, k source.Kind, s *config.Source, path string, present map[string]bool, byOrg bool) string {
	types := []string{}
	var cols []string
	for _, c := range k.Columns {
		header := c.Name
		if h := s.Columns[c.Name]; h != "" {
			header = h
		}
		if c.Optional && !present[strings.ToLower(header)] {
			cols = append(cols, "NULL AS "+ident(c.Name)) // an optional column the extract leaves out
			continue
		}
		t := "VARCHAR"
		expr := "s." + ident(header)
		switch c.Type {
		case source.Int:
			t = "BIGINT"
		case source.Number:
			t = "DOUBLE"
		case source.Date:
			expr = fmt.Sprintf("coalesce(try_cast(%[1]s AS DATE), try_strptime(%[1]s, '%%d/%%m/%%Y')::DATE)", expr)
		}
		types = append(types, fmt.Sprintf("%s: '%s'", quote(header), t))
		cols = append(cols, fmt.Sprintf("%s AS %s", expr, ident(c.Name)))
	}
	org, join := "", ""
	if byOrg {
		// hiis_org: a kind's own optional organisation column is s.organisation.
		org, join = "\n  orgs.organisation AS hiis_org,", "\nLEFT JOIN orgs ON orgs.lsoa = upper(trim(s.lsoa))"
	}
	return fmt.Sprintf(`CREATE VIEW %s AS
SELECT s.*,%s
  imd.imd_decile,
  CASE WHEN imd.imd_decile IS NULL THEN 'Unknown' ELSE CAST((imd.imd_decile + 1) // 2 AS VARCHAR) END AS imd_quintile,
  CASE WHEN s.ethnic_category IS NULL OR trim(s.ethnic_category) = '' OR trim(s.ethnic_category) = '99' THEN 'Not known'
       WHEN upper(left(trim(s.ethnic_category), 1)) IN ('A', 'B', 'C') THEN 'White'
       WHEN upper(left(trim(s.ethnic_category), 1)) IN ('D', 'E', 'F', 'G') THEN 'Mixed'
       WHEN upper(left(trim(s.ethnic_category), 1)) IN ('H', 'J', 'K', 'L') THEN 'Asian or Asian British'
       WHEN upper(left(trim(s.ethnic_category), 1)) IN ('M', 'N', 'P') THEN 'Black or Black British'
       WHEN upper(left(trim(s.ethnic_category), 1)) IN ('R', 'S') THEN 'Other ethnic groups'
       WHEN upper(left(trim(s.ethnic_category), 1)) = 'Z' THEN 'Not stated'
       ELSE 'Not known' END AS ethnic_group,
  CASE WHEN s.age IS NULL THEN 'Unknown' WHEN s.age < 18 THEN '0-17' WHEN s.age < 35 THEN '18-34' WHEN s.age < 50 THEN '35-49'
       WHEN s.age < 65 THEN '50-64' WHEN s.age < 80 THEN '65-79' ELSE '80+' END AS age_band,
  CASE trim(s.sex) WHEN '1' THEN 'Male' WHEN '2' THEN 'Female' ELSE 'Other or not known' END AS sex_group
FROM (SELECT %s FROM read_csv(%s, header = true, ignore_errors = true, columns = {%s}) s) s
LEFT JOIN imd ON imd.lsoa = trim(s.lsoa)%s`,
		ident(name), org, strings.Join(cols, ", "), quote(path), strings.Join(types, ", "), join)
}

// withFilter returns an aggregate expression whose aggregates count only
// rows passing filter: count(*) becomes count(*) FILTER (WHERE filter), and
// an aggregate with its own FILTER (WHERE x) gets FILTER (WHERE (filter)
// AND (x)).
func withFilter(expr, filter string) string {
	filter = strings.TrimSpace(filter)
	if filter == "" {
		return expr
	}
	var b strings.Builder
	i := 0
	lower := strings.ToLower(expr)
	for i < len(expr) {
		j := nextAggregate(lower, i)
		if j < 0 {
			b.WriteString(expr[i:])
			break
		}
		open := strings.IndexByte(expr[j:], '(') + j
		end := matching(expr, open)
		if end < 0 {
			b.WriteString(expr[i:])
			break
		}
		b.WriteString(expr[i : end+1])
		rest := strings.TrimLeft(expr[end+1:], " \t\n")
		cond := "(" + filter + ")"
		next := end + 1
		if strings.HasPrefix(strings.ToLower(rest), "filter") {
			fo := strings.IndexByte(rest, '(')
			fe := matching(rest, fo)
			inner := strings.TrimSpace(rest[fo+1 : fe])
			if strings.HasPrefix(strings.ToLower(inner), "where") {
				inner = strings.TrimSpace(inner[len("where"):])
			}
			cond += " AND (" + inner + ")"
			next = len(expr) - len(rest) + fe + 1
		}
		b.WriteString(" FILTER (WHERE " + cond + ")")
		i = next
	}
	return b.String()
}

// nextAggregate finds the next count( or sum( call in lower from i, at a
// word boundary; -1 when there is none.
func nextAggregate(lower string, i int) int {
	best := -1
	for _, name := range []string{"count", "sum"} {
		for from := i; ; {
			k := strings.Index(lower[from:], name)
			if k < 0 {
				break
			}
			k += from
			after := strings.TrimLeft(lower[k+len(name):], " ")
			boundary := k == 0 || !isIdent(lower[k-1])
			if boundary && strings.HasPrefix(after, "(") {
				if best < 0 || k < best {
					best = k
				}
				break
			}
			from = k + len(name)
		}
	}
	return best
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// matching returns the index of the parenthesis closing the one at open,
// skipping quoted strings; -1 when unbalanced.
func matching(s string, open int) int {
	depth := 0
	inQuote := false
	for i := open; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func prefixed(aggs []string) string {
	var b strings.Builder
	for i, a := range aggs {
		fmt.Fprintf(&b, ", %s AS c%d", a, i)
	}
	return b.String()
}

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// configIn returns the config of a scaled tree.
func configIn(data string) (string, error) {
	p := filepath.Join(data, "config", "fixture.yaml")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s: no run config (write the tree with hiis-fixtures --scale N --out %s): %w", data, data, err)
	}
	return p, nil
}

// csvHeader returns the lower-cased column names of a CSV's first line.
func csvHeader(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", path, err)
	}
	out := map[string]bool{}
	for _, h := range head {
		out[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = true
	}
	return out, nil
}
