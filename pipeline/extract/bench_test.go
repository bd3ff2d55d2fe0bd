package extract

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	src := &config.Source{Name: "apc", Kind: "apc", Format: "csv", Columns: map[string]string{
		"lsoa": "Der_Postcode_LSOA_2011_Code", "ethnic_category": "Ethnic_Group", "age": "Age_At_Start_of_Spell_SUS", "sex": "Sex",
		"spell_id": "APCS_Ident", "admission_date": "Admission_Date", "admission_method": "Admission_Method",
		"patient_classification": "Patient_Classification", "primary_diagnosis": "Der_Primary_Diagnosis_Code", "main_procedure": "Der_Primary_Procedure_Code",
	}}
	benchExtract(b, src, filepath.Join(root, "sources", "apc.csv"), imd)
}

// BenchmarkExtract1M extracts a generated one-million-row waiting list.
func BenchmarkExtract1M(b *testing.B) {
	dir := b.TempDir()
	input := filepath.Join(dir, "wlmds.csv")
	f, err := os.Create(input)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "lsoa,ethnic_category,age,sex,pathway_id,waiting_list_type,weeks_waiting,census_date")
	lsoas := []string{"E01990001", "E01990002", "E01990003", "", "W01000001"}
	eth := []string{"A", "B", "H", "M", "Z", "99", ""}
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(w, "%s,%s,%d,%d,P%07d,IRTT,%d,2026-03-29\n", lsoas[i%5], eth[i%7], i%100, 1+i%2, i, i%80)
	}
	w.Flush()
	f.Close()
	imd, err := refdata.ReadIMD(strings.NewReader(testIMD), "imd.csv", refdata.Columns{}, true)
	if err != nil {
		b.Fatal(err)
	}
	benchExtract(b, &config.Source{Name: "wlmds", Kind: "wlmds", Format: "csv"}, input, imd)
}
