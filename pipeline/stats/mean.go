package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// MethodStudentT is the interval method of Mean.
const MethodStudentT = "Student's t-distribution"

// Mean returns the arithmetic mean of xs with Student t limits at 95% and
// 99.8%, as phe_mean does: mean ∓ |qt((1−conf)/2, n−1)|·sd/√n, with sd the
// sample standard deviation (n − 1 denominator).
//
// NA propagates: any NaN in xs gives an all-NaN estimate and no error. With a
// single value the limits are NaN (the standard deviation is undefined) and
// Note says so. Errors: an empty xs.
func Mean(xs []float64) (Estimate, error) {
	if len(xs) == 0 {
		return Estimate{}, fmt.Errorf("mean: no values")
	}
	var sum float64
	for _, x := range xs {
		if math.IsNaN(x) {
			return nanEstimate(MethodStudentT, "missing value"), nil
		}
		sum += x
	}
	n := float64(len(xs))
	mean := sum / n
	if len(xs) == 1 {
		e := nanEstimate(MethodStudentT, "single value: no standard deviation")
		e.Value = mean
		return e, nil
	}
	var ss float64
	for _, x := range xs {
		d := x - mean
		ss += d * d
	}
	se := math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}
	t95 := math.Abs(t.Quantile((1 - Conf95) / 2))
	t998 := math.Abs(t.Quantile((1 - Conf998) / 2))
	return Estimate{
		Value:    mean,
		Lower95:  mean - t95*se,
		Upper95:  mean + t95*se,
		Lower998: mean - t998*se,
		Upper998: mean + t998*se,
		Method:   MethodStudentT,
	}, nil
}
