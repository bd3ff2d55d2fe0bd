package stats

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// refDir is the PHEindicatormethods reference folder, relative to this
// package: <root>/pipeline/stats -> <root>/../shared/reference/phe.
const refDir = "../../../shared/reference/phe"

// Tolerances from the reference README.
const (
	tolDet      = 1e-9 // deterministic values
	tolNonIndep = 1e-8 // dsr09–dsr12, whose expected values are rounded
	tolSIILimit = 0.05 // simulated SII/RII limits
	testReps    = 100000
	testSeed    = 20250101
)

// errStats records the largest relative errors seen, for the summary that
// TestMain prints with -v.
var errStats = struct {
	sync.Mutex
	max   map[string]float64
	where map[string]string
	n     map[string]int
}{max: map[string]float64{}, where: map[string]string{}, n: map[string]int{}}

func record(kind, where string, rel float64) {
	errStats.Lock()
	defer errStats.Unlock()
	errStats.n[kind]++
	if rel > errStats.max[kind] || errStats.where[kind] == "" {
		errStats.max[kind] = rel
		errStats.where[kind] = where
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testing.Verbose() {
		kinds := make([]string, 0, len(errStats.max))
		for k := range errStats.max {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Printf("max relative error %-22s %.3g over %d values (at %s)\n", k, errStats.max[k], errStats.n[k], errStats.where[k])
		}
	}
	os.Exit(code)
}

// row is one CSV record keyed by header.
type row map[string]string

// f parses a numeric field; empty means NA (NaN).
func (r row) f(t testing.TB, col string) float64 {
	t.Helper()
	s, ok := r[col]
	if !ok {
		t.Fatalf("no column %q", col)
	}
	if strings.TrimSpace(s) == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("column %q: %v", col, err)
	}
	return v
}

// mustReadCSV reads a reference CSV, skipping the test when the folder is
// absent.
func mustReadCSV(t testing.TB, name string) []row {
	t.Helper()
	if _, err := os.Stat(refDir); err != nil {
		t.Skipf("reference vectors not found at %s (expected the shared folder beside the project root): %v", refDir, err)
	}
	fh, err := os.Open(filepath.Join(refDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(recs) < 2 {
		t.Fatalf("%s: no data rows", name)
	}
	rows := make([]row, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		r := row{}
		for i, h := range recs[0] {
			r[h] = rec[i]
		}
		rows = append(rows, r)
	}
	return rows
}

// relErr is |got − want|/|want|, or |got| when want is 0; a NaN on exactly
// one side is +Inf and NaN on both is 0.
func relErr(got, want float64) float64 {
	switch {
	case math.IsNaN(want) && math.IsNaN(got):
		return 0
	case math.IsNaN(want) || math.IsNaN(got):
		return math.Inf(1)
	case want == got:
		return 0
	case want == 0:
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// near asserts got ≈ want within relative tol (NaN matches NaN) and records
// the error under kind.
func near(t *testing.T, kind, what string, got, want, tol float64) {
	t.Helper()
	e := relErr(got, want)
	if !math.IsNaN(want) {
		record(kind, t.Name()+" "+what, e)
	}
	if e > tol {
		t.Errorf("%s = %.17g, want %.17g (relative error %.3g > %g)", what, got, want, e, tol)
	}
}

// pick returns the limits of e at the given confidence level.
func pick(t *testing.T, e Estimate, conf float64) (lower, upper float64) {
	t.Helper()
	switch conf {
	case Conf95:
		return e.Lower95, e.Upper95
	case Conf998:
		return e.Lower998, e.Upper998
	}
	t.Fatalf("unexpected confidence %g", conf)
	return 0, 0
}

func TestReferenceWilson(t *testing.T) {
	for _, r := range mustReadCSV(t, "wilson_proportion.csv") {
		t.Run(r["case_id"], func(t *testing.T) {
			x, n, m, conf := r.f(t, "x"), r.f(t, "n"), r.f(t, "multiplier"), r.f(t, "confidence")
			wantL, wantU := r.f(t, "lowercl"), r.f(t, "uppercl")
			if !strings.HasPrefix(r["r_function"], "phe_proportion") {
				l, u := WilsonLimits(x, n, conf)
				near(t, "deterministic", "lower", l*m, wantL, tolDet)
				near(t, "deterministic", "upper", u*m, wantU, tolDet)
				return
			}
			e, err := Proportion(x, n, m)
			if err != nil {
				t.Fatal(err)
			}
			l, u := pick(t, e, conf)
			near(t, "deterministic", "value", e.Value, r.f(t, "value"), tolDet)
			near(t, "deterministic", "lower", l, wantL, tolDet)
			near(t, "deterministic", "upper", u, wantU, tolDet)
			if e.Method != "Wilson" {
				t.Errorf("method %q", e.Method)
			}
		})
	}
}

func TestReferenceByars(t *testing.T) {
	for _, r := range mustReadCSV(t, "byars_counts.csv") {
		t.Run(r["case_id"], func(t *testing.T) {
			l, u := ByarLimits(r.f(t, "x"), r.f(t, "confidence"))
			near(t, "deterministic", "lower", l, r.f(t, "lowercl"), tolDet)
			near(t, "deterministic", "upper", u, r.f(t, "uppercl"), tolDet)
		})
	}
}

func TestReferenceRate(t *testing.T) {
	for _, r := range mustReadCSV(t, "rate_byars_exact.csv") {
		t.Run(r["case_id"], func(t *testing.T) {
			e, err := Rate(r.f(t, "x"), r.f(t, "n"), r.f(t, "multiplier"))
			if err != nil {
				t.Fatal(err)
			}
			l, u := pick(t, e, r.f(t, "confidence"))
			near(t, "deterministic", "value", e.Value, r.f(t, "value"), tolDet)
			near(t, "deterministic", "lower", l, r.f(t, "lowercl"), tolDet)
			near(t, "deterministic", "upper", u, r.f(t, "uppercl"), tolDet)
			if e.Method != r["method"] {
				t.Errorf("method %q, want %q", e.Method, r["method"])
			}
		})
	}
}

// dsrStrata returns the strata of each area in dsr_dobson_inputs.csv.
func dsrStrata(t *testing.T) map[string][]Stratum {
	t.Helper()
	out := map[string][]Stratum{}
	for i, r := range mustReadCSV(t, "dsr_dobson_inputs.csv") {
		a := r["area"]
		if got, want := len(out[a])+1, int(r.f(t, "band_index")); got != want {
			t.Fatalf("dsr_dobson_inputs row %d: band %d out of order (want %d)", i+1, want, got)
		}
		out[a] = append(out[a], Stratum{Count: r.f(t, "count"), Pop: r.f(t, "pop"), StdPop: r.f(t, "stdpop")})
	}
	return out
}

// nonIndepStrata returns, per area, the strata of each event frequency in
// dsr_nonindependent_inputs.csv, and the sheet's events per band.
func nonIndepStrata(t *testing.T) (map[string]map[int][]Stratum, map[string]map[int]float64) {
	t.Helper()
	out := map[string]map[int][]Stratum{}
	events := map[string]map[int]float64{}
	for _, r := range mustReadCSV(t, "dsr_nonindependent_inputs.csv") {
		a, f := r["area"], int(r.f(t, "eventfreq"))
		if out[a] == nil {
			out[a] = map[int][]Stratum{}
			events[a] = map[int]float64{}
		}
		out[a][f] = append(out[a][f], Stratum{Count: r.f(t, "individuals"), Pop: r.f(t, "pop"), StdPop: r.f(t, "stdpop")})
		events[a][int(r.f(t, "band_index"))] = r.f(t, "total_events_in_band_sheet")
	}
	return out, events
}

func TestReferenceDSR(t *testing.T) {
	strata := dsrStrata(t)
	nonInd, sheetEvents := nonIndepStrata(t)
	for _, r := range mustReadCSV(t, "dsr_dobson_expected.csv") {
		t.Run(r["case_id"], func(t *testing.T) {
			area, m := r["area"], r.f(t, "multiplier")
			var (
				e     Estimate
				err   error
				tol   = tolDet
				kind  = "deterministic"
				total float64
			)
			if r["independent_events"] == "TRUE" {
				s, ok := strata[area]
				if !ok {
					t.Fatalf("no inputs for %s", area)
				}
				for _, st := range s {
					total += zeroNaN(st.Count)
				}
				e, err = DSR(s, m)
			} else {
				byFreq, ok := nonInd[area]
				if !ok {
					t.Fatalf("no inputs for %s", area)
				}
				// The pivoted inputs must add up to the sheet's events per band.
				for band, want := range sheetEvents[area] {
					var got float64
					for f, s := range byFreq {
						got += float64(f) * zeroNaN(s[band-1].Count)
					}
					if got != want {
						t.Errorf("band %d: Σ f·individuals = %g, sheet says %g", band, got, want)
					}
					total += got
				}
				tol, kind = tolNonIndep, "dsr non-independent"
				e, err = DSRNonIndependent(byFreq, m)
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := r.f(t, "total_count"); total != want {
				t.Errorf("total count %g, want %g", total, want)
			}
			l, u := pick(t, e, r.f(t, "confidence"))
			near(t, kind, "value", e.Value, r.f(t, "value"), tol)
			near(t, kind, "lower", l, r.f(t, "lowercl"), tol)
			near(t, kind, "upper", u, r.f(t, "uppercl"), tol)
			wantMethod := r["method"]
			if e.Method != wantMethod {
				t.Errorf("method %q, want %q", e.Method, wantMethod)
			}
			small := strings.HasPrefix(r["statistic"], "dsr NA")
			if small != (e.Note == NoteDSRSmallCount) {
				t.Errorf("note %q for statistic %q", e.Note, r["statistic"])
			}
		})
	}
}

func TestReferenceISR(t *testing.T) {
	strata := dsrStrata(t)
	ref := mustReadCSV(t, "isr_refdata.csv")
	bandsFor := func(t *testing.T, area string) []ISInput {
		s := strata[area]
		if len(s) != len(ref) {
			t.Fatalf("%s has %d bands, reference has %d", area, len(s), len(ref))
		}
		out := make([]ISInput, len(s))
		for i, st := range s {
			out[i] = ISInput{Count: st.Count, Pop: st.Pop, RefCount: ref[i].f(t, "refcount"), RefPop: ref[i].f(t, "refpop")}
		}
		return out
	}
	for _, r := range mustReadCSV(t, "isr_expected.csv") {
		t.Run(r["case_id"], func(t *testing.T) {
			bands := bandsFor(t, r["area"])
			key, val, ok := strings.Cut(r["scale"], "=")
			if !ok {
				t.Fatalf("scale %q", r["scale"])
			}
			scale, err := strconv.ParseFloat(val, 64)
			if err != nil {
				t.Fatal(err)
			}
			var (
				e              Estimate
				obs, exp, rate = 0.0, 0.0, math.NaN()
			)
			switch key {
			case "multiplier":
				e, obs, exp, rate, err = ISRate(bands, scale)
			case "refvalue":
				e, obs, exp, err = ISRatio(bands, scale)
			default:
				t.Fatalf("scale %q", r["scale"])
			}
			if err != nil {
				t.Fatal(err)
			}
			l, u := pick(t, e, r.f(t, "confidence"))
			near(t, "deterministic", "observed", obs, r.f(t, "observed"), tolDet)
			near(t, "deterministic", "expected", exp, r.f(t, "expected"), tolDet)
			near(t, "deterministic", "ref_rate", rate, r.f(t, "ref_rate"), tolDet)
			near(t, "deterministic", "value", e.Value, r.f(t, "value"), tolDet)
			near(t, "deterministic", "lower", l, r.f(t, "lowercl"), tolDet)
			near(t, "deterministic", "upper", u, r.f(t, "uppercl"), tolDet)
			if e.Method != r["method"] {
				t.Errorf("method %q, want %q", e.Method, r["method"])
			}
		})
	}
}

func TestReferenceQuantiles(t *testing.T) {
	rows := mustReadCSV(t, "quantile_assignment.csv")
	var cases []string
	byCase := map[string][]row{}
	for _, r := range rows {
		if byCase[r["case_id"]] == nil {
			cases = append(cases, r["case_id"])
		}
		byCase[r["case_id"]] = append(byCase[r["case_id"]], r)
	}
	for _, id := range cases {
		rs := byCase[id]
		t.Run(id, func(t *testing.T) {
			values := make([]float64, len(rs))
			for i, r := range rs {
				values[i] = r.f(t, "value")
			}
			q, ok := Quantiles(values, int(rs[0].f(t, "nquantiles")), rs[0]["invert"] == "TRUE")
			if !ok {
				t.Fatal("not ok")
			}
			for i, r := range rs {
				if want := int(r.f(t, "expected_quantile")); q[i] != want {
					t.Errorf("%s (value %g): quantile %d, want %d", r["area_code"], values[i], q[i], want)
				}
			}
		})
	}
}

func TestReferenceESP2013(t *testing.T) {
	rows := mustReadCSV(t, "esp2013.csv")
	if len(rows) != len(ESP2013) {
		t.Fatalf("%d bands in reference, %d in ESP2013", len(rows), len(ESP2013))
	}
	var sum float64
	for i, r := range rows {
		t.Run(r["ageband"], func(t *testing.T) {
			if got, want := ESP2013[i], r.f(t, "esp2013"); got != want {
				t.Errorf("weight %g, want %g", got, want)
			}
			if ESPBandLabels[i] != r["ageband"] {
				t.Errorf("label %q, want %q", ESPBandLabels[i], r["ageband"])
			}
			start := int(r.f(t, "start_age"))
			if got := ESPBand(start); got != i {
				t.Errorf("ESPBand(%d) = %d, want %d", start, got, i)
			}
			if i < len(rows)-1 {
				if got := ESPBand(start + 4); got != i {
					t.Errorf("ESPBand(%d) = %d, want %d", start+4, got, i)
				}
			}
		})
		sum += ESP2013[i]
	}
	if sum != 100000 {
		t.Errorf("ESP2013 sums to %g", sum)
	}
}
