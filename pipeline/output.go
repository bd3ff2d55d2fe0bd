package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"hiis/pipeline/diag"
	"hiis/pipeline/disclose"
	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
	"hiis/pipeline/refdata"
	"hiis/pipeline/render"
	"hiis/pipeline/tempdir"
	"hiis/pipeline/version"
)

// finish writes the manifest and moves the run folder into place. A
// successful run replaces the previous run folder; a failed one leaves it
// untouched and writes its manifest (and any rejects) to <out>.failed, so
// nothing that looks complete is ever half-written.
func (r *run) finish(runErr error) error {
	var invalid *InvalidError
	if errors.As(runErr, &invalid) {
		// Nothing ran: leave every folder as it was.
		os.RemoveAll(r.tmp)
		return runErr
	}
	target := r.out
	if runErr != nil {
		target = FailedDir(r.out)
		r.man.Status = "failed"
		stage := r.current
		var se *StageError
		if errors.As(runErr, &se) {
			stage = se.Stage
		}
		// The error may quote records: the manifest (outside restricted/)
		// gets a redacted line, restricted/failure.txt the full text.
		r.man.Failure = &manifest.Failure{Stage: stage, Error: diag.Redact(runErr.Error())}
		// Keep nothing rendered: remove everything but restricted/.
		entries, err := os.ReadDir(r.tmp)
		if err != nil {
			return errors.Join(runErr, err)
		}
		for _, e := range entries {
			if e.Name() != "restricted" && e.Name() != tempdir.OwnerFile {
				if err := os.RemoveAll(filepath.Join(r.tmp, e.Name())); err != nil {
					return errors.Join(runErr, err)
				}
			}
		}
		r.man.Outputs = nil
		if err := writeFailure(r.tmp, stage, runErr); err != nil {
			runErr = errors.Join(runErr, err)
		}
		if err := r.copyRejects(); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("copying the rejects files: %w", err))
		}
	} else {
		r.man.Status = "ok"
	}
	r.man.Tool.DuckDB = r.duckdb
	if err := writeManifest(&r.man, r.tmp); err != nil {
		os.RemoveAll(r.tmp)
		return errors.Join(runErr, fmt.Errorf("writing the run folder %s: %w", target, err))
	}
	if err := replaceDir(r.tmp, target, runErr != nil); err != nil {
		os.RemoveAll(r.tmp)
		return errors.Join(runErr, err)
	}
	var se *StageError
	if errors.As(runErr, &se) {
		se.Manifest = filepath.Join(target, manifest.Name)
	}
	if runErr == nil {
		// An earlier failure report is stale once a run succeeds; remove
		// it only if it is hiis's own.
		if kind, err := ownFolder(FailedDir(r.out)); err == nil && kind == folderFailed {
			if err := os.RemoveAll(FailedDir(r.out)); err != nil {
				return err
			}
		}
	}
	return runErr
}

// FailureFile is where a failed run folder keeps the full error text,
// which may quote records: inside restricted/, never published.
const FailureFile = "restricted/failure.txt"

func writeFailure(dir, stage string, runErr error) error {
	p := filepath.Join(dir, filepath.FromSlash(FailureFile))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte("stage: "+stage+"\n"+runErr.Error()+"\n"), 0o600)
}

// FailedDir is where a failed run's manifest goes, beside the run folder.
func FailedDir(out string) string { return out + ".failed" }

// rel names a path relative to the config's folder (slash-separated) so the
// manifest reads the same on every machine.
func (r *run) rel(p string) string {
	if rel, err := filepath.Rel(r.cfg.Dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

func (r *run) renderInput() render.Input {
	cfg := r.cfg
	in := render.Input{
		Organisation:      render.Organisation{Code: cfg.Organisation.Code, Name: cfg.Organisation.Name, Kind: cfg.Organisation.Kind},
		Period:            cfg.Period.Label,
		Version:           version.Version,
		IMDEdition:        cfg.Reference.IMD.Edition,
		DisclosureRule:    disclose.Describe(r.policy),
		DisclosureSetting: disclose.Setting(r.policy),
		Metrics:           r.published,
		Unsuppressed:      r.unsuppressed,
		Core20Share:       math.NaN(),
		Comparator:        r.comparator,
		Comparisons:       r.comparisons,
		Provenance:        r.provenance(),
	}
	if c := cfg.Comparator; c != nil {
		in.ComparatorLabel = c.Label
	}
	for _, ind := range r.indicators {
		in.Indicators = append(in.Indicators, render.Indicator{ID: ind.ID, Name: ind.Name, Domain: ind.Domain, Evidence: ind.Evidence,
			Description: strings.TrimSpace(ind.Description), Source: ind.Source, SourceKind: cfg.Sources[ind.Source].Kind,
			Measure: ind.Measure, Unit: ind.Unit, Multiplier: ind.Multiplier, Polarity: ind.Polarity})
	}
	// Data-quality and population counts are about people too: they are
	// published under the same rule as the metrics, with shares worked out
	// before rounding and withheld with their count.
	publish := func(v int64) float64 {
		p, _ := disclose.Count(float64(v), r.policy.Rule)
		return p
	}
	pct := func(part, whole int64) float64 {
		if math.IsNaN(publish(part)) {
			return math.NaN()
		}
		return share(float64(part), float64(whole))
	}
	if c := cfg.Comparator; c != nil && c.Unassigned != nil {
		// Records no organisation took are counts of records too.
		in.Unassigned = map[string]float64{}
		for src, n := range c.Unassigned {
			in.Unassigned[src] = publish(n)
		}
	}
	hasPopulation := false
	duplicates := map[string]int64{}
	for _, res := range r.extracts {
		hasPopulation = hasPopulation || res.Kind == "population"
		duplicates[res.Source] = res.Duplicates
	}
	whole := map[string]render.DataQuality{} // each source's own row (indicator "")
	for _, q := range r.cells.Quality {
		dq := render.DataQuality{Source: q.Source, Indicator: q.Indicator, Records: publish(q.Records),
			EthnicNotStated: publish(q.NotStated), EthnicNotKnown: publish(q.NotKnown), EthnicBlank: publish(q.Blank), NoValidLSOA: publish(q.NoLSOA),
			PctNotStated: pct(q.NotStated, q.Records), PctNotKnown: pct(q.NotKnown, q.Records), PctBlank: pct(q.Blank, q.Records), PctNoValidLSOA: pct(q.NoLSOA, q.Records)}
		if prev, ok := r.previousDQ[[2]string{q.Source, q.Indicator}]; ok {
			dq.Previous = &prev
		}
		dq.Duplicates, dq.OutsidePopulation = math.NaN(), math.NaN()
		if hasPopulation {
			dq.OutsidePopulation = publish(q.NotResident)
		}
		if q.Indicator == "" {
			dq.Duplicates = publish(duplicates[q.Source])
			dq.Matches = r.matchCounts(q.Source, publish)
			whole[q.Source] = dq
		}
		in.DataQuality = append(in.DataQuality, dq)
	}
	for _, res := range r.extracts {
		ss := render.SourceSummary{Name: res.Source, Kind: res.Kind, File: filepath.Base(res.Input), Rows: res.Rows, Rejected: res.Rejected,
			Duplicates: publish(res.Duplicates), OutsidePopulation: math.NaN()}
		if dq, ok := whole[res.Source]; ok { // a record-level source: its published counts as above
			ss.Duplicates, ss.OutsidePopulation, ss.Matches = dq.Duplicates, dq.OutsidePopulation, dq.Matches
		}
		in.Sources = append(in.Sources, ss)
	}
	var total, q1 int64
	for _, p := range r.cells.Population {
		in.Population = append(in.Population, render.PopulationRow{Breakdown: p.Breakdown, Group: p.Group, People: publish(p.People)})
		if p.Breakdown == metrics.IMDQuintile {
			total += p.People
			if p.Group == "1" {
				q1 += p.People
			}
		}
	}
	if total > 0 {
		in.Core20Share = float64(q1) / float64(total)
	}
	if r.previous != nil {
		in.PreviousPeriod, in.Changes = r.previous.Period, r.changes
	}
	for i, n := range cfg.Narrative {
		in.Narrative = append(in.Narrative, render.Narrative{Title: n.Title, Text: r.narratives[i]})
	}
	// The statement's wording: <templates>/statement/, built-ins for the
	// files it lacks (the folder was resolved and hashed at load).
	if dir, err := cfg.TemplatesDir(); err == nil {
		in.Templates = filepath.Join(dir, "statement")
	}
	return in
}

// copyRejects puts each source's rejects file into restricted/rejects.
func (r *run) copyRejects() error {
	for _, res := range r.extracts {
		if res.Rejects == "" {
			continue
		}
		rel := filepath.Join("restricted", "rejects", res.Source+".csv")
		dst := filepath.Join(r.tmp, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := copyFile(res.Rejects, dst); err != nil {
			return err
		}
		if err := r.addOutput(filepath.ToSlash(rel)); err != nil {
			return err
		}
	}
	return nil
}

// addOutput hashes a file of the run folder into the manifest.
func (r *run) addOutput(rel string) error {
	hf, err := manifest.HashFile(filepath.Join(r.tmp, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	hf.Path = rel
	r.man.Outputs = append(r.man.Outputs, hf)
	return nil
}

func (r *run) summary(start time.Time) Summary {
	s := Summary{Out: r.out, Indicators: len(r.indicators), Metrics: len(r.published), Suppressed: r.suppressed, Elapsed: time.Since(start)}
	for _, res := range r.extracts {
		s.Rows += res.Rows
		s.Rejected += res.Rejected
		s.Duplicates += res.Duplicates
		if res.Reused {
			s.Reused++
		}
	}
	r.man.Metrics = manifest.Counts{Rows: len(r.published), Suppressed: r.suppressed}
	return s
}

func (r *run) render() error {
	in := r.renderInput()
	files, err := render.Write(r.tmp, in)
	var te *render.TemplateError
	if errors.As(err, &te) {
		// The run's statement templates fail on its data: a config problem.
		return &InvalidError{fmt.Errorf("%s: templates: %w", r.cfg.File, err)}
	}
	if err != nil {
		return err
	}
	if err := r.copyRejects(); err != nil {
		return err
	}
	if err := r.writeBundle(); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	for _, f := range files {
		if err := r.addOutput(f); err != nil {
			return err
		}
	}
	return nil
}

// outputTemp makes the temporary folder a run writes into, beside out,
// owned by this process (tempdir), after removing the temporaries that
// earlier runs into out left when they were killed.
func outputTemp(out string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	if _, err := tempdir.CleanStale(filepath.Dir(out), tempPrefixes(out)...); err != nil {
		return "", err
	}
	return tempdir.Make(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
}

// tempPrefixes are the names of the temporaries a run into out makes
// beside it: the folder it writes, and the previous run moved aside.
func tempPrefixes(out string) []string {
	b := "." + filepath.Base(out)
	return []string{b + ".tmp-", b + ".old-"}
}

// RefusedError is an output folder hiis will not write: something there is
// not a hiis run folder, so replacing it could lose someone's files.
type RefusedError struct {
	Path   string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refusing to write %s: %s; choose another output folder, or move it away", e.Path, e.Reason)
}

// Folder kinds checkOutput recognises.
const (
	folderAbsent = iota
	folderEmpty
	folderRun    // a single run folder (status ok or failed)
	folderFailed // a failed run's folder (status failed)
	folderMany   // a multi-organisation run folder
)

// ownFolder says what p is, or a RefusedError when it is something hiis
// did not make: a file, a symbolic link, a folder with other files, or a
// manifest.json that hiis did not write (its own fields decide, not its
// name).
func ownFolder(p string) (int, error) {
	st, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return folderAbsent, nil
	}
	if err != nil {
		return 0, err
	}
	if st.Mode()&os.ModeSymlink != 0 {
		return 0, &RefusedError{p, "it is a symbolic link; name the folder it points to"}
	}
	if !st.IsDir() {
		return 0, &RefusedError{p, "it is a file, not a folder"}
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return folderEmpty, nil
	}
	b, err := os.ReadFile(filepath.Join(p, manifest.Name))
	if errors.Is(err, os.ErrNotExist) {
		return 0, &RefusedError{p, "it is not empty and not a hiis run folder (it has no " + manifest.Name + ")"}
	}
	if err != nil {
		return 0, err
	}
	var m struct {
		Tool struct {
			Name string `json:"name"`
		} `json:"tool"`
		Status string `json:"status"`
		Kind   string `json:"kind"`
	}
	if json.Unmarshal(b, &m) != nil || m.Tool.Name != "hiis" {
		return 0, &RefusedError{p, "its " + manifest.Name + " was not written by hiis"}
	}
	switch {
	case m.Kind == "organisations" && m.Status == "ok":
		return folderMany, nil
	case m.Kind == "" && m.Status == "ok":
		return folderRun, nil
	case (m.Kind == "" || m.Kind == "organisations") && m.Status == "failed":
		return folderFailed, nil
	}
	return 0, &RefusedError{p, "its " + manifest.Name + " is not that of a finished hiis run"}
}

// checkOutput refuses, before any work, an output folder hiis may not
// replace, and a <out>.failed that is not a hiis failed-run folder (a
// failed run would replace it).
func checkOutput(out string) error {
	kind, err := ownFolder(out)
	if err != nil {
		return err
	}
	if kind == folderFailed {
		return &RefusedError{out, "it holds a failed run's report, not a run folder"}
	}
	kind, err = ownFolder(FailedDir(out))
	if err != nil {
		return err
	}
	if kind == folderRun || kind == folderMany {
		return &RefusedError{FailedDir(out), "it is a run folder, not a failed run's report"}
	}
	return nil
}

// replaceDir renames tmp to out, replacing what was there only when it is
// hiis's own (see ownFolder: an empty folder, a run folder, or, for a
// failed run's report, an earlier report). The previous folder is moved
// aside into a temporary folder of this run's own, removed once tmp is in
// place, and moved back if that fails.
func replaceDir(tmp, out string, failed bool) error {
	kind, err := ownFolder(out)
	if err != nil {
		return err
	}
	if failed != (kind == folderFailed) && kind != folderAbsent && kind != folderEmpty {
		return &RefusedError{out, "it is not a folder of the kind this run writes"}
	}
	if err := tempdir.Release(tmp); err != nil {
		return err
	}
	if kind == folderAbsent {
		return rename(tmp, out)
	}
	aside, err := tempdir.Make(filepath.Dir(out), tempPrefixes(out)[1])
	if err != nil {
		return fmt.Errorf("moving the previous run folder aside: %w", err)
	}
	prev := filepath.Join(aside, "previous")
	if err := os.Rename(out, prev); err != nil {
		os.RemoveAll(aside)
		return fmt.Errorf("moving the previous run folder aside: %w", err)
	}
	if err := rename(tmp, out); err != nil {
		if back := os.Rename(prev, out); back != nil {
			return errors.Join(err, fmt.Errorf("the previous run folder is kept in %s: %w", prev, back))
		}
		os.RemoveAll(aside)
		return err
	}
	return os.RemoveAll(aside)
}

// writeManifest writes a run's manifest.json into dir; a seam for tests
// that fill the disk.
var writeManifest = (*manifest.Manifest).Write

// rename is os.Rename, a seam for tests that make the final step fail.
var rename = os.Rename

// provenance lists the sha256 of the config and inputs for the data pack,
// by file name only, so that a re-run from the bundle lists the same.
func (r *run) provenance() render.Provenance {
	p := render.Provenance{Config: render.HashedFile{Role: "config", Name: path.Base(r.man.Config.Path), SHA256: r.man.Config.SHA256}}
	if o := r.cfg.PinnedFrom; o != nil {
		p.Config = render.HashedFile{Role: "config", Name: o.Config, SHA256: o.SHA256}
	}
	for _, s := range r.man.Sources {
		p.Inputs = append(p.Inputs, render.HashedFile{Role: "source " + s.Name + " (" + s.Kind + ")", Name: path.Base(s.Input.Path), SHA256: s.Input.SHA256})
	}
	for _, ref := range r.man.Reference {
		name := path.Base(ref.File.Path)
		if ref.Name != "imd" {
			name = "" // the bundle renames it
		}
		p.Inputs = append(p.Inputs, render.HashedFile{Role: "reference " + ref.Name + " (" + ref.Edition + ")", Name: name, SHA256: ref.File.SHA256})
	}
	for _, f := range r.man.Indicators {
		p.Inputs = append(p.Inputs, render.HashedFile{Role: "indicator " + f.ID, Name: path.Base(f.Path), SHA256: f.SHA256})
	}
	for _, f := range r.man.Templates {
		name := f.Path
		if !strings.HasPrefix(name, "templates/") {
			name = "" // a narrative file: the bundle renames it
		}
		p.Inputs = append(p.Inputs, render.HashedFile{Role: "template", Name: name, SHA256: f.SHA256})
	}
	return p
}

// matchCounts says, as published, how a source's records' LSOAs matched the
// IMD lookup (nil without an LSOA 2011 → 2021 lookup).
func (r *run) matchCounts(src string, publish func(int64) float64) []render.MatchCount {
	m, ok := r.lsoaMatches[src]
	if !ok {
		return nil
	}
	var out []render.MatchCount
	for _, l := range refdata.MatchLabels {
		if m[l] > 0 {
			out = append(out, render.MatchCount{Label: l, Records: publish(m[l])})
		}
	}
	return out
}

// WorkTempPrefixes are the temporary folders a run makes in the work
// folder (tempdir.Make); each run removes those whose owner is dead.
var WorkTempPrefixes = []string{"transform-", "partitions-"}

// SnapshotTempPrefixes are the temporary folders extract may make (with
// tempdir.Make) in work/snapshots, such as DuckDB's spill folder.
var SnapshotTempPrefixes = []string{".duckdb-tmp-"}
