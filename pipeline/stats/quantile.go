package stats

import (
	"math"
	"sort"
)

// Quantiles assigns each value a quantile 1..nq as phe_quantile does, so that
// a deprivation score can be cut into deciles or quintiles.
//
// With N the number of non-NaN values and rank the rank of the value (ties
// take the minimum rank; ranks are of −v when invert is true, so the highest
// value gets quantile 1), the quantile is
// floor((nq+1) − ceil((N+1−rank)/(N/nq))), with 0 mapped to 1.
//
// NaN values get 0 (missing). When N < nq, or nq < 1, every entry is 0 and ok
// is false (R returns NA with a warning); no error is returned.
func Quantiles(values []float64, nq int, invert bool) (q []int, ok bool) {
	q = make([]int, len(values))
	idx := make([]int, 0, len(values))
	for i, v := range values {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	n := len(idx)
	if nq < 1 || n < nq {
		return q, false
	}
	key := func(i int) float64 {
		if invert {
			return -values[i]
		}
		return values[i]
	}
	sort.SliceStable(idx, func(a, b int) bool { return key(idx[a]) < key(idx[b]) })
	nf, nqf := float64(n), float64(nq)
	width := nf / nqf // float division, as R does
	rank := 0
	for pos, i := range idx {
		if pos == 0 || key(i) != key(idx[pos-1]) {
			rank = pos + 1 // ties keep the first (minimum) rank
		}
		v := math.Floor((nqf + 1) - math.Ceil((nf+1-float64(rank))/width))
		if v == 0 {
			v = 1
		}
		q[i] = int(v)
	}
	return q, true
}
