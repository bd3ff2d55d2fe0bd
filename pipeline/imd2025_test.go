package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline/metrics"
	"hiis/pipeline/refdata"
)

// TestIMD2025Fixture runs config/fixture-imd2025.yaml: IMD 2025 on LSOA 2021
// codes with ONS's 2011 → 2021 lookup, and a waiting list extract mixing
// both editions. Every record the IMD 2019 run placed in a quintile is
// placed in one here too (the Unknown group and the overall row are the
// golden's), records are matched each way, and without the lookup the
// changed 2011 areas fall to Unknown.
func TestIMD2025Fixture(t *testing.T) {
	cfgPath := filepath.Join(root, "config", "fixture-imd2025.yaml")
	out := mustRun(t, cfgPath, t.TempDir())
	unknown := func(path string) map[string]string {
		got := map[string]string{}
		for _, r := range readMetrics(t, path) {
			if strings.HasPrefix(r.IndicatorID, "ER-1") && (r.Group == "Unknown" && r.Breakdown == metrics.IMDQuintile || r.Breakdown == metrics.Overall) {
				got[r.IndicatorID+" "+r.Breakdown] = metrics.FormatNumber(r.Numerator) + "/" + metrics.FormatNumber(r.Denominator)
			}
		}
		return got
	}
	want := unknown(filepath.Join(root, "fixtures", "golden", "metrics_unsuppressed.csv"))
	got := unknown(filepath.Join(out, "restricted", "metrics_unsuppressed.csv"))
	if len(want) != 6 {
		t.Fatalf("golden has %d ER-1 overall and Unknown rows, want 6", len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s with IMD 2025 and the lookup, %s with IMD 2019", k, got[k], w)
		}
	}
	man, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(man), `"name": "lsoa_lookup"`) {
		t.Error("the manifest does not record the LSOA lookup")
	}
	mustVerify(t, out) // the bundle carries the LSOA lookup

	// How the extract's records matched.
	imd, err := refdata.LoadIMD(filepath.Join(root, "fixtures", "testdata", "imd2025", "imd2025_lookup.csv"),
		refdata.Columns{LSOA: "LSOA code (2021)", LAD: "Local Authority District code (2024)"}, true)
	if err != nil {
		t.Fatal(err)
	}
	lk, err := refdata.LoadLSOALookup(filepath.Join(root, "fixtures", "testdata", "imd2025", "lsoa11_lsoa21_lookup.csv"), refdata.LookupColumns{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imd.Combine(lk, "lookup"); err != nil {
		t.Fatal(err)
	}
	recs := readCSVFile(t, filepath.Join(root, "fixtures", "testdata", "imd2025", "wlmds_mixed.csv"))
	perCode := map[string]int64{}
	for _, r := range recs[1:] {
		perCode[r[0]]++
	}
	counts := refdata.CountMatches(imd, perCode)
	for _, l := range []string{refdata.MatchDirect, refdata.MatchLSOA2011, refdata.MatchLSOA2011Split, refdata.MatchNone} {
		if counts[l] == 0 {
			t.Errorf("no records matched %s: %v", l, counts)
		}
	}
	if total := counts[refdata.MatchDirect] + counts[refdata.MatchLSOA2011] + counts[refdata.MatchLSOA2011Split] + counts[refdata.MatchNone]; total != int64(len(recs)-1) {
		t.Errorf("counts %v add to %d, want %d records", counts, total, len(recs)-1)
	}

	// Without the lookup, the 2011 codes of changed areas are unknown.
	noLookup := projectConfig(t, "fixture-imd2025.yaml", func(s string) string {
		i, j := strings.Index(s, "  lsoa_lookup:"), strings.Index(s, "\nsources:")
		if i < 0 || j < i {
			t.Fatal("the test could not remove the lookup")
		}
		return s[:i] + s[j:]
	})
	out2 := mustRun(t, noLookup, t.TempDir())
	without := unknown(filepath.Join(out2, "restricted", "metrics_unsuppressed.csv"))
	if without["ER-1a imd_quintile"] == got["ER-1a imd_quintile"] {
		t.Errorf("without the lookup ER-1a's Unknown group is unchanged (%s)", without["ER-1a imd_quintile"])
	}
}
