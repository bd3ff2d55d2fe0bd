package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hiis/pipeline/disclose"
	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
	"hiis/pipeline/render"
	"hiis/pipeline/version"
)

// finish writes the manifest and moves the run folder into place. A failed
// run's folder holds only its manifest (and any rejects), never outputs that
// look complete.
func (r *run) finish(runErr error) error {
	var invalid *InvalidError
	if errors.As(runErr, &invalid) {
		// Nothing ran: leave the run folder as it was.
		os.RemoveAll(r.tmp)
		return runErr
	}
	if runErr != nil {
		r.man.Status = "failed"
		stage := r.current
		var se *StageError
		if errors.As(runErr, &se) {
			stage = se.Stage
		}
		r.man.Failure = &manifest.Failure{Stage: stage, Error: runErr.Error()}
		// Keep nothing rendered: remove everything but restricted/.
		entries, _ := os.ReadDir(r.tmp)
		for _, e := range entries {
			if e.Name() != "restricted" {
				os.RemoveAll(filepath.Join(r.tmp, e.Name()))
			}
		}
		r.man.Outputs = nil
		_ = r.copyRejects()
	} else {
		r.man.Status = "ok"
	}
	r.man.Tool.DuckDB = r.duckdb
	if err := r.man.Write(r.tmp); err != nil && runErr == nil {
		runErr = err
	}
	if err := replaceDir(r.tmp, r.out); err != nil {
		os.RemoveAll(r.tmp)
		if runErr == nil {
			return err
		}
	}
	return runErr
}

// rel names a path relative to the config's folder (slash-separated) so the
// manifest reads the same on every machine.
func (r *run) rel(p string) string {
	if rel, err := filepath.Rel(r.cfg.Dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

func hashFile(p string) (manifest.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return manifest.File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return manifest.File{}, err
	}
	return manifest.File{Path: p, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

func (r *run) renderInput() render.Input {
	cfg := r.cfg
	in := render.Input{
		Organisation:   render.Organisation{Code: cfg.Organisation.Code, Name: cfg.Organisation.Name, Kind: cfg.Organisation.Kind},
		Period:         cfg.Period.Label,
		Version:        version.Version,
		IMDEdition:     cfg.Reference.IMD.Edition,
		DisclosureRule: disclose.Describe(r.policy),
		Metrics:        r.published,
		Unsuppressed:   r.unsuppressed,
		Core20Share:    math.NaN(),
	}
	for _, ind := range r.indicators {
		in.Indicators = append(in.Indicators, render.Indicator{ID: ind.ID, Name: ind.Name, Domain: ind.Domain, Evidence: ind.Evidence,
			Description: strings.TrimSpace(ind.Description), Source: ind.Source, SourceKind: cfg.Sources[ind.Source].Kind,
			Measure: ind.Measure, Unit: ind.Unit, Multiplier: ind.Multiplier, Polarity: ind.Polarity})
	}
	for _, q := range r.cells.Quality {
		dq := render.DataQuality{Source: q.Source, Indicator: q.Indicator, Records: q.Records,
			EthnicNotStated: q.NotStated, EthnicNotKnown: q.NotKnown, EthnicBlank: q.Blank, NoValidLSOA: q.NoLSOA}
		if prev, ok := r.previousDQ[[2]string{q.Source, q.Indicator}]; ok {
			dq.Previous = &prev
		}
		in.DataQuality = append(in.DataQuality, dq)
	}
	for _, res := range r.extracts {
		in.Sources = append(in.Sources, render.SourceSummary{Name: res.Source, Kind: res.Kind, File: filepath.Base(res.Input), Rows: res.Rows, Rejected: res.Rejected})
	}
	var total, q1 int64
	for _, p := range r.cells.Population {
		in.Population = append(in.Population, render.PopulationRow{Breakdown: p.Breakdown, Group: p.Group, People: p.People})
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
	for _, n := range cfg.Narrative {
		in.Narrative = append(in.Narrative, render.Narrative{Title: n.Title, Text: strings.TrimSpace(n.Text)})
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
		b, err := os.ReadFile(res.Rejects)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
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
	hf, err := hashFile(filepath.Join(r.tmp, filepath.FromSlash(rel)))
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

// outputTemp makes the temporary folder a run writes into, beside out.
func outputTemp(out string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return "", err
	}
	return tmp, os.Chmod(tmp, 0o755)
}

// replaceDir renames tmp to out, replacing an earlier run folder.
func replaceDir(tmp, out string) error {
	old := ""
	if _, err := os.Stat(out); err == nil {
		old = out + ".old"
		os.RemoveAll(old)
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("moving the previous run folder aside: %w", err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}
