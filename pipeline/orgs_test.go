package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"hiis/pipeline"
	"hiis/pipeline/audit"
	"hiis/pipeline/metrics"
	"hiis/pipeline/source"
)

var orgsConfig = filepath.Join("testdata", "orgs", "config.yaml")

// orgsConfigText is the fixture config made into the two-organisation one:
// organisations by the district lookup instead of one organisation, paths
// from testdata/orgs, and no last year (that was one organisation's).
func orgsConfigText(fixture string) string {
	s := strings.Replace(fixture, "# The committed fixture run: synthetic extracts for a synthetic ICB.\n# `hiis run` with no flags runs this file and writes under out/.",
		"# The fixture run split between two synthetic ICBs by district, through an\n# LSOA → organisation lookup: one statement per ICB, plus all/. Made from\n# config/fixture.yaml by TestOrganisationsConfig (-update rewrites it).", 1)
	s = strings.Replace(s, "organisation:\n  code: QXX\n  name: NHS Fenland and Nene ICB (synthetic)\n  kind: icb\n",
		"organisations:\n  kind: icb\n  lookup:\n    path: lsoa_org.csv\n    columns: {lsoa: LSOA11CD, code: ORG_CODE, name: ORG_NAME}\n  select: all\n", 1)
	for _, r := range [][2]string{{"data_root: ..\n", "data_root: ../../..\n"}, {"../fixtures/", "../../../fixtures/"},
		{"dir: ../indicators", "dir: ../../../indicators"}, {"output: ../out", "output: out"}, {"file: fixture-actions.md", "file: ../../../config/fixture-actions.md"}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	var keep []string
	skip := false
	for _, line := range strings.Split(s, "\n") {
		switch {
		case strings.HasPrefix(line, "previous_data_quality:"), strings.HasPrefix(line, "# Last year's published"),
			strings.HasPrefix(line, "# of the fixture model"):
			continue
		case strings.HasPrefix(line, "previous:"):
			skip = true
			continue
		case skip && strings.HasPrefix(line, "  "):
			continue
		}
		skip = false
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// TestOrganisationsConfig: the two-organisation config follows the fixture
// config.
func TestOrganisationsConfig(t *testing.T) {
	b, err := os.ReadFile(fixtureConfig)
	if err != nil {
		t.Fatal(err)
	}
	want := orgsConfigText(string(b))
	if *update {
		if err := os.WriteFile(orgsConfig, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(orgsConfig)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s does not follow %s (rerun with -update):\n%s", orgsConfig, fixtureConfig, lineDiff(want, string(got)))
	}
}

// TestOrganisations splits the fixture between two ICBs by district: each
// organisation gets a complete run folder that verifies on its own, all/
// reproduces the single-organisation run, and the two organisations'
// counts add up to all/'s less the records no organisation took.
func TestOrganisations(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	work := t.TempDir()
	sum, err := pipeline.RunMany(context.Background(), mustLoad(t, orgsConfig), pipeline.Options{Out: out, Work: work})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Organisations) != 2 || sum.Organisations[0].Code != "QAA" || sum.Organisations[1].Code != "QBB" {
		t.Fatalf("organisations: %+v", sum.Organisations)
	}
	var top pipeline.ManyManifest
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if top.Kind != "organisations" || len(top.Organisations) != 2 || top.All.Folder != "all" || top.Organisations[0].Manifest == "" {
		t.Errorf("top manifest: %+v", top)
	}
	// Byte for byte the same when run again (elsewhere, sharing the work
	// folder): no temporary path or clock reaches any file.
	again := filepath.Join(t.TempDir(), "again")
	if _, err := pipeline.RunMany(context.Background(), mustLoad(t, orgsConfig), pipeline.Options{Out: again, Work: work}); err != nil {
		t.Fatal(err)
	}
	if a, b := treeHashes(t, out), treeHashes(t, again); !maps.Equal(a, b) {
		for f := range a {
			if a[f] != b[f] {
				t.Errorf("%s differs between two runs", f)
			}
		}
	}
	if sum.Unassigned["apc"] == 0 {
		t.Errorf("the fixture's apc has records with no or unknown LSOA, but none were unassigned: %v", sum.Unassigned)
	}
	// Each statement quotes the comparator and its unassigned records;
	// all/'s, the comparator itself, does not.
	for _, f := range []string{"QAA", "QBB", "all"} {
		page, err := os.ReadFile(filepath.Join(out, f, "statement.html"))
		if err != nil {
			t.Fatal(err)
		}
		quotes := bytes.Contains(page, []byte("against the same quintile of All organisations")) &&
			bytes.Contains(page, []byte("They count in All organisations but in no organisation&#39;s statement"))
		if quotes != (f != "all") {
			t.Errorf("%s/statement.html quotes the comparator: %v", f, quotes)
		}
		// Every statement, all/'s too, is read beside England's published
		// file, copied into its own bundle.
		if !bytes.Contains(page, []byte("against the same quintile of England")) || !bytes.Contains(page, []byte("England, same quintile")) {
			t.Errorf("%s/statement.html does not quote England", f)
		}
		if _, err := os.Stat(filepath.Join(out, f, "bundle", "reference", "comparator-national.csv")); err != nil {
			t.Errorf("%s: England's file is not in the bundle: %v", f, err)
		}
	}

	// all/ is the single-organisation run under another name.
	single := mustRun(t, fixtureConfig, work)
	var want []metrics.Row // the two-organisation config names no last year
	for _, r := range readMetrics(t, filepath.Join(single, "restricted", "metrics_unsuppressed.csv")) {
		if r.Breakdown != "change" {
			want = append(want, r)
		}
	}
	got := readMetrics(t, filepath.Join(out, "all", "restricted", "metrics_unsuppressed.csv"))
	if len(got) != len(want) {
		t.Fatalf("all/ has %d metric rows, the single run %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.Organisation, g.Organisation = "", ""
		if w.Key() != g.Key() || !sameNumbers(w, g) {
			t.Errorf("all/ row %d differs from the single run:\n got %+v\nwant %+v", i, g, w)
			break
		}
	}

	// Quintile counts add up exactly: every LSOA in the IMD lookup belongs
	// to one of the two organisations. Overall counts add up to all/'s less
	// the records in the Unknown quintile, which no organisation took.
	type key struct{ ind, breakdown, group string }
	count := func(folder string) map[key][2]float64 {
		m := map[key][2]float64{}
		for _, r := range readMetrics(t, filepath.Join(out, folder, "restricted", "metrics_unsuppressed.csv")) {
			if r.Breakdown == metrics.Overall || r.Breakdown == metrics.IMDQuintile {
				m[key{r.IndicatorID, r.Breakdown, r.Group}] = [2]float64{r.Numerator, r.Denominator}
			}
		}
		return m
	}
	all, a, bb := count("all"), count("QAA"), count("QBB")
	checked := 0
	for k, v := range all {
		if _, ok := a[key{k.ind, metrics.Overall, metrics.GroupAll}]; !ok {
			continue // an aggregate source published for the whole area: all/ only
		}
		if k.group == "Unknown" {
			continue
		}
		want := v[0]
		if k.breakdown == metrics.Overall {
			want -= all[key{k.ind, metrics.IMDQuintile, "Unknown"}][0]
		}
		if got := a[k][0] + bb[k][0]; got != want {
			t.Errorf("%s %s %s: QAA %v + QBB %v = %v, want all/ less unassigned = %v", k.ind, k.breakdown, k.group, a[k][0], bb[k][0], got, want)
		}
		// Population denominators follow the same assignment.
		if d := v[1]; k.breakdown == metrics.IMDQuintile && d == d {
			if got := a[k][1] + bb[k][1]; got != d {
				t.Errorf("%s %s %s: denominators QAA %v + QBB %v = %v, want all/'s %v", k.ind, k.breakdown, k.group, a[k][1], bb[k][1], got, d)
			}
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d counts compared", checked)
	}

	// diff reads a multi-organisation run as all its folders together,
	// keyed by organisation.
	rows, err := audit.ReadMetrics(out)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range []string{"all", "QAA", "QBB"} {
		n += len(readMetrics(t, filepath.Join(out, f, "metrics.csv")))
	}
	if len(rows) != n {
		t.Errorf("diff read %d rows of the multi-organisation run, want %d", len(rows), n)
	}
	if d := audit.Diff(rows, rows, 0); d.Over != 0 || d.Rows != n {
		t.Errorf("diff of a run with itself: %+v", d)
	}
	moved := append([]metrics.Row(nil), rows...)
	moved[len(moved)-1].Value++
	if d := audit.Diff(rows, moved, 0); d.Changed != 1 {
		t.Errorf("diff after changing one organisation's row: %d changed, want 1", d.Changed)
	}

	// Every folder verifies on its own, copied away from the others.
	for _, f := range []string{"QAA", "QBB", "all"} {
		dst := filepath.Join(t.TempDir(), f)
		if err := os.CopyFS(dst, os.DirFS(filepath.Join(out, f))); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(context.Background(), dst)
		if err != nil {
			t.Fatalf("verify %s: %v", f, err)
		}
		if !rep.OK() {
			t.Errorf("verify %s: differences", f)
		}
	}
}

// TestOrganisationsByColumn assigns the same records by a column of each
// extract (provider-based) instead of the LSOA lookup: each organisation's
// metrics are the same as by lookup.
func TestOrganisationsByColumn(t *testing.T) {
	lookup := map[string]string{}
	lf, err := os.Open(filepath.Join("testdata", "orgs", "lsoa_org.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(lf).ReadAll()
	lf.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		lookup[r[0]] = r[1]
	}
	byLookup := mustLoad(t, orgsConfig)
	byColumn := mustLoad(t, orgsConfig)
	dir := t.TempDir()
	byColumn.ExtraRoots = []string{dir}
	byColumn.Organisations.Lookup = nil
	byColumn.Organisations.Column = "organisation"
	byColumn.Organisations.Select = yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "QAA"}, {Kind: yaml.ScalarNode, Value: "QBB"}}}
	for name, s := range byColumn.Sources {
		k, _ := source.Lookup(s.Kind)
		if k.Level == source.Aggregate {
			continue
		}
		in, err := byColumn.Resolve(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		lsoa := "lsoa"
		if m := s.Columns["lsoa"]; m != "" {
			lsoa = m
		}
		dst := filepath.Join(dir, name+".csv")
		withOrganisation(t, in, dst, lsoa, lookup)
		c := *s
		c.Path, c.Columns = dst, map[string]string{"organisation": "provider_code"}
		for k, v := range s.Columns {
			c.Columns[k] = v
		}
		byColumn.Sources[name] = &c
	}
	outL, outC := filepath.Join(t.TempDir(), "out"), filepath.Join(t.TempDir(), "out")
	if _, err := pipeline.RunMany(context.Background(), byLookup, pipeline.Options{Out: outL, Work: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	sum, err := pipeline.RunMany(context.Background(), byColumn, pipeline.Options{Out: outC, Work: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Organisations) != 2 {
		t.Fatalf("organisations: %+v", sum.Organisations)
	}
	for _, org := range []string{"QAA", "QBB"} {
		want := readMetrics(t, filepath.Join(outL, org, "restricted", "metrics_unsuppressed.csv"))
		got := readMetrics(t, filepath.Join(outC, org, "restricted", "metrics_unsuppressed.csv"))
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows by column, %d by lookup", org, len(got), len(want))
		}
		for i := range want {
			if got[i].Key() != want[i].Key() || !sameNumbers(got[i], want[i]) {
				t.Errorf("%s row %d by column differs from by lookup:\n got %+v\nwant %+v", org, i, got[i], want[i])
				break
			}
		}
	}
}

// withOrganisation copies a CSV extract adding a provider_code column
// from the lookup of its LSOA column (blank when the LSOA is unknown).
func withOrganisation(t *testing.T, src, dst, lsoaCol string, lookup map[string]string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], lsoaCol)
	if col < 0 {
		t.Fatalf("%s: no column %s", src, lsoaCol)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for i, rec := range recs {
		v := "provider_code"
		if i > 0 && col < len(rec) {
			v = lookup[strings.ToUpper(strings.TrimSpace(rec[col]))]
		}
		if err := w.Write(append(rec, v)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// treeHashes maps each file under dir (slash path) to its sha256.
func treeHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameNumbers(a, b metrics.Row) bool {
	x, y := a.Numbers(), b.Numbers()
	for i := range x {
		if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
			return false
		}
	}
	return true
}

// TestOrganisationsFailure: a multi-organisation run that fails leaves the
// previous run as it was and reports in <out>.failed what failed, with the
// failed run's own report under its folder name and nothing rendered; the
// next good run removes the report.
func TestOrganisationsFailure(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	work := t.TempDir()
	if _, err := pipeline.RunMany(context.Background(), mustLoad(t, orgsConfig), pipeline.Options{Out: out, Work: work}); err != nil {
		t.Fatal(err)
	}
	before := treeHashes(t, out)

	bad := mustLoad(t, orgsConfig)
	empty := filepath.Join(t.TempDir(), "wlmds.csv")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad.ExtraRoots = append(bad.ExtraRoots, filepath.Dir(empty))
	bad.Sources["wlmds"].Path = empty
	_, err := pipeline.RunMany(context.Background(), bad, pipeline.Options{Out: out, Work: work})
	var se *pipeline.StageError
	if !errors.As(err, &se) {
		t.Fatalf("a run with an empty extract gave %v, not a stage's error", err)
	}
	if want := filepath.Join(pipeline.FailedDir(out), pipeline.AllFolder, "manifest.json"); se.Manifest != want {
		t.Errorf("the error names the failed run's manifest as %s, want %s", se.Manifest, want)
	}
	if !maps.Equal(treeHashes(t, out), before) {
		t.Error("the failed run changed the previous run's folder")
	}
	failed := pipeline.FailedDir(out)
	var top pipeline.ManyManifest
	b, err := os.ReadFile(filepath.Join(failed, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if top.Status != "failed" || top.Kind != "organisations" || top.Failure == nil || top.Failure.Stage != pipeline.AllFolder {
		t.Errorf("failure report manifest: %s", b)
	}
	all, err := os.ReadFile(filepath.Join(failed, pipeline.AllFolder, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"status": "failed"`, `"stage": "extract"`, "file is empty"} {
		if !strings.Contains(string(all), want) {
			t.Errorf("all/'s failure report lacks %s:\n%s", want, all)
		}
	}
	for _, f := range []string{pipeline.FailureFile, filepath.Join(pipeline.AllFolder, pipeline.FailureFile)} {
		if _, err := os.Stat(filepath.Join(failed, f)); err != nil {
			t.Errorf("no %s in the failure report: %v", f, err)
		}
	}
	for name := range treeHashes(t, failed) {
		if strings.HasSuffix(name, ".pdf") || strings.HasSuffix(name, ".html") || strings.HasSuffix(name, "metrics.csv") {
			t.Errorf("the failure report holds %s", name)
		}
	}

	if _, err := pipeline.RunMany(context.Background(), mustLoad(t, orgsConfig), pipeline.Options{Out: out, Work: work}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(failed); err == nil {
		t.Error("a good run left the old failure report")
	}
}
