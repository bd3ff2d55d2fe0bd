package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"hiis/pipeline/config"
	"hiis/pipeline/extract"
	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
)

// Step is one stage of a planned run.
type Step struct {
	Stage   string // extract, transform, measure, disclose, render
	Name    string // the source or indicator, or "" for the whole stage
	Action  string // what will happen and why
	Inputs  []string
	Outputs []string
}

// OutputFiles are the files every successful run writes in its run folder,
// besides restricted/rejects/<source>.csv.
var OutputFiles = []string{
	"statement.pdf", "statement.html", "metrics.csv", "metrics.parquet", "datapack.xlsx", "data-quality.csv",
	"restricted/metrics_unsuppressed.csv", "restricted/README.txt", "manifest.json",
}

// Plan says what Run would do with cfg, without writing anything: for each
// source whether its snapshot will be built or reused (and which hash
// changed), each indicator's transform, and the outputs.
func Plan(ctx context.Context, cfg *config.Run, opt Options) ([]Step, error) {
	r := &run{cfg: cfg, opt: opt}
	inds, err := LoadIndicators(cfg)
	if err != nil {
		return nil, err
	}
	r.indicators = inds
	// The folders a run would refuse, the plan refuses too.
	out, work, err := folders(cfg, opt)
	if err != nil {
		return nil, err
	}
	snapDir := filepath.Join(work, "snapshots")
	imdPath, err := cfg.Resolve(cfg.Reference.IMD.Path)
	if err != nil {
		return nil, &InvalidError{err}
	}
	imd, err := checkPin(imdPath, cfg.Reference.IMD.SHA256, "reference.imd")
	if err != nil {
		return nil, err
	}
	lsoaSHA := ""
	refs := []string{fmt.Sprintf("%s (IMD lookup, sha256 %s)", imdPath, manifest.Short(imd.SHA256))}
	if lk := cfg.Reference.LSOALookup; lk != nil {
		p, err := cfg.Resolve(lk.Path)
		if err != nil {
			return nil, &InvalidError{err}
		}
		hf, err := checkPin(p, lk.SHA256, "reference.lsoa_lookup")
		if err != nil {
			return nil, err
		}
		lsoaSHA = hf.SHA256
		refs = append(refs, fmt.Sprintf("%s (LSOA 2011 → 2021 lookup, sha256 %s)", p, manifest.Short(lsoaSHA)))
	}
	var steps []Step
	for _, name := range r.usedSources() {
		s := cfg.Sources[name]
		if pin := cfg.Snapshots[name]; pin != nil {
			snap, _ := cfg.Resolve(pin.Path)
			steps = append(steps, Step{Stage: "extract", Name: name, Action: "reuse: the config pins this snapshot (a bundle)",
				Inputs: []string{fmt.Sprintf("%s (sha256 %s)", snap, manifest.Short(pin.SHA256))}})
			continue
		}
		if s.Database != nil {
			steps = append(steps, queryStep(cfg, s, snapDir, work))
			continue
		}
		input, err := cfg.Resolve(s.Path)
		if err != nil {
			return nil, &InvalidError{err}
		}
		if s.Layout != "" {
			steps = append(steps, Step{Stage: "extract", Name: name,
				Action:  "reshape: " + s.Layout + " → long form (lsoa, age, sex, people) staged in the work folder; the snapshot is reused when the reshaped rows are unchanged",
				Inputs:  []string{fmt.Sprintf("%s (%s, %s)", input, s.Kind, s.Layout)},
				Outputs: []string{filepath.Join(work, "staged", name+".csv"), filepath.Join(snapDir, name+"-<key>.parquet")}})
			continue
		}
		pinned := ""
		if s.SHA256 != "" {
			hf, err := checkPin(input, s.SHA256, "sources."+name)
			if err != nil {
				return nil, err
			}
			pinned = hf.SHA256
		}
		key, inputHash, exists, err := extract.Plan(s, input, pinned, lookupKey(cfg, imd.SHA256, lsoaSHA), snapDir)
		if err != nil {
			return nil, &InvalidError{fmt.Errorf("sources.%s: %w", name, err)}
		}
		action := "reuse: input, source spec and IMD lookup unchanged"
		switch {
		case opt.Force:
			action = "run: --force rebuilds it"
		case !exists:
			action = "run: " + whyRebuild(snapDir, name, inputHash, imd.SHA256)
		}
		steps = append(steps, Step{Stage: "extract", Name: name, Action: action,
			Inputs:  append([]string{fmt.Sprintf("%s (%s, sha256 %s)", input, s.Kind, manifest.Short(inputHash))}, refs...),
			Outputs: []string{filepath.Join(snapDir, name+"-"+manifest.Short(key)+"….parquet")}})
	}
	for _, ind := range inds {
		in := []string{"snapshot of " + ind.Source}
		if ind.Population != nil {
			in = append(in, "snapshot of "+ind.Population.Source+" (population)")
		}
		steps = append(steps, Step{Stage: "transform", Name: ind.ID, Action: "run: " + ind.Measure + " by " + strings.Join(append([]string{"overall"}, ind.Breakdowns...), ", "),
			Inputs: append(in, ind.Files()...), Outputs: []string{"numerators and denominators per group"}})
	}
	steps = append(steps,
		Step{Stage: "measure", Action: fmt.Sprintf("run: values, 95%% and 99.8%% limits, gaps, ratios, SII/RII (%d repetitions)", cfg.Statistics.SIIRepetitions)},
		Step{Stage: "disclose", Action: "run: disclosure control"},
	)
	if p := cfg.Previous.Metrics; p != "" {
		path, _ := cfg.Resolve(p)
		steps = append(steps, Step{Stage: "disclose", Name: "change", Action: "run: each indicator's change since last year, from the published figures",
			Inputs: []string{path + " (last year's published metrics)"}, Outputs: []string{"metrics rows with breakdown " + metrics.Change}})
	}
	if o := cfg.Organisations; o != nil {
		all, codes, _ := o.SelectedCodes()
		which := strings.Join(codes, ", ")
		if all {
			which = "every organisation in the lookup"
		}
		how := "by each source's organisation column"
		if o.Lookup != nil {
			how = "by LSOA of residence through " + o.Lookup.Path
		}
		steps = append(steps,
			Step{Stage: "render", Name: AllFolder, Action: "run: every record together, the comparator", Outputs: []string{filepath.Join(out, AllFolder) + "/ (a complete run folder)"}},
			Step{Stage: "split", Action: "run: each snapshot split by organisation, " + how},
			Step{Stage: "render", Name: "organisations", Action: "run: transform, statistics, disclosure control and render for " + which + ", in parallel",
				Outputs: []string{filepath.Join(out, "<code>") + "/ (a complete run folder per organisation)", filepath.Join(out, manifest.Name) + " (lists every folder)"}})
		return steps, nil
	}
	var outs []string
	for _, f := range OutputFiles {
		outs = append(outs, filepath.Join(out, f))
	}
	outs = append(outs, filepath.Join(out, "restricted", "rejects")+"/<source>.csv",
		filepath.Join(out, BundleConfig)+" (with the definitions, templates and IMD lookup used)",
		filepath.Join(out, SnapshotDir)+"/ (the snapshots, for hiis verify)")
	steps = append(steps, Step{Stage: "render", Action: "run: statement, data pack and manifest", Outputs: outs})
	return steps, nil
}

// queryStep is the plan of a query source. Plan does not connect: a query
// is re-run on every run (the warehouse may have changed since), its rows
// staged, and the snapshot reused when the staged rows hash the same.
func queryStep(cfg *config.Run, s *config.Source, snapDir, work string) Step {
	what := "inline query"
	if s.QueryFile != "" {
		what = "query_file " + s.QueryFile
	}
	if q, err := loadQuery(cfg, s); err == nil || q.SQL != "" {
		what += " (sha256 " + manifest.Short(q.Hash()) + ")"
	}
	return Step{Stage: "extract", Name: s.Name,
		Action:  fmt.Sprintf("query: re-run on %s (connection string from $%s), rows staged as Parquet; the snapshot is reused when the staged rows hash the same as before", s.Database.Driver, s.Database.DSNEnv),
		Inputs:  []string{fmt.Sprintf("%s, %s", what, s.Kind)},
		Outputs: []string{filepath.Join(work, "staged", s.Name+".parquet"), filepath.Join(snapDir, s.Name+"-<key>.parquet")}}
}

// whyRebuild compares a source's newest existing snapshot with what a run
// would build, to say which hash changed.
func whyRebuild(dir, name, inputHash, imdHash string) string {
	metas, _ := filepath.Glob(filepath.Join(dir, name+"-*.json"))
	type prev struct {
		path string
		mod  int64
	}
	var ps []prev
	for _, m := range metas {
		if st, err := os.Stat(m); err == nil {
			ps = append(ps, prev{m, st.ModTime().UnixNano()})
		}
	}
	if len(ps) == 0 {
		return "no snapshot of this source yet"
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].mod > ps[j].mod })
	var last extract.Result
	if b, err := os.ReadFile(ps[0].path); err == nil {
		_ = json.Unmarshal(b, &last)
	}
	if last.InputSHA256 != "" && last.InputSHA256 != inputHash {
		return fmt.Sprintf("input changed (sha256 %s → %s)", manifest.Short(last.InputSHA256), manifest.Short(inputHash))
	}
	return "source spec, IMD lookup (sha256 " + manifest.Short(imdHash) + ") or hiis snapshot format changed"
}
