package refdata

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// onsHeader is the header of ONS's LSOA single-year-of-age estimates
// (mid-2022 release, sheet "Mid-2022 LSOA 2021").
func onsHeader() []string {
	h := []string{"LAD 2021 Code", "LAD 2021 Name", "LSOA 2021 Code", "LSOA 2021 Name", "Total"}
	for _, s := range []string{"F", "M"} {
		for a := 0; a <= 90; a++ {
			h = append(h, s+strconv.Itoa(a))
		}
	}
	return h
}

// onsRow is an LSOA with n people at each age given, 0 elsewhere.
func onsRow(lsoa string, total string, cells map[string]string) string {
	h := onsHeader()
	row := []string{"E06000001", "Hartlepool", lsoa, "Hartlepool 001A", total}
	for _, c := range h[5:] {
		v := "0"
		if x, ok := cells[c]; ok {
			v = x
		}
		row = append(row, v)
	}
	return strings.Join(row, ",")
}

func reshape(t *testing.T, layout, data string) (Reshaped, string, error) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "staged", "population.csv")
	res, err := ReshapePopulation(layout, in, out)
	if err != nil {
		return res, "", err
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b), nil
}

func TestReshapeONSWide(t *testing.T) {
	head := "\ufeff" + strings.Join(onsHeader(), ",") + "\n"
	data := head + onsRow("E01011949", `"1,210"`, map[string]string{"F0": "10", "F90": "200", "M45": `"1,000"`}) + "\n" +
		onsRow("E01011950", "3", map[string]string{"M0": "3"}) + "\n"
	res, got, err := reshape(t, LayoutONSMidYearWide, data)
	if err != nil {
		t.Fatal(err)
	}
	want := "lsoa,age,sex,people\nE01011949,0,2,10\nE01011949,90,2,200\nE01011949,45,1,1000\nE01011950,0,1,3\n"
	if got != want || res.Rows != 4 || res.People != 1213 {
		t.Fatalf("reshaped %+v:\n%s\nwant:\n%s", res, got, want)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "in.csv: file is empty"},
		{"missing ages", "LSOA 2021 Code,Total,F0,F1\nE01011949,1,1,0\n", "line 1: missing F2, F3, F4, F5, F6, F7, and 174 more (layout ons_mid_year_wide"},
		{"no LSOA column", strings.Replace(head, "LSOA 2021 Code", "Area", 1), `missing an LSOA code column`},
		{"total differs", head + onsRow("E01011949", "11", map[string]string{"F0": "10"}) + "\n", `in.csv: line 2: LSOA E01011949: the ages add up to 10, but "Total" is 11`},
		{"not a count", head + onsRow("E01011949", "10", map[string]string{"F0": "1e1"}) + "\n", `in.csv: line 2: field "F0": "1e1" is not a count of people`},
		{"negative", head + onsRow("E01011949", "10", map[string]string{"F0": "-1"}) + "\n", `field "F0": "-1" is not a count`},
		{"twice", head + onsRow("E01011949", "0", nil) + "\n" + onsRow("E01011949", "0", nil) + "\n", "line 3: LSOA E01011949 appears twice (first at line 2)"},
		{"age 91", strings.Replace(head, "M90", "M91", 1), `column "M91": ONS's estimates stop at 90`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := reshape(t, LayoutONSMidYearWide, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestReshapeGPRegistered(t *testing.T) {
	// NHS England's "Patients Registered at a GP Practice", LSOA by sex.
	data := "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n" +
		"GP_PRAC_PAT_LIST,01APR2025,A81001,THE DENSHAM SURGERY,E01012072,FEMALE,12\n" +
		"GP_PRAC_PAT_LIST,01APR2025,A81001,THE DENSHAM SURGERY,E01012072,MALE,10\n" +
		"GP_PRAC_PAT_LIST,01APR2025,A81002,QUEENS PARK MEDICAL CENTRE,E01012072,FEMALE,5\n" +
		"GP_PRAC_PAT_LIST,01APR2025,A81002,QUEENS PARK MEDICAL CENTRE,E01011949,MALE,\"1,001\"\n" +
		"GP_PRAC_PAT_LIST,01APR2025,A81002,QUEENS PARK MEDICAL CENTRE,NO2011,MALE,4\n"
	res, got, err := reshape(t, LayoutGPRegisteredLSOA, data)
	if err != nil {
		t.Fatal(err)
	}
	want := "lsoa,age,sex,people\nE01011949,,1,1001\nE01012072,,1,10\nE01012072,,2,17\nNO2011,,1,4\n"
	if got != want || res.People != 1032 {
		t.Fatalf("reshaped %+v:\n%s\nwant:\n%s", res, got, want)
	}
	head := "PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n"
	for _, tc := range []struct{ name, data, want string }{
		{"all persons", head + "A81001,E01012072,ALL,22\n", `line 2: field "SEX" is ALL: this is the all-persons file`},
		{"bad sex", head + "A81001,E01012072,X,22\n", `field "SEX": "X" is not MALE or FEMALE`},
		{"missing column", "PRACTICE_CODE,LSOA_CODE,SEX\n", `missing column "NUMBER_OF_PATIENTS"`},
		{"bad count", head + "A81001,E01012072,MALE,4.5\n", `line 2: field "NUMBER_OF_PATIENTS": "4.5" is not a count of people`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := reshape(t, LayoutGPRegisteredLSOA, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
