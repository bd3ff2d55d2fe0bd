// Package manifest records what a run read and wrote: versions, the sha256
// of the config, every indicator and template file, every reference file,
// input and snapshot (with row and reject counts) and every output. It is
// written even when a run fails, saying where it stopped.
package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Manifest is manifest.json.
type Manifest struct {
	Tool       Tool        `json:"tool"`
	Status     string      `json:"status"` // "ok" or "failed"
	Failure    *Failure    `json:"failure,omitempty"`
	Run        Run         `json:"run"`
	Config     File        `json:"config"`
	Indicators []File      `json:"indicators"`
	Templates  []File      `json:"templates,omitempty"`
	Reference  []Reference `json:"reference"`
	Sources    []Source    `json:"sources"`
	Outputs    []File      `json:"outputs"`
	Bundle     []File      `json:"bundle"` // pinned config, definitions, reference files, snapshots
	Metrics    Counts      `json:"metrics"`
}

// Tool identifies the software that made the run.
type Tool struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Revision string `json:"revision"`
	Go       string `json:"go"`
	Platform string `json:"platform"` // GOOS/GOARCH: floating point may differ in the last bit between them
	DuckDB   string `json:"duckdb"`
}

// Failure says which stage failed and why.
type Failure struct {
	Stage string `json:"stage"`
	Error string `json:"error"`
}

// Run describes the run itself.
type Run struct {
	Organisation string   `json:"organisation"`
	Period       string   `json:"period"`
	PeriodStart  string   `json:"period_start"`
	PeriodEnd    string   `json:"period_end"`
	Indicators   []string `json:"indicators"` // ids switched on
	Disclosure   string   `json:"disclosure"`
	Seed         uint64   `json:"sii_seed"`
	Repetitions  int      `json:"sii_repetitions"`
}

// File is a file and its hash. Path is relative to the folder the manifest
// describes (the config's folder for inputs, the run folder for outputs).
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes,omitempty"`
	ID     string `json:"id,omitempty"`
}

// Reference is a reference file with what was read from it.
type Reference struct {
	Name    string `json:"name"`
	Edition string `json:"edition"`
	File
	Rows int `json:"rows"`
}

// Source is one extract and its snapshot.
type Source struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Input    File   `json:"input"`
	Snapshot File   `json:"snapshot"`
	Rejects  File   `json:"rejects"`
	Rows     int64  `json:"rows"`
	Rejected int64  `json:"rejected"`
	// Duplicates counts records whose record key repeats an earlier one
	// (rejected, or kept with duplicates: keep).
	Duplicates int64  `json:"duplicates"`
	Query      *Query `json:"query,omitempty"`  // a query source: what was asked of which server
	Layout     string `json:"layout,omitempty"` // a published layout reshaped into the kind's columns
}

// Query records a query source's evidence: the driver, the server's
// version, the query's sha256, the rows returned and the sha256 of the
// staged Parquet file. Never the connection string.
type Query struct {
	Driver        string `json:"driver"`
	ServerVersion string `json:"server_version"`
	QuerySHA256   string `json:"query_sha256"`
	Rows          int64  `json:"rows"`
	StagedSHA256  string `json:"staged_sha256"`
}

// Counts summarises the metrics table.
type Counts struct {
	Rows       int `json:"rows"`
	Suppressed int `json:"suppressed_cells"`
}

// Sort puts every list in a stable order.
func (m *Manifest) Sort() {
	sort.Slice(m.Indicators, func(i, j int) bool { return m.Indicators[i].Path < m.Indicators[j].Path })
	sort.Slice(m.Templates, func(i, j int) bool { return m.Templates[i].Path < m.Templates[j].Path })
	sort.Slice(m.Reference, func(i, j int) bool { return m.Reference[i].Name < m.Reference[j].Name })
	sort.Slice(m.Sources, func(i, j int) bool { return m.Sources[i].Name < m.Sources[j].Name })
	sort.Slice(m.Outputs, func(i, j int) bool { return m.Outputs[i].Path < m.Outputs[j].Path })
	sort.Slice(m.Bundle, func(i, j int) bool { return m.Bundle[i].Path < m.Bundle[j].Path })
}

// Marshal renders the manifest as indented JSON with a final newline.
func (m *Manifest) Marshal() ([]byte, error) {
	m.Sort()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes the manifest to dir/manifest.json.
func (m *Manifest) Write(dir string) error {
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, Name), b, 0o644)
}

// Read loads a manifest.json.
func Read(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// HashFile returns a file's sha256 and size; Path is left for the caller to
// set (relative to whatever folder the manifest describes).
func HashFile(p string) (File, error) {
	f, err := os.Open(p)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", p, err)
	}
	return File{SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

// Short abbreviates a sha256 for messages (the first 12 hex digits).
func Short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Name is the manifest's file name in a run folder.
const Name = "manifest.json"
