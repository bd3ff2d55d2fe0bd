package transform_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"hiis/pipeline/indicator"
	"hiis/pipeline/transform"
)

// BenchmarkEngineRun times Engine.Run over the fixture's admitted-care
// indicators on the fixture's apc snapshot repeated HIIS_BENCH_REPEAT times
// (default 130: about 6M rows), and beside it, in the same process, the
// floor: bare DuckDB running each indicator's filter and numerator as one
// GROUP BY of quintile, ethnic group, age band and sex straight over the
// file (and the population's, for rates), with no views, sandbox, grouping
// sets or joins. The ratio hiis/bare is what the engine costs.
//
//	go test -run '^$' -bench EngineRun -benchtime 3x ./pipeline/transform
//
// Peak memory: set HIIS_BENCH_DIR to a folder that keeps the large files,
// run once to write them, then run one side at a time under
// /usr/bin/time -v (-bench 'EngineRun/hiis$', 'EngineRun/bare').
func BenchmarkEngineRun(b *testing.B) {
	snaps, inds, p, macros := fixture(b)
	reps := 130
	if s := os.Getenv("HIIS_BENCH_REPEAT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("HIIS_BENCH_REPEAT=%q is not a positive number", s)
		}
		reps = n
	}
	db := plainDB(b)
	defer db.Close()
	// HIIS_BENCH_DIR keeps the large files between runs, so that a run
	// under /usr/bin/time -v measures the engine, not the writing.
	dir := os.Getenv("HIIS_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	big := filepath.Join(dir, fmt.Sprintf("apc-x%d.parquet", reps))
	if _, err := os.Stat(big); err != nil {
		if _, err := db.Exec(fmt.Sprintf(`COPY (SELECT s.* REPLACE (s.spell_id || '-' || r.i AS spell_id)
			FROM read_parquet('%s') s, range(%d) r(i)) TO '%s' (FORMAT parquet)`,
			filepath.ToSlash(snaps[0].Path), reps, filepath.ToSlash(big))); err != nil {
			b.Fatal(err)
		}
	}
	var rows int64
	if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM read_parquet('%s')", filepath.ToSlash(big))).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	snaps[0].Path = big
	b.Logf("%d apc rows, %d indicators", rows, len(inds))

	b.Run("hiis", func(b *testing.B) {
		for b.Loop() {
			e, err := transform.Open(context.Background(), snaps, p, macros, transform.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.Run(context.Background(), inds, snaps, "population"); err != nil {
				b.Fatal(err)
			}
			e.Close()
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	// The same records grouped as a warehouse may send them: one row per
	// combination of the columns the indicators read, with record_count.
	grouped := append([]transform.Snapshot(nil), snaps...)
	grouped[0].Path = filepath.Join(dir, fmt.Sprintf("apc-x%d-grouped.parquet", reps))
	if _, err := os.Stat(grouped[0].Path); err != nil {
		if _, err := db.Exec(fmt.Sprintf(`COPY (%s) TO '%s' (FORMAT parquet)`,
			strings.ReplaceAll(groupApc, "SNAPSHOT", fmt.Sprintf("read_parquet('%s')", filepath.ToSlash(big))), filepath.ToSlash(grouped[0].Path))); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("hiis-grouped", func(b *testing.B) {
		for b.Loop() {
			e, err := transform.Open(context.Background(), grouped, p, macros, transform.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.Run(context.Background(), inds, grouped, "population"); err != nil {
				b.Fatal(err)
			}
			e.Close()
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("bare", func(b *testing.B) {
		db := plainDB(b)
		defer db.Close()
		setup := append([]string{
			fmt.Sprintf("CREATE MACRO period_start() AS DATE '%s'", p.Start),
			fmt.Sprintf("CREATE MACRO period_end() AS DATE '%s'", p.End),
		}, transform.SplitSQL(macros)...)
		for _, q := range setup {
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		queries := bareQueries(inds, big, snaps[1].Path)
		for b.Loop() {
			for _, q := range queries {
				if err := drain(db, q); err != nil {
					b.Fatalf("%v\n%s", err, q)
				}
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// bareQueries are the baseline's queries: per indicator, its numerator and
// denominator grouped by the four breakdown columns straight over the file,
// and the population grouped alike for rates.
func bareQueries(inds []*indicator.Indicator, events, population string) []string {
	const by = "imd_quintile, ethnic_group, age_band, sex_group"
	var qs []string
	for _, ind := range inds {
		filter, den := "TRUE", "NULL"
		if ind.Filter != "" {
			filter = ind.Filter
		}
		if ind.Denominator != "" {
			den = ind.Denominator
		}
		qs = append(qs, fmt.Sprintf("SELECT %s, %s, %s FROM read_parquet('%s') WHERE %s GROUP BY ALL",
			by, ind.Numerator, den, filepath.ToSlash(events), filter))
		if ind.Population != nil {
			pf := "TRUE"
			if ind.Population.Filter != "" {
				pf = ind.Population.Filter
			}
			qs = append(qs, fmt.Sprintf("SELECT %s, sum(people) FROM read_parquet('%s') WHERE %s GROUP BY ALL", by, filepath.ToSlash(population), pf))
		}
	}
	return qs
}

func plainDB(b testing.TB) *sql.DB {
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	return db
}

// drain runs a query and reads every row.
func drain(db *sql.DB, q string) error {
	rows, err := db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(any)
	}
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}
