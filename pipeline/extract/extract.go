// Package extract streams a source extract (CSV, Parquet or XLSX), checks
// every row against its kind's declared columns, derives the normalised
// equality columns (IMD decile and quintile, ethnic group, age bands, sex)
// and writes a content-addressed Parquet snapshot. Rows that fail a check go
// to a rejects file with line, field and reason; nothing is dropped silently.
package extract

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/config"
	"hiis/pipeline/manifest"
	"hiis/pipeline/refdata"
	"hiis/pipeline/source"
)

// FormatVersion changes whenever the snapshot layout or normalisation
// changes, so old snapshots are not reused by mistake.
const FormatVersion = "hiis-snapshot-2"

// progressEvery is how many rows pass between cancellation checks and
// progress reports.
const progressEvery = 8192

// Result says what extract did with one source.
type Result struct {
	Source         string `json:"source"`
	Kind           string `json:"kind"`
	Input          string `json:"-"`
	InputSHA256    string `json:"input_sha256"`
	Key            string `json:"key"` // sha256 of input, spec and lookup: names the snapshot
	Snapshot       string `json:"-"`   // path of the Parquet snapshot
	SnapshotSHA256 string `json:"snapshot_sha256"`
	Rejects        string `json:"-"` // path of the rejects CSV
	RejectsSHA256  string `json:"rejects_sha256"`
	Rows           int64  `json:"rows"`     // data rows read
	Rejected       int64  `json:"rejected"` // rows written to the rejects file
	Reused         bool   `json:"-"`        // the snapshot existed and was not rebuilt
}

// Options controls one extract.
type Options struct {
	Dir     string       // snapshot folder (work/snapshots)
	IMD     *refdata.IMD // LSOA lookup
	IMDHash string       // identifies the lookup and how it is read: part of the snapshot key
	// InputSHA256 is the input's sha256 when the caller has just computed
	// it (checking a pin), so a large extract is not hashed twice.
	InputSHA256 string
	Version     string // hiis version, recorded in the Parquet footer
	Force       bool   // rebuild even when the snapshot exists
	Progress    func(rows int64)
}

// Plan computes a source's snapshot key without reading its rows: the input
// hash, the source spec and the lookup hash. It returns the key and whether a
// complete snapshot with that key exists. known is the input's sha256 when
// the caller already has it (from a pin check), "" to hash it here.
func Plan(src *config.Source, input, known, imdHash, dir string) (key, inputHash string, exists bool, err error) {
	inputHash = known
	if inputHash == "" {
		if inputHash, err = hashFile(input); err != nil {
			return "", "", false, err
		}
	}
	key = snapshotKey(src, inputHash, imdHash)
	_, statErr := os.Stat(paths(dir, src.Name, key).meta)
	return key, inputHash, statErr == nil, nil
}

type snapshotPaths struct{ parquet, rejects, meta string }

func paths(dir, name, key string) snapshotPaths {
	base := filepath.Join(dir, name+"-"+key)
	return snapshotPaths{parquet: base + ".parquet", rejects: base + ".rejects.csv", meta: base + ".json"}
}

func snapshotKey(src *config.Source, inputHash, imdHash string) string {
	cols := make([]string, 0, len(src.Columns))
	for k, v := range src.Columns {
		cols = append(cols, k+"="+v)
	}
	sort.Strings(cols)
	spec := strings.Join([]string{FormatVersion, src.Kind, src.Format, src.Sheet, strings.Join(cols, "\x1f"), inputHash, imdHash}, "\x1e")
	sum := sha256.Sum256([]byte(spec))
	return hex.EncodeToString(sum[:])
}

// hashFile returns the hex sha256 of a file's bytes.
func hashFile(path string) (string, error) {
	f, err := manifest.HashFile(path)
	return f.SHA256, err
}

// Run extracts one source from input into a snapshot, or reuses the snapshot
// when input, spec and lookup are unchanged. Errors name the file, and where
// a single row is at fault, the line and field. A source whose share of
// rejected rows exceeds maxReject fails after its rejects file is written.
func Run(ctx context.Context, src *config.Source, input string, maxReject float64, opt Options) (Result, error) {
	kind, err := source.Lookup(src.Kind)
	if err != nil {
		return Result{}, err
	}
	key, inputHash, exists, err := Plan(src, input, opt.InputSHA256, opt.IMDHash, opt.Dir)
	if err != nil {
		return Result{}, err
	}
	p := paths(opt.Dir, src.Name, key)
	res := Result{Source: src.Name, Kind: src.Kind, Input: input, InputSHA256: inputHash, Key: key, Snapshot: p.parquet, Rejects: p.rejects}
	if exists && !opt.Force {
		// Reuse only an intact snapshot: a damaged one is rebuilt.
		if prev, err := readMeta(p.meta); err == nil && intact(p.parquet, prev.SnapshotSHA256) && intact(p.rejects, prev.RejectsSHA256) {
			res.Rows, res.Rejected, res.SnapshotSHA256, res.RejectsSHA256 = prev.Rows, prev.Rejected, prev.SnapshotSHA256, prev.RejectsSHA256
			res.Reused = true
			return res, checkRejects(res, input, maxReject)
		}
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return res, err
	}
	if err := build(ctx, kind, src, input, p, &res, opt); err != nil {
		return res, err
	}
	if res.SnapshotSHA256, err = hashFile(p.parquet); err != nil {
		return res, err
	}
	if res.RejectsSHA256, err = hashFile(p.rejects); err != nil {
		return res, err
	}
	// The metadata file marks the snapshot complete: write it last.
	if err := writeFileAtomic(p.meta, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}); err != nil {
		return res, err
	}
	return res, checkRejects(res, input, maxReject)
}

// intact reports whether the file at path still has the recorded sha256.
func intact(path, want string) bool {
	got, err := hashFile(path)
	return err == nil && got == want
}

func readMeta(path string) (Result, error) {
	var r Result
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(data, &r)
}

// RejectShareError is returned when a source has too many rejected rows.
type RejectShareError struct {
	Source, Input, Rejects string
	Rows, Rejected         int64
	Limit                  float64
}

func (e *RejectShareError) Error() string {
	return fmt.Sprintf("extract %s: %d of %d rows of %s rejected (%.2f%%), above the limit of %.2f%% (max_reject_share); reasons are in %s",
		e.Source, e.Rejected, e.Rows, filepath.Base(e.Input), 100*float64(e.Rejected)/float64(e.Rows), 100*e.Limit, e.Rejects)
}

func checkRejects(res Result, input string, limit float64) error {
	if res.Rows > 0 && float64(res.Rejected) > limit*float64(res.Rows) {
		return &RejectShareError{Source: res.Source, Input: input, Rejects: res.Rejects, Rows: res.Rows, Rejected: res.Rejected, Limit: limit}
	}
	return nil
}

// InputError is an extract that cannot be read as its kind requires: a
// missing column, an empty file, an unreadable format. It names the file.
type InputError struct {
	Source, Input string
	Err           error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("extract %s: %s: %v", e.Source, e.Input, e.Err)
}
func (e *InputError) Unwrap() error { return e.Err }

// writeFileAtomic writes through a temporary file renamed into place, so a
// reader never sees a half-written file under the final name.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// column is one output column of a snapshot.
type column struct {
	name  string
	typ   source.Type
	index int // position in the Parquet schema (columns sorted by name)
}

func snapshotColumns(kind source.Kind) []column {
	var cols []column
	for _, c := range kind.Columns {
		cols = append(cols, column{name: c.Name, typ: c.Type})
	}
	if kind.Level != source.Aggregate {
		for _, c := range source.Normalised {
			cols = append(cols, column{name: c.Name, typ: c.Type})
		}
	}
	cols = append(cols, column{name: "source_line", typ: source.Int})
	sort.Slice(cols, func(i, j int) bool { return cols[i].name < cols[j].name })
	for i := range cols {
		cols[i].index = i
	}
	return cols
}

func parquetSchema(name string, cols []column) *parquet.Schema {
	g := parquet.Group{}
	for _, c := range cols {
		var n parquet.Node
		switch c.typ {
		case source.Int:
			n = parquet.Int(64)
		case source.Number:
			n = parquet.Leaf(parquet.DoubleType)
		case source.Date:
			n = parquet.Date()
		default:
			n = parquet.String()
		}
		g[c.name] = parquet.Optional(n)
	}
	return parquet.NewSchema(name, g)
}

// build reads the whole input and writes the snapshot and rejects files.
func build(ctx context.Context, kind source.Kind, src *config.Source, input string, p snapshotPaths, res *Result, opt Options) error {
	r, err := openReader(input, src.Format, src.Sheet)
	if err != nil {
		return &InputError{src.Name, input, err}
	}
	defer r.Close()
	fieldIdx, err := mapHeader(kind, src, r.Header())
	if err != nil {
		return &InputError{src.Name, input, fmt.Errorf("line 1: %w", err)}
	}
	cols := snapshotColumns(kind)
	byName := map[string]column{}
	for _, c := range cols {
		byName[c.name] = c
	}

	snapTmp, err := os.CreateTemp(opt.Dir, ".snapshot-*.parquet")
	if err != nil {
		return err
	}
	defer os.Remove(snapTmp.Name())
	defer snapTmp.Close()
	rejTmp, err := os.CreateTemp(opt.Dir, ".rejects-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(rejTmp.Name())
	defer rejTmp.Close()

	w := parquet.NewWriter(snapTmp, parquetSchema(kind.Name, cols),
		parquet.CreatedBy("hiis", opt.Version, ""),
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(1<<20))
	rej := csv.NewWriter(rejTmp)
	if err := rej.Write([]string{"line", "field", "reason", "record"}); err != nil {
		return err
	}

	norm := newNormaliser(kind, opt.IMD)
	batch := make([]parquet.Row, 0, 4096)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.WriteRows(batch)
		batch = batch[:0]
		return err
	}
	for {
		rec, line, err := r.Next()
		if err == io.EOF {
			break
		}
		var le *lineError
		if errors.As(err, &le) {
			res.Rows++
			res.Rejected++
			if err := rej.Write([]string{strconv.Itoa(le.line), "", le.msg, ""}); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("extract %s: %s: %w", src.Name, input, err)
		}
		if blankRecord(rec) {
			continue // an empty line carries no row
		}
		res.Rows++
		if res.Rows%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("extract %s: stopped at line %d: %w", src.Name, line, err)
			}
			if opt.Progress != nil {
				opt.Progress(res.Rows)
			}
		}
		row, field, reason := norm.row(rec, line, fieldIdx, len(r.Header()), byName)
		if reason != "" {
			res.Rejected++
			if err := rej.Write([]string{strconv.Itoa(line), field, reason, strings.Join(rec, ",")}); err != nil {
				return err
			}
			continue
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return fmt.Errorf("extract %s: writing snapshot: %w", src.Name, err)
			}
		}
	}
	if opt.Progress != nil {
		opt.Progress(res.Rows)
	}
	if res.Rows == 0 {
		return &InputError{src.Name, input, errors.New("no data rows after the header")}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("extract %s: writing snapshot: %w", src.Name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("extract %s: writing snapshot: %w", src.Name, err)
	}
	rej.Flush()
	if err := rej.Error(); err != nil {
		return err
	}
	if err := snapTmp.Close(); err != nil {
		return err
	}
	if err := rejTmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(rejTmp.Name(), p.rejects); err != nil {
		return err
	}
	return os.Rename(snapTmp.Name(), p.parquet)
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// mapHeader finds each declared column in the extract's header, through the
// config's column mapping. A missing required column is an error naming the
// column and the mapping key to set.
func mapHeader(kind source.Kind, src *config.Source, header []string) (map[string]int, error) {
	pos := map[string]int{}
	for i, h := range header {
		pos[strings.ToLower(strings.TrimSpace(h))] = i
	}
	idx := map[string]int{}
	var missing []string
	for _, c := range kind.Columns {
		want := c.Name
		if m, ok := src.Columns[c.Name]; ok {
			want = m
		}
		i, ok := pos[strings.ToLower(strings.TrimSpace(want))]
		if !ok {
			if !c.Optional {
				missing = append(missing, fmt.Sprintf("%q", want))
			}
			continue
		}
		idx[c.Name] = i
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing column %s required by source kind %s (header has: %s); map your own header names with sources.%s.columns",
			strings.Join(missing, ", "), kind.Name, strings.Join(header, ", "), src.Name)
	}
	return idx, nil
}

// dateLayouts are the date forms accepted in text extracts.
var dateLayouts = []string{time.DateOnly, "02/01/2006", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return excelDate(s)
}
