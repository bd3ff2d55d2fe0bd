package indicator

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCatalogueReadmeFresh fails when indicators/README.md no longer matches
// the YAML definitions.
func TestCatalogueReadmeFresh(t *testing.T) {
	dir := filepath.Join("..", "..", "indicators")
	all, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Markdown(all)
	got, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("indicators/README.md is stale (%v); regenerate it with:\n  go run ./pipeline/cmd/hiis indicators --markdown > indicators/README.md", err)
	}
}
