package fixturegen

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"hiis/pipeline/config"
)

// TestGenerateScaledDeterministic writes the same scaled tree with one and
// with three workers and requires identical files.
func TestGenerateScaledDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	sa, err := GenerateScaled(a, 7, ScaleOptions{Scale: 2, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := GenerateScaled(b, 7, ScaleOptions{Scale: 2, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sa.RecordRows != sb.RecordRows || sa.People != sb.People {
		t.Errorf("stats differ: %+v vs %+v", sa, sb)
	}
	files := listFiles(t, a)
	if len(files) < 20 {
		t.Fatalf("only %d files written: %v", len(files), files)
	}
	for _, rel := range files {
		x, err := os.ReadFile(filepath.Join(a, rel))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			t.Fatalf("%s written with 1 worker, not with 3: %v", rel, err)
		}
		if rel == "README.md" {
			continue // it states the time taken
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between 1 and 3 workers (first at %s)", rel, firstDifference(x, y))
		}
	}
}

// TestGenerateScaledShape checks that scale N has about N times the
// fixture's people and rows, unique record ids, the fixture's headers, a
// population that sums to the people, and a config that loads.
func TestGenerateScaledShape(t *testing.T) {
	dir := t.TempDir()
	const n = 3
	st, err := GenerateScaled(dir, committedSeed, ScaleOptions{Scale: n})
	if err != nil {
		t.Fatal(err)
	}
	base := built(t)
	var baseRows int64
	for _, s := range scaleSources {
		baseRows += int64(len(readCSV(t, base["sources/"+s.name+".csv"])) - 1)
	}
	basePeople := 0
	for _, rec := range readCSV(t, base["sources/population.csv"])[1:] {
		k, _ := strconv.Atoi(rec[4])
		basePeople += k
	}
	ratio := float64(st.RecordRows) / float64(baseRows)
	if ratio < n*0.95 || ratio > n*1.05 {
		t.Errorf("record-level rows %d are %.2f× the fixture's %d, want about %d×", st.RecordRows, ratio, baseRows, n)
	}
	if r := float64(st.People) / float64(basePeople); r < n*0.97 || r > n*1.03 {
		t.Errorf("people %d are %.2f× the fixture's %d", st.People, r, basePeople)
	}
	for _, s := range scaleSources {
		data, err := os.ReadFile(filepath.Join(dir, "sources", s.name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		recs := readCSV(t, data)
		if got, want := strings.Join(recs[0], ","), strings.Join(headers[s.name], ","); got != want {
			t.Errorf("%s header %s, want %s", s.name, got, want)
		}
		if int64(len(recs)-1) != st.Rows[s.name] {
			t.Errorf("%s has %d rows, stats say %d", s.name, len(recs)-1, st.Rows[s.name])
		}
		if s.idCol < 0 {
			continue
		}
		col := 4 + s.idCol
		for i := 2; i < len(recs); i++ {
			if recs[i][col] <= recs[i-1][col] {
				t.Fatalf("%s line %d: id %s does not follow %s (ids must be unique and increasing)", s.name, i+1, recs[i][col], recs[i-1][col])
			}
		}
	}
	pop, err := os.ReadFile(filepath.Join(dir, "sources", "population.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var people int64
	for _, rec := range readCSV(t, pop)[1:] {
		k, _ := strconv.Atoi(rec[4])
		people += int64(k)
	}
	if people != st.People {
		t.Errorf("population.csv counts %d people, stats say %d", people, st.People)
	}
	// The config must load (paths inside the tree); indicators/ and
	// templates/ are copied by the command, so only their absence may be
	// reported.
	if err := os.MkdirAll(filepath.Join(dir, "indicators"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "config", "fixture.yaml"))
	if err != nil {
		t.Fatalf("scaled config does not load: %v", err)
	}
	for name, s := range cfg.Sources {
		p, err := cfg.Resolve(s.Path)
		if err != nil {
			t.Errorf("source %s: %v", name, err)
			continue
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("source %s: %v", name, err)
		}
	}
}

// TestNationalGeography checks the national areas: 32,844 LSOAs with every
// rank once and the official decile, 42 organisations covering them all.
func TestNationalGeography(t *testing.T) {
	areas, orgOf, err := buildNational(committedSeed)
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]bool, nationalLSOAs+1)
	in := 0
	for _, a := range areas {
		if !a.inLookup {
			continue
		}
		in++
		if a.rank < 1 || a.rank > nationalLSOAs || seen[a.rank] {
			t.Fatalf("%s: rank %d repeated or out of range", a.code, a.rank)
		}
		seen[a.rank] = true
		if a.decile != decileOf(a.rank) || a.quintile != (a.decile+1)/2 {
			t.Errorf("%s: rank %d decile %d quintile %d", a.code, a.rank, a.decile, a.quintile)
		}
	}
	if in != nationalLSOAs || areas[0].code != "E01000001" || areas[in-1].code != "E01032844" {
		t.Errorf("%d LSOAs from %s to %s", in, areas[0].code, areas[in-1].code)
	}
	perOrg := map[string]int{}
	for _, o := range orgOf {
		perOrg[o.short]++
	}
	if len(perOrg) != nationalOrgs {
		t.Errorf("%d organisations, want %d", len(perOrg), nationalOrgs)
	}
	lookup := readCSV(t, orgLookup(areas, orgOf))
	if got := strings.Join(lookup[0], ","); got != "LSOA11CD,LSOA11NM,ICB22CD,ICB22CDH,ICB22NM" || len(lookup) != nationalLSOAs+1 {
		t.Errorf("lookup header %s, %d rows", got, len(lookup)-1)
	}
	// Deprivation clusters by district: districts differ in mean decile.
	sum, cnt := map[string]float64{}, map[string]float64{}
	for _, a := range areas[:in] {
		sum[a.district.code] += float64(a.decile)
		cnt[a.district.code]++
	}
	lo, hi := 10.0, 0.0
	for d := range sum {
		m := sum[d] / cnt[d]
		lo, hi = min(lo, m), max(hi, m)
	}
	if hi-lo < 3 {
		t.Errorf("district mean deciles span only %.1f–%.1f", lo, hi)
	}
}
