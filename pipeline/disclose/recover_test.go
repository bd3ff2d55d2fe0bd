package disclose

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hiis/pipeline/metrics"
	"hiis/pipeline/stats"
)

// This file plays the attacker: it builds tables whose values and limits
// come from the real statistics (Wilson, Byar, exact Poisson, Dobson), applies
// disclosure control, and then tries to solve every withheld count back from
// everything that was published, knowing the rule, the methods and the
// multipliers. Each withheld count starts as the range the rule allows (1–7
// for a primary suppression, anything for a secondary one) and is narrowed by
//
//   - its own row: a published value with its denominator (proportion × n,
//     rate × population), published limits (the Byar factors of a DSR's
//     Dobson limits, the exact or Byar limits of a crude rate, Wilson limits);
//   - summaries: a published gap, ratio or SII with the other groups' values
//     gives a withheld group's value back, and then its count as above;
//     likewise a ratio to White;
//   - subtraction: the total minus the other groups of the breakdown, with
//     rounded counts read as the ±2 they stand for.
//
// The test fails when any withheld count is narrowed to its true value, and
// when the attacker's reasoning ever excludes the true value (the attack
// itself would then be wrong).

// maxCount bounds what the attacker assumes an unconstrained count can be.
const maxCount = 1 << 20

var multiplierOf = map[Measure]float64{Proportion: 100, CrudeRate: 100000, DSR: 100000}

// span is the integers a count may still be.
type span struct{ lo, hi int }

func (s span) known() bool { return s.lo == s.hi }

func (s *span) narrow(lo, hi int) {
	s.lo, s.hi = max(s.lo, lo), min(s.hi, hi)
}

// genGroup is one group of a generated breakdown.
type genGroup struct {
	name   string
	x, n   float64
	strata []stats.Stratum
}

// split divides total into k non-negative whole parts, some of them small.
func split(rng *rand.Rand, total float64, k int) []float64 {
	w := make([]float64, k)
	var sum float64
	for i := range w {
		w[i] = rng.ExpFloat64()
		if rng.IntN(4) == 0 {
			w[i] /= 20 // a small group
		}
		sum += w[i]
	}
	out := make([]float64, k)
	left := total
	for i := range k - 1 {
		out[i] = math.Min(left, math.Round(total*w[i]/sum))
		left -= out[i]
	}
	out[k-1] = left
	return out
}

// estimate computes a group's statistics as package measure does.
func estimate(t *testing.T, m Measure, g genGroup) stats.Estimate {
	t.Helper()
	var e stats.Estimate
	var err error
	switch m {
	case Proportion:
		e, err = stats.Proportion(g.x, g.n, multiplierOf[m])
	case CrudeRate:
		e, err = stats.Rate(g.x, g.n, multiplierOf[m])
	case DSR:
		e, err = stats.DSR(g.strata, multiplierOf[m])
	}
	if err != nil {
		t.Fatalf("%s of %v/%v: %v", m, g.x, g.n, err)
	}
	return e
}

// wls is the population-weighted least-squares slope of values on the
// cumulative midpoints of shares: the SII's point estimate before its
// multiplier, linear in each value.
func wls(shares, values []float64) float64 {
	var tot float64
	for _, a := range shares {
		tot += a
	}
	mid := make([]float64, len(shares))
	var cum, mb, my float64
	for i, a := range shares {
		mid[i] = (cum + a/2) / tot
		cum += a
		mb += a / tot * mid[i]
		my += a / tot * values[i]
	}
	var sxy, sxx float64
	for i, a := range shares {
		sxy += a / tot * (mid[i] - mb) * (values[i] - my)
		sxx += a / tot * (mid[i] - mb) * (mid[i] - mb)
	}
	return sxy / sxx
}

// attackTable builds n indicators whose rows carry real statistics: every
// group breakdown partitions the same events and population, quintile
// summaries are computed from the quintiles, ratios to White from the ethnic
// groups.
func attackTable(t *testing.T, rng *rand.Rand, n int) ([]metrics.Row, func(id, bd string) Measure) {
	measures := map[string]Measure{}
	breakdowns := []struct {
		name   string
		groups []string
	}{
		{metrics.IMDQuintile, []string{"1", "2", "3", "4", "5", "Unknown"}},
		{metrics.Sex, metrics.SexOrder},
		{metrics.Ethnic, []string{"White", "Mixed", "Asian or Asian British", "Not known"}},
	}
	var rows []metrics.Row
	for k := range n {
		id := fmt.Sprintf("ind%04d", k)
		m := []Measure{Proportion, CrudeRate, DSR}[k%3]
		measures[id] = m
		total := float64(20 + rng.IntN(400))
		pop := total * float64(2+rng.IntN(40))
		if m != Proportion {
			pop = total * float64(50+rng.IntN(2000))
		}
		add := func(bd string, g genGroup) stats.Estimate {
			e := estimate(t, m, g)
			rows = append(rows, metrics.Row{IndicatorID: id, Period: "2025/26", Organisation: "QWE", Breakdown: bd, Group: g.name,
				Numerator: g.x, Denominator: g.n, Value: e.Value, Lower95: e.Lower95, Upper95: e.Upper95, Lower998: e.Lower998, Upper998: e.Upper998,
				Method: e.Method, Note: e.Note, Suppressed: math.IsNaN(e.Value)})
			return e
		}
		// Three standard-population bands; each group's events and
		// population are split over them.
		strataOf := func(x, n float64) []stats.Stratum {
			xs, ns := split(rng, x, 3), split(rng, n-3, 3)
			st := make([]stats.Stratum, 3)
			for i := range st {
				st[i] = stats.Stratum{Count: xs[i], Pop: ns[i] + 1, StdPop: []float64{30000, 50000, 20000}[i]}
			}
			return st
		}
		all := genGroup{name: metrics.GroupAll, x: total, n: pop}
		if m == DSR {
			all.strata = strataOf(total, pop)
		}
		add(metrics.Overall, all)
		for _, bd := range breakdowns {
			xs := split(rng, total, len(bd.groups))
			var ns []float64
			if m == Proportion {
				// a denominator at least the numerator
				extra := split(rng, pop-total, len(bd.groups))
				for i := range xs {
					ns = append(ns, xs[i]+extra[i])
				}
			} else {
				ns = split(rng, pop-float64(len(bd.groups)), len(bd.groups))
				for i := range ns {
					ns[i]++
				}
			}
			est := map[string]stats.Estimate{}
			var shares, values []float64
			for i, name := range bd.groups {
				g := genGroup{name: name, x: xs[i], n: ns[i]}
				if m == DSR {
					g.strata = strataOf(g.x, g.n)
				}
				if g.n == 0 {
					continue
				}
				e := add(bd.name, g)
				est[name] = e
				if bd.name == metrics.IMDQuintile && name != "Unknown" {
					shares, values = append(shares, g.n), append(values, e.Value)
				}
			}
			summary := func(sbd, name string, e stats.Estimate) {
				rows = append(rows, metrics.Row{IndicatorID: id, Period: "2025/26", Organisation: "QWE", Breakdown: sbd, Group: name,
					Numerator: math.NaN(), Denominator: math.NaN(), Value: e.Value, Lower95: e.Lower95, Upper95: e.Upper95,
					Lower998: e.Lower998, Upper998: e.Upper998})
			}
			switch bd.name {
			case metrics.IMDQuintile:
				summary(metrics.IMDSummary, metrics.GroupGap, stats.Difference(est["1"], est["5"]))
				summary(metrics.IMDSummary, metrics.GroupRatio, stats.RatioOf(est["1"], est["5"]))
				sii := math.NaN()
				if len(values) == 5 && !hasNaN(values) {
					sii = wls(shares, values)
				}
				summary(metrics.IMDSummary, metrics.GroupSII, stats.Estimate{Value: sii, Lower95: sii - 1, Upper95: sii + 1, Lower998: sii - 2, Upper998: sii + 2})
			case metrics.Ethnic:
				for _, g := range bd.groups[1:3] {
					summary(metrics.EthnicRatio, g+" / White", stats.RatioOf(est[g], est["White"]))
				}
			}
		}
	}
	return rows, func(id, _ string) Measure { return measures[id] }
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) {
			return true
		}
	}
	return false
}

// attacker holds what it has learned about each count cell of the
// published table.
type attacker struct {
	pr       params
	out      []metrics.Row
	measure  func(id, bd string) Measure
	mult     func(id string, m Measure) float64 // nil: multiplierOf
	cells    map[[2]int]*span                   // row, column (0 numerator, 1 denominator)
	withheld map[[2]int]bool                    // the cells disclosure control withheld
	second   map[[2]int]bool                    // those its note says were withheld to protect another
}

// published returns the span a published count stands for.
func (a *attacker) published(v float64) span {
	if v == 0 || !a.pr.round {
		return span{int(v), int(v)}
	}
	return span{max(int(v)-2, int(a.pr.limit)), int(v) + 2}
}

// cell returns what is known of count column col of row i.
func (a *attacker) cell(i, col int) span {
	if s, ok := a.cells[[2]int{i, col}]; ok {
		return *s
	}
	return a.published(*countCell(&a.out[i], col))
}

// start sets each published count to the range it stands for and each
// withheld count to the range its note allows: 1 to the rule's limit for a
// primary suppression, anything for a secondary one.
func (a *attacker) start(in []metrics.Row) {
	a.cells, a.withheld, a.second = map[[2]int]*span{}, map[[2]int]bool{}, map[[2]int]bool{}
	for i := range a.out {
		for col, name := range []string{"numerator", "denominator"} {
			if c := *countCell(&a.out[i], col); !math.IsNaN(c) && !isSummary(a.out[i].Breakdown) {
				s := a.published(c)
				a.cells[[2]int{i, col}] = &s
			}
			if math.IsNaN(*countCell(&in[i], col)) || !math.IsNaN(*countCell(&a.out[i], col)) {
				continue
			}
			a.withheld[[2]int{i, col}] = true
			note := a.out[i].Note
			primary := strings.Contains(note, "suppressed: ") && strings.Contains(note[:max(strings.Index(note, "("+string(a.pr.rule)+" rule)"), 0)], name)
			s := span{0, maxCount}
			if primary {
				s = span{1, int(math.Ceil(a.pr.limit)) - 1}
			} else {
				a.second[[2]int{i, col}] = true
			}
			a.cells[[2]int{i, col}] = &s
		}
	}
}

// fromValue narrows row i's withheld counts with a value v that row is
// known to have (published, or derived from a summary): every (x, n) the
// counts may be whose statistics give v, and the row's published limits.
func (a *attacker) fromValue(i int, v float64, exact bool) {
	r := &a.out[i]
	m := a.measure(r.IndicatorID, r.Breakdown)
	mult := multiplierOf[m]
	if a.mult != nil {
		mult = a.mult(r.IndicatorID, m)
	}
	xs, ns := a.cell(i, 0), a.cell(i, 1)
	if math.IsNaN(v) || (m != Proportion && m != CrudeRate) || ns.hi-ns.lo > 200000 {
		return
	}
	tol := 1e-9
	if !exact {
		tol = 1e-3
	}
	lo, hi := maxCount, -1
	nlo, nhi := maxCount, -1
	for n := max(ns.lo, 1); n <= ns.hi; n++ {
		x := int(math.Round(v * float64(n) / mult))
		if x < xs.lo || x > xs.hi || math.Abs(float64(x)/float64(n)*mult-v) > tol*math.Abs(v)+1e-12 {
			continue
		}
		if !limitsAgree(r, m, mult, float64(x), float64(n)) {
			continue
		}
		lo, hi, nlo, nhi = min(lo, x), max(hi, x), min(nlo, n), max(nhi, n)
	}
	a.set(i, 0, lo, hi)
	a.set(i, 1, nlo, nhi)
}

// limitsAgree reports whether counts x of n reproduce row r's published limits.
func limitsAgree(r *metrics.Row, m Measure, mult, x, n float64) bool {
	var e stats.Estimate
	if m == Proportion {
		e, _ = stats.Proportion(x, n, mult)
	} else {
		e, _ = stats.Rate(x, n, mult)
	}
	for _, p := range [][2]float64{{r.Lower95, e.Lower95}, {r.Upper95, e.Upper95}, {r.Lower998, e.Lower998}, {r.Upper998, e.Upper998}} {
		if !math.IsNaN(p[0]) && math.Abs(p[0]-p[1]) > 1e-9*math.Abs(p[0])+1e-12 {
			return false
		}
	}
	return true
}

// fromDobson narrows a DSR's withheld count with its published limits: the
// ratios (U − D)/(D − L) at 95% and 99.8% depend on the count alone.
func (a *attacker) fromDobson(i int) {
	r := &a.out[i]
	if a.measure(r.IndicatorID, r.Breakdown) != DSR || math.IsNaN(r.Value) || math.IsNaN(r.Lower95) || math.IsNaN(r.Upper95) {
		return
	}
	xs := a.cell(i, 0)
	want := (r.Upper95 - r.Value) / (r.Value - r.Lower95)
	lo, hi := maxCount, -1
	for o := max(xs.lo, 10); o <= min(xs.hi, 200000); o++ {
		l, u := stats.ByarLimits(float64(o), stats.Conf95)
		if got := (u - float64(o)) / (float64(o) - l); math.Abs(got-want) <= 1e-9*want {
			lo, hi = min(lo, o), max(hi, o)
		}
	}
	a.set(i, 0, lo, hi)
}

// set narrows a cell to [lo, hi] (hi < lo: nothing was learned).
func (a *attacker) set(i, col, lo, hi int) {
	if s, ok := a.cells[[2]int{i, col}]; ok && hi >= lo {
		s.narrow(lo, hi)
	}
}

// subtract narrows each withheld cell of a breakdown by the total minus the
// other groups. A secondarily withheld count was the smallest nonzero group
// published when it was chosen: while a nonzero group is still published, it
// lies between the rule's limit and that group's count.
func (a *attacker) subtract(total int, groups []int) {
	for col := range 2 {
		smallest := -1
		for _, j := range groups {
			if c := *countCell(&a.out[j], col); !math.IsNaN(c) && c != 0 {
				if s := a.cell(j, col); smallest < 0 || s.hi < smallest {
					smallest = s.hi
				}
			}
		}
		if smallest >= 0 {
			for _, j := range groups {
				if a.second[[2]int{j, col}] {
					a.set(j, col, int(math.Ceil(a.pr.limit)), smallest)
				}
			}
		}
		t := a.cell(total, col)
		for _, target := range groups {
			if !a.withheld[[2]int{target, col}] {
				continue
			}
			lo, hi := t.lo, t.hi
			for _, j := range groups {
				if j != target {
					s := a.cell(j, col)
					lo, hi = lo-s.hi, hi-s.lo
				}
			}
			a.set(target, col, lo, hi)
		}
	}
}

// attack runs every attack until nothing more is learned.
func (a *attacker) attack(in []metrics.Row) {
	a.start(in)
	type key struct{ ind, bd string }
	rowsOf := map[key][]int{}
	byGroup := map[[3]string]int{}
	for i, r := range a.out {
		rowsOf[key{r.IndicatorID, r.Breakdown}] = append(rowsOf[key{r.IndicatorID, r.Breakdown}], i)
		byGroup[[3]string{r.IndicatorID, r.Breakdown, r.Group}] = i
	}
	value := func(id, bd, g string) (int, float64) {
		i, ok := byGroup[[3]string{id, bd, g}]
		if !ok {
			return -1, math.NaN()
		}
		return i, a.out[i].Value
	}
	for range 4 {
		for i, r := range a.out {
			if isSummary(r.Breakdown) {
				continue
			}
			a.fromValue(i, r.Value, true)
			a.fromDobson(i)
		}
		for k, idx := range rowsOf {
			switch k.bd {
			case metrics.Overall:
			case metrics.IMDSummary:
				_, gap := value(k.ind, k.bd, metrics.GroupGap)
				_, ratio := value(k.ind, k.bd, metrics.GroupRatio)
				i1, v1 := value(k.ind, metrics.IMDQuintile, "1")
				i5, v5 := value(k.ind, metrics.IMDQuintile, "5")
				if i1 >= 0 && i5 >= 0 {
					a.fromValue(i5, v1-gap, true)
					a.fromValue(i1, v5+gap, true)
					a.fromValue(i5, v1/ratio, true)
					a.fromValue(i1, v5*ratio, true)
				}
				a.fromSII(k.ind, value)
			case metrics.EthnicRatio:
				iw, white := value(k.ind, metrics.Ethnic, "White")
				for _, i := range idx {
					ig, g := value(k.ind, metrics.Ethnic, strings.TrimSuffix(a.out[i].Group, " / White"))
					if iw >= 0 && ig >= 0 {
						a.fromValue(ig, white*a.out[i].Value, true)
						a.fromValue(iw, g/a.out[i].Value, true)
					}
				}
			default:
				if tot, ok := rowsOf[key{k.ind, metrics.Overall}]; ok {
					a.subtract(tot[0], idx)
				}
			}
		}
	}
}

// fromSII solves the one withheld quintile value from the published SII,
// the other four values and the published denominators as shares.
func (a *attacker) fromSII(id string, value func(id, bd, g string) (int, float64)) {
	_, sii := value(id, metrics.IMDSummary, metrics.GroupSII)
	if math.IsNaN(sii) {
		return
	}
	idx := make([]int, 5)
	shares, values := make([]float64, 5), make([]float64, 5)
	missing := -1
	for q := range 5 {
		i, v := value(id, metrics.IMDQuintile, fmt.Sprint(q+1))
		if i < 0 {
			return
		}
		idx[q], values[q] = i, v
		s := a.cell(i, 1)
		shares[q] = float64(s.lo+s.hi) / 2
		if math.IsNaN(v) {
			if missing >= 0 {
				return
			}
			missing = q
		}
	}
	if missing < 0 {
		return
	}
	// The slope is linear in the missing value: solve s0 + s1·v = sii.
	values[missing] = 0
	s0 := wls(shares, values)
	values[missing] = 1
	s1 := wls(shares, values) - s0
	a.fromValue(idx[missing], (sii-s0)/s1, !a.pr.round)
}

// TestWithheldCountsCannotBeRecovered attacks random tables under every
// policy with secondary suppression (the recovery guard under nhs_digital):
// no withheld count may be solved back. Under the nhs_digital default, which
// has no secondary suppression, the same attack must recover some withheld
// counts, or the guard's test would prove nothing.
func TestWithheldCountsCannotBeRecovered(t *testing.T) {
	for _, p := range []Policy{{NHSDigital, true}, {Below5, true}, {Below10, true}, {NHSDigital, false}} {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/secondary=%v/seed%d", p.Rule, p.Secondary, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 0xd15c))
				in, measureOf := attackTable(t, rng, 300)
				out, _, err := Apply(in, p, measureOf)
				if err != nil {
					t.Fatal(err)
				}
				pr, _ := paramsFor(p.Rule)
				a := &attacker{pr: pr, out: out, measure: measureOf}
				a.attack(in)
				if len(a.withheld) < 100 {
					t.Fatalf("only %d counts withheld: the table does not exercise the rule", len(a.withheld))
				}
				// Published rounded counts the attacker got back exactly
				// from their full-precision values and limits.
				pinned, recovered := 0, 0
				for c, s := range a.cells {
					r, truth := in[c[0]], int(*countCell(&in[c[0]], c[1]))
					if truth < s.lo || truth > s.hi {
						t.Fatalf("attack is wrong: %s %s %s column %d is %d, attacker says %d–%d", r.IndicatorID, r.Breakdown, r.Group, c[1], truth, s.lo, s.hi)
					}
					switch {
					case !a.withheld[c]:
						if s.known() && *countCell(&out[c[0]], c[1]) != float64(truth) {
							pinned++
						}
					case s.known():
						recovered++
						if p.Secondary {
							t.Errorf("%s %s %s: withheld %s %d recovered from what was published (%s)", r.IndicatorID, r.Breakdown, r.Group,
								[]string{"numerator", "denominator"}[c[1]], truth, out[c[0]].Note)
						}
					}
				}
				if p.Rule == NHSDigital && pinned == 0 {
					t.Error("no rounded count was recovered from its value and limits: the attack on published values does not work")
				}
				if !p.Secondary {
					if recovered == 0 {
						t.Error("without the recovery guard no withheld count was recovered: the attack does not test the guard")
					}
					t.Logf("without secondary suppression %d of %d withheld counts can be solved back", recovered, len(a.withheld))
				}
			})
		}
	}
}

// TestAttackerFindsLeaks checks the attacker on tables where a count is
// known to leak, so that TestWithheldCountsCannotBeRecovered can fail.
func TestAttackerFindsLeaks(t *testing.T) {
	pr, _ := paramsFor(Below10)
	measureOf := func(id, bd string) Measure {
		if id == "dsr" {
			return DSR
		}
		return Proportion
	}
	mk := func(id, bd, g string, x, n float64, e stats.Estimate) metrics.Row {
		return metrics.Row{IndicatorID: id, Period: "p", Organisation: "o", Breakdown: bd, Group: g, Numerator: x, Denominator: n,
			Value: e.Value, Lower95: e.Lower95, Upper95: e.Upper95, Lower998: e.Lower998, Upper998: e.Upper998}
	}
	prop := func(x, n float64) stats.Estimate { e, _ := stats.Proportion(x, n, 100); return e }
	dsr := func(x, n float64) stats.Estimate {
		e, _ := stats.DSR([]stats.Stratum{{Count: x, Pop: n, StdPop: 1}}, 100000)
		return e
	}
	tests := []struct {
		name string
		in   []metrics.Row
		out  func([]metrics.Row) // what a broken disclosure control would publish
	}{
		{"value with its denominator", []metrics.Row{mk("p", metrics.Sex, "Male", 3, 40, prop(3, 40))},
			func(o []metrics.Row) { o[0].Numerator = nan }},
		{"dobson limits", []metrics.Row{mk("dsr", metrics.Sex, "Male", 37, 4000, dsr(37, 4000))},
			func(o []metrics.Row) {
				o[0].Numerator, o[0].Denominator = nan, nan
				o[0].Suppressed, o[0].Note = true, "suppressed: secondary, to protect another cell"
			}},
		{"subtraction", []metrics.Row{
			mk("p", metrics.Overall, "All", 50, 100, prop(50, 100)), mk("p", metrics.Sex, "Male", 47, 90, prop(47, 90)), mk("p", metrics.Sex, "Female", 3, 10, prop(3, 10))},
			func(o []metrics.Row) { withhold(&o[2]); o[2].Numerator = nan }},
		{"gap", []metrics.Row{
			mk("p", metrics.IMDQuintile, "1", 30, 100, prop(30, 100)), mk("p", metrics.IMDQuintile, "5", 4, 100, prop(4, 100)),
			mk("p", metrics.IMDSummary, metrics.GroupGap, nan, nan, stats.Difference(prop(30, 100), prop(4, 100)))},
			func(o []metrics.Row) { withhold(&o[1]); o[1].Numerator = nan }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := make([]metrics.Row, len(tt.in))
			copy(out, tt.in)
			tt.out(out)
			for i := range out {
				if math.IsNaN(out[i].Numerator) && out[i].Note == "" {
					out[i].Suppressed, out[i].Note = true, "suppressed: numerator 1–9 (below10 rule)"
				}
			}
			a := &attacker{pr: pr, out: out, measure: measureOf}
			a.attack(tt.in)
			found := false
			for c, s := range a.cells {
				if a.withheld[c] && s.known() && s.lo == int(*countCell(&tt.in[c[0]], c[1])) {
					found = true
				}
			}
			if !found {
				t.Errorf("the attacker did not recover the leaked count: %v", a.cells)
			}
		})
	}
}

// readMetricsCSV reads a metrics.csv as the pipeline writes it.
func readMetricsCSV(t *testing.T, path string) []metrics.Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], metrics.Columns) {
		t.Fatalf("%s: columns %q", path, recs[0])
	}
	num := func(s string) float64 {
		if s == "" {
			return math.NaN()
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	var rows []metrics.Row
	for _, r := range recs[1:] {
		rows = append(rows, metrics.Row{IndicatorID: r[0], Period: r[1], Organisation: r[2], Breakdown: r[3], Group: r[4],
			Numerator: num(r[5]), Denominator: num(r[6]), Value: num(r[7]), Lower95: num(r[8]), Upper95: num(r[9]),
			Lower998: num(r[10]), Upper998: num(r[11]), Method: r[12], Suppressed: r[13] == "true", Note: r[14]})
	}
	return rows
}

// fixtureTables reads the fixture run's published metrics
// (fixtures/golden/metrics.csv, the nhs_digital default) and the same table
// before disclosure control (metrics_unsuppressed.csv), in the same order,
// without the change rows (added after disclosure control, from published
// figures) and without the indicators exempt from disclosure control
// (disclosure: none, counts of settings), whose counts are published as they
// are. It skips when the golden files are absent.
func fixtureTables(t *testing.T) (in, out []metrics.Row) {
	t.Helper()
	dir := filepath.Join("..", "..", "fixtures", "golden")
	for _, r := range readMetricsCSV(t, filepath.Join(dir, "metrics.csv")) {
		if r.Breakdown != metrics.Change {
			out = append(out, r)
		}
	}
	in = readMetricsCSV(t, filepath.Join(dir, "metrics_unsuppressed.csv"))
	if len(in) != len(out) {
		t.Fatalf("%d unsuppressed rows, %d published", len(in), len(out))
	}
	controlled := map[string]bool{}
	for i := range in {
		r := in[i]
		if r.IndicatorID != out[i].IndicatorID || r.Breakdown != out[i].Breakdown || r.Group != out[i].Group {
			t.Fatalf("row %d: the two tables are not in the same order", i+2)
		}
		if !slices.Equal(in[i].Numbers()[:2], out[i].Numbers()[:2]) && !(math.IsNaN(in[i].Numerator) && math.IsNaN(in[i].Denominator)) {
			controlled[in[i].IndicatorID] = true
		}
	}
	keep := func(rows []metrics.Row) []metrics.Row {
		return slices.DeleteFunc(rows, func(r metrics.Row) bool { return !controlled[r.IndicatorID] })
	}
	return keep(in), keep(out)
}

// fixtureMeasures reads the measure of each indicator × group breakdown
// from its interval method, and each indicator's multiplier from its overall
// row, as a reader would from the statement. A breakdown with no method
// (summaries, groups without a denominator) takes the indicator's overall
// measure, or Proportion: for them any valid measure will do.
func fixtureMeasures(in []metrics.Row) (measureOf func(id, bd string) Measure, mult func(id string, _ Measure) float64) {
	measures := map[[2]string]Measure{}
	mults := map[string]float64{}
	for _, r := range in {
		k := [2]string{r.IndicatorID, r.Breakdown}
		switch r.Method {
		case "Wilson":
			measures[k] = Proportion
		case "Byars", "Exact":
			measures[k] = CrudeRate
		case "Dobson":
			measures[k] = DSR
		case "ratio of counts, log-normal interval from Poisson limits":
			measures[k] = RatioToBaseline
		}
		if r.Breakdown == metrics.Overall && r.Numerator > 0 {
			mults[r.IndicatorID] = math.Round(r.Value * r.Denominator / r.Numerator)
		}
	}
	measureOf = func(id, bd string) Measure {
		if m, ok := measures[[2]string{id, bd}]; ok {
			return m
		}
		if m, ok := measures[[2]string{id, metrics.Overall}]; ok {
			return m
		}
		return Proportion
	}
	return measureOf, func(id string, _ Measure) float64 { return mults[id] }
}

// TestFixtureWithheldOnlyAsTheRuleSays checks the fixture run's published
// metrics under the default rule against METHODS.md: every number withheld
// is a count of 1–7; a value or limit of a row whose numerator or
// denominator is withheld (or a DSR on fewer than 10 events); or a summary
// (gap, ratio, SII, RII, ratio to White) using a group value that is
// withheld. Anything else withheld (a complement, a summary whose groups are
// all published) fails it.
func TestFixtureWithheldOnlyAsTheRuleSays(t *testing.T) {
	in, out := fixtureTables(t)
	type key struct{ ind, bd, group string }
	at := map[key]int{}
	for i, r := range out {
		at[key{r.IndicatorID, r.Breakdown, r.Group}] = i
	}
	small := func(c float64) bool { return c != 0 && math.Abs(c) < 8 }
	hiddenValue := func(ind, bd, group string) bool {
		j, ok := at[key{ind, bd, group}]
		return ok && math.IsNaN(out[j].Value) && out[j].Suppressed
	}
	uses := func(r metrics.Row) []key {
		var ks []key
		switch r.Breakdown {
		case metrics.IMDSummary:
			qs := map[string][]string{metrics.GroupGap: {"1", "5"}, metrics.GroupRatio: {"1", "5"}}[r.Group]
			if qs == nil {
				qs = []string{"1", "2", "3", "4", "5"}
			}
			for _, q := range qs {
				ks = append(ks, key{r.IndicatorID, metrics.IMDQuintile, q})
			}
		case metrics.EthnicRatio:
			ks = []key{{r.IndicatorID, metrics.Ethnic, strings.TrimSuffix(r.Group, " / White")}, {r.IndicatorID, metrics.Ethnic, "White"}}
		}
		return ks
	}
	var counts, values, summaries int
	for i, r := range out {
		was, now := in[i].Numbers(), r.Numbers()
		for k := range was {
			if math.IsNaN(was[k]) || !math.IsNaN(now[k]) {
				continue
			}
			why := ""
			switch {
			case r.Breakdown == metrics.IMDSummary || r.Breakdown == metrics.EthnicRatio:
				if k < 2 {
					break // summaries carry no counts
				}
				for _, g := range uses(r) {
					if hiddenValue(g.ind, g.bd, g.group) {
						why = "summary"
					}
				}
			case k < 2:
				if small(was[k]) {
					why = "count"
				}
			default:
				if small(in[i].Numerator) || small(in[i].Denominator) || (r.Method == "Dobson" && in[i].Numerator < 10) {
					why = "value"
				}
			}
			switch why {
			case "count":
				counts++
			case "value":
				values++
			case "summary":
				summaries++
			default:
				t.Errorf("%s %s %s: %s %v withheld with no reason under NHS Digital's rule (note %q)", r.IndicatorID, r.Breakdown, r.Group,
					metrics.Columns[5+k], was[k], r.Note)
			}
		}
		if strings.Contains(r.Note, noteSecondary) {
			t.Errorf("%s %s %s: secondary suppression under the default rule: %q", r.IndicatorID, r.Breakdown, r.Group, r.Note)
		}
	}
	if counts == 0 || values == 0 || summaries == 0 {
		t.Errorf("withheld: %d counts, %d values or limits, %d summary numbers: the fixture does not exercise every case", counts, values, summaries)
	}
	t.Logf("withheld: %d counts of 1–7, %d values or limits of their rows, %d numbers of summaries on a withheld group", counts, values, summaries)
}

// TestFixtureMetricsRevealNoWithheldCount applies the recovery guard
// (`disclosure: {rule: nhs_digital, secondary: true}`) to the fixture run's
// unsuppressed metrics and runs the attacker on the result, with the
// unsuppressed table as the truth: no count withheld there may be solved
// back. Under the default the same attack recovers counts (that is NHS
// Digital's rule, which adds no secondary suppression): the test checks that
// too, so that it can fail.
func TestFixtureMetricsRevealNoWithheldCount(t *testing.T) {
	in, published := fixtureTables(t)
	measureOf, mult := fixtureMeasures(in)
	tests := []struct {
		name    string
		out     func(t *testing.T) []metrics.Row
		guarded bool
	}{
		{"recovery guard", func(t *testing.T) []metrics.Row {
			out, _, err := Apply(in, Policy{NHSDigital, true}, measureOf)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}, true},
		{"default, as published", func(*testing.T) []metrics.Row { return published }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.out(t)
			a := &attacker{pr: params{rule: NHSDigital, limit: 8, round: true}, out: out, measure: measureOf, mult: mult}
			a.attack(in)
			if len(a.withheld) == 0 {
				t.Fatal("no count is withheld in the fixture run")
			}
			exact, recovered := 0, 0
			for c, s := range a.cells {
				r, truth := in[c[0]], int(*countCell(&in[c[0]], c[1]))
				if truth < s.lo || truth > s.hi {
					t.Fatalf("attack is wrong: %s %s %s column %d is %d, attacker says %d–%d", r.IndicatorID, r.Breakdown, r.Group, c[1], truth, s.lo, s.hi)
				}
				switch {
				case !a.withheld[c]:
					if s.known() && *countCell(&out[c[0]], c[1]) != 0 {
						exact++
					}
				case s.known():
					recovered++
					if tt.guarded {
						t.Errorf("%s %s %s: withheld %s %d recovered from metrics.csv", r.IndicatorID, r.Breakdown, r.Group,
							[]string{"numerator", "denominator"}[c[1]], truth)
					}
				}
			}
			if !tt.guarded && recovered == 0 {
				t.Error("no withheld count recovered without the guard: the attack does not test it")
			}
			t.Logf("%d withheld counts, %d recovered; %d published nonzero rounded counts recovered exactly from their values and limits", len(a.withheld), recovered, exact)
		})
	}
}
