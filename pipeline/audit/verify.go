package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"hiis/pipeline"
	"hiis/pipeline/config"
	"hiis/pipeline/manifest"
	"hiis/pipeline/version"
)

// FileDiff is an output or bundle file whose hash is not the recorded one.
type FileDiff struct {
	Path      string
	Want, Got string // sha256; Got "" when the file is missing
}

// Report is what Verify found.
type Report struct {
	Bundle  string
	Damaged []FileDiff // bundle files (snapshots, definitions, pinned config) that differ from the manifest
	Changed []FileDiff // the run folder's own outputs that differ from the manifest
	Outputs []FileDiff // re-run outputs that differ from the manifest
	Rows    DiffResult // metric rows that moved, when metrics.csv differs
	Causes  []string   // likely causes, most likely first
	RunErr  error      // the re-run failed
}

// OK reports whether the re-run reproduced every output byte for byte.
func (r *Report) OK() bool {
	return r.RunErr == nil && len(r.Damaged) == 0 && len(r.Changed) == 0 && len(r.Outputs) == 0
}

// NotBundleError says the folder given to Verify is not a finished hiis run
// folder: a usage problem, not a difference.
type NotBundleError struct{ Err error }

func (e *NotBundleError) Error() string { return e.Err.Error() }
func (e *NotBundleError) Unwrap() error { return e.Err }

// Verify re-runs a run folder's bundle (its pinned config, definitions and
// snapshots) into a temporary folder and compares every output's sha256
// with the bundle's manifest. It returns an error only when the bundle cannot
// be read at all; differences are in the report.
func Verify(ctx context.Context, bundle string) (*Report, error) {
	rep := &Report{Bundle: bundle}
	old, err := manifest.Read(filepath.Join(bundle, manifest.Name))
	if err != nil {
		return nil, &NotBundleError{fmt.Errorf("%s is not a hiis run folder: %w", bundle, err)}
	}
	if old.Status != "ok" {
		return nil, &NotBundleError{fmt.Errorf("%s: the run this bundle records did not finish (status %q), so there is nothing to verify", bundle, old.Status)}
	}
	if len(old.Bundle) == 0 {
		return nil, &NotBundleError{fmt.Errorf("%s: the manifest lists no bundle files; it was written by a hiis without bundles", bundle)}
	}
	rep.Damaged = checkFiles(bundle, old.Bundle)
	rep.Changed = checkFiles(bundle, old.Outputs)
	tmp, err := os.MkdirTemp("", "hiis-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "out")
	cfg, err := config.Load(filepath.Join(bundle, filepath.FromSlash(pipeline.BundleConfig)))
	if err == nil {
		_, err = pipeline.Run(ctx, cfg, pipeline.Options{Out: out, Work: filepath.Join(tmp, "work")})
	}
	rep.RunErr = err
	var now *manifest.Manifest
	if err == nil {
		if now, err = manifest.Read(filepath.Join(out, manifest.Name)); err != nil {
			return nil, err
		}
		rep.Outputs = compareOutputs(old.Outputs, now.Outputs)
		if changed(rep.Outputs, "metrics.csv") {
			a, err := ReadMetrics(filepath.Join(bundle, "metrics.csv"))
			if err != nil {
				return nil, err
			}
			b, err := ReadMetrics(filepath.Join(out, "metrics.csv"))
			if err != nil {
				return nil, err
			}
			rep.Rows = Diff(a, b, 0)
		}
	}
	rep.Causes = causes(old, now, rep)
	return rep, nil
}

// checkFiles lists the files under dir whose sha256 is not the recorded one.
func checkFiles(dir string, files []manifest.File) []FileDiff {
	var diffs []FileDiff
	for _, f := range files {
		got, err := manifest.HashFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || got.SHA256 != f.SHA256 {
			diffs = append(diffs, FileDiff{Path: f.Path, Want: f.SHA256, Got: got.SHA256})
		}
	}
	return diffs
}

func compareOutputs(want, got []manifest.File) []FileDiff {
	g := map[string]string{}
	for _, f := range got {
		g[f.Path] = f.SHA256
	}
	var diffs []FileDiff
	seen := map[string]bool{}
	for _, f := range want {
		seen[f.Path] = true
		if g[f.Path] != f.SHA256 {
			diffs = append(diffs, FileDiff{Path: f.Path, Want: f.SHA256, Got: g[f.Path]})
		}
	}
	for _, f := range got {
		if !seen[f.Path] {
			diffs = append(diffs, FileDiff{Path: f.Path, Got: f.SHA256})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs
}

func changed(diffs []FileDiff, path string) bool {
	for _, d := range diffs {
		if d.Path == path {
			return true
		}
	}
	return false
}

// causes names what most likely explains the differences.
func causes(old, now *manifest.Manifest, rep *Report) []string {
	var cs []string
	for _, d := range rep.Damaged {
		what := "is missing"
		if d.Got != "" {
			what = fmt.Sprintf("has sha256 %s, the manifest records %s", manifest.Short(d.Got), manifest.Short(d.Want))
		}
		switch {
		case strings.HasPrefix(d.Path, pipeline.SnapshotDir+"/"):
			cs = append(cs, fmt.Sprintf("snapshot damaged: %s %s", d.Path, what))
		case strings.HasPrefix(d.Path, pipeline.BundleDir+"/indicators/"):
			cs = append(cs, fmt.Sprintf("definition changed: %s %s", d.Path, what))
		case d.Path == pipeline.BundleConfig:
			cs = append(cs, fmt.Sprintf("pinned config changed: %s %s", d.Path, what))
		default:
			cs = append(cs, fmt.Sprintf("bundle file changed: %s %s", d.Path, what))
		}
	}
	for _, d := range rep.Changed {
		what := "is missing"
		if d.Got != "" {
			what = fmt.Sprintf("has sha256 %s, the manifest records %s", manifest.Short(d.Got), manifest.Short(d.Want))
		}
		cs = append(cs, fmt.Sprintf("output changed after the run: %s %s", d.Path, what))
	}
	if now == nil {
		now = &manifest.Manifest{Tool: manifest.Tool{Version: version.Version, Go: runtime.Version()}}
	}
	for _, v := range [][3]string{{"hiis", old.Tool.Version, now.Tool.Version}, {"Go", old.Tool.Go, now.Tool.Go}, {"DuckDB", old.Tool.DuckDB, now.Tool.DuckDB}, {"platform", old.Tool.Platform, now.Tool.Platform}} {
		if v[2] != "" && v[1] != v[2] {
			cs = append(cs, fmt.Sprintf("%s version differs: the bundle was made with %s, this is %s", v[0], v[1], v[2]))
		}
	}
	if rep.RunErr != nil {
		var pe *pipeline.PinError
		if errors.As(rep.RunErr, &pe) && len(rep.Damaged) == 0 {
			cs = append(cs, "a pinned file differs: "+pe.Error())
		}
	}
	return cs
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	if r.OK() {
		fmt.Fprintf(w, "verify %s: ok: every output reproduced byte for byte\n", r.Bundle)
		return
	}
	fmt.Fprintf(w, "verify %s: DIFFERENT\n", r.Bundle)
	for _, d := range r.Damaged {
		fmt.Fprintf(w, "  bundle file %s: sha256 %s, manifest %s\n", d.Path, orMissing(d.Got), manifest.Short(d.Want))
	}
	for _, d := range r.Changed {
		fmt.Fprintf(w, "  output %s in the run folder: sha256 %s, manifest %s\n", d.Path, orMissing(d.Got), manifest.Short(d.Want))
	}
	if r.RunErr != nil {
		fmt.Fprintf(w, "  the re-run failed: %v\n", r.RunErr)
	}
	for _, d := range r.Outputs {
		switch {
		case d.Want == "":
			fmt.Fprintf(w, "  output %s: new, not in the manifest\n", d.Path)
		case d.Got == "":
			fmt.Fprintf(w, "  output %s: not produced by the re-run\n", d.Path)
		default:
			fmt.Fprintf(w, "  output %s: sha256 %s, manifest %s\n", d.Path, manifest.Short(d.Got), manifest.Short(d.Want))
		}
	}
	if len(r.Rows.Changes) > 0 {
		fmt.Fprintln(w, "  metric rows that moved (old → new):")
		var b strings.Builder
		r.Rows.Print(&b, 0)
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			fmt.Fprintln(w, "    "+line)
		}
	}
	if len(r.Causes) > 0 {
		fmt.Fprintln(w, "  likely cause:")
		for _, c := range r.Causes {
			fmt.Fprintln(w, "    - "+c)
		}
	}
}

func orMissing(s string) string {
	if s == "" {
		return "(missing)"
	}
	return manifest.Short(s)
}
