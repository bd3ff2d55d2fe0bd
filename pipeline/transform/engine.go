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
	"strconv"
	"strings"
	"time"

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

// Engine is a DuckDB database with one view per snapshot, external access
// disabled but for the snapshots' folders, and configuration locked, so
// indicator SQL can read the snapshots and nothing else.
type Engine struct {
	db  *sql.DB
	opt Options
	// residents is true when a population snapshot is loaded, so events
	// can be checked against the population's LSOAs.
	residents string
	// rows maps a grouped source (rows with record_count above 1) to its
	// view of one row per snapshot row, for expressions that only count.
	rows map[string]string
}

// Options tune the engine for large inputs. The zero value suits small runs.
type Options struct {
	// TempDir is where DuckDB spills when a query outgrows MemoryLimit: a
	// folder under the work folder. "" spills nowhere.
	TempDir string
	// MemoryLimit is DuckDB's memory limit, e.g. "3GB"; "" for the
	// default, DefaultMemoryShare of RAM but at most DefaultMemoryCap.
	MemoryLimit string
	// Threads is DuckDB's thread count; 0 for every core.
	Threads int
	// QueryTimeout stops any one indicator's query after this long with a
	// *TimeoutError; 0 for no limit.
	QueryTimeout time.Duration
	// ResidentsOnly counts only events whose LSOA is in the population
	// source (or unknown), leaving out those of areas outside it.
	ResidentsOnly bool
	// Progress, if set, is called after each indicator.
	Progress func(done, total int, indicator string)
}

// Open creates views over the snapshots, shuts every door to the outside
// but the snapshots' folders (enable_external_access false,
// allowed_directories), then defines the period and the helper macros
// (templates/sql/macros.sql, statements separated by ';') and locks the
// configuration, so that neither the macros nor an indicator expression
// can read or write a file elsewhere. The snapshots are scanned in place,
// never copied: memory stays flat in the input size.
func Open(ctx context.Context, snaps []Snapshot, period Period, macros string, opt Options) (*Engine, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1) // one connection: settings and views stay with it
	e := &Engine{db: db, opt: opt, rows: map[string]string{}}
	setup := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		// Results are ordered explicitly and sums are exact (integers and
		// DECIMAL), so DuckDB may scan in any order, in parallel.
		"SET preserve_insertion_order = false",
	}
	if opt.MemoryLimit != "" {
		setup = append(setup, "SET memory_limit = "+literal(opt.MemoryLimit))
	} else if limit, ok := defaultMemoryLimit(ctx, db); ok {
		setup = append(setup, fmt.Sprintf("SET memory_limit = '%dMiB'", limit>>20))
	}
	if opt.Threads > 0 {
		setup = append(setup, fmt.Sprintf("SET threads = %d", opt.Threads))
	}
	if opt.TempDir != "" {
		setup = append(setup, "SET temp_directory = "+literal(filepath.ToSlash(opt.TempDir)))
	}
	sorted := append([]Snapshot(nil), snaps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var dirs []string
	for _, s := range sorted {
		if s.Path != "" {
			dirs = append(dirs, literal(filepath.ToSlash(filepath.Dir(s.Path))+"/"))
		}
	}
	if len(dirs) > 0 {
		setup = append(setup, "SET allowed_directories = ["+strings.Join(dirs, ", ")+"]")
	}
	setup = append(setup, "SET enable_external_access = false")
	exec := func(qs ...string) error {
		for _, q := range qs {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("transform setup: %s\n  in: %s", sqlMessage(err), firstLine(q))
			}
		}
		return nil
	}
	if err := exec(setup...); err != nil {
		db.Close()
		return nil, err
	}
	setup = nil
	for _, s := range sorted {
		if s.Path == "" {
			setup = append(setup, emptyTable(s))
			continue
		}
		file := "read_parquet(" + literal(filepath.ToSlash(s.Path)) + ")"
		expand, counted := "", false
		if s.Kind.Level == source.Record {
			// Snapshots written before record_count existed (a bundle of an
			// earlier hiis) have a row per record.
			if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) > 0 FROM parquet_schema(%s) WHERE name = %s",
				literal(filepath.ToSlash(s.Path)), literal(source.RecordCount))).Scan(&counted); err != nil {
				db.Close()
				return nil, fmt.Errorf("transform setup: %s: %s", s.Name, sqlMessage(err))
			}
		}
		if counted {
			// A row of a grouped extract (a count column) stands for
			// record_count records: the source's view repeats it that many
			// times, so every expression counts records, whatever its
			// aggregates; expressions that only count (weightedCount) read
			// hiis_rows_<source> instead and sum record_count.
			var grouped bool
			if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT coalesce(max(%s), 1) > 1 FROM %s", source.RecordCount, file)).Scan(&grouped); err != nil {
				db.Close()
				return nil, fmt.Errorf("transform setup: %s: %s", s.Name, sqlMessage(err))
			}
			if grouped {
				expand = ", unnest(range(CAST(" + source.RecordCount + " AS BIGINT))) AS hiis_copy"
				e.rows[s.Name] = ident("hiis_rows_" + s.Name)
				setup = append(setup, fmt.Sprintf("CREATE VIEW %s AS SELECT %s FROM %s", e.rows[s.Name], selectList(s.Kind, true), file))
			}
		}
		setup = append(setup, fmt.Sprintf("CREATE VIEW %s AS SELECT %s%s FROM %s", ident(s.Name), selectList(s.Kind, counted), expand, file))
		if s.Kind.Level == source.Population && e.residents == "" {
			e.residents = s.Name
		}
	}
	if e.residents != "" {
		setup = append(setup, fmt.Sprintf("CREATE VIEW hiis_resident_lsoas AS SELECT DISTINCT upper(trim(lsoa)) AS lsoa FROM %s WHERE lsoa IS NOT NULL", ident(e.residents)))
	}
	setup = append(setup, periodMacros(period)...)
	setup = append(setup, SplitSQL(macros)...)
	setup = append(setup, "SET lock_configuration = true")
	if err := exec(setup...); err != nil {
		db.Close()
		return nil, err
	}
	return e, nil
}

// The default memory limit: a share of RAM, capped so that a national run
// stays within 4 GiB (DuckDB spills to TempDir beyond it).
const (
	DefaultMemoryShare = 0.70
	DefaultMemoryCap   = 3 << 30 // bytes
)

// defaultMemoryLimit is DefaultMemoryShare of RAM, at most
// DefaultMemoryCap, in bytes, worked out from DuckDB's own default (80% of
// the RAM it detects); false when that cannot be read.
func defaultMemoryLimit(ctx context.Context, db *sql.DB) (int64, bool) {
	var s string
	if err := db.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&s); err != nil {
		return 0, false
	}
	ram, ok := parseSize(s)
	if !ok || ram <= 0 {
		return 0, false
	}
	limit := int64(float64(ram) / 0.8 * DefaultMemoryShare)
	return min(limit, DefaultMemoryCap), true
}

// parseSize reads a size as DuckDB prints it ("18.6 GiB", "512.0 MiB",
// "1000 bytes").
func parseSize(s string) (int64, bool) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	mult := map[string]float64{"bytes": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[strings.TrimSpace(unit)]
	if mult == 0 {
		return 0, false
	}
	return int64(v * mult), true
}

// firstLine is the first line of a statement, for messages.
func firstLine(q string) string {
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		return q[:i] + " …"
	}
	return q
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
	if k.Level == source.Record {
		add(source.Column{Name: source.RecordCount, Type: source.Int})
	}
	add(source.Column{Name: "source_line", Type: source.Int})
	return cols
}

// selectList casts a snapshot's columns to their types; without counted,
// record_count is 1 on every row.
func selectList(k source.Kind, counted bool) string {
	var parts []string
	for _, c := range columns(k) {
		if c[0] == source.RecordCount && !counted {
			parts = append(parts, "CAST(1 AS BIGINT) AS "+ident(c[0]))
			continue
		}
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
