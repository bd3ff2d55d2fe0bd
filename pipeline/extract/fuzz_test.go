package extract

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hiis/pipeline/config"
)

// fuzzRun extracts input and checks what must hold whatever the bytes: no
// panic; failure only as an input error (exit 1) with a short message;
// every record read is in the snapshot, the rejects or the duplicates.
func fuzzRun(t *testing.T, src *config.Source, input string) {
	one := 1.0
	opt := testOpt(filepath.Join(t.TempDir(), "snap"), mustIMD(t))
	opt.Limits.MaxUnmatchedLSOA, opt.Limits.MaxInvalidCodes = &one, &one
	res, err := Run(context.Background(), src, input, 1, opt)
	if err != nil {
		var ie *InputError
		var rse *RejectShareError
		if !errors.As(err, &ie) && !errors.As(err, &rse) {
			t.Fatalf("not an input error: %T %v", err, err)
		}
		if n := len(err.Error()); n > 3000 {
			t.Fatalf("error of %d bytes: %.300s", n, err)
		}
		return
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM read_parquet(" + lit(res.Snapshot) + ")").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n+res.Rejected+res.Duplicates != res.Rows {
		t.Fatalf("snapshot %d + rejected %d + duplicates %d != rows %d", n, res.Rejected, res.Duplicates, res.Rows)
	}
	rej, _ := os.ReadFile(res.Rejects)
	if got := int64(strings.Count(string(rej), "\n")); got < res.Rejected+res.Duplicates+1 && !strings.Contains(string(rej), "\"") {
		t.Fatalf("rejects file has %d lines for %d rejects", got, res.Rejected+res.Duplicates)
	}
}

// FuzzCSVIngest feeds arbitrary bytes to the CSV ingest as a waiting
// list extract. Seeds: testdata/fuzz/FuzzCSVIngest.
func FuzzCSVIngest(f *testing.F) {
	f.Add([]byte(wlmdsHead + wlmdsRows(0, 5)))
	f.Fuzz(func(t *testing.T, data []byte) {
		input := filepath.Join(t.TempDir(), "wlmds.csv")
		if err := os.WriteFile(input, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fuzzRun(t, &config.Source{Name: "wlmds", Kind: "wlmds", Format: "csv", EthnicSubcodes: true}, input)
	})
}

// FuzzXLSXIngest writes cells (tab between cells, newline between rows)
// into a workbook, optionally flips one byte of the file, and ingests it.
// Seeds: testdata/fuzz/FuzzXLSXIngest.
func FuzzXLSXIngest(f *testing.F) {
	f.Add(strings.ReplaceAll(wlmdsHead+wlmdsRows(0, 3), ",", "\t"), uint16(0))
	f.Fuzz(func(t *testing.T, cells string, flip uint16) {
		x := excelize.NewFile()
		for r, line := range strings.Split(cells, "\n") {
			if r > 200 {
				break
			}
			for c, v := range strings.Split(line, "\t") {
				if c > 30 {
					break
				}
				name, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := x.SetCellStr("Sheet1", name, v); err != nil {
					return // excelize refuses the value itself (too long ...)
				}
			}
		}
		input := filepath.Join(t.TempDir(), "wlmds.xlsx")
		if err := x.SaveAs(input); err != nil {
			return
		}
		if flip > 0 {
			b, _ := os.ReadFile(input)
			b[int(flip)%len(b)] ^= 0x5a
			os.WriteFile(input, b, 0o644)
		}
		fuzzRun(t, &config.Source{Name: "wlmds", Kind: "wlmds", Format: "xlsx", EthnicSubcodes: true}, input)
	})
}
