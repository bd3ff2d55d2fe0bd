package fixturegen

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hiis/pipeline/source"
)

// committedSeed is the seed of the committed fixtures.
const committedSeed = 2025

// regenerate is the command that rewrites the committed fixtures.
const regenerate = "go run ./pipeline/cmd/hiis-fixtures -out fixtures -seed 2025"

// projectRoot walks up from the test's folder to the one holding go.mod.
func projectRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test folder")
		}
		dir = parent
	}
}

// skipped are the fixture folders the generator does not own.
func skipped(rel string) bool {
	first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return first == "golden" || first == "testdata"
}

// listFiles returns the files under root (relative, slash-separated),
// leaving out the folders the generator does not own.
func listFiles(tb testing.TB, root string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel != "." && skipped(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// firstDifference describes where two files first differ.
func firstDifference(a, b []byte) string {
	line := 1
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return "line " + strconv.Itoa(line) + ", byte " + strconv.Itoa(i)
		}
		if a[i] == '\n' {
			line++
		}
	}
	return "length " + strconv.Itoa(len(a)) + " vs " + strconv.Itoa(len(b)) + " bytes"
}

// TestCommittedFixtures regenerates the fixtures and requires every file to
// be byte-identical to the committed one, so the committed fixtures cannot
// drift from the generator.
func TestCommittedFixtures(t *testing.T) {
	committed := filepath.Join(projectRoot(t), "fixtures")
	if _, err := os.Stat(committed); err != nil {
		t.Fatalf("committed fixtures missing (%v): run %s", err, regenerate)
	}
	fresh := t.TempDir()
	if err := Generate(fresh, committedSeed); err != nil {
		t.Fatal(err)
	}
	want := listFiles(t, fresh)
	got := listFiles(t, committed)
	for _, rel := range want {
		if !slices.Contains(got, rel) {
			t.Errorf("fixtures/%s is not committed: run %s", rel, regenerate)
			continue
		}
		a, err := os.ReadFile(filepath.Join(committed, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(fresh, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("fixtures/%s differs from the generator's output (first at %s): run %s", rel, firstDifference(a, b), regenerate)
		}
	}
	for _, rel := range got {
		if !slices.Contains(want, rel) {
			t.Errorf("fixtures/%s is not written by the generator: delete it or move it under fixtures/golden or fixtures/testdata", rel)
		}
	}
}

var (
	builtOnce  sync.Once
	builtFiles []file
	builtErr   error
)

// built returns the fixture files of the committed seed, built once per test
// binary.
func built(tb testing.TB) map[string][]byte {
	tb.Helper()
	builtOnce.Do(func() { builtFiles, builtErr = build(committedSeed) })
	if builtErr != nil {
		tb.Fatal(builtErr)
	}
	m := map[string][]byte{}
	for _, f := range builtFiles {
		m[f.path] = f.data
	}
	return m
}

func readCSV(tb testing.TB, data []byte) [][]string {
	tb.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// TestBuildDeterministic builds twice in one process and expects the same
// bytes, the XLSX workbook included.
func TestBuildDeterministic(t *testing.T) {
	first := built(t)
	again, err := build(committedSeed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again {
		if !bytes.Equal(first[f.path], f.data) {
			t.Errorf("%s differs between two builds", f.path)
		}
	}
	rows := []aggRow{{"M", "overall", "All", 1, 2}, {"M", "imd_quintile", "1", 3, 4}}
	a, err := aggregateXLSX("NDA", rows)
	if err != nil {
		t.Fatal(err)
	}
	b, err := aggregateXLSX("NDA", rows)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same workbook differ")
	}
}

// TestHeadersMatchKinds checks every CSV header against the kind's declared
// columns: hiis names in order, except apc, which has SUS-style names in the
// same order.
func TestHeadersMatchKinds(t *testing.T) {
	files := built(t)
	paths := slices.Sorted(maps.Keys(files))
	for _, path := range paths {
		data := files[path]
		if !strings.HasPrefix(path, "sources/") || !strings.HasSuffix(path, ".csv") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path, "sources/"), ".csv")
		kindName := name
		if _, ok := source.Kinds[name]; !ok {
			kindName = "aggregate"
		}
		kind, err := source.Lookup(kindName)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, c := range kind.Columns {
			if c.Name == "organisation" {
				continue // for multi-organisation runs; the fixture is one organisation's
			}
			want = append(want, c.Name)
		}
		got := readCSV(t, data)[0]
		if name == "apc" {
			if len(got) != len(want) || !slices.Equal(got, headers["apc"]) {
				t.Errorf("apc header %v: want %d SUS-style names for %v", got, len(want), want)
			}
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s header %v, want %v", path, got, want)
		}
	}
}

// TestIMDLookup checks the official format and the rank–decile rule.
func TestIMDLookup(t *testing.T) {
	data := built(t)["reference/imd_lookup.csv"]
	if !bytes.HasPrefix(data, []byte("\ufeffLSOA code (2011),")) {
		t.Error("no byte-order mark and official header")
	}
	if bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) || bytes.HasSuffix(data, []byte("\n")) {
		t.Error("want CRLF line ends and none after the last row")
	}
	rows := readCSV(t, data)[1:]
	if len(rows) < 250 {
		t.Fatalf("%d LSOAs, want about 300", len(rows))
	}
	ranks := map[int]bool{}
	deciles := map[int]int{}
	for _, r := range rows {
		if !strings.HasPrefix(r[0], "E0199") || !strings.HasPrefix(r[2], "E0799") {
			t.Errorf("%v: codes must be synthetic", r)
		}
		rank, err := strconv.Atoi(strings.ReplaceAll(r[4], ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := strconv.Atoi(r[5])
		if (rank*10+nationalLSOAs-1)/nationalLSOAs != dec || ranks[rank] {
			t.Errorf("%v: rank and decile inconsistent or rank repeated", r)
		}
		if (rank >= 1000) != strings.Contains(r[4], ",") {
			t.Errorf("%v: ranks of 1,000 and over need a thousands separator", r)
		}
		ranks[rank] = true
		deciles[dec]++
	}
	for d := 1; d <= 10; d++ {
		if deciles[d] == 0 {
			t.Errorf("no LSOA in decile %d", d)
		}
	}
}

// TestTruth checks that truth.json covers every record-level indicator and
// that the bad rows are where it says, and rare.
func TestTruth(t *testing.T) {
	files := built(t)
	var truth struct {
		Indicators []struct {
			ID     string  `json:"id"`
			Q1ToQ5 float64 `json:"q1_to_q5"`
		} `json:"indicators"`
		BadRows []badRow `json:"bad_rows"`
	}
	if err := json.Unmarshal(files["truth.json"], &truth); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range truth.Indicators {
		ids = append(ids, i.ID)
		if !(i.Q1ToQ5 > 0) {
			t.Errorf("%s: q1_to_q5 = %g", i.ID, i.Q1ToQ5)
		}
	}
	slices.Sort(ids)
	want := []string{"CA-1", "CVD-4", "CVD-5", "ER-1a", "ER-1b", "ER-1c", "ER-2a", "ER-2b", "ER-2c", "ER-2d", "ER-2e",
		"ER-3a", "ER-3b", "MH-1", "MH-2", "MH-3", "MH-5", "OH-1", "RESP-2", "UEC-1", "UEC-2", "UEC-3"}
	if !slices.Equal(ids, want) {
		t.Errorf("truth covers %v, want %v", ids, want)
	}
	if n := len(truth.BadRows); n < 3 || n > 6 {
		t.Errorf("%d bad rows, want 3 to 6", n)
	}
	perFile := map[string]int{}
	for _, b := range truth.BadRows {
		perFile[b.File]++
		rows := readCSV(t, files["sources/"+b.File])
		if b.Line-1 >= len(rows) {
			t.Fatalf("%s line %d beyond the file", b.File, b.Line)
		}
		if share := float64(perFile[b.File]) / float64(len(rows)-1); share > 0.001 {
			t.Errorf("%s: bad rows are %.2g of rows", b.File, share)
		}
		// Bad rows have ids AE9… or OP9…; ordinary ids start AE0… or OP0….
		if id := rows[b.Line-1][4]; len(id) < 3 || id[2] != '9' {
			t.Errorf("%s line %d is %v, not a bad row", b.File, b.Line, rows[b.Line-1])
		}
	}
}

// TestGenerateWritesOnlyItsFiles checks that Generate leaves other files
// (such as fixtures/golden) alone.
func TestGenerateWritesOnlyItsFiles(t *testing.T) {
	dir := t.TempDir()
	golden := filepath.Join(dir, "golden", "keep.txt")
	if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(golden, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Generate(dir, 7); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(golden); err != nil || string(b) != "mine" {
		t.Errorf("golden file changed: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "truth.json")); errors.Is(err, fs.ErrNotExist) {
		t.Error("truth.json not written")
	}
}
