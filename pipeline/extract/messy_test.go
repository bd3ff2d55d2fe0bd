package extract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline/config"
)

const wlmdsHead = "lsoa,ethnic_category,age,sex,pathway_id,waiting_list_type,weeks_waiting,census_date\n"

// wlmdsRows returns n good waiting-list rows with pathway ids from first.
func wlmdsRows(first, n int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "E0199000%d,A,%d,%d,P%d,IRTT,%d,2026-03-29\n", 1+i%3, i%90, 1+i%2, i, i%60)
	}
	return b.String()
}

type messyCase struct {
	name   string
	kind   string
	format string
	body   []byte
	src    func(*config.Source)
	lim    func(*Limits)
	// want is in the error ("" means success); rejects is in the rejects file.
	want, rejects string
	check         func(t *testing.T, res Result, snap []map[string]any)
}

// runMessy extracts one case and returns its result, error, rejects file
// and snapshot rows.
func runMessy(t *testing.T, tc messyCase) (Result, error, string, []map[string]any) {
	t.Helper()
	dir := t.TempDir()
	format := tc.format
	if format == "" {
		format = "csv"
	}
	kind := tc.kind
	if kind == "" {
		kind = "wlmds"
	}
	input := filepath.Join(dir, kind+".csv")
	if err := os.WriteFile(input, tc.body, 0o644); err != nil {
		t.Fatal(err)
	}
	src := &config.Source{Name: kind, Kind: kind, Format: format}
	if tc.src != nil {
		tc.src(src)
	}
	opt := testOpt(filepath.Join(dir, "snap"), mustIMD(t))
	opt.Limits.IMDEdition = "IMD 2019 (LSOA 2011)"
	opt.Limits.PeriodStart, opt.Limits.PeriodEnd = "2025-04-01", "2026-03-31"
	if tc.lim != nil {
		tc.lim(&opt.Limits)
	}
	res, err := Run(context.Background(), src, input, 0.5, opt)
	rej, _ := os.ReadFile(res.Rejects)
	var rows []map[string]any
	if _, serr := os.Stat(res.Snapshot); serr == nil {
		rows = readSnapshot(t, res.Snapshot)
	}
	return res, err, string(rej), rows
}

// readSnapshot reads a snapshot's rows with DuckDB.
func readSnapshot(t *testing.T, path string) []map[string]any {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query("SELECT * FROM read_parquet(" + lit(path) + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []map[string]any
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out
}

func TestMessyInputs(t *testing.T) {
	latin := []byte("lsoa,ethnic_category,age,sex,attendance_id,arrival_date\nE01990001,A,40,1,AE1,2025-05-01\nE01990002,A,40,1,AE\xe92,2025-05-01\nE01990001,A,41,2,AE3,2025-05-02\n")
	var apc strings.Builder
	apc.WriteString("lsoa,ethnic_category,age,sex,spell_id,admission_date,admission_method,patient_classification,primary_diagnosis,main_procedure\n")
	var spells []string
	for i := 0; i < 1000; i++ {
		spells = append(spells, fmt.Sprintf("E01990001,A,%d,1,S%05d,2025-06-01,21,1,J459,", i%90, i))
	}
	apc.WriteString(strings.Join(spells, "\n") + "\n")
	apc.WriteString(strings.Join(spells[:500], "\n") + "\n") // 500 spells again, verbatim
	for _, tc := range []messyCase{
		{name: "latin-1 byte in an id is a reject naming line and field", kind: "ecds", body: latin,
			rejects: `3,attendance_id,invalid UTF-8 byte 0xE9`},
		{name: "latin-1 declared decodes it", kind: "ecds", body: latin, src: func(s *config.Source) { s.Encoding = "latin-1" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if res.Rejected != 0 || snap[1]["attendance_id"] != "AEé2" {
					t.Errorf("rejected %d, id %q", res.Rejected, snap[1]["attendance_id"])
				}
			}},
		{name: "windows-1252 declared decodes its own bytes", kind: "ecds", body: []byte(strings.Replace(string(latin), "AE\xe92", "AE\x80\x932", 1)),
			src: func(s *config.Source) { s.Encoding = "windows-1252" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if res.Rejected != 0 || snap[1]["attendance_id"] != "AE€“2" {
					t.Errorf("rejected %d, id %q", res.Rejected, snap[1]["attendance_id"])
				}
			}},
		{name: "500 duplicated spells are rejected as duplicates", kind: "apc", body: []byte(apc.String()),
			rejects: "1002,spell_id,duplicate of line 2",
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if res.Duplicates != 500 || len(snap) != 1000 || res.Rejected != 0 {
					t.Errorf("duplicates %d, snapshot rows %d, rejected %d; want 500, 1000, 0", res.Duplicates, len(snap), res.Rejected)
				}
			}},
		{name: "a repeated key right after itself is a duplicate", body: []byte(wlmdsHead + wlmdsRows(0, 5) + "E01990002,A,4,1,P4,IRTT,3,2026-03-29\n" + wlmdsRows(5, 5)),
			rejects: "7,pathway_id+census_date,duplicate of line 6"},
		{name: "the same date written two ways is the same key", body: []byte(wlmdsHead + wlmdsRows(0, 5) + "E01990002,A,4,1,P4,IRTT,3,29/03/2026\n"),
			rejects: "7,pathway_id+census_date,duplicate of line 6"},
		{name: "duplicates: keep counts and keeps them", kind: "apc", body: []byte(apc.String()), src: func(s *config.Source) { s.Duplicates = "keep" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if res.Duplicates != 500 || len(snap) != 1500 {
					t.Errorf("duplicates %d, snapshot rows %d; want 500 and 1500", res.Duplicates, len(snap))
				}
			}},
		{name: "0% IMD match fails with examples and the edition", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 30), "E0199000", "E0103000")),
			want: "only 0.0% matched, below the 90% required (max_unmatched_lsoa_share); codes not found: E01030001 (line 2), E01030002 (line 3), E01030003 (line 4)"},
		{name: "the hint names the lookup's edition", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 30), "E0199000", "E0103000")),
			want: "the lookup's edition is IMD 2019 (LSOA 2011)"},
		{name: "codes that are not LSOAs get another hint", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 30), "E0199000", "PE1 ")),
			want: "These are not English LSOA codes"},
		{name: "Welsh LSOAs do not count as unmatched", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 30), "E0199000", "W0100000"))},
		{name: "no record in the reporting period", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 10), "2026-03-29", "2019-03-29")),
			want: "none of the 10 records has a census_date in the reporting period 2025-04-01 to 2026-03-31"},
		{name: "ethnicity unknown for every record", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 10), ",A,", ",99,")),
			want: "ethnicity is unknown for every record"},
		{name: "unterminated quote spanning lines fails at the line it opened", body: []byte(wlmdsHead + wlmdsRows(0, 10) + "E01990001,A,40,1,\"P9,IRTT,3,2026-03-29\n" + wlmdsRows(20, 50)),
			want: "line 12: a quoted field is never closed (the quoted field opened on line 12 runs to line 62)"},
		{name: "a stray quote closed by another fails too", body: []byte(wlmdsHead + wlmdsRows(0, 10) + "E01990001,A,40,1,\"P9,IRTT,3,2026-03-29\n" + wlmdsRows(20, 5) + "E01990001,A,40,1,P\"9,IRTT,3,2026-03-29\n" + wlmdsRows(40, 5)),
			want: "line 12: a quoted field"},
		{name: "a stray quote closed by another at the same column fails though the fields add up", body: []byte(wlmdsHead + wlmdsRows(0, 10) + "E01990001,A,40,1,\"P9,IRTT,3,2026-03-29\n" + wlmdsRows(20, 5) + "E01990001,A,40,1,P10\",IRTT,3,2026-03-29\n" + wlmdsRows(40, 5)),
			want: "line 12: a quoted field runs over 7 lines, 5 of them looking like whole records"},
		{name: "a note over lines in the first column is no error", body: []byte("pathway_id,lsoa,ethnic_category,age,sex,waiting_list_type,weeks_waiting,census_date\n\"P1 line one\nline two\",E01990001,A,40,1,IRTT,3,2026-03-29\nP2,E01990001,A,40,1,IRTT,3,2026-03-29\n")},
		{name: "quoted commas, newlines and CRLF keep their lines", body: []byte("\ufeff" + strings.ReplaceAll(wlmdsHead+"E01990001,A,40,1,\"P1,\nsecond line\",IRTT,3,2026-03-29\n"+wlmdsRows(5, 3)+"E01990001,A,x,1,P99,IRTT,3,2026-03-29\n", "\n", "\r\n")),
			rejects: `7,age,"""x"" is not a whole number"`,
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if snap[0]["pathway_id"] != "P1,\r\nsecond line" && snap[0]["pathway_id"] != "P1,\nsecond line" {
					t.Errorf("pathway %q", snap[0]["pathway_id"])
				}
				if snap[1]["source_line"] != int64(4) {
					t.Errorf("line after a two-line record: %v, want 4", snap[1]["source_line"])
				}
			}},
		{name: "NULL is not known, descriptions are invalid", body: []byte(wlmdsHead + wlmdsRows(0, 20) + "E01990001,NULL,40,1,PX1,IRTT,3,2026-03-29\nE01990001,Mixed - White and Black Caribbean,40,1,PX2,IRTT,3,2026-03-29\n"),
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if snap[20]["ethnic_group"] != "Not known" || snap[21]["ethnic_group"] != "Not known" || snap[21]["ethnic_code"] != "" {
					t.Errorf("NULL → %v, description → %v %q", snap[20]["ethnic_group"], snap[21]["ethnic_group"], snap[21]["ethnic_code"])
				}
				if res.EthnicBlank != 1 || res.EthnicInvalid != 1 {
					t.Errorf("blank %d invalid %d, want 1 and 1", res.EthnicBlank, res.EthnicInvalid)
				}
			}},
		{name: "invalid ethnic codes past the limit stop the source", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 10), ",A,", ",White British,") + wlmdsRows(10, 10)),
			lim:  func(l *Limits) { l.MaxInvalidCodes = ptrTo(0.1) },
			want: "10 of 20 records (50.0%) have an ethnic category that is not an NHS code"},
		{name: "declared labels map to codes", body: []byte(wlmdsHead + strings.ReplaceAll(strings.ReplaceAll(wlmdsRows(0, 4), ",A,", ",White British,"), ",1,P", ",Man,P")),
			src: func(s *config.Source) {
				s.Labels = map[string]map[string]string{"ethnic_category": {"white british": "A"}, "sex": {"Man": "1"}}
			},
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if snap[0]["ethnic_group"] != "White" || snap[0]["sex_group"] != "Male" || res.SexInvalid != 0 {
					t.Errorf("labels: %v %v, invalid sex %d", snap[0]["ethnic_group"], snap[0]["sex_group"], res.SexInvalid)
				}
			}},
		{name: "sex codes are checked", body: []byte(wlmdsHead + wlmdsRows(0, 20) + "E01990001,A,40,male,PX1,IRTT,3,2026-03-29\nE01990001,A,40,Q,PX2,IRTT,3,2026-03-29\nE01990001,A,40,9,PX3,IRTT,3,2026-03-29\n"),
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if snap[20]["sex_group"] != "Male" || snap[21]["sex_group"] != "Other or not known" || res.SexInvalid != 1 {
					t.Errorf("male → %v, Q → %v, invalid %d (want 1)", snap[20]["sex_group"], snap[21]["sex_group"], res.SexInvalid)
				}
			}},
		{name: "90+ without age_top_code is a reject that says how", body: []byte(wlmdsHead + wlmdsRows(0, 20) + "E01990001,A,90+,1,PX1,IRTT,3,2026-03-29\n"),
			rejects: `declare age_top_code: ""90+"" if the extract top-codes ages`},
		{name: "90+ with age_top_code is 90", body: []byte(wlmdsHead + wlmdsRows(0, 20) + "E01990001,A,90+,1,PX1,IRTT,3,2026-03-29\n"),
			src: func(s *config.Source) { s.AgeTopCode = "90+" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if snap[20]["age"] != int64(90) || snap[20]["esp_band"] != "90+" || res.Rejected != 0 {
					t.Errorf("90+ → %v %v, rejected %d", snap[20]["age"], snap[20]["esp_band"], res.Rejected)
				}
			}},
		{name: "4,5 and 1e1 are not ages", body: []byte(wlmdsHead + wlmdsRows(0, 20) + "E01990001,A,\"4,5\",1,PX1,IRTT,3,2026-03-29\nE01990001,A,1e1,1,PX2,IRTT,3,2026-03-29\n"),
			rejects: "22,age,\"\"\"4,5\"\" is not a whole number\",\"4,5\"\n23,age,\"\"\"1e1\"\" is not a whole number\",1e1"},
		{name: "a whole number beyond 64 bits is a reject naming line and field", body: []byte(wlmdsHead + wlmdsRows(0, 20) + "E01990001,A,40,1,PX1,IRTT,99999999999999999999,2026-03-29\n"),
			rejects: `22,weeks_waiting,"""99999999999999999999"" is beyond the largest whole number`},
		{name: "bare years are not dates", body: []byte(wlmdsHead + wlmdsRows(0, 20) + "E01990001,A,40,1,PX1,IRTT,3,2025\nE01990001,A,40,1,PX2,IRTT,3,202504\n"),
			rejects: `22,census_date,"""2025"" is not a date (expected YYYY-MM-DD or DD/MM/YYYY; bare day numbers are read only with date_format: excel_serial)"`},
		{name: "excel serials only when declared", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 5), "2026-03-29", "46110")),
			src: func(s *config.Source) { s.DateFormat = "excel_serial" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if fmt.Sprint(snap[0]["census_date"])[:10] != "2026-03-29" {
					t.Errorf("serial 46110 → %v", snap[0]["census_date"])
				}
			}},
		{name: "month-first dates stop and ask for date_format", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 5), "2026-03-29", "03/04/2026") + strings.ReplaceAll(wlmdsRows(5, 5), "2026-03-29", "03/25/2026")),
			want: `line 7: census_date "03/25/2026" is a date only when read month-first (5 such values); set date_format: mm/dd/yyyy`},
		{name: "mm/dd/yyyy declared reads them", body: []byte(wlmdsHead + strings.ReplaceAll(wlmdsRows(0, 5), "2026-03-29", "03/04/2026") + strings.ReplaceAll(wlmdsRows(5, 5), "2026-03-29", "03/25/2026")),
			src: func(s *config.Source) { s.DateFormat = "mm/dd/yyyy" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if fmt.Sprint(snap[0]["census_date"])[:10] != "2026-03-04" || fmt.Sprint(snap[9]["census_date"])[:10] != "2026-03-25" {
					t.Errorf("dates %v %v", snap[0]["census_date"], snap[9]["census_date"])
				}
			}},
		{name: "duplicate header names are refused naming both", body: []byte("lsoa,ethnic_category,age,sex,pathway_id,waiting_list_type,weeks_waiting,census_date, Age\n"),
			want: `line 1: columns 3 and 9 are both named "Age"`},
		{name: "UTF-16", body: append([]byte{0xFF, 0xFE}, []byte("l\x00s\x00o\x00a\x00")...), want: "this file is UTF-16 text; save it as UTF-8 CSV"},
		{name: "CR-only line endings", body: []byte(strings.ReplaceAll(wlmdsHead+wlmdsRows(0, 100), "\n", "\r")), want: "this file has CR-only line endings"},
		{name: "XLSX renamed .csv", body: []byte("PK\x03\x04\x14\x00\x00\x00[Content_Types].xml..."), want: "this is an XLSX workbook saved under another name"},
		{name: "ZIP renamed .csv", body: []byte("PK\x03\x04\x14\x00\x00\x00data.csv"), want: "this is a ZIP archive"},
		{name: "password-protected XLSX", format: "xlsx", body: []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00EncryptedPackage"), want: "this workbook is password-protected"},
		{name: "semicolon delimiter", body: []byte(strings.ReplaceAll(wlmdsHead+wlmdsRows(0, 5), ",", ";")), src: func(s *config.Source) { s.Delimiter = ";" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if len(snap) != 5 || res.Rejected != 0 {
					t.Errorf("rows %d rejected %d", len(snap), res.Rejected)
				}
			}},
		{name: "tab delimiter", body: []byte(strings.ReplaceAll(wlmdsHead+wlmdsRows(0, 5), ",", "\t")), src: func(s *config.Source) { s.Delimiter = "\t" },
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if len(snap) != 5 {
					t.Errorf("rows %d", len(snap))
				}
			}},
		{name: "a field of several megabytes", body: []byte(wlmdsHead + wlmdsRows(0, 3) + "E01990001,A,40,1,\"" + strings.Repeat("x", 5<<20) + "\",IRTT,3,2026-03-29\n"),
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if len(snap) != 4 || len(snap[3]["pathway_id"].(string)) != 5<<20 {
					t.Errorf("rows %d", len(snap))
				}
			}},
		{name: "population rejects are checked against people", kind: "population",
			body: []byte("lsoa,age,sex,people\nE01990001,40,1,10\nE01990001,41,1,10\nE01990001,42,1,10\nE01990001,90+,1,900\n"),
			lim:  func(l *Limits) {}, want: "rejected rows of population.csv hold 900 of its 930 people"},
		{name: "a population beyond 64 bits is a reject", kind: "population",
			body:    []byte("lsoa,age,sex,people\nE01990001,40,1,10\nE01990001,41,1,10\nE01990001,42,1,10\nE01990001,43,1,100000000000000000000\n"),
			rejects: `5,people,"""100000000000000000000"" is beyond the largest whole number`},
		{name: "a count of 1e30 is a reject naming line and field", kind: "aggregate",
			body:    []byte("measure_code,breakdown,group,numerator,denominator\nM1,overall,All,5,10\nM1,sex,Male,1e30,10\nM1,sex,Female,\"4,5\",10\nM1,imd_quintile,1,1,10\n"),
			rejects: "3,numerator,\"\"\"1e30\"\" is beyond the largest number hiis reads (10^18)\",1e30\n4,numerator,\"\"\"4,5\"\" is not a number\"",
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if len(snap) != 2 || snap[0]["group"] != "All" {
					t.Errorf("rows %v", snap)
				}
			}},
		{name: "a mapped count gives record_count", body: []byte(strings.TrimSuffix(wlmdsHead, "\n") + ",n\n" + strings.ReplaceAll(wlmdsRows(0, 3), "\n", ",7\n") + "E01990001,A,40,1,PX1,IRTT,3,2026-03-29,0\n"),
			src: func(s *config.Source) { s.Columns = map[string]string{"count": "n"} }, rejects: `5,count,"""0"" is not a positive whole number of records"`,
			check: func(t *testing.T, res Result, snap []map[string]any) {
				if snap[0]["record_count"] != int64(7) {
					t.Errorf("record_count %v", snap[0]["record_count"])
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err, rej, snap := runMessy(t, tc)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
				}
				var ie *InputError
				var rse *RejectShareError
				if !errors.As(err, &ie) && !errors.As(err, &rse) {
					t.Errorf("error %T is not an input error (exit 1)", err)
				}
				if len(err.Error()) > 2000 {
					t.Errorf("error of %d bytes", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rej, tc.rejects) {
				t.Errorf("rejects:\n%s\nwant %q", rej, tc.rejects)
			}
			if tc.check != nil {
				tc.check(t, res, snap)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
