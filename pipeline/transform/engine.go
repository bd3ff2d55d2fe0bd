// Package transform runs the indicators' SQL in DuckDB over the Parquet
// snapshots, and nothing else: it never opens a raw extract. For every
// indicator it returns numerators and denominators per breakdown and group
// (and per age–sex stratum for standardised rates), plus data-quality and
// population-context counts. It is the only package that links DuckDB.
package transform

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"hiis/pipeline/source"
)

// Snapshot is one source's snapshot as the transform sees it.
type Snapshot struct {
	Name string // source name in the run config: the table name in SQL
	Kind source.Kind
	Path string // Parquet file; "" to create an empty table (validation)
}

// Period is the reporting period, inclusive, as YYYY-MM-DD.
type Period struct{ Start, End string }

// Engine is a DuckDB database holding one table per snapshot, with external
// access disabled and configuration locked, so indicator SQL can read the
// snapshots and nothing else.
type Engine struct {
	db *sql.DB
}

// Open loads the snapshots into an in-memory DuckDB, defines the helper
// macros (in_period, icd3, opcs3 ...), then shuts every door to the outside:
// enable_external_access false, lock_configuration true.
func Open(ctx context.Context, snaps []Snapshot, period Period) (*Engine, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1) // one connection: settings and tables stay with it
	e := &Engine{db: db}
	setup := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET preserve_insertion_order = true",
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].Name < snaps[j].Name })
	for _, s := range snaps {
		if s.Path == "" {
			setup = append(setup, emptyTable(s))
			continue
		}
		setup = append(setup, fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM read_parquet(%s)", ident(s.Name), selectList(s.Kind), literal(filepath.ToSlash(s.Path))))
	}
	setup = append(setup, macros(period)...)
	setup = append(setup,
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	)
	for _, q := range setup {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("transform setup: %w\n  in: %s", err, q)
		}
	}
	return e, nil
}

// Close releases the database.
func (e *Engine) Close() error { return e.db.Close() }

// columns are a snapshot's columns with their SQL types.
func columns(k source.Kind) [][2]string {
	var cols [][2]string
	add := func(c source.Column) {
		t := "VARCHAR"
		switch c.Type {
		case source.Int:
			t = "BIGINT"
		case source.Number:
			// Exact decimal sums are the same whatever the thread schedule.
			t = "DECIMAL(38,9)"
		case source.Date:
			t = "DATE"
		}
		cols = append(cols, [2]string{c.Name, t})
	}
	for _, c := range k.Columns {
		add(c)
	}
	if k.Level != source.Aggregate {
		for _, c := range source.Normalised {
			add(c)
		}
	}
	add(source.Column{Name: "source_line", Type: source.Int})
	return cols
}

func selectList(k source.Kind) string {
	var parts []string
	for _, c := range columns(k) {
		parts = append(parts, fmt.Sprintf("CAST(%s AS %s) AS %s", ident(c[0]), c[1], ident(c[0])))
	}
	return strings.Join(parts, ", ")
}

func emptyTable(s Snapshot) string {
	var parts []string
	for _, c := range columns(s.Kind) {
		parts = append(parts, ident(c[0])+" "+c[1])
	}
	return fmt.Sprintf("CREATE TABLE %s (%s)", ident(s.Name), strings.Join(parts, ", "))
}

// macros are the helpers indicator expressions may use.
func macros(p Period) []string {
	return []string{
		fmt.Sprintf("CREATE MACRO period_start() AS DATE %s", literal(p.Start)),
		fmt.Sprintf("CREATE MACRO period_end() AS DATE %s", literal(p.End)),
		"CREATE MACRO in_period(d) AS d BETWEEN period_start() AND period_end()",
		// icd3('J45.9') = 'J45'; opcs3('F09.1') = 'F09'.
		"CREATE MACRO icd3(code) AS left(upper(replace(trim(code), '.', '')), 3)",
		"CREATE MACRO opcs3(code) AS left(upper(replace(trim(code), '.', '')), 3)",
		"CREATE MACRO icd4(code) AS left(upper(replace(trim(code), '.', '')), 4)",
	}
}

func ident(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func nan() float64 { return math.NaN() }

// Version returns DuckDB's version, for the manifest.
func (e *Engine) Version(ctx context.Context) (string, error) {
	var v string
	err := e.db.QueryRowContext(ctx, "SELECT version()").Scan(&v)
	return v, err
}
