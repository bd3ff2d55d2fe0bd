package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"

	"hiis/pipeline/config"
	"hiis/pipeline/manifest"
)

// Bundle layout inside a run folder.
const (
	BundleDir    = "bundle"               // pinned config, indicator definitions, reference files
	BundleConfig = "bundle/config.yaml"   // the pinned config
	SnapshotDir  = "restricted/snapshots" // the record-level Parquet snapshots the run used: not for publication
)

// writeBundle makes the run folder self-contained: the snapshots, the
// indicator definitions and reference files it used, and a pinned config
// that re-runs from them without the original extracts.
func (r *run) writeBundle() error {
	cfg := r.cfg
	copyIn := func(src, rel string) (string, error) {
		dst := filepath.Join(r.tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := copyFile(src, dst); err != nil {
			return "", err
		}
		hf, err := manifest.HashFile(dst)
		if err != nil {
			return "", err
		}
		hf.Path = rel
		r.man.Bundle = append(r.man.Bundle, hf)
		return hf.SHA256, nil
	}
	pinned := config.Run{
		Hiis:         cfg.Hiis,
		Organisation: cfg.Organisation,
		Period:       cfg.Period,
		DataRoot:     "..",
		Disclosure:   cfg.Disclosure,
		Narrative:    cfg.Narrative,
		Output:       "..",
		Extract:      cfg.Extract,
		Statistics:   cfg.Statistics,
		Sources:      map[string]*config.Source{},
		Snapshots:    map[string]*config.SnapshotPin{},
		PinnedFrom:   &config.PinnedFrom{Config: r.man.Config.Path, SHA256: r.man.Config.SHA256},
	}
	if cfg.PinnedFrom != nil {
		pinned.PinnedFrom = cfg.PinnedFrom
	}
	imdRel := "bundle/reference/" + filepath.Base(cfg.Reference.IMD.Path)
	imdPath, _ := cfg.Resolve(cfg.Reference.IMD.Path)
	sum, err := copyIn(imdPath, imdRel)
	if err != nil {
		return err
	}
	pinned.Reference.IMD = cfg.Reference.IMD
	pinned.Reference.IMD.Path = "reference/" + filepath.Base(cfg.Reference.IMD.Path)
	pinned.Reference.IMD.SHA256 = sum

	if lk := cfg.Reference.LSOALookup; lk != nil {
		p, _ := cfg.Resolve(lk.Path)
		sum, err := copyIn(p, "bundle/reference/lsoa-lookup-"+filepath.Base(lk.Path))
		if err != nil {
			return err
		}
		pinnedLK := *lk
		pinnedLK.Path, pinnedLK.SHA256 = "reference/lsoa-lookup-"+filepath.Base(lk.Path), sum
		pinned.Reference.LSOALookup = &pinnedLK
	}

	if p := cfg.PreviousDataQuality; p != "" {
		path, _ := cfg.Resolve(p)
		if _, err := copyIn(path, "bundle/reference/previous-data-quality.csv"); err != nil {
			return err
		}
		pinned.PreviousDataQuality = "reference/previous-data-quality.csv"
	}
	if r.previous != nil {
		if pinned.Previous, err = r.bundlePrevious(copyIn); err != nil {
			return err
		}
	}

	if c := cfg.Comparator; c != nil {
		path, _ := cfg.Resolve(c.Metrics)
		sum, err := copyIn(path, "bundle/reference/comparator-metrics.csv")
		if err != nil {
			return err
		}
		pc := *c
		pc.Metrics, pc.SHA256 = "reference/comparator-metrics.csv", sum
		pinned.Comparator = &pc
	}
	for _, name := range cfg.ComparatorNames() {
		c := cfg.Comparators[name]
		// The bundle holds only this run's indicators: so does the map, and
		// a comparator none of them read is left out (as the run did).
		mapped := map[string]string{}
		for _, ind := range r.indicators {
			if ft, ok := c.Indicators[ind.ID]; ok {
				mapped[ind.ID] = ft
			}
		}
		if len(mapped) == 0 {
			continue
		}
		path, _ := cfg.Resolve(c.Path)
		rel := "reference/comparator-" + name + ".csv"
		sum, err := copyIn(path, "bundle/"+rel)
		if err != nil {
			return err
		}
		pc := *c
		pc.Path, pc.SHA256, pc.Indicators = rel, sum, mapped
		if pinned.Comparators == nil {
			pinned.Comparators = map[string]*config.PublishedComparator{}
		}
		pinned.Comparators[name] = &pc
	}

	var ids []string
	for _, ind := range r.indicators {
		ids = append(ids, ind.ID)
		for _, f := range ind.Files() {
			if _, err := copyIn(f, "bundle/indicators/"+filepath.Base(f)); err != nil {
				return err
			}
		}
	}
	sort.Strings(ids)
	pinned.Indicators = config.IndicatorSelection{Dir: "indicators", Only: ids}
	tdir, err := cfg.TemplatesDir()
	if err != nil {
		return err
	}
	files, err := templateFiles(tdir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if _, err := copyIn(filepath.Join(tdir, filepath.FromSlash(f)), "bundle/templates/"+f); err != nil {
			return err
		}
	}
	pinned.Templates = "templates"
	pinned.Narrative = append([]config.Narrative(nil), cfg.Narrative...)
	for i, n := range pinned.Narrative {
		if n.File == "" {
			continue
		}
		path, _ := cfg.Resolve(n.File)
		rel := fmt.Sprintf("narrative/%d-%s", i+1, filepath.Base(path))
		if _, err := copyIn(path, "bundle/"+rel); err != nil {
			return err
		}
		pinned.Narrative[i].File = rel
	}

	for _, res := range r.extracts {
		s := *cfg.Sources[res.Source]
		s.Path = filepath.Base(res.Input)
		if s.Database != nil {
			// A query source re-runs from its snapshot: the bundle keeps
			// the query, never a connection string.
			s.Path = ""
			if s.QueryFile != "" {
				qf, _ := cfg.Resolve(s.QueryFile)
				if _, err := copyIn(qf, "bundle/queries/"+res.Source+".sql"); err != nil {
					return err
				}
				s.QueryFile = "queries/" + res.Source + ".sql"
			}
		}
		s.SHA256 = res.InputSHA256
		pinned.Sources[res.Source] = &s
		snapRel := SnapshotDir + "/" + filepath.Base(res.Snapshot)
		snapSum, err := copyIn(res.Snapshot, snapRel)
		if err != nil {
			return err
		}
		pinned.Snapshots[res.Source] = &config.SnapshotPin{
			Path: "../" + snapRel, SHA256: snapSum,
			Rejects: "../restricted/rejects/" + res.Source + ".csv", RejectsSHA256: res.RejectsSHA256,
			InputSHA256: res.InputSHA256, Rows: res.Rows, Rejected: res.Rejected, Duplicates: res.Duplicates,
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Pinned by hiis from %s: re-run with `hiis verify` on the run folder,\n# or `hiis run --config %s`. Inputs are read from the snapshots below.\n",
		filepath.Base(cfg.File), BundleConfig)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&pinned); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	dst := filepath.Join(r.tmp, filepath.FromSlash(BundleConfig))
	if err := os.WriteFile(dst, b.Bytes(), 0o644); err != nil {
		return err
	}
	hf, err := manifest.HashFile(dst)
	if err != nil {
		return err
	}
	hf.Path = BundleConfig
	r.man.Bundle = append(r.man.Bundle, hf)
	return nil
}

// copyFile streams src to dst, so that a national snapshot is never held in
// memory.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}
