package fixturegen

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"

	"hiis/pipeline/refdata"
	"hiis/pipeline/stats"
)

// The synthetic England file: values for England as Fingertips publishes
// them (its data download's columns), for the fixture run's second
// comparator. Nothing in it is England's real data.
const (
	englandPeriod = "2023/24"
	// englandScale is how many times the fixture's population England's is
	// taken to be, so that its intervals are narrow.
	englandScale = 50
	// englandQuintiles is the Category Type of its IMD quintile rows.
	englandQuintiles = "LSOA11 deprivation quintiles in England (IMD2019)"
)

// englandFactor scales each quintile's expected numerator from the
// fixture's rates to England's: a narrower gap than the fixture ICB's.
var englandFactor = [5]float64{0.90, 0.95, 0.98, 1.0, 1.02}

// englandIndicators are the indicators the file gives, with their synthetic
// Fingertips Indicator IDs (99xxxx: no real Fingertips indicator has one)
// and whether it gives their IMD quintiles.
var englandIndicators = []struct {
	id, ftID  string
	quintiles bool
}{
	{"ER-1a", "990101", true},
	{"ER-1b", "990102", true},
	{"UEC-1", "990201", false},
	{"MH-1", "990301", true},
	{"MH-5", "990302", true},
	{"CA-1", "990401", true},
}

// englandQuintileNames are Fingertips' names of the IMD quintiles, most
// deprived first.
var englandQuintileNames = [5]string{
	"Most deprived quintile (IMD2019)", "Second most deprived quintile (IMD2019)", "Third more deprived quintile (IMD2019)",
	"Second least deprived quintile (IMD2019)", "Least deprived quintile (IMD2019)",
}

// englandCSV writes the synthetic England file: for each of
// englandIndicators, rows for England (E92000001) in englandPeriod —
// persons overall and, where it gives them, by IMD quintile — plus rows a
// real download also holds and hiis must not read: males and females, the
// year before, and one region. Counts are the fixture's expected numerators
// and denominators scaled by englandScale (numerators by englandFactor
// too), drawn as Poisson counts (normal above 500); values and 95% and
// 99.8% limits come from hiis's stats package. It returns the file and its
// data rows.
func englandCSV(seed uint64, people []*person) ([]byte, int, error) {
	r := newRNG(seed, streamEngland)
	draw := func(lambda float64) float64 {
		if lambda > 500 {
			return math.Max(0, math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64()))
		}
		return float64(r.poisson(lambda))
	}
	truths := map[string]indicatorTruth{}
	for _, t := range indicatorTruths(people) {
		truths[t.ID] = t
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	head := append(append([]string(nil), refdata.FingertipsColumns...), "Recent Trend", "Compared to England value or percentiles",
		"Compared to Region value or percentiles", "Time period Sortable", "New data", "Compared to goal", "Time period range")
	if err := w.Write(head); err != nil {
		return nil, 0, err
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
	}
	rows := 0
	write := func(ftID, name, area, areaName, areaType, sex, ctype, cat, period string, x, n float64, e stats.Estimate) error {
		sortable := period[:4] + "0000"
		rows++
		return w.Write([]string{ftID, name, "", "", area, areaName, areaType, sex, "All ages", ctype, cat, period,
			num(e.Value), num(e.Lower95), num(e.Upper95), num(e.Lower998), num(e.Upper998), num(x), num(n), "",
			"", "Not compared", "Not compared", sortable, "", "", "1y"})
	}
	for _, ei := range englandIndicators {
		t, ok := truths[ei.id]
		if !ok {
			return nil, 0, fmt.Errorf("england file: no model for %s", ei.id)
		}
		name := "Synthetic " + ei.id + ": " + t.Definition
		per := float64(t.Per)
		var xq, nq [5]float64
		var x, n float64
		for q := range 5 {
			v := t.ByQuintile[strconv.Itoa(q+1)]
			nq[q] = math.Round(v.Denominator * englandScale)
			xq[q] = draw(v.Numerator * englandScale * englandFactor[q])
			if t.Measure == "proportion" {
				xq[q] = math.Min(xq[q], nq[q])
			}
			x, n = x+xq[q], n+nq[q]
		}
		est := func(x, n float64) (stats.Estimate, error) { return previousEstimate(t.Measure, x, n, per) }
		e, err := est(x, n)
		if err != nil {
			return nil, 0, fmt.Errorf("england file: %s: %w", ei.id, err)
		}
		const eng, engName = "E92000001", "England"
		if err := write(ei.ftID, name, eng, engName, "England", "Persons", "", "", englandPeriod, x, n, e); err != nil {
			return nil, 0, err
		}
		if ei.quintiles {
			for q := range 5 {
				eq, err := est(xq[q], nq[q])
				if err != nil {
					return nil, 0, fmt.Errorf("england file: %s: %w", ei.id, err)
				}
				if err := write(ei.ftID, name, eng, engName, "England", "Persons", englandQuintiles, englandQuintileNames[q], englandPeriod, xq[q], nq[q], eq); err != nil {
					return nil, 0, err
				}
			}
		}
		// Rows hiis does not read: by sex, the year before, a region.
		for i, sex := range []string{"Male", "Female"} {
			sx, sn := draw(x*[2]float64{0.47, 0.53}[i]), math.Round(n*[2]float64{0.49, 0.51}[i])
			es, err := est(math.Min(sx, sn), sn)
			if err != nil {
				return nil, 0, err
			}
			if err := write(ei.ftID, name, eng, engName, "England", sex, "", "", englandPeriod, math.Min(sx, sn), sn, es); err != nil {
				return nil, 0, err
			}
		}
		lx := math.Min(draw(x*1.03), n)
		el, err := est(lx, n)
		if err != nil {
			return nil, 0, err
		}
		if err := write(ei.ftID, name, eng, engName, "England", "Persons", "", "", "2022/23", lx, n, el); err != nil {
			return nil, 0, err
		}
		rn := math.Round(n / 9)
		rx := math.Min(draw(x/9*1.06), rn)
		er, err := est(rx, rn)
		if err != nil {
			return nil, 0, err
		}
		if err := write(ei.ftID, name, "E12000006", "East of England region", "Regions", "Persons", "", "", englandPeriod, rx, rn, er); err != nil {
			return nil, 0, err
		}
	}
	w.Flush()
	return b.Bytes(), rows, w.Error()
}
