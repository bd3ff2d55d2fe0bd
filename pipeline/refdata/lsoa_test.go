package refdata

import (
	"strconv"
	"strings"
	"testing"
)

const lookupCSV = "\ufeffLSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD\n" +
	"E01000001,a,E01000001,a,U,E09\n" +
	"E01000002,b,E01000101,b1,S,E09\n" + // split: first listed is the best fit
	"E01000002,b,E01000102,b2,S,E09\n" +
	"E01000003,c,E01000103,c,M,E09\n" + // merged
	"E01000004,d,E01000103,c,M,E09\n"

func imdOn(t *testing.T, codes ...string) *IMD {
	t.Helper()
	var b strings.Builder
	b.WriteString("lsoa,lad,rank,decile\n")
	for i, c := range codes {
		b.WriteString(c + ",E09," + itoa(1000*(i+1)) + "," + itoa(i+1) + "\n")
	}
	imd, err := ReadIMD(strings.NewReader(b.String()), "imd.csv", Columns{LSOA: "lsoa", LAD: "lad", Rank: "rank", Decile: "decile"}, true)
	if err != nil {
		t.Fatal(err)
	}
	return imd
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestCombine matches both editions to an IMD on 2021 codes (IMD 2025) and
// to one on 2011 codes (IMD 2019), with the label of each match.
func TestCombine(t *testing.T) {
	lk, err := ReadLSOALookup(strings.NewReader(lookupCSV), "lookup.csv", LookupColumns{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("IMD on 2021 codes", func(t *testing.T) {
		imd := imdOn(t, "E01000001", "E01000101", "E01000102", "E01000103")
		added, err := imd.Combine(lk, "lookup.csv")
		if err != nil || added != 3 {
			t.Fatalf("added %d, %v", added, err)
		}
		for _, tc := range []struct {
			code, match string
			decile      int
		}{
			{"E01000001", MatchDirect, 1}, {"E01000101", MatchDirect, 2}, {"E01000002", MatchLSOA2011Split, 2},
			{"E01000003", MatchLSOA2011, 4}, {"E01000004", MatchLSOA2011, 4}, {"E01000999", MatchNone, 0}, {"", MatchNone, 0},
		} {
			if m := imd.MatchOf(tc.code); m != tc.match || imd.Areas[tc.code].Decile != tc.decile {
				t.Errorf("%s: %s decile %d, want %s decile %d", tc.code, m, imd.Areas[tc.code].Decile, tc.match, tc.decile)
			}
		}
		c := CountMatches(imd, map[string]int64{"E01000001": 5, "E01000002": 2, "E01000003": 1, "e01000004 ": 1, "": 3, "W01000001": 1})
		want := [][2]string{{MatchDirect, "5"}, {MatchLSOA2011, "2"}, {MatchLSOA2011Split, "2"}, {MatchNone, "4"}}
		if got := c.Rows(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
			t.Errorf("counts %v, want %v", got, want)
		}
	})
	t.Run("IMD on 2011 codes", func(t *testing.T) {
		imd := imdOn(t, "E01000001", "E01000002", "E01000003", "E01000004")
		if _, err := imd.Combine(lk, "lookup.csv"); err != nil {
			t.Fatal(err)
		}
		for code, want := range map[string]string{"E01000101": MatchLSOA2021, "E01000102": MatchLSOA2021, "E01000103": MatchLSOA2021Merged} {
			if m := imd.MatchOf(code); m != want {
				t.Errorf("%s: %s, want %s", code, m, want)
			}
		}
		if d := imd.Areas["E01000103"].Decile; d != 3 {
			t.Errorf("merged E01000103 has decile %d, want 3 (its first listed 2011 area, E01000003)", d)
		}
	})
	t.Run("no shared code", func(t *testing.T) {
		imd := imdOn(t, "E01999999")
		if _, err := imd.Combine(lk, "lookup.csv"); err == nil || !strings.Contains(err.Error(), "lookup.csv: no LSOA in the lookup is in the IMD file") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestReadLSOALookupErrors(t *testing.T) {
	head := "LSOA11CD,LSOA21CD,CHGIND\n"
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "l.csv: file is empty"},
		{"missing column", "LSOA11CD,LSOA21CD\n", `l.csv: line 1: missing column "CHGIND" (ONS's LSOA11CD`},
		{"bad change", head + "E01000001,E01000001,Q\n", `l.csv: line 2: field "CHGIND": "Q" is not a change indicator`},
		{"blank code", head + "E01000001,,U\n", `l.csv: line 2: field "LSOA21CD" is blank`},
		{"twice", head + "E01000001,E01000001,U\nE01000001,E01000001,U\n", "l.csv: line 3: E01000001 → E01000001 is listed twice (first at line 2)"},
		{"no rows", head, "l.csv: no rows after the header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLSOALookup(strings.NewReader(tc.data), "l.csv", LookupColumns{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("mapped columns", func(t *testing.T) {
		lk, err := ReadLSOALookup(strings.NewReader("lsoa11,lsoa21,chg\nE01000001,E01000001,u\n"), "l.csv", LookupColumns{LSOA11: "lsoa11", LSOA21: "lsoa21", Change: "chg"})
		if err != nil || len(lk.Pairs) != 1 || lk.Pairs[0].Change != "U" {
			t.Fatalf("%+v, %v", lk, err)
		}
	})
}
