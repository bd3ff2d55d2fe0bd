package pipeline_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/metrics"
	"hiis/pipeline/source"
)

// fixtureTruth is the part of fixtures/truth.json these tests read.
type fixtureTruth struct {
	Indicators []struct {
		ID         string  `json:"id"`
		Source     string  `json:"source"`
		Measure    string  `json:"measure"`
		Definition string  `json:"definition"`
		Q1ToQ5     float64 `json:"q1_to_q5"`
	} `json:"indicators"`
	Aggregates []struct {
		File        string   `json:"file"`
		MeasureCode string   `json:"measure_code"`
		Indicator   string   `json:"indicator"`
		Breakdowns  []string `json:"breakdowns"`
	} `json:"aggregates"`
}

// catalogueFile is the indicator catalogue (INDICATORS.md) in the shared
// docs beside the project.
var catalogueFile = filepath.Join(root, "..", "shared", "docs", "INDICATORS.md")

// allBreakdowns are the breakdowns of a record-level indicator: overall and
// the four of the catalogue.
var allBreakdowns = []string{metrics.Overall, metrics.IMDQuintile, metrics.Ethnic, metrics.AgeBand, metrics.Sex}

// TestFixtureRecovery runs the fixtures once and checks the results against
// what the generator put in: every record-level indicator's true Q1/Q5
// ratio lies in the computed 99.8% interval; every catalogue indicator has
// results with every breakdown its source has; the statement names every
// indicator. 99.8% rather than 95% because some 22 ratios are tested at
// once: at 95% one or two would fail by chance alone.
//
// A failing ratio means the indicator's definition (indicators/ID.yaml)
// counts something other than what the generator drew; fix the definition,
// never the interval.
func TestFixtureRecovery(t *testing.T) {
	cfg := mustLoad(t, fixtureConfig)
	inds, err := pipeline.LoadIndicators(cfg)
	if err != nil {
		t.Fatalf("loading the indicators of %s: %v", fixtureConfig, err)
	}
	var truth fixtureTruth
	b, err := os.ReadFile(filepath.Join(root, "fixtures", "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatalf("fixtures/truth.json: %v", err)
	}

	out := mustRun(t, fixtureConfig, t.TempDir())
	published := readMetrics(t, filepath.Join(out, "metrics.csv"))
	unsuppressed := readMetrics(t, filepath.Join(out, "restricted", "metrics_unsuppressed.csv"))
	find := func(rows []metrics.Row, id, breakdown, group string) (metrics.Row, bool) {
		for _, r := range rows {
			if r.IndicatorID == id && r.Breakdown == breakdown && r.Group == group {
				return r, true
			}
		}
		return metrics.Row{}, false
	}
	measureOf := map[string]string{}
	for _, ind := range inds {
		measureOf[ind.ID] = ind.Measure
	}

	t.Run("truth", func(t *testing.T) {
		if len(truth.Indicators) == 0 {
			t.Fatal("fixtures/truth.json lists no record-level indicators")
		}
		for _, tr := range truth.Indicators {
			t.Run(tr.ID, func(t *testing.T) {
				if m, ok := measureOf[tr.ID]; !ok {
					t.Fatalf("%s: truth.json has it (%s), but the fixture run has no such indicator", tr.ID, tr.Definition)
				} else if m != tr.Measure {
					t.Errorf("%s: measure is %s, but the generator's truth is a %s (%s)", tr.ID, m, tr.Measure, tr.Definition)
				}
				r, ok := find(unsuppressed, tr.ID, metrics.IMDSummary, metrics.GroupRatio)
				if !ok {
					t.Fatalf("%s: no %s/%s row in metrics_unsuppressed.csv", tr.ID, metrics.IMDSummary, metrics.GroupRatio)
				}
				if math.IsNaN(r.Lower998) || math.IsNaN(r.Upper998) {
					t.Fatalf("%s: the Q1/Q5 ratio has no 99.8%% interval (value %v, note %q); true ratio %.4g", tr.ID, r.Value, r.Note, tr.Q1ToQ5)
				}
				if tr.Q1ToQ5 < r.Lower998 || tr.Q1ToQ5 > r.Upper998 {
					t.Errorf("%s: true Q1/Q5 ratio %.4g lies outside the computed 99.8%% interval %.4g to %.4g (computed ratio %.4g); "+
						"the definition in indicators/%s.yaml may count something other than the generator's %q",
						tr.ID, tr.Q1ToQ5, r.Lower998, r.Upper998, r.Value, tr.ID, tr.Definition)
				}
				t.Logf("%s: truth %.4f, computed %.4f, 99.8%% interval %.4f to %.4f", tr.ID, tr.Q1ToQ5, r.Value, r.Lower998, r.Upper998)
			})
		}
	})

	// breakdownsOf lists the breakdowns that have rows, per indicator.
	breakdownsOf := map[string][]string{}
	for _, r := range published {
		if !slices.Contains(breakdownsOf[r.IndicatorID], r.Breakdown) {
			breakdownsOf[r.IndicatorID] = append(breakdownsOf[r.IndicatorID], r.Breakdown)
		}
	}
	// The breakdowns each aggregate measure code publishes.
	aggregate := map[string][]string{}
	for _, a := range truth.Aggregates {
		aggregate[a.MeasureCode] = a.Breakdowns
	}
	measureCode := regexp.MustCompile(`measure_code\s*=\s*'([^']+)'`)

	t.Run("breakdowns", func(t *testing.T) {
		for _, ind := range inds {
			t.Run(ind.ID, func(t *testing.T) {
				src, ok := cfg.Sources[ind.Source]
				if !ok {
					t.Fatalf("%s: source %q is not in %s", ind.ID, ind.Source, fixtureConfig)
				}
				kind, err := source.Lookup(src.Kind)
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				switch kind.Level {
				case source.Record:
					want = allBreakdowns
				case source.Aggregate:
					m := measureCode.FindStringSubmatch(ind.Filter)
					if m == nil {
						t.Fatalf("%s: filter %q selects no measure_code", ind.ID, ind.Filter)
					}
					if want, ok = aggregate[m[1]]; !ok {
						t.Fatalf("%s: measure code %s is not among the fixture's aggregates in truth.json", ind.ID, m[1])
					}
				default:
					t.Fatalf("%s: source %q is of level %s", ind.ID, ind.Source, kind.Level)
				}
				declared := append([]string{metrics.Overall}, ind.Breakdowns...)
				if !sameSet(declared, want) {
					t.Errorf("%s: declares breakdowns %v, but its source %s has %v", ind.ID, declared, ind.Source, want)
				}
				got := breakdownsOf[ind.ID]
				for _, bd := range want {
					if !slices.Contains(got, bd) {
						t.Errorf("%s: no %s rows in metrics.csv (it has %v; the source has %v)", ind.ID, bd, got, want)
					}
				}
			})
		}
	})

	t.Run("catalogue", func(t *testing.T) {
		ids, err := catalogueIDs(catalogueFile)
		if errors.Is(err, fs.ErrNotExist) {
			t.Skipf("indicator catalogue not found at %s (it sits beside the project in ../shared/docs): %v", catalogueFile, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) < 30 {
			t.Fatalf("%s: read only %d indicator ids: %v", catalogueFile, len(ids), ids)
		}
		var have []string
		for id := range breakdownsOf {
			have = append(have, id)
		}
		sort.Strings(have)
		for _, id := range ids {
			t.Run(id, func(t *testing.T) {
				// A catalogue row such as RESP-1 may become one indicator per
				// item: RESP-1a, RESP-1b ...
				var match []string
				for _, h := range have {
					if h == id || (len(h) == len(id)+1 && strings.HasPrefix(h, id) && h[len(id)] >= 'a' && h[len(id)] <= 'z') {
						match = append(match, h)
					}
				}
				if len(match) == 0 {
					t.Errorf("catalogue indicator %s has no rows in metrics.csv (indicators with rows: %v)", id, have)
				}
			})
		}
	})

	t.Run("statement", func(t *testing.T) {
		bin, err := exec.LookPath("pdftotext")
		if err != nil {
			t.Skipf("pdftotext not found (install poppler-utils): %v", err)
		}
		txt, err := exec.Command(bin, "-enc", "UTF-8", filepath.Join(out, "statement.pdf"), "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		// Lines wrap anywhere in a name, hyphens included: compare without
		// any white space.
		text := squeeze(string(txt))
		for _, ind := range inds {
			if !strings.Contains(text, squeeze(ind.Name)) {
				t.Errorf("%s: statement.pdf does not contain the indicator's name %q", ind.ID, ind.Name)
			}
		}
	})
}

// catalogueIDs reads the indicator ids from the first column of the
// catalogue's tables.
func catalogueIDs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idCell := regexp.MustCompile(`^\|\s*([A-Z]+-[0-9]+[a-z]?)\s*\|`)
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := idCell.FindStringSubmatch(sc.Text()); m != nil && !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	return ids, sc.Err()
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}
