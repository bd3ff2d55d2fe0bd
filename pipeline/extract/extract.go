// Package extract reads a source extract (CSV, Parquet or XLSX), checks
// every row against its kind's declared columns, derives the normalised
// equality columns (IMD decile and quintile, ethnic group, age bands, sex)
// and writes a content-addressed Parquet snapshot. Rows that fail a check go
// to a rejects file with line, field and reason; nothing is dropped silently.
//
// A CSV is first scanned once in Go (encoding, line endings, quoting, field
// counts, the physical line of every record) into a staging CSV; DuckDB then
// reads that in parallel and does the checks and normalisation as one SQL
// query, writing the snapshot with COPY. An XLSX sheet is staged the same
// way; a Parquet file is read by DuckDB directly with its logical types.
// The "line" of a Parquet row is its 1-based row number plus one, as if a
// header line preceded the rows, so that the same rows in CSV and Parquet
// give the same snapshot.
package extract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"hiis/pipeline/config"
	"hiis/pipeline/manifest"
	"hiis/pipeline/refdata"
	"hiis/pipeline/source"
)

// FormatVersion changes whenever the snapshot layout or normalisation
// changes, so old snapshots are not reused by mistake.
const FormatVersion = "hiis-snapshot-4"

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
	Rows           int64  `json:"rows"`     // records read (rows of the file with data)
	Rejected       int64  `json:"rejected"` // records that failed a check, in the rejects file
	Reused         bool   `json:"-"`        // the snapshot existed and was not rebuilt
	Quality
}

// Quality holds the per-source counts the gates and the data-quality table
// use. Counts are of records (snapshot rows), not of record_count.
type Quality struct {
	// Duplicates counts records whose record key repeats an earlier one;
	// with duplicates: reject they are in the rejects file ("duplicate of
	// line N") and not in the snapshot, but not in Rejected.
	Duplicates int64 `json:"duplicates"`
	// InPeriod counts records whose event date falls in the reporting
	// period (-1 when the kind has no event date or no period was given).
	InPeriod int64 `json:"in_period"`
	// LSOABlank counts records with no LSOA; LSOAUnmatched those whose LSOA
	// is not in the IMD lookup; LSOAOutside those among them with a code
	// of Wales, Scotland or Northern Ireland (W, S, 95), which an English
	// lookup cannot hold.
	LSOABlank         int64    `json:"lsoa_blank"`
	LSOAUnmatched     int64    `json:"lsoa_unmatched"`
	LSOAOutside       int64    `json:"lsoa_outside"`
	UnmatchedExamples []string `json:"unmatched_examples,omitempty"` // up to five unmatched English codes, first in file order
	// Ethnic counts: blank (or NULL), 99 not known, Z not stated, and values
	// that are not a valid code. EthnicColumn says the extract has the column.
	EthnicColumn    bool  `json:"ethnic_column"`
	EthnicBlank     int64 `json:"ethnic_blank"`
	EthnicNotKnown  int64 `json:"ethnic_not_known"`
	EthnicNotStated int64 `json:"ethnic_not_stated"`
	EthnicInvalid   int64 `json:"ethnic_invalid"`
	// SexInvalid counts sex values that are not an NHS code.
	SexInvalid int64 `json:"sex_invalid"`
	// People and PeopleRejected are the people of a population source's
	// snapshot and of its rejected rows (where the count could be read).
	People         int64 `json:"people,omitempty"`
	PeopleRejected int64 `json:"people_rejected,omitempty"`
	// MonthFirst is set when a date column holds values only valid
	// month-first and the source declares no date_format.
	MonthFirst *MonthFirst `json:"month_first,omitempty"`
}

// MonthFirst is the first date only valid month-first.
type MonthFirst struct {
	Line  int64  `json:"line"`
	Field string `json:"field"`
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Progress is how far one extract has got: Bytes of TotalBytes of the
// input read, Rows records so far. TotalBytes is 0 when unknown (a
// gzipped CSV). Once the input is read (Bytes = TotalBytes) DuckDB checks,
// normalises and writes the snapshot; Progress is still called every half
// second meanwhile, with the same counts.
type Progress struct{ Rows, Bytes, TotalBytes int64 }

// Limits are the quality gates of one source; a nil share takes the
// config default.
type Limits struct {
	MaxUnmatchedLSOA *float64
	MaxInvalidCodes  *float64
	// PeriodStart and PeriodEnd (YYYY-MM-DD) are the reporting period: a
	// record-level source with no record in it fails. Empty: not checked.
	PeriodStart, PeriodEnd string
	// IMDEdition names the lookup's edition (config reference.imd.edition)
	// for the hint when codes look like the other LSOA edition.
	IMDEdition string
}

// Options controls one extract.
type Options struct {
	Dir     string       // snapshot folder (work/snapshots)
	IMD     *refdata.IMD // LSOA lookup
	IMDHash string       // identifies the lookup and how it is read: part of the snapshot key
	// InputSHA256 is the input's sha256 when the caller has just computed
	// it (checking a pin), so a large extract is not hashed twice.
	InputSHA256 string
	Version     string // hiis version; unused since DuckDB writes the snapshot (its footer names DuckDB), kept for callers
	Force       bool   // rebuild even when the snapshot exists
	// Progress, when set, is called about every half second while the
	// input is read, and once at the end.
	Progress func(Progress)
	Limits   Limits
	// Threads caps DuckDB's threads (0: all cores). Snapshots are the
	// same whatever the number.
	Threads int
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
	var labels []string
	for col, m := range src.Labels {
		for k, v := range m {
			labels = append(labels, col+":"+k+"="+v)
		}
	}
	sort.Strings(labels)
	how := fmt.Sprintf("dup=%s enc=%s delim=%q date=%s top=%q sub=%v labels=%s", src.Duplicates, strings.ToLower(src.Encoding), src.Delimiter, src.DateFormat, src.AgeTopCode, src.EthnicSubcodes, strings.Join(labels, "\x1f"))
	spec := strings.Join([]string{FormatVersion, src.Kind, src.Format, src.Sheet, strings.Join(cols, "\x1f"), how, inputHash, imdHash}, "\x1e")
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
			res.Quality = prev.Quality
			res.Reused = true
			return res, check(kind, src, res, input, maxReject, opt.Limits)
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
	return res, check(kind, src, res, input, maxReject, opt.Limits)
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
	People                 bool // Rows and Rejected count people, not rows
}

func (e *RejectShareError) Error() string {
	if e.People {
		return fmt.Sprintf("extract %s: rejected rows of %s hold %d of its %d people (%.2f%%), above the limit of %.2f%% (max_reject_share); reasons are in %s",
			e.Source, filepath.Base(e.Input), e.Rejected, e.Rows, 100*float64(e.Rejected)/float64(e.Rows), 100*e.Limit, e.Rejects)
	}
	return fmt.Sprintf("extract %s: %d of %d rows of %s rejected (%.2f%%), above the limit of %.2f%% (max_reject_share); reasons are in %s",
		e.Source, e.Rejected, e.Rows, filepath.Base(e.Input), 100*float64(e.Rejected)/float64(e.Rows), 100*e.Limit, e.Rejects)
}

func checkRejects(res Result, input string, limit float64) error {
	if res.Rows > 0 && float64(res.Rejected) > limit*float64(res.Rows) {
		return &RejectShareError{Source: res.Source, Input: input, Rejects: res.Rejects, Rows: res.Rows, Rejected: res.Rejected, Limit: limit}
	}
	// A population row stands for many people: check the people lost too.
	if total := res.People + res.PeopleRejected; total > 0 && float64(res.PeopleRejected) > limit*float64(total) {
		return &RejectShareError{Source: res.Source, Input: input, Rejects: res.Rejects, Rows: total, Rejected: res.PeopleRejected, Limit: limit, People: true}
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
	if kind.Level == source.Record {
		cols = append(cols, column{name: source.RecordCount, typ: source.Int})
	}
	cols = append(cols, column{name: "source_line", typ: source.Int})
	sort.Slice(cols, func(i, j int) bool { return cols[i].name < cols[j].name })
	for i := range cols {
		cols[i].index = i
	}
	return cols
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
	if m, ok := src.Columns[source.CountColumn.Name]; ok && kind.Level == source.Record {
		if i, ok := pos[strings.ToLower(strings.TrimSpace(m))]; ok {
			idx[source.CountColumn.Name] = i
		} else {
			missing = append(missing, fmt.Sprintf("%q", m))
		}
	}
	if len(missing) > 0 {
		shown := make([]string, 0, 20)
		for i, h := range header {
			if i == 20 {
				shown = append(shown, fmt.Sprintf("… %d more", len(header)-20))
				break
			}
			shown = append(shown, truncate(h))
		}
		return nil, fmt.Errorf("missing column %s required by source kind %s (header has: %s); map your own header names with sources.%s.columns",
			strings.Join(missing, ", "), kind.Name, strings.Join(shown, ", "), src.Name)
	}
	return idx, nil
}
