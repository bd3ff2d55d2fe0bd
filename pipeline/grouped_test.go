package pipeline_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"hiis/pipeline"
)

// TestGroupedExtract: the fixture's admitted care sent as a warehouse would
// send it at national volume, grouped by every field the indicators read
// with a count column (dates cut to the windows the indicators use, codes
// to the characters they compare), gives the same metrics, row for row and
// byte for byte, as the record-level extract.
func TestGroupedExtract(t *testing.T) {
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	inds, err := pipeline.LoadIndicators(mustLoad(t, fixtureConfig))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ind := range inds {
		if ind.Source == "apc" {
			ids = append(ids, ind.ID)
		}
	}
	cfgPath := projectConfig(t, "fixture.yaml", func(s string) string {
		s = strings.Replace(s, abs+"/fixtures/sources/apc.csv", "apc_grouped.csv", 1)
		s = strings.Replace(s, "      spell_id: APCS_Ident\n", "      spell_id: APCS_Ident\n      count: n\n", 1)
		return strings.Replace(s, "  include_optional: true\n", "  include_optional: true\n  only: ["+strings.Join(ids, ", ")+"]\n", 1)
	})
	grouped := filepath.Join(filepath.Dir(cfgPath), "apc_grouped.csv")
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	// Dates become the first day of the window they fall in (the period,
	// the ER-3 baseline, or neither); diagnosis and procedure codes their
	// first three characters, as icd3() and opcs3() read them.
	q := fmt.Sprintf(`COPY (
  SELECT Der_Postcode_LSOA_2011_Code, Ethnic_Group, Age_At_Start_of_Spell_SUS, Sex,
    'G' || row_number() OVER (ORDER BY Der_Postcode_LSOA_2011_Code, Ethnic_Group, Age_At_Start_of_Spell_SUS, Sex, Admission_Date, Admission_Method, Patient_Classification, Der_Primary_Diagnosis_Code, Der_Primary_Procedure_Code) AS APCS_Ident, Admission_Date, Admission_Method, Patient_Classification,
    Der_Primary_Diagnosis_Code, Der_Primary_Procedure_Code, n
  FROM (
    SELECT Der_Postcode_LSOA_2011_Code, Ethnic_Group, Age_At_Start_of_Spell_SUS, Sex,
      CASE WHEN d BETWEEN DATE '2025-04-01' AND DATE '2026-03-31' THEN '2025-04-01'
           WHEN d BETWEEN DATE '2019-03-01' AND DATE '2020-02-29' THEN '2019-03-01'
           ELSE '2000-01-01' END AS Admission_Date,
      Admission_Method, Patient_Classification,
      left(upper(replace(trim(Der_Primary_Diagnosis_Code), '.', '')), 3) AS Der_Primary_Diagnosis_Code,
      left(upper(replace(trim(Der_Primary_Procedure_Code), '.', '')), 3) AS Der_Primary_Procedure_Code,
      count(*) AS n
    FROM (SELECT *, coalesce(try_cast(Admission_Date AS DATE), try_strptime(Admission_Date, '%%d/%%m/%%Y')::DATE) AS d
          FROM read_csv('%s', header = true, all_varchar = true))
    GROUP BY ALL)
) TO '%s' (HEADER, DELIMITER ',')`, filepath.ToSlash(filepath.Join(abs, "fixtures", "sources", "apc.csv")), filepath.ToSlash(grouped))
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
	var rows, records int64
	if err := db.QueryRow(fmt.Sprintf("SELECT count(*), sum(n) FROM read_csv('%s')", filepath.ToSlash(grouped))).Scan(&rows, &records); err != nil {
		t.Fatal(err)
	}
	if records != 46116 || rows >= records {
		t.Fatalf("grouped extract: %d rows for %d records", rows, records)
	}

	out := mustRun(t, cfgPath, t.TempDir())
	for _, name := range []string{"metrics.csv", "restricted/metrics_unsuppressed.csv"} {
		got := linesOf(t, filepath.Join(out, name), ids)
		want := linesOf(t, filepath.Join(root, "fixtures", "golden", filepath.Base(name)), ids)
		if len(want) < 10 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the grouped extract's %d rows of %s differ from the record-level run's %d:\n%s", name, len(got), strings.Join(ids, ", "), len(want), lineDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
		}
	}
	t.Logf("apc grouped: %d rows for %d records", rows, records)
}
