package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"hiis/pipeline/diag"
)

// FuzzParse: no run configuration, however malformed, makes Parse panic,
// and every error it returns is a *diag.Error whose every problem names the
// file and a line. Seeds: the committed configs and
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"fixture.yaml", "example.yaml"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "config", p)); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"", "{", "organisation: [", "sources:\n  a: {kind: apc, path: x.csv, columns: {lsoa: [1]}}\n",
		"period: {start: 2025-13-40}\n", "hiis: \">=\"\n", "a: &x [*x]\n", "? [a]\n: b\n", "\t- x\n",
		"organisations: {kind: icb, select: 7}\n", "!!binary aGk=\n", "x: !!float .nan\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("run.yaml", dir, data)
		if err == nil {
			return
		}
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Fatalf("error %T is not a *diag.Error: %v", err, err)
		}
		for _, d := range de.List {
			if d.Pos.File != "run.yaml" || d.Pos.Line < 1 {
				t.Fatalf("problem without a position: %q", d)
			}
		}
	})
}
