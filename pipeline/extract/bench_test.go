package extract

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hiis/pipeline/config"
	"hiis/pipeline/refdata"
)

// benchExtract extracts input b.N times into fresh folders and reports rows
// per second.
func benchExtract(b *testing.B, src *config.Source, input string, imd *refdata.IMD) {
	b.Helper()
	var rows int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), src, input, 1, Options{Dir: filepath.Join(b.TempDir(), "s"), IMD: imd, IMDHash: "bench", Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		rows = res.Rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkExtractFixtureAPC extracts the committed admitted patient care
// fixture (46,116 spells, NHS-style headers mapped by the config).
func BenchmarkExtractFixtureAPC(b *testing.B) {
	root := filepath.Join("..", "..", "fixtures")
	imd, err := refdata.LoadIMD(filepath.Join(root, "reference", "imd_lookup.csv"), refdata.Columns{}, true)
	if err != nil {
		b.Skip(err)
	}
	src := &config.Source{Name: "apc", Kind: "apc", Format: "csv", EthnicSubcodes: true, Columns: map[string]string{
		"lsoa": "Der_Postcode_LSOA_2011_Code", "ethnic_category": "Ethnic_Group", "age": "Age_At_Start_of_Spell_SUS", "sex": "Sex",
		"spell_id": "APCS_Ident", "admission_date": "Admission_Date", "admission_method": "Admission_Method",
		"patient_classification": "Patient_Classification", "primary_diagnosis": "Der_Primary_Diagnosis_Code", "main_procedure": "Der_Primary_Procedure_Code",
	}}
	benchExtract(b, src, filepath.Join(root, "sources", "apc.csv"), imd)
}

// benchRows is the size of the generated extract; HIIS_BENCH_ROWS overrides.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("HIIS_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 2_000_000
}

var (
	benchOnce  sync.Once
	benchDir   string
	benchInput string
	benchIMD   *refdata.IMD
)

// benchData writes one generated admitted-care extract (benchRows rows over
// 3,000 synthetic LSOAs) and its IMD lookup, shared by the benchmarks of
// one run so that their ratio compares like with like.
func benchData(b *testing.B) (string, *refdata.IMD, string) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hiis-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		var imd strings.Builder
		imd.WriteString("LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\n")
		for i := 0; i < 3000; i++ {
			fmt.Fprintf(&imd, "E0199%04d,n,E07990001,l,%d,%d\n", i, i+1, 1+i*10/3000)
		}
		imdPath := filepath.Join(dir, "imd.csv")
		if err := os.WriteFile(imdPath, []byte(imd.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		if benchIMD, err = refdata.LoadIMD(imdPath, refdata.Columns{}, true); err != nil {
			b.Fatal(err)
		}
		benchInput = filepath.Join(dir, "apc.csv")
		f, err := os.Create(benchInput)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintln(w, "lsoa,ethnic_category,age,sex,spell_id,admission_date,admission_method,patient_classification,primary_diagnosis,main_procedure")
		eth := []string{"A", "A", "A", "B", "C", "H", "J", "M", "N", "Z", "99", "", "R", "S", "D"}
		for i := 0; i < benchRows(); i++ {
			lsoa := fmt.Sprintf("E0199%04d", (i*7919)%3100) // about 3% not in the lookup
			fmt.Fprintf(w, "%s,%s,%d,%d,%09d,2025-%02d-%02d,%d,1,J45%d,\n", lsoa, eth[i%len(eth)], i%97, 1+i%2, i, 1+i%12, 1+i%28, []int{11, 21, 22}[i%3], i%10)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	})
	return benchInput, benchIMD, filepath.Join(benchDir, "imd.csv")
}

// BenchmarkIngest extracts the generated extract: scan, checks,
// normalisation and the snapshot. Compare with BenchmarkBareDuckDB in the
// same run: go test -run '^$' -bench 'Ingest|Bare' ./pipeline/extract
func BenchmarkIngest(b *testing.B) {
	input, imd, _ := benchData(b)
	benchExtract(b, &config.Source{Name: "apc", Kind: "apc", Format: "csv"}, input, imd)
}

// BenchmarkBareDuckDB is the yardstick: DuckDB reading the same CSV with
// declared columns, joining the IMD lookup and counting by quintile,
// ethnic category, age and sex.
func BenchmarkBareDuckDB(b *testing.B) {
	input, _, imdPath := benchData(b)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	q := fmt.Sprintf(`SELECT (i.decile + 1) // 2 AS q, left(a.ethnic_category, 1) AS e, a.age // 5 AS band, a.sex, count(*) AS n, count(*) FILTER (WHERE a.admission_method LIKE '2%%') AS emergency
		FROM read_csv(%s, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {'lsoa': 'VARCHAR', 'ethnic_category': 'VARCHAR', 'age': 'BIGINT', 'sex': 'VARCHAR', 'spell_id': 'VARCHAR', 'admission_date': 'DATE', 'admission_method': 'VARCHAR', 'patient_classification': 'VARCHAR', 'primary_diagnosis': 'VARCHAR', 'main_procedure': 'VARCHAR'}) a
		LEFT JOIN read_csv(%s, header = true, auto_detect = false, delim = ',', quote = '"', columns = {'lsoa': 'VARCHAR', 'name': 'VARCHAR', 'lad': 'VARCHAR', 'ladname': 'VARCHAR', 'rank': 'BIGINT', 'decile': 'BIGINT'}) i ON i.lsoa = a.lsoa
		GROUP BY ALL`, lit(input), lit(imdPath))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows, err := db.Query(q)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
	}
	b.ReportMetric(float64(benchRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkBareCopy is the floor of any ingest that writes a snapshot:
// DuckDB reading the same CSV with declared columns and writing it to
// Parquet as it is, with no checks or normalisation.
func BenchmarkBareCopy(b *testing.B) {
	input, _, _ := benchData(b)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	out := filepath.Join(b.TempDir(), "copy.parquet")
	q := fmt.Sprintf(`COPY (SELECT * FROM read_csv(%s, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {'lsoa': 'VARCHAR', 'ethnic_category': 'VARCHAR', 'age': 'BIGINT', 'sex': 'VARCHAR', 'spell_id': 'VARCHAR', 'admission_date': 'DATE', 'admission_method': 'VARCHAR', 'patient_classification': 'VARCHAR', 'primary_diagnosis': 'VARCHAR', 'main_procedure': 'VARCHAR'})) TO %s (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2)`, lit(input), lit(out))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
