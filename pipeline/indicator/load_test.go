package indicator

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline/diag"
)

func readRepoIndicator(t *testing.T, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "indicators", id+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoadYML: a definition saved as *.yml is read like *.yaml (it used to
// be skipped in silence), and the same id in both is a duplicate.
func TestLoadYML(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ER-1a.yml"), []byte(readRepoIndicator(t, "ER-1a")), 0o644)
	inds, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(inds) != 1 || inds[0].ID != "ER-1a" {
		t.Fatalf("loaded %d indicators, want ER-1a from ER-1a.yml", len(inds))
	}
	os.WriteFile(filepath.Join(dir, "ER-1a.yaml"), []byte(readRepoIndicator(t, "ER-1a")), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `duplicate indicator id "ER-1a"`) {
		t.Errorf("ER-1a.yaml beside ER-1a.yml: %v, want a duplicate id", err)
	}
}

// TestLoadRefusesLinksOutside: an indicator's sql: file, or the definition
// itself, that is a symbolic link to a file outside the indicators folder
// and the data root is refused, and nothing of the file reaches a message.
func TestLoadRefusesLinksOutside(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "passwd")
	os.WriteFile(secret, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644)
	def := readRepoIndicator(t, "ER-1a") + "sql: ER-1a.sql\n"
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		roots func(dir string) []string
		want  string
	}{
		{"sql links outside", func(dir string) {
			os.WriteFile(filepath.Join(dir, "ER-1a.yaml"), []byte(def), 0o644)
			os.Symlink(secret, filepath.Join(dir, "ER-1a.sql"))
		}, nil, "ER-1a.yaml:29:6: error: sql file ER-1a.sql lies outside the indicators folder and the data root"},
		{"sql links to /etc/passwd", func(dir string) {
			os.WriteFile(filepath.Join(dir, "ER-1a.yaml"), []byte(def), 0o644)
			os.Symlink("/etc/passwd", filepath.Join(dir, "ER-1a.sql"))
		}, nil, "sql file ER-1a.sql lies outside"},
		{"definition links outside", func(dir string) {
			os.Symlink(secret, filepath.Join(dir, "ER-1a.yaml"))
		}, nil, "ER-1a.yaml:1:1: error: the definition is not a regular file inside the indicators folder"},
		{"definition is a folder", func(dir string) {
			os.Mkdir(filepath.Join(dir, "ER-1a.yaml"), 0o755)
		}, nil, "the definition is not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(dir)
			_, err := Load(dir)
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *diag.Error", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "root:") {
				t.Errorf("the linked file's contents reached the message: %v", err)
			}
		})
	}
	t.Run("sql inside the data root", func(t *testing.T) {
		dir, root := t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(dir, "ER-1a.yaml"), []byte(def), 0o644)
		os.WriteFile(filepath.Join(root, "shared.sql"), []byte("SELECT 1"), 0o644)
		os.Symlink(filepath.Join(root, "shared.sql"), filepath.Join(dir, "ER-1a.sql"))
		_, err := Load(dir, root)
		if err != nil && strings.Contains(err.Error(), "lies outside") {
			t.Errorf("a link into the data root was refused: %v", err)
		}
	})
}
