package indicator

import (
	"os"
	"path/filepath"
	"testing"

	"hiis/pipeline/diag"
)

// FuzzParse: no indicator definition, however malformed, makes Parse (or
// Load) panic, and every problem it reports names the file and a line.
// Seeds: the committed indicators and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "indicators", "*.yaml"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "id: [", "id: ER-1a\nage_bands: [\"90+\", \"0-4\", \"x\"]\n", "id: X-1\nmeasure_by_breakdown: {sex: dsr, foo: 1}\n",
		"id: X-1\nsql: ../../etc/passwd\n", "id: X-1\nsql: X-1.sql\n", "population: 3\n", "a: &x [*x, *x]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "X-1.yaml")
		var l diag.List
		Parse(file, data, &l)
		for _, d := range l {
			if d.Pos.File != file || d.Pos.Line < 1 {
				t.Fatalf("problem without a position: %q", d)
			}
		}
	})
}
