package refdata

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// referenceDir returns ../shared/reference beside the project, or skips.
func referenceDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "reference", "imd2019")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference data not found at %s (it sits beside the project as ../shared/reference): %v", dir, err)
	}
	return dir
}

func TestRealIMD2019(t *testing.T) {
	dir := referenceDir(t)
	imd, err := LoadIMD(filepath.Join(dir, "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"), Columns{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(imd.Areas); got != 32844 {
		t.Fatalf("loaded %d LSOAs, want 32,844", got)
	}
	a := imd.Areas["E01000001"]
	if a.Rank != 29199 || a.Decile != 9 || a.Quintile() != 5 || a.LAD != "E09000001" {
		t.Errorf("E01000001 = %+v, want rank 29,199, decile 9, quintile 5 in E09000001", a)
	}
	pop, err := LoadPopulation(filepath.Join(dir, "File_6_-_IoD2019_Population_Denominators.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	// Core20 share of Cambridgeshire and Peterborough (INDICATORS.md).
	lads := map[string]bool{"E07000008": true, "E07000009": true, "E07000010": true, "E07000011": true, "E07000012": true, "E06000031": true}
	var total, core20 int64
	for code, area := range imd.Areas {
		if !lads[area.LAD] {
			continue
		}
		total += pop[code]
		if area.Quintile() == 1 {
			core20 += pop[code]
		}
	}
	if total != 832835 || core20 != 107073 {
		t.Errorf("Cambridgeshire and Peterborough: %d of %d people in quintile 1, want 107,073 of 832,835", core20, total)
	}
	if share := math.Round(float64(core20)/float64(total)*1000) / 10; share != 12.9 {
		t.Errorf("Core20 share %.1f%%, want 12.9%%", share)
	}
}

func TestReadIMDErrors(t *testing.T) {
	head := "\ufeff" + strings.Join([]string{ColLSOA, ColLSOAName, ColLAD, ColLADName, ColRank, ColDecile}, ",") + "\n"
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "f.csv: file is empty"},
		{"missing column", "LSOA code (2011),Index of Multiple Deprivation (IMD) Decile\nE01,1\n", `f.csv: line 1: missing column "Local Authority District code (2019)"`},
		{"bad rank", head + `E01000001,A,E09,B,"29,1x9",9` + "\n", `f.csv: line 2: field "Index of Multiple Deprivation (IMD) Rank": "29,1x9" is not a rank`},
		{"bad decile", head + `E01000001,A,E09,B,"29,199",11` + "\n", `line 2: field "Index of Multiple Deprivation (IMD) Decile": "11" is not a decile`},
		{"duplicate", head + `E01000001,A,E09,B,1,1` + "\n" + `E01000001,A,E09,B,2,1` + "\n", "line 3: LSOA E01000001 appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadIMD(strings.NewReader(tc.data), "f.csv", Columns{}, true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("flipped", func(t *testing.T) {
		imd, err := ReadIMD(strings.NewReader(head+`E01000001,A,E09,B,"1,000",2`+"\n"), "f.csv", Columns{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if a := imd.Areas["E01000001"]; a.Decile != 9 || a.Rank != 1000 {
			t.Fatalf("got %+v, want decile 9 after flipping", a)
		}
	})
}

// TestIMD2025Columns reads a lookup keyed on 2021 LSOAs with mapped headers.
func TestIMD2025Columns(t *testing.T) {
	data := "LSOA code (2021),Local Authority District code (2024),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\n" +
		"E01000001,E09000001,\"29,199\",9\n"
	cols := Columns{LSOA: "LSOA code (2021)", LAD: "Local Authority District code (2024)"}
	imd, err := ReadIMD(strings.NewReader(data), "imd2025.csv", cols, true)
	if err != nil {
		t.Fatal(err)
	}
	if a := imd.Areas["E01000001"]; a.Decile != 9 || a.LAD != "E09000001" {
		t.Fatalf("got %+v", a)
	}
	if _, err := ReadIMD(strings.NewReader(data), "imd2025.csv", Columns{}, true); err == nil || !strings.Contains(err.Error(), "reference.imd.columns") {
		t.Fatalf("without the mapping: %v", err)
	}
}

// TestDirectionChecked: the deciles are checked against the ranks (rank 1 is
// the most deprived area), so decile_1 set the wrong way is refused.
func TestDirectionChecked(t *testing.T) {
	head := strings.Join([]string{ColLSOA, ColLAD, ColRank, ColDecile}, ",") + "\n"
	official := head + "E01000001,E09,\"1,000\",1\nE01000002,E09,\"15,000\",5\nE01000003,E09,\"30,000\",10\n"
	reversed := head + "E01000001,E09,\"1,000\",10\nE01000002,E09,\"15,000\",6\nE01000003,E09,\"30,000\",1\n"
	tangled := head + "E01000001,E09,\"1,000\",1\nE01000002,E09,\"15,000\",9\nE01000003,E09,\"30,000\",8\n"
	for _, tc := range []struct {
		name, data   string
		mostDeprived bool
		want         string // "" for no error
		q1           string // the LSOA in quintile 1 when read
	}{
		{"official file, most_deprived", official, true, "", "E01000001"},
		{"reversed file, least_deprived", reversed, false, "", "E01000001"},
		{"official file, least_deprived by mistake", official, false, "imd.csv: deciles contradict reference.imd.decile_1: least_deprived: LSOA E01000001 (line 2) has the lowest rank, 1000", ""},
		{"reversed file, most_deprived by mistake", reversed, true, "set decile_1: least_deprived", ""},
		{"deciles not following ranks", tangled, true, "imd.csv: line 4: LSOA E01000003 has rank 30000 and decile 8, but LSOA E01000002 (line 3) has the lower rank 15000 and decile 9", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imd, err := ReadIMD(strings.NewReader(tc.data), "imd.csv", Columns{}, tc.mostDeprived)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want it to contain %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q := imd.Areas[tc.q1].Quintile(); q != 1 {
				t.Errorf("%s is in quintile %d, want 1", tc.q1, q)
			}
		})
	}
}

// TestFixtureIMDDirection: the committed synthetic lookups pass the check.
func TestFixtureIMDDirection(t *testing.T) {
	for _, p := range []string{"../../fixtures/reference/imd_lookup.csv", "../testdata/custom/imd.csv"} {
		if _, err := LoadIMD(p, Columns{}, true); err != nil {
			t.Error(err)
		}
	}
}
