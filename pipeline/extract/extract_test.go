package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"hiis/pipeline/config"
	"hiis/pipeline/refdata"
)

const testIMD = "\ufeffLSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\n" +
	"E01990001,A,E07990001,A,\"1,000\",1\nE01990002,B,E07990001,A,\"12,000\",4\nE01990003,C,E07990001,A,\"32,000\",10\n"

var testRows = [][]string{
	{"lsoa", "ethnic_category", "age", "sex", "pathway_id", "waiting_list_type", "weeks_waiting", "census_date"},
	{"E01990001", "A", "34", "1", "P1", "IRTT", "20", "2026-03-29"},
	{"e01990002", "H1", "0", "2", "P2", "ORTT", "3", "29/03/2026"},
	{"", "Z", "", "9", "P3", "IRTT", "60", "2026-03-29"},
	{"W01000001", "99", "95", "2", "P4", "IRTT", "1", "2026-03-29"},
	{"E01990003", "", "80", "X", "P5", "OTHER", "52", "2026-03-29"},
	{"E01990003", "Q", "17", "1", "P6", "IRTT", "18", "2026-03-29"},
}

func mustIMD(t *testing.T) *refdata.IMD {
	t.Helper()
	imd, err := refdata.ReadIMD(strings.NewReader(testIMD), "imd.csv", refdata.Columns{}, true)
	if err != nil {
		t.Fatal(err)
	}
	return imd
}

// testOpt are options for tests: the invalid ethnic code in testRows (Q)
// stays under the limit.
func testOpt(dir string, imd *refdata.IMD) Options {
	one := 1.0
	return Options{Dir: dir, IMD: imd, IMDHash: "x", Version: "test", Limits: Limits{MaxInvalidCodes: &one}}
}

func writeCSV(t *testing.T, dir string, rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	p := filepath.Join(dir, "wlmds.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeXLSX(t *testing.T, dir string, rows [][]string) string {
	f := excelize.NewFile()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "wlmds.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeParquet(t *testing.T, dir string, rows [][]string) string {
	g := parquet.Group{}
	for _, h := range rows[0] {
		g[h] = parquet.Optional(parquet.String())
	}
	schema := parquet.NewSchema("wlmds", g)
	p := filepath.Join(dir, "wlmds.parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewWriter(f, schema)
	// Columns of a Group are ordered by name.
	order := map[string]int{}
	for i, fld := range schema.Fields() {
		order[fld.Name()] = i
	}
	for _, r := range rows[1:] {
		row := make(parquet.Row, len(r))
		for j, v := range r {
			c := order[rows[0][j]]
			if v == "" {
				row[c] = parquet.Value{}.Level(0, 0, c)
			} else {
				row[c] = parquet.ByteArrayValue([]byte(v)).Level(0, 1, c)
			}
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// TestFormatsAgree extracts the same rows from CSV, XLSX and Parquet: the
// snapshots must be byte-identical.
func TestFormatsAgree(t *testing.T) {
	imd := mustIMD(t)
	var snaps [][]byte
	for _, tc := range []struct {
		format string
		write  func(*testing.T, string, [][]string) string
	}{{"csv", writeCSV}, {"xlsx", writeXLSX}, {"parquet", writeParquet}} {
		t.Run(tc.format, func(t *testing.T) {
			dir := t.TempDir()
			input := tc.write(t, dir, testRows)
			src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: tc.format, EthnicSubcodes: true}
			res, err := Run(context.Background(), src, input, 0, testOpt(filepath.Join(dir, "snap"), imd))
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != 6 || res.Rejected != 0 {
				t.Fatalf("rows %d rejected %d, want 6 and 0", res.Rows, res.Rejected)
			}
			b, err := os.ReadFile(res.Snapshot)
			if err != nil {
				t.Fatal(err)
			}
			snaps = append(snaps, b)
		})
	}
	for i := 1; i < len(snaps); i++ {
		if !bytes.Equal(snaps[0], snaps[i]) {
			t.Errorf("snapshot %d differs from the CSV one", i)
		}
	}
}

// TestNormalised reads a snapshot back and checks the derived columns.
func TestNormalised(t *testing.T) {
	dir := t.TempDir()
	input := writeCSV(t, dir, testRows)
	src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "csv", EthnicSubcodes: true}
	res, err := Run(context.Background(), src, input, 0, testOpt(dir, mustIMD(t)))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		IMDQuintile *string `parquet:"imd_quintile"`
		IMDDecile   *int64  `parquet:"imd_decile"`
		EthnicCode  *string `parquet:"ethnic_code"`
		EthnicGroup *string `parquet:"ethnic_group"`
		AgeBand     *string `parquet:"age_band"`
		ESPBand     *string `parquet:"esp_band"`
		Sex         *string `parquet:"sex_group"`
		Line        *int64  `parquet:"source_line"`
	}
	got, err := parquet.ReadFile[row](res.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 1 A White 18-34 30-34 Male 2",
		"2 4 H Asian or Asian British 0-17 0-4 Female 3",
		"Unknown - Z Not stated Unknown Unknown Other or not known 4",
		"Unknown - 99 Not known 80+ 90+ Female 5",
		"5 10  Not known 80+ 80-84 Other or not known 6",
		"5 10  Not known 0-17 15-19 Male 7",
	}
	s := func(p *string) string { return *p }
	for i, r := range got {
		dec := "-"
		if r.IMDDecile != nil {
			dec = strconv.FormatInt(*r.IMDDecile, 10)
		}
		line := strings.Join([]string{s(r.IMDQuintile), dec, s(r.EthnicCode), s(r.EthnicGroup), s(r.AgeBand), s(r.ESPBand), s(r.Sex), strconv.FormatInt(*r.Line, 10)}, " ")
		if line != want[i] {
			t.Errorf("row %d:\n got %s\nwant %s", i, line, want[i])
		}
	}
}

// TestDamagedSnapshotRebuilt: a cached snapshot whose bytes changed is not
// reused.
func TestDamagedSnapshotRebuilt(t *testing.T) {
	dir := t.TempDir()
	input := writeCSV(t, dir, testRows)
	src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "csv", EthnicSubcodes: true}
	opt := testOpt(filepath.Join(dir, "snap"), mustIMD(t))
	first, err := Run(context.Background(), src, input, 0, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(first.Snapshot)
	b[len(b)/2] ^= 1
	os.WriteFile(first.Snapshot, b, 0o644)
	again, err := Run(context.Background(), src, input, 0, opt)
	if err != nil {
		t.Fatal(err)
	}
	if again.Reused || again.SnapshotSHA256 != first.SnapshotSHA256 {
		t.Fatalf("damaged snapshot: reused %v, sha %s, want a rebuild to %s", again.Reused, again.SnapshotSHA256, first.SnapshotSHA256)
	}
	if third, _ := Run(context.Background(), src, input, 0, opt); !third.Reused {
		t.Error("an intact snapshot was not reused")
	}
}

// TestSpreadsheetQuirks: ages written "45.0" band like 45, and XLSX rows
// whose last cells are empty are padded, not rejected.
func TestSpreadsheetQuirks(t *testing.T) {
	dir := t.TempDir()
	rows := [][]string{testRows[0], {"E01990001", "A", "45.0", "1", "P1", "IRTT", "20", ""}}
	input := writeXLSX(t, dir, rows)
	src := &config.Source{Name: "wlmds", Kind: "wlmds", Format: "xlsx"}
	res, err := Run(context.Background(), src, input, 1, testOpt(dir, mustIMD(t)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 1 {
		// census_date is required: the blank last cell is a reject for that
		// reason, not for a short row.
		t.Fatalf("rejected %d, want 1", res.Rejected)
	}
	b, _ := os.ReadFile(res.Rejects)
	if !strings.Contains(string(b), "census_date,\"blank, but a value is required\"") {
		t.Fatalf("rejects:\n%s", b)
	}
	rows[1][7] = "2026-03-29"
	input = writeXLSX(t, t.TempDir(), rows)
	res, err = Run(context.Background(), src, input, 0, testOpt(t.TempDir(), mustIMD(t)))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		AgeBand *string `parquet:"age_band"`
		ESPBand *string `parquet:"esp_band"`
	}
	got, err := parquet.ReadFile[row](res.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	if *got[0].AgeBand != "35-49" || *got[0].ESPBand != "45-49" {
		t.Fatalf("age 45.0 banded %s / %s, want 35-49 / 45-49", *got[0].AgeBand, *got[0].ESPBand)
	}
}
