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

// Open loads the snapshots into DuckDB, shuts every door to the outside
// (enable_external_access false), then defines the period and the helper
// macros (templates/sql/macros.sql, statements separated by ';') and locks
// the configuration, so that neither the macros nor an indicator expression
// can read or write a file.
//
// dbFile is the database file: "" keeps everything in memory; a path in
// the work folder lets DuckDB work out of core on national extracts (the
// caller removes it afterwards).
func Open(ctx context.Context, snaps []Snapshot, period Period, macros, dbFile string) (*Engine, error) {
	connector, err := duckdb.NewConnector(dbFile, nil)
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
	sorted := append([]Snapshot(nil), snaps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, s := range sorted {
		if s.Path == "" {
			setup = append(setup, emptyTable(s))
			continue
		}
		setup = append(setup, fmt.Sprintf("CREATE TABLE %s AS SELECT %s FROM read_parquet(%s)", ident(s.Name), selectList(s.Kind), literal(filepath.ToSlash(s.Path))))
	}
	setup = append(setup, "SET enable_external_access = false")
	setup = append(setup, periodMacros(period)...)
	setup = append(setup, SplitSQL(macros)...)
	setup = append(setup, "SET lock_configuration = true")
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

// periodMacros define the reporting period for expressions.
func periodMacros(p Period) []string {
	return []string{
		fmt.Sprintf("CREATE MACRO period_start() AS DATE %s", literal(p.Start)),
		fmt.Sprintf("CREATE MACRO period_end() AS DATE %s", literal(p.End)),
	}
}

// SplitSQL splits a SQL file into statements at semicolons that end a line,
// dropping comment-only and empty statements.
func SplitSQL(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		var keep []string
		for _, line := range strings.Split(cur.String(), "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
				keep = append(keep, line)
			}
		}
		if stmt := strings.TrimSpace(strings.Join(keep, "\n")); stmt != "" {
			out = append(out, stmt)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		cur.WriteString(line + "\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			flush()
		}
	}
	flush()
	return out
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
