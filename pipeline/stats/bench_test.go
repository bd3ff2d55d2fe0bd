package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchGroup is the input of one area or breakdown cell.
type benchGroup struct {
	x, n   float64
	strata []Stratum
}

func benchGroups(n int) []benchGroup {
	rng := rand.New(rand.NewPCG(3, 4))
	gs := make([]benchGroup, n)
	for i := range gs {
		s := make([]Stratum, 19)
		var pop, x float64
		for b := range s {
			p := 200 + math.Floor(rng.Float64()*3000)
			c := math.Floor(rng.Float64() * p * 0.01)
			s[b] = Stratum{Count: c, Pop: p, StdPop: ESP2013[b]}
			pop += p
			x += c
		}
		gs[i] = benchGroup{x: x, n: pop, strata: s}
		if i%10 == 0 {
			gs[i].x = float64(rng.IntN(10)) // exercise the exact path too
		}
	}
	return gs
}

// BenchmarkStats10kGroups runs Proportion, Rate and DSR over 10,000 groups
// per iteration.
func BenchmarkStats10kGroups(b *testing.B) {
	gs := benchGroups(10000)
	b.ReportAllocs()
	for b.Loop() {
		for _, g := range gs {
			if _, err := Proportion(g.x, g.n, 100); err != nil {
				b.Fatal(err)
			}
			if _, err := Rate(g.x, g.n, 1e5); err != nil {
				b.Fatal(err)
			}
			if _, err := DSR(g.strata, 1e5); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSII10kReps runs one quintile SII (log-transformed rate, 95% and
// 99.8% limits) with 10,000 repetitions per iteration.
func BenchmarkSII10kReps(b *testing.B) {
	g := quintiles()
	opt := SIIOptions{ValueType: ValueRate, Transform: true, Multiplier: 1, Repetitions: 10000, Confidence: []float64{Conf95, Conf998}, Seed: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SII(g, opt); err != nil {
			b.Fatal(err)
		}
	}
}
