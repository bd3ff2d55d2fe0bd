package transform_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"hiis/pipeline/config"
	"hiis/pipeline/extract"
	"hiis/pipeline/indicator"
	"hiis/pipeline/refdata"
	"hiis/pipeline/source"
	"hiis/pipeline/transform"
)

// fixture extracts the fixture's apc and population into snapshots and
// returns them with the indicators that read apc.
func fixture(t testing.TB) ([]transform.Snapshot, []*indicator.Indicator, transform.Period, string) {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "..", "config", "fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	imdPath, _ := cfg.Resolve(cfg.Reference.IMD.Path)
	imd, err := refdata.LoadIMD(imdPath, refdata.Columns{}, true)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var snaps []transform.Snapshot
	for _, name := range []string{"apc", "population"} {
		s := cfg.Sources[name]
		in, _ := cfg.Resolve(s.Path)
		res, err := extract.Run(context.Background(), s, in, 1, extract.Options{Dir: dir, IMD: imd, IMDHash: "test", Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		k, _ := source.Lookup(s.Kind)
		snaps = append(snaps, transform.Snapshot{Name: name, Kind: k, Path: res.Snapshot})
	}
	all, err := indicator.Load(filepath.Join("..", "..", "indicators"))
	if err != nil {
		t.Fatal(err)
	}
	var inds []*indicator.Indicator
	for _, ind := range all {
		if ind.Source == "apc" {
			inds = append(inds, ind)
		}
	}
	if len(inds) < 5 {
		t.Fatalf("only %d apc indicators", len(inds))
	}
	macros, err := os.ReadFile(filepath.Join("..", "..", "templates", "sql", "macros.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return snaps, inds, transform.Period{Start: cfg.Period.Start, End: cfg.Period.End}, string(macros)
}

func run(t *testing.T, snaps []transform.Snapshot, inds []*indicator.Indicator, p transform.Period, macros string, opt transform.Options) transform.Output {
	t.Helper()
	e, err := transform.Open(context.Background(), snaps, p, macros, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	out, err := e.Run(context.Background(), inds, snaps, "population")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// copySnapshot writes the result of a query over a snapshot to a new
// Parquet file beside it.
func copySnapshot(t *testing.T, from, query, name string) string {
	t.Helper()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	to := filepath.Join(filepath.Dir(from), name)
	q := strings.ReplaceAll(query, "SNAPSHOT", fmt.Sprintf("read_parquet('%s')", filepath.ToSlash(from)))
	if _, err := db.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", q, filepath.ToSlash(to))); err != nil {
		t.Fatal(err)
	}
	return to
}

// groupApc groups an apc snapshot (SNAPSHOT) by every column the fixture's
// indicators read, with the count of the records each row stands for, as a
// warehouse may send it.
const groupApc = `SELECT * EXCLUDE (spell_id, source_line, record_count) REPLACE (
		   CASE WHEN admission_date BETWEEN DATE '2025-04-01' AND DATE '2026-03-31' THEN DATE '2025-04-01'
		        WHEN admission_date BETWEEN DATE '2019-03-01' AND DATE '2020-02-29' THEN DATE '2019-03-01'
		        ELSE DATE '1900-01-01' END AS admission_date,
		   left(upper(replace(trim(primary_diagnosis), '.', '')), 3) AS primary_diagnosis,
		   left(upper(replace(trim(main_procedure), '.', '')), 3) AS main_procedure,
		   ethnic_code AS ethnic_category,
		   'decile ' || coalesce(CAST(imd_decile AS VARCHAR), 'unknown') AS lsoa,
		   CASE WHEN trim(admission_method) IN ('21', '22', '23', '24', '25', '2A', '2B', '2C', '2D', '28') THEN '21'
		        WHEN trim(admission_method) IN ('11', '12', '13') THEN '11' ELSE admission_method END AS admission_method),
		   'grouped' AS spell_id, min(source_line) AS source_line, sum(record_count) AS record_count
		 FROM SNAPSHOT GROUP BY ALL`

// TestGroupedExtractGivesTheSameCells: the fixture's admitted care grouped
// by every column the indicators use, with a count of the records each row
// stands for (as a warehouse may send it), gives exactly the same cells and
// data-quality counts as the record-level extract.
func TestGroupedExtractGivesTheSameCells(t *testing.T) {
	snaps, inds, p, macros := fixture(t)
	// Expressions that only count read the grouped rows and sum
	// record_count; any other expression sees one row per record.
	general := *inds[0]
	general.ID, general.Numerator = "X-general", "sum(1) + 0 * max(age)"
	inds = append(inds, &general)
	want := run(t, snaps, inds, p, macros, transform.Options{})
	grouped := append([]transform.Snapshot(nil), snaps...)
	grouped[0].Path = copySnapshot(t, snaps[0].Path, groupApc, "apc-grouped.parquet")
	var rows, records int64
	c, _ := duckdb.NewConnector("", nil)
	db := sql.OpenDB(c)
	defer db.Close()
	if err := db.QueryRow(fmt.Sprintf("SELECT count(*), sum(record_count) FROM read_parquet('%s')", filepath.ToSlash(grouped[0].Path))).Scan(&rows, &records); err != nil {
		t.Fatal(err)
	}
	if rows*10 > records*9 {
		t.Fatalf("grouping left %d rows for %d records: not grouped enough to test", rows, records)
	}
	got := run(t, grouped, inds, p, macros, transform.Options{})
	if !reflect.DeepEqual(strip(got.Cells), strip(want.Cells)) {
		t.Errorf("cells from the grouped extract differ from the record-level ones")
	}
	for i := range got.Quality {
		got.Quality[i].NotResident = want.Quality[i].NotResident // the grouped rows' LSOAs are deciles
	}
	if !reflect.DeepEqual(got.Quality, want.Quality) {
		t.Errorf("data quality from the grouped extract:\n got %+v\nwant %+v", got.Quality, want.Quality)
	}
}

// TestSnapshotWithoutRecordCount: a snapshot written before record_count
// existed counts a record per row.
func TestSnapshotWithoutRecordCount(t *testing.T) {
	snaps, inds, p, macros := fixture(t)
	want := run(t, snaps, inds, p, macros, transform.Options{})
	old := append([]transform.Snapshot(nil), snaps...)
	old[0].Path = copySnapshot(t, snaps[0].Path, "SELECT * EXCLUDE (record_count) FROM SNAPSHOT", "apc-old.parquet")
	got := run(t, old, inds, p, macros, transform.Options{})
	if !reflect.DeepEqual(strip(got.Cells), strip(want.Cells)) || !reflect.DeepEqual(got.Quality, want.Quality) {
		t.Error("a snapshot without record_count gives other cells or data-quality counts")
	}
}

// TestThreadCountsAgree: the cells are the same at one thread and at four
// (sums are of integers and decimals, exact in any order).
func TestThreadCountsAgree(t *testing.T) {
	snaps, inds, p, macros := fixture(t)
	one := run(t, snaps, inds, p, macros, transform.Options{Threads: 1})
	four := run(t, snaps, inds, p, macros, transform.Options{Threads: 4})
	if !reflect.DeepEqual(strip(one.Cells), strip(four.Cells)) || !reflect.DeepEqual(one.Quality, four.Quality) {
		t.Error("one thread and four give different cells")
	}
}

// strip replaces NaN denominators, which never compare equal, by -1.
func strip(cells []transform.Cell) []transform.Cell {
	out := append([]transform.Cell(nil), cells...)
	for i := range out {
		if out[i].Denominator != out[i].Denominator {
			out[i].Denominator = -1
		}
	}
	return out
}

// TestQueryTimeout: an expression that would run for minutes is stopped
// after statistics.query_timeout with a message naming the indicator.
func TestQueryTimeout(t *testing.T) {
	snaps, inds, p, macros := fixture(t)
	slow := *inds[0]
	slow.Numerator = "count(*) + (SELECT count(*) FROM apc a, apc b, apc c WHERE a.age + b.age + c.age = -1)"
	start := time.Now()
	e, err := transform.Open(context.Background(), snaps, p, macros, transform.Options{QueryTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Run(context.Background(), []*indicator.Indicator{&slow}, snaps, "population")
	var te *transform.TimeoutError
	if !errors.As(err, &te) || te.Indicator != slow.ID || !strings.Contains(err.Error(), "query_timeout") || !strings.Contains(err.Error(), slow.File) {
		t.Fatalf("error %v, want a timeout naming %s and its file", err, slow.ID)
	}
	if !errors.Is(err, context.DeadlineExceeded) || te.ExitCode() != 1 {
		t.Errorf("a timeout is not an input error (exit 1): %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the runaway query took %s to stop", d)
	}
}

// TestResidents: events of an LSOA in the IMD lookup but not in the
// population are counted and reported; population_scope residents leaves
// them out of the numerators.
func TestResidents(t *testing.T) {
	snaps, inds, p, macros := fixture(t)
	c, _ := duckdb.NewConnector("", nil)
	db := sql.OpenDB(c)
	defer db.Close()
	var lsoa string
	var n int64
	if err := db.QueryRow(fmt.Sprintf(`SELECT upper(trim(lsoa)), count(*) FROM read_parquet('%s') WHERE imd_quintile <> 'Unknown'
		GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 1`, filepath.ToSlash(snaps[0].Path))).Scan(&lsoa, &n); err != nil {
		t.Fatal(err)
	}
	cut := append([]transform.Snapshot(nil), snaps...)
	cut[1].Path = copySnapshot(t, snaps[1].Path, fmt.Sprintf("SELECT * FROM SNAPSHOT WHERE upper(trim(lsoa)) <> '%s'", lsoa), "population-cut.parquet")
	all := run(t, cut, inds, p, macros, transform.Options{})
	residents := run(t, cut, inds, p, macros, transform.Options{ResidentsOnly: true})
	var whole transform.Quality
	for _, q := range all.Quality {
		if q.Source == "apc" && q.Indicator == "" {
			whole = q
		}
	}
	if whole.NotResident != n {
		t.Errorf("apc: %d records outside the population, want %d (LSOA %s)", whole.NotResident, n, lsoa)
	}
	overall := func(out transform.Output, id string) float64 {
		for _, c := range out.Cells {
			if c.Indicator == id && c.Breakdown == "overall" && c.Stratum == "" {
				return c.Numerator
			}
		}
		return -1
	}
	fewer := 0
	for _, ind := range inds {
		a, r := overall(all, ind.ID), overall(residents, ind.ID)
		if r > a {
			t.Errorf("%s: residents only counts %v, more than %v", ind.ID, r, a)
		}
		if r < a {
			fewer++
		}
	}
	if fewer == 0 {
		t.Error("counting residents only changed no indicator")
	}
}

// TestSandbox: indicator expressions and the macros file read the
// snapshots and nothing else: not a file elsewhere, not one reached from
// the snapshots' folder through "..", and they cannot widen the sandbox.
func TestSandbox(t *testing.T) {
	snaps, inds, p, macros := fixture(t)
	dir := filepath.ToSlash(filepath.Dir(snaps[0].Path))
	for _, c := range []struct{ name, numerator, macros string }{
		{"absolute path", "count(*) + (SELECT count(*) FROM read_csv('/etc/passwd'))", ""},
		{"dot dot", fmt.Sprintf("count(*) + (SELECT count(*) FROM read_csv('%s/../../../../../../etc/passwd'))", dir), ""},
		{"text", "count(*) + (SELECT count(*) FROM read_text('/etc/passwd'))", ""},
		{"widened in macros", "count(*) + (SELECT count(*) FROM read_csv('/etc/passwd'))", "SET allowed_directories = ['/'];"},
		{"access back on in macros", "count(*) + (SELECT count(*) FROM read_csv('/etc/passwd'))", "SET enable_external_access = true;"},
	} {
		t.Run(c.name, func(t *testing.T) {
			evil := *inds[0]
			evil.Numerator = c.numerator
			e, err := transform.Open(context.Background(), snaps, p, macros+"\n"+c.macros, transform.Options{})
			if err != nil {
				if c.macros == "" {
					t.Fatal(err)
				}
				if !strings.Contains(err.Error(), "Cannot") {
					t.Fatalf("setup failed, but not by refusing the change: %v", err)
				}
				return // the macros file itself was refused
			}
			defer e.Close()
			_, err = e.Run(context.Background(), []*indicator.Indicator{&evil}, snaps, "population")
			if err == nil {
				t.Fatal("the expression read /etc/passwd")
			}
			if !strings.Contains(err.Error(), "disabled by configuration") {
				t.Errorf("failed, but not by the sandbox: %v", err)
			}
			if strings.Contains(err.Error(), "root:") {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
}
