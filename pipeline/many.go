package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"hiis/pipeline/config"
	"hiis/pipeline/diag"
	"hiis/pipeline/manifest"
	"hiis/pipeline/refdata"
	"hiis/pipeline/source"
	"hiis/pipeline/tempdir"
	"hiis/pipeline/transform"
)

// AllFolder is the comparator's run folder inside a multi-organisation run:
// every record together, assigned or not.
const AllFolder = "all"

// ComparatorLabel names the all-organisations comparator in statements.
const ComparatorLabel = "All organisations"

// ManySummary is what a multi-organisation run reports.
type ManySummary struct {
	Out           string
	All           Summary
	Organisations []OrgSummary
	Unassigned    map[string]int64 // source → records no selected organisation took
	Elapsed       time.Duration
}

// OrgSummary is one organisation's run.
type OrgSummary struct {
	Code, Name string
	Summary
}

// ManyManifest is the top manifest.json of a multi-organisation run: it
// lists every organisation's folder with the sha256 of its manifest.
type ManyManifest struct {
	Tool          manifest.Tool    `json:"tool"`
	Status        string           `json:"status"`
	Kind          string           `json:"kind"` // "organisations"
	Period        string           `json:"period"`
	Assignment    string           `json:"assignment"` // how records were assigned
	Lookup        *manifest.File   `json:"lookup,omitempty"`
	All           ManyFolder       `json:"all"`
	Organisations []ManyFolder     `json:"organisations"`
	Unassigned    map[string]int64 `json:"unassigned"`
	// Failure says what failed, in a failed run's report.
	Failure *manifest.Failure `json:"failure,omitempty"`
}

// ManyFolder is one run folder of a multi-organisation run.
type ManyFolder struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Folder   string `json:"folder"`
	Manifest string `json:"manifest_sha256"`
}

// RunMany produces, from a config with organisations:, the comparator run
// over every record in out/all/ and one complete run folder per selected
// organisation in out/<code>/, each of which verifies on its own. Records
// are extracted once; each organisation's run reads snapshots holding only
// its own records, and is given all/'s metrics as its comparator.
// Organisations run in parallel, one per core; memory does not grow with
// their number.
func RunMany(ctx context.Context, cfg *config.Run, opt Options) (sum ManySummary, err error) {
	start := time.Now()
	orgs := cfg.Organisations
	out, work, err := folders(cfg, opt)
	if err != nil {
		return sum, err
	}
	sum.Out = out
	var lookup *refdata.OrgLookup
	var lookupFile *manifest.File
	if orgs.Lookup != nil {
		p, err := cfg.Resolve(orgs.Lookup.Path)
		if err != nil {
			return sum, &InvalidError{fmt.Errorf("organisations.lookup.path: %w", err)}
		}
		hf, err := checkPin(p, orgs.Lookup.SHA256, "organisations.lookup")
		if err != nil {
			return sum, err
		}
		c := orgs.Lookup.Columns
		if lookup, err = refdata.LoadOrgLookup(p, refdata.OrgColumns{LSOA: c["lsoa"], Code: c["code"], Name: c["name"]}); err != nil {
			return sum, &InvalidError{err}
		}
		hf.Path = filepath.ToSlash(filepath.Base(p))
		lookupFile = &hf
	}
	all, codes, _ := orgs.SelectedCodes()
	names := map[string]string{}
	if lookup != nil {
		names = lookup.Names()
		if all {
			for _, o := range lookup.Orgs {
				codes = append(codes, o.Code)
			}
		}
		for _, c := range codes {
			if _, ok := names[c]; !ok {
				return sum, &InvalidError{fmt.Errorf("%s: organisations.select: %s is not an organisation in the lookup", cfg.File, c)}
			}
		}
	} else if all {
		return sum, &InvalidError{fmt.Errorf("%s: organisations: with column:, list the organisation codes in select", cfg.File)}
	}
	sort.Strings(codes)

	top, err := outputTemp(out)
	if err != nil {
		return sum, fmt.Errorf("creating the run folder beside %s: %w", out, err)
	}
	stage := AllFolder // what is running, for the failure report
	defer func() {
		if err != nil {
			err = failMany(top, out, cfg.Period.Label, stage, err)
		}
		os.RemoveAll(top)
	}()

	// 1. Every record together: the comparator, and the one extract.
	allCfg := *cfg
	allCfg.Organisations = nil
	allCfg.Organisation = config.Organisation{Code: AllFolder, Name: ComparatorLabel, Kind: orgs.Kind}
	allOpt := opt
	allOpt.Out, allOpt.Work = filepath.Join(top, AllFolder), work
	var r *run
	allOpt.done = func(done *run) { r = done }
	if sum.All, err = Run(ctx, &allCfg, allOpt); err != nil {
		return sum, fmt.Errorf("%s: %w", AllFolder, err)
	}

	// 2. Split each snapshot by organisation.
	stage = "split"
	parts, err := tempdir.Make(work, "partitions-")
	if err != nil {
		return sum, err
	}
	defer os.RemoveAll(parts)
	var srcs []transform.PartitionSource
	kinds := map[string]source.Kind{}
	for _, res := range r.extracts {
		k, _ := source.Lookup(res.Kind)
		kinds[res.Source] = k
		if k.Level == source.Aggregate {
			if _, ok := k.Column("organisation"); !ok || cfg.Sources[res.Source].Columns["organisation"] == "" {
				continue // published for the whole area: see below
			}
		}
		srcs = append(srcs, transform.PartitionSource{Name: res.Source, Path: res.Snapshot,
			ByColumn: lookup == nil || k.Level == source.Aggregate})
	}
	var byLSOA map[string]string
	if lookup != nil {
		byLSOA = lookup.ByLSOA
	}
	splitStart := time.Now()
	split, err := transform.Partition(ctx, srcs, byLSOA, codes, parts)
	if err != nil {
		return sum, err
	}
	if opt.Progress != nil {
		fmt.Fprintf(opt.Progress, "hiis: split the snapshots by organisation in %.1fs\n", time.Since(splitStart).Seconds())
	}
	orgStart := time.Now()
	stage = "organisations"
	sum.Unassigned = split.Unassigned
	emptyRejects := filepath.Join(parts, "rejects.csv")
	if err := os.WriteFile(emptyRejects, []byte("line,field,reason,record\n"), 0o644); err != nil {
		return sum, err
	}
	rejSum, err := manifest.HashFile(emptyRejects)
	if err != nil {
		return sum, err
	}

	// 3. One run per organisation, over its own records, beside all/.
	comparator := &config.Comparator{Metrics: filepath.Join(top, AllFolder, "metrics.csv"), Label: ComparatorLabel, Unassigned: split.Unassigned,
		Manifest: "../" + AllFolder + "/metrics.csv"}
	byOrg := map[string][]transform.Part{}
	for _, p := range split.Parts {
		byOrg[p.Org] = append(byOrg[p.Org], p)
	}
	results := make([]OrgSummary, len(codes))
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	var progressMu sync.Mutex
	for i, code := range codes {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			oc, err := orgConfig(&allCfg, code, names[code], r, byOrg[code], emptyRejects, rejSum.SHA256, comparator, top, parts)
			if err != nil {
				return err
			}
			o := opt
			o.Out, o.Work = filepath.Join(top, code), work
			o.Progress, o.OnRows, o.done = nil, nil, nil // one line per organisation below
			s, err := Run(ctx, oc, o)
			if err != nil {
				return fmt.Errorf("organisation %s: %w", code, err)
			}
			results[i] = OrgSummary{Code: code, Name: names[code], Summary: s}
			if opt.Progress != nil {
				progressMu.Lock()
				fmt.Fprintf(opt.Progress, "organisation %s: %d metrics, %d withheld\n", code, s.Metrics, s.Suppressed)
				progressMu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return sum, err
	}
	if opt.Progress != nil {
		fmt.Fprintf(opt.Progress, "hiis: %d organisations' statements in %.1fs\n", len(codes), time.Since(orgStart).Seconds())
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	sum.Organisations = results

	// 4. The top manifest lists every folder with its manifest's hash.
	mm := ManyManifest{Tool: r.man.Tool, Status: "ok", Kind: "organisations", Period: cfg.Period.Label,
		Lookup: lookupFile, Unassigned: split.Unassigned}
	mm.Assignment = "residence: LSOA → organisation lookup"
	if lookup == nil {
		mm.Assignment = "provider: the organisation column of each source"
	}
	folder := func(code, name string) (ManyFolder, error) {
		hf, err := manifest.HashFile(filepath.Join(top, code, manifest.Name))
		return ManyFolder{Code: code, Name: name, Folder: code, Manifest: hf.SHA256}, err
	}
	if mm.All, err = folder(AllFolder, ComparatorLabel); err != nil {
		return sum, err
	}
	for _, o := range results {
		f, err := folder(o.Code, o.Name)
		if err != nil {
			return sum, err
		}
		mm.Organisations = append(mm.Organisations, f)
	}
	if err := writeJSON(filepath.Join(top, manifest.Name), mm); err != nil {
		return sum, err
	}
	stage = "manifest"
	if err := replaceDir(top, out, false); err != nil {
		return sum, err
	}
	// An earlier failure report is stale once a run succeeds.
	if kind, err := ownFolder(FailedDir(out)); err == nil && kind == folderFailed {
		if err := os.RemoveAll(FailedDir(out)); err != nil {
			return sum, err
		}
	}
	// The folders now live under out.
	sum.All.Out = filepath.Join(out, AllFolder)
	for i := range sum.Organisations {
		sum.Organisations[i].Out = filepath.Join(out, sum.Organisations[i].Code)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// failMany writes the report of a failed multi-organisation run to
// <out>.failed, leaving out as it was: a manifest saying which step failed
// (all/, the split, or the organisations) with the redacted error, the full
// text in restricted/failure.txt, and, in a folder named by its code, the
// report of each run that failed (its manifest, failure text and
// rejects). Nothing rendered is kept. It returns runErr, joined with any
// error writing the report. A configuration error leaves every folder as
// it was, as for one organisation.
func failMany(top, out, period, stage string, runErr error) error {
	var invalid *InvalidError
	var refused *RefusedError
	if errors.As(runErr, &invalid) || errors.As(runErr, &refused) {
		return runErr
	}
	rep, err := outputTemp(FailedDir(out))
	if err != nil {
		return errors.Join(runErr, err)
	}
	defer os.RemoveAll(rep)
	entries, err := os.ReadDir(top)
	if err != nil {
		return errors.Join(runErr, err)
	}
	var se *StageError
	errors.As(runErr, &se)
	for _, e := range entries {
		if code, ok := strings.CutSuffix(e.Name(), ".failed"); ok && e.IsDir() {
			from := filepath.Join(top, e.Name())
			if err := os.Rename(from, filepath.Join(rep, code)); err != nil {
				return errors.Join(runErr, err)
			}
			if se != nil && se.Manifest == filepath.Join(from, manifest.Name) {
				// Say where the failed run's report now is.
				se.Manifest = filepath.Join(FailedDir(out), code, manifest.Name)
			}
		}
	}
	mm := ManyManifest{Tool: toolInfo(), Status: "failed", Kind: "organisations", Period: period,
		Failure: &manifest.Failure{Stage: stage, Error: diag.Redact(runErr.Error())}}
	if err := writeFailure(rep, stage, runErr); err != nil {
		return errors.Join(runErr, err)
	}
	if err := writeJSON(filepath.Join(rep, manifest.Name), mm); err != nil {
		return errors.Join(runErr, err)
	}
	if err := replaceDir(rep, FailedDir(out), true); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// orgConfig is the run config of one organisation: the whole run's
// settings, with snapshots of its own records pinned and all/ as its
// comparator.
func orgConfig(allCfg *config.Run, code, name string, all *run, parts []transform.Part,
	rejects, rejectsSHA string, comparator *config.Comparator, roots ...string) (*config.Run, error) {
	oc := *allCfg
	oc.Organisation = config.Organisation{Code: code, Name: name, Kind: allCfg.Organisation.Kind}
	oc.Comparator = comparator
	if oc.Statistics.Threads == 0 {
		// Organisations run one per core: one DuckDB thread each, rather
		// than every run's DuckDB claiming every core.
		oc.Statistics.Threads = 1
	}
	oc.ExtraRoots = append(append([]string(nil), allCfg.ExtraRoots...), roots...)
	oc.Snapshots = map[string]*config.SnapshotPin{}
	bySource := map[string]transform.Part{}
	for _, p := range parts {
		bySource[p.Source] = p
	}
	whole := map[string]bool{}
	for _, res := range all.extracts {
		p, ok := bySource[res.Source]
		if !ok {
			// An aggregate source with no organisation column is published
			// for the whole area: each organisation's run leaves its
			// indicators out rather than report another area's figures.
			whole[res.Source] = true
			continue
		}
		hf, err := manifest.HashFile(p.Path)
		if err != nil {
			return nil, err
		}
		oc.Snapshots[res.Source] = &config.SnapshotPin{Path: p.Path, SHA256: hf.SHA256, Rejects: rejects, RejectsSHA256: rejectsSHA,
			InputSHA256: res.InputSHA256, Rows: p.Rows}
	}
	var ids []string
	for _, ind := range all.indicators {
		if whole[ind.Source] || (ind.Population != nil && whole[ind.Population.Source]) {
			continue
		}
		ids = append(ids, ind.ID)
	}
	oc.Indicators.Only, oc.Indicators.Enable, oc.Indicators.Disable = ids, nil, nil
	return &oc, nil
}

// writeJSON writes v as indented JSON.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
