package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/xuri/excelize/v2"

	"hiis/pipeline/config"
)

// TestParquetLogicalTypes: Parquet columns are read by their logical
// types: DATE, TIMESTAMP and DECIMAL as their values, INT96 timestamps
// (Spark, Hive) as dates, and an INT32 with no DATE annotation as a
// number, which is not a date.
func TestParquetLogicalTypes(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		name, date, weeks string
		want              string // census_date of the snapshot, or a reject
	}{
		{"date", "DATE '2026-03-29'", "CAST(3 AS BIGINT)", "2026-03-29"},
		{"timestamp", "TIMESTAMP '2026-03-29 23:30:00'", "CAST(3.00 AS DECIMAL(10,2))", "2026-03-29"},
		{"timestamp_ms", "CAST(TIMESTAMP '2026-03-29 10:00:00' AS TIMESTAMP_MS)", "CAST(3 AS INTEGER)", "2026-03-29"},
		{"int32 is not a date", "CAST(20260329 AS INTEGER)", "CAST(3 AS INTEGER)", `"20260329"" is not a date`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(dir, "wlmds.parquet")
			q := fmt.Sprintf(`COPY (SELECT 'E01990001' AS lsoa, 'A' AS ethnic_category, CAST(40 AS INTEGER) AS age, '1' AS sex, 'P' || i AS pathway_id,
				'IRTT' AS waiting_list_type, %s AS weeks_waiting, %s AS census_date FROM range(3) t(i)) TO %s (FORMAT parquet)`, tc.weeks, tc.date, lit(input))
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
			src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "parquet"}
			res, err := Run(context.Background(), src, input, 1, testOpt(filepath.Join(dir, "snap"), mustIMD(t)))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tc.want, `"`) {
				rej, _ := os.ReadFile(res.Rejects)
				if res.Rejected != 3 || !strings.Contains(string(rej), "2,census_date,\"\""+tc.want) {
					t.Fatalf("rejected %d:\n%s", res.Rejected, rej)
				}
				return
			}
			rows := readSnapshot(t, res.Snapshot)
			if len(rows) != 3 || rows[0]["census_date"].(time.Time).Format(time.DateOnly) != tc.want || rows[0]["weeks_waiting"] != int64(3) || rows[2]["source_line"] != int64(4) {
				t.Fatalf("rows %v", rows)
			}
		})
	}
	t.Run("int96", func(t *testing.T) {
		dir := t.TempDir()
		input := filepath.Join(dir, "wlmds.parquet")
		type row struct {
			LSOA   string           `parquet:"lsoa"`
			Eth    string           `parquet:"ethnic_category"`
			Age    int64            `parquet:"age"`
			Sex    string           `parquet:"sex"`
			ID     string           `parquet:"pathway_id"`
			Type   string           `parquet:"waiting_list_type"`
			Weeks  int64            `parquet:"weeks_waiting"`
			Census deprecated.Int96 `parquet:"census_date"`
		}
		day := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC).Unix()/86400 + 2440588
		nanos := uint64(10 * time.Hour)
		ts := deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day)}
		if err := parquet.WriteFile(input, []row{{"E01990001", "A", 40, "1", "P1", "IRTT", 3, ts}}); err != nil {
			t.Fatal(err)
		}
		src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "parquet"}
		res, err := Run(context.Background(), src, input, 0, testOpt(filepath.Join(dir, "snap"), mustIMD(t)))
		if err != nil {
			t.Fatal(err)
		}
		rows := readSnapshot(t, res.Snapshot)
		if got := rows[0]["census_date"].(time.Time).Format(time.DateOnly); got != "2026-03-29" {
			t.Fatalf("INT96 read as %s", got)
		}
	})
}

// TestXLSXDatesByValue: a date cell in Excel's default date format is read
// by its value, whatever it displays; text dates month-first stop the
// source as in CSV.
func TestXLSXDatesByValue(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	head := strings.Split(strings.TrimSpace(wlmdsHead), ",")
	for i, h := range head {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellValue("Sheet1", cell, h)
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yy, Excel's default date
	if err != nil {
		t.Fatal(err)
	}
	for r := 2; r <= 4; r++ {
		vals := []any{"E01990001", "A", 40, 1, fmt.Sprintf("P%d", r), "IRTT", 3, time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)}
		for i, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(i+1, r)
			f.SetCellValue("Sheet1", cell, v)
		}
		cell, _ := excelize.CoordinatesToCellName(8, r)
		f.SetCellStyle("Sheet1", cell, cell, style)
	}
	input := filepath.Join(dir, "wlmds.xlsx")
	if err := f.SaveAs(input); err != nil {
		t.Fatal(err)
	}
	src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "xlsx"}
	res, err := Run(context.Background(), src, input, 0, testOpt(filepath.Join(dir, "snap"), mustIMD(t)))
	if err != nil {
		t.Fatal(err)
	}
	rows := readSnapshot(t, res.Snapshot)
	if len(rows) != 3 || rows[0]["census_date"].(time.Time).Format(time.DateOnly) != "2026-03-29" || rows[0]["age"] != int64(40) {
		t.Fatalf("rows %v", rows)
	}
}

// TestSnapshotThreadsAndRuns: the snapshot of a larger extract (several
// Parquet row groups, duplicates and rejects) is byte-identical at one
// and two DuckDB threads and across runs.
func TestSnapshotThreadsAndRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 300,000-row extract")
	}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(wlmdsHead)
	b.WriteString(wlmdsRows(0, 300_000))
	b.WriteString("E01990001,A,x,1,PX,IRTT,3,2026-03-29\n")
	b.WriteString(wlmdsRows(100, 50))
	input := filepath.Join(dir, "wlmds.csv")
	os.WriteFile(input, []byte(b.String()), 0o644)
	sameAtAnyThreads(t, "csv", input, func(res Result) {
		if res.Duplicates != 50 || res.Rejected != 1 {
			t.Fatalf("duplicates %d rejected %d", res.Duplicates, res.Rejected)
		}
	})
}

// TestSplitScan: a CSV scanned in two halves gives the rows, lines and
// rejects of one scan, also when a quoted field runs over the split.
func TestSplitScan(t *testing.T) {
	defer func(v int64) { splitAt = v }(splitAt)
	var b strings.Builder
	b.WriteString(wlmdsHead)
	b.WriteString(wlmdsRows(0, 2000))
	b.WriteString("E01990001,A,x,1,PX,IRTT,3,2026-03-29\n")
	b.WriteString(wlmdsRows(3000, 2000))
	b.WriteString("E01990001,A,41,1,PX9,IRTT,3,2026-03-29,extra\n")
	plain := b.String()
	// Rows around a two-line quoted field whose line break is the first
	// after the middle of the data: the split falls inside the quotes.
	quoted := wlmdsHead + wlmdsRows(1000, 1000) + "E01990001,A,41,1,\"Q" + strings.Repeat("x", 5000) + "\nQ2\",IRTT,3,2026-03-29\n" + wlmdsRows(2000, 1000)
	for _, body := range []string{plain, quoted} {
		dir := t.TempDir()
		input := filepath.Join(dir, "wlmds.csv")
		os.WriteFile(input, []byte(body), 0o644)
		var got []string
		for _, split := range []int64{1 << 40, 1024} {
			splitAt = split
			src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "csv"}
			res, err := Run(context.Background(), src, input, 0.01, testOpt(filepath.Join(t.TempDir(), "snap"), mustIMD(t)))
			if err != nil {
				t.Fatal(err)
			}
			rej, _ := os.ReadFile(res.Rejects)
			var lines []string
			for _, r := range readSnapshot(t, res.Snapshot) {
				lines = append(lines, fmt.Sprint(r["source_line"], r["pathway_id"]))
			}
			got = append(got, fmt.Sprint(res.Rows, res.Rejected, string(rej), strings.Join(lines, ";")))
		}
		if body == quoted && splitFallbacks.Load() != 1 {
			t.Errorf("a split inside quotes was not redone in one piece")
		}
		if got[0] != got[1] {
			t.Fatalf("split scan differs:\n%.500s\n%.500s", got[0], got[1])
		}
		if body == plain && !strings.Contains(got[0], "2002,age") {
			t.Fatalf("rejects: %.300s", got[0])
		}
	}
}

// TestProgress: a large extract reports progress while it is read, in
// bytes that grow up to the file's size.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "wlmds.csv")
	os.WriteFile(input, []byte(wlmdsHead+wlmdsRows(0, 200_000)), 0o644)
	st, _ := os.Stat(input)
	var got []Progress
	opt := testOpt(filepath.Join(dir, "snap"), mustIMD(t))
	opt.Progress = func(p Progress) { got = append(got, p) }
	src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "csv"}
	if _, err := Run(context.Background(), src, input, 0, opt); err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no progress reported")
	}
	last := got[len(got)-1]
	if last.TotalBytes != st.Size() || last.Bytes != st.Size() || last.Rows != 200_000 {
		t.Fatalf("last progress %+v, want all %d bytes and 200000 rows", last, st.Size())
	}
	for i := 1; i < len(got); i++ {
		if got[i].Bytes < got[i-1].Bytes {
			t.Fatalf("bytes went back: %+v then %+v", got[i-1], got[i])
		}
	}
}

// TestBadParquet: a Parquet file with invalid UTF-8 in a text column, or
// a damaged one, is an input error naming the file, not a crash.
func TestBadParquet(t *testing.T) {
	dir := t.TempDir()
	type row struct {
		LSOA   string `parquet:"lsoa"`
		Eth    string `parquet:"ethnic_category"`
		Age    int64  `parquet:"age"`
		Sex    string `parquet:"sex"`
		ID     string `parquet:"pathway_id"`
		Type   string `parquet:"waiting_list_type"`
		Weeks  int64  `parquet:"weeks_waiting"`
		Census string `parquet:"census_date"`
	}
	bad := filepath.Join(dir, "bad.parquet")
	if err := parquet.WriteFile(bad, []row{{"E01990001", "A", 40, "1", "P\xe9", "IRTT", 3, "2026-03-29"}}); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.parquet")
	b, _ := os.ReadFile(bad)
	os.WriteFile(damaged, append([]byte("PAR1"), b[len(b)/2:]...), 0o644)
	for _, input := range []string{bad, damaged} {
		src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "parquet"}
		_, err := Run(context.Background(), src, input, 0, testOpt(filepath.Join(dir, "snap"), mustIMD(t)))
		t.Log(err)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), filepath.Base(input)) {
			t.Errorf("%s: error %T %v, want an input error naming the file", filepath.Base(input), err, err)
		}
	}
}

// TestParquetThreads: the snapshot of a larger Parquet extract (read with
// the lookup join and sorted by line) is the same at one and two threads.
func TestParquetThreads(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 300,000-row extract")
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "wlmds.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`COPY (SELECT 'E0199000' || (1 + i % 3) AS lsoa, 'A' AS ethnic_category, CAST(i % 90 AS INTEGER) AS age, '1' AS sex,
		'P' || (i % 299000) AS pathway_id, 'IRTT' AS waiting_list_type, CAST(i % 60 AS BIGINT) AS weeks_waiting, DATE '2026-03-29' AS census_date
		FROM range(300000) t(i)) TO ` + lit(input) + ` (FORMAT parquet, ROW_GROUP_SIZE 50000)`); err != nil {
		t.Fatal(err)
	}
	sameAtAnyThreads(t, "parquet", input, func(res Result) {
		if res.Duplicates != 1000 || res.Rows != 300000 {
			t.Fatalf("rows %d duplicates %d", res.Rows, res.Duplicates)
		}
	})
}

// sameAtAnyThreads extracts input, a wlmds file of the format, at one
// thread and twice at two, checking each result, and fails unless the three
// snapshots are the same bytes.
func sameAtAnyThreads(t *testing.T, format, input string, check func(Result)) {
	t.Helper()
	var snaps [][]byte
	for _, threads := range []int{1, 2, 2} {
		src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: format}
		opt := testOpt(filepath.Join(t.TempDir(), "snap"), mustIMD(t))
		opt.Threads = threads
		res, err := Run(context.Background(), src, input, 0.01, opt)
		if err != nil {
			t.Fatal(err)
		}
		check(res)
		s, _ := os.ReadFile(res.Snapshot)
		snaps = append(snaps, s)
	}
	for i := 1; i < len(snaps); i++ {
		if !bytes.Equal(snaps[0], snaps[i]) {
			t.Fatalf("snapshot %d differs from the one at one thread", i)
		}
	}
}

// TestGzipCSV: a gzipped CSV gives the snapshot of the plain one.
func TestGzipCSV(t *testing.T) {
	dir := t.TempDir()
	body := wlmdsHead + wlmdsRows(0, 1000)
	plain := filepath.Join(dir, "wlmds.csv")
	os.WriteFile(plain, []byte(body), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	zipped := filepath.Join(dir, "wlmds.csv.gz")
	os.WriteFile(zipped, gz.Bytes(), 0o644)
	var snaps [][]byte
	for _, in := range []string{plain, zipped} {
		src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "csv"}
		res, err := Run(context.Background(), src, in, 0, testOpt(filepath.Join(t.TempDir(), "snap"), mustIMD(t)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(res.Snapshot)
		snaps = append(snaps, b)
	}
	if !bytes.Equal(snaps[0], snaps[1]) {
		t.Fatal("the gzipped CSV gave another snapshot")
	}
}
