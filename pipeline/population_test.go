package pipeline_test

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"hiis/pipeline/audit"
	"hiis/pipeline/metrics"
)

// TestPopulationONSWide turns the fixture population into ONS's published
// wide form (one row per LSOA, F0 … F90 and M0 … M90, Total), declares it
// with layout: ons_mid_year_wide, and checks that ER-2a's rates overall and
// by deprivation, age and sex are the long-form run's (the golden files).
// The wide form has no ethnicity, so rates by ethnic group are left out.
func TestPopulationONSWide(t *testing.T) {
	recs := readCSVFile(t, filepath.Join(root, "fixtures", "sources", "population.csv"))
	var cols []string
	for _, s := range []string{"F", "M"} {
		for a := 0; a <= 90; a++ {
			cols = append(cols, s+strconv.Itoa(a))
		}
	}
	pos := map[string]int{}
	for i, c := range cols {
		pos[c] = i
	}
	wide := map[string][]int64{}
	for _, r := range recs[1:] { // lsoa, ethnic_category, age, sex, people
		age, err := strconv.Atoi(r[2])
		if err != nil {
			t.Fatalf("population.csv: age %q", r[2])
		}
		s := map[string]string{"1": "M", "2": "F"}[r[3]]
		if s == "" {
			t.Fatalf("population.csv: sex %q", r[3])
		}
		n, _ := strconv.ParseInt(r[4], 10, 64)
		if wide[r[0]] == nil {
			wide[r[0]] = make([]int64, len(cols))
		}
		wide[r[0]][pos[s+strconv.Itoa(min(age, 90))]] += n
	}
	var b strings.Builder
	b.WriteString("\ufeffLAD 2021 Code,LAD 2021 Name,LSOA 2021 Code,LSOA 2021 Name,Total," + strings.Join(cols, ",") + "\r\n")
	lsoas := make([]string, 0, len(wide))
	for l := range wide {
		lsoas = append(lsoas, l)
	}
	sort.Strings(lsoas)
	for _, l := range lsoas {
		var total int64
		cells := make([]string, len(cols))
		for i, n := range wide[l] {
			total += n
			cells[i] = strconv.FormatInt(n, 10)
		}
		b.WriteString("E07990001,Nenebridge," + l + "," + l + "," + strconv.FormatInt(total, 10) + "," + strings.Join(cells, ",") + "\r\n")
	}
	cfgPath := projectConfig(t, "fixture.yaml", func(s string) string {
		abs, _ := filepath.Abs(root)
		s = strings.Replace(s, "    path: "+abs+"/fixtures/sources/population.csv\n", "    layout: ons_mid_year_wide\n    path: population_ons.csv\n", 1)
		return strings.Replace(s, "  include_optional: true\n", "  include_optional: true\n  only: [ER-2a]\n", 1)
	})
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "population_ons.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, cfgPath, t.TempDir())
	rows := func(path string) []string {
		var got []string
		for _, r := range readMetrics(t, path) {
			if r.IndicatorID == "ER-2a" && r.Breakdown != metrics.Ethnic && !strings.HasPrefix(r.Breakdown, "ethnic") {
				got = append(got, strings.Join([]string{r.Breakdown, r.Group, metrics.FormatNumber(r.Numerator), metrics.FormatNumber(r.Denominator),
					metrics.FormatNumber(r.Value), metrics.FormatNumber(r.Lower95), metrics.FormatNumber(r.Upper95)}, ","))
			}
		}
		return got
	}
	want := rows(filepath.Join(root, "fixtures", "golden", "metrics_unsuppressed.csv"))
	got := rows(filepath.Join(out, "restricted", "metrics_unsuppressed.csv"))
	if len(want) < 15 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ER-2a from the ONS wide population differs from the long form's:\n%s", lineDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
	}
	man, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(man), `"layout": "ons_mid_year_wide"`) || !strings.Contains(string(man), "population_ons.csv") {
		t.Error("the manifest does not record the published population file and its layout")
	}
	mustVerify(t, out)
}

// TestPopulationGPRegistered loads the fixture population as NHS England's
// GP-registration LSOA file by sex (no age): the run completes, the
// numerators are the long-form run's, and the age–sex standardised rate,
// which needs ages, is not given.
func TestPopulationGPRegistered(t *testing.T) {
	recs := readCSVFile(t, filepath.Join(root, "fixtures", "sources", "population.csv"))
	var b strings.Builder
	b.WriteString("PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n")
	for i, r := range recs[1:] { // one row per fixture cell, spread over two practices
		sex := map[string]string{"1": "MALE", "2": "FEMALE"}[r[3]]
		practice := []string{"A81001,THE DENSHAM SURGERY", "A81002,QUEENS PARK MEDICAL CENTRE"}[i%2]
		b.WriteString("GP_PRAC_PAT_LIST,01APR2025," + practice + "," + r[0] + "," + sex + "," + r[4] + "\n")
	}
	cfgPath := projectConfig(t, "fixture.yaml", func(s string) string {
		abs, _ := filepath.Abs(root)
		s = strings.Replace(s, "    path: "+abs+"/fixtures/sources/population.csv\n", "    layout: gp_registered_lsoa\n    path: gp-reg-pat-prac-lsoa.csv\n", 1)
		return strings.Replace(s, "  include_optional: true\n", "  include_optional: true\n  only: [ER-2a]\n", 1)
	})
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "gp-reg-pat-prac-lsoa.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, cfgPath, t.TempDir())
	overall := func(path string) metrics.Row {
		for _, r := range readMetrics(t, path) {
			if r.IndicatorID == "ER-2a" && r.Breakdown == metrics.Overall {
				return r
			}
		}
		t.Fatalf("%s: no ER-2a overall row", path)
		return metrics.Row{}
	}
	want := overall(filepath.Join(root, "fixtures", "golden", "metrics_unsuppressed.csv"))
	got := overall(filepath.Join(out, "restricted", "metrics_unsuppressed.csv"))
	if got.Numerator != want.Numerator {
		t.Errorf("ER-2a numerator %v, want the long-form run's %v", got.Numerator, want.Numerator)
	}
	if !math.IsNaN(got.Value) || !strings.Contains(got.Note, "no population by age and sex") {
		t.Errorf("ER-2a has the standardised rate %v (note %q) without ages in the population", got.Value, got.Note)
	}
}

// readCSVFile reads a whole CSV file, header included.
func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// mustVerify runs hiis verify on a run folder and fails the test with its
// report when anything differs.
func mustVerify(t *testing.T, out string) {
	t.Helper()
	rep, err := audit.Verify(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		var b strings.Builder
		rep.Print(&b)
		t.Errorf("verify %s:\n%s", out, b.String())
	}
}
