package fixturegen

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// ageBand is a reporting age band of an aggregate source.
type ageBand struct {
	label  string
	lo, hi int
}

var (
	adultBands    = []ageBand{{"18-39", 18, 39}, {"40-59", 40, 59}, {"60-79", 60, 79}, {"80+", 80, maxAge}}
	childBands    = []ageBand{{"0-4", 0, 4}, {"5-9", 5, 9}, {"10-14", 10, 14}, {"15-19", 15, 19}}
	ldBands       = []ageBand{{"14-17", 14, 17}, {"18-39", 18, 39}, {"40-59", 40, 59}, {"60+", 60, maxAge}}
	covidBands    = []ageBand{{"0-64", 0, 64}, {"65-74", 65, 74}, {"75-79", 75, 79}, {"80+", 80, maxAge}}
	fluBands      = []ageBand{{"2-3", 2, 3}, {"4-17", 4, 17}, {"18-64", 18, 64}, {"65-74", 65, 74}, {"75+", 75, maxAge}}
	ppvBands      = []ageBand{{"65-74", 65, 74}, {"75-84", 75, 84}, {"85+", 85, maxAge}}
	inpatientBand = []ageBand{{"18-24", 18, 24}, {"25-34", 25, 34}, {"35-49", 35, 49}, {"50-64", 50, 64}, {"65+", 65, maxAge}}
	maternityBand = []ageBand{{"16-19", 16, 19}, {"20-24", 20, 24}, {"25-29", 25, 29}, {"30-34", 30, 34}, {"35-39", 35, 39}, {"40+", 40, maxAge}}
)

// measure is one aggregate measure: who is in the denominator (a register
// or eligible cohort, by probability), who of them is in the numerator, and
// which breakdowns the publication provides.
type measure struct {
	code, indicator, file, description string
	eligible                           func(p *person) float64
	numerator                          func(p *person) float64
	// from names an earlier measure whose units (numerator flags included)
	// this one counts, restricted to subset; eligible and numerator are
	// then unused.
	from       string
	subset     func(p *person) bool
	ages       []ageBand
	breakdowns []string
	q          [5]float64 // numerator multipliers, for truth.json
	eth        [nGroups]float64
}

var allBreakdowns = []string{"overall", "imd_quintile", "ethnic_group", "age_band", "sex"}

func clamp(p float64) float64 { return math.Max(0, math.Min(0.98, p)) }

// num builds a numerator probability base × q × eth × age factor.
func num(base float64, q [5]float64, eth [nGroups]float64, age func(int) float64) func(p *person) float64 {
	return func(p *person) float64 {
		f := 1.0
		if age != nil {
			f = age(p.age)
		}
		return clamp(base * q[p.qi()] * eth[p.group] * f)
	}
}

// prev builds a register prevalence by age curve × q × eth.
func prev(c curve, minAge int, q [5]float64, eth [nGroups]float64) func(p *person) float64 {
	return func(p *person) float64 {
		if p.age < minAge {
			return 0
		}
		return clamp(c.at(p.age, p.sex) * q[p.qi()] * eth[p.group])
	}
}

// Numerator multipliers of the aggregate measures.
var (
	hypQ   = [5]float64{0.90, 0.94, 0.97, 0.99, 1.0}
	hypE   = [nGroups]float64{1.0, 0.97, 0.97, 0.92, 0.97, 0.97, 0.95}
	lipQ   = [5]float64{0.93, 0.95, 0.97, 0.99, 1.0}
	afQ    = [5]float64{0.96, 0.97, 0.98, 0.99, 1.0}
	t1Q    = [5]float64{0.78, 0.86, 0.93, 0.98, 1.0}
	t2Q    = [5]float64{0.88, 0.93, 0.97, 0.99, 1.0}
	cgmQ   = [5]float64{0.85, 0.90, 0.95, 1.0, 1.02}
	smiQ   = [5]float64{0.86, 0.92, 0.97, 1.0, 1.05}
	ldQ    = [5]float64{0.95, 0.97, 0.99, 1.0, 1.01}
	vaccQ  = [5]float64{0.80, 0.88, 0.95, 1.0, 1.03}
	vaccE  = [nGroups]float64{1.0, 0.75, 0.75, 0.5, 0.7, 0.85, 0.8}
	cocQ   = [5]float64{2.6, 1.7, 1.2, 1.0, 0.9}
	cocE   = [nGroups]float64{1.0, 1.9, 1.9, 1.9, 1.9, 1.0, 1.0}
	mildE  = [nGroups]float64{1.0, 0.97, 0.95, 0.93, 0.95, 0.95, 0.93}
	noneQ  = [5]float64{1, 1, 1, 1, 1}
	noneE  = [nGroups]float64{1, 1, 1, 1, 1, 1, 1}
	prevQ  = [5]float64{1.25, 1.15, 1.08, 1.03, 1.0}
	t2Prev = [nGroups]float64{1.0, 1.3, 2.3, 1.8, 1.3, 1.0, 1.0}
)

// immunosuppressed and at-risk flags are drawn once per person, so that the
// cohorts of the vaccination measures are consistent with each other.
type vaccFlags struct{ immuno, atRisk []bool }

func measures(flags vaccFlags) []measure {
	female := func(p *person) bool { return p.sex == 2 }
	return []measure{
		{code: "CVDP007HYP", indicator: "CVD-1", file: "cvdprevent.csv",
			description: "hypertension register: last blood pressure at or below 140/90 (under 80) or 150/90 (80+)",
			eligible:    prev(curve{ages: []float64{18, 30, 40, 50, 60, 70, 80, 90}, male: []float64{0.01, 0.025, 0.07, 0.16, 0.29, 0.44, 0.56, 0.60}, female: []float64{0.008, 0.015, 0.05, 0.12, 0.25, 0.40, 0.55, 0.62}}, 18, prevQ, [nGroups]float64{1.0, 1.1, 1.15, 1.4, 1.1, 1.0, 1.0}),
			numerator: num(0.68, hypQ, hypE, func(a int) float64 {
				if a >= 80 {
					return 1.08
				}
				return 1
			}), ages: adultBands, breakdowns: allBreakdowns, q: hypQ, eth: hypE},
		{code: "CVDP009CHOL", indicator: "CVD-2", file: "cvdprevent.csv",
			description: "CVD, or QRISK2/3 of 20% or more: currently treated with lipid-lowering therapy",
			eligible:    prev(curve{ages: []float64{30, 40, 50, 60, 70, 80, 90}, male: []float64{0.003, 0.02, 0.07, 0.19, 0.36, 0.48, 0.52}, female: []float64{0.002, 0.01, 0.04, 0.13, 0.29, 0.42, 0.48}}, 30, prevQ, [nGroups]float64{1.0, 1.0, 1.3, 1.0, 1.0, 1.0, 1.0}),
			numerator: func(p *person) float64 {
				f := 1.0
				if female(p) {
					f = 0.9
				}
				return clamp(0.74 * lipQ[p.qi()] * mildE[p.group] * f)
			}, ages: adultBands, breakdowns: allBreakdowns, q: lipQ, eth: mildE},
		{code: "CVDP002AF", indicator: "CVD-3", file: "cvdprevent.csv",
			description: "atrial fibrillation with CHA2DS2-VASc 2 or more: treated with anticoagulants",
			eligible:    prev(same([]float64{40, 50, 60, 70, 80, 90}, []float64{0.003, 0.01, 0.03, 0.07, 0.13, 0.18}), 40, noneQ, [nGroups]float64{1.0, 0.8, 0.6, 0.6, 0.7, 1.0, 1.0}),
			numerator: num(0.89, afQ, mildE, func(a int) float64 {
				if a >= 90 {
					return 0.93
				}
				return 1
			}), ages: adultBands, breakdowns: allBreakdowns, q: afQ, eth: mildE},
		{code: "NDA_CP8_T1", indicator: "DM-1", file: "nda.xlsx",
			description: "people with type 1 diabetes receiving all eight care processes",
			eligible:    prev(same([]float64{18, 100}, []float64{0.0045, 0.0035}), 18, noneQ, [nGroups]float64{1.0, 0.7, 0.5, 0.5, 0.5, 1.0, 1.0}),
			numerator: num(0.38, t1Q, mildE, func(a int) float64 {
				if a < 40 {
					return 0.8
				}
				return 1
			}), ages: adultBands, breakdowns: allBreakdowns, q: t1Q, eth: mildE},
		{code: "NDA_CP8_T2", indicator: "DM-1", file: "nda.xlsx",
			description: "people with type 2 or other diabetes receiving all eight care processes",
			eligible:    prev(same([]float64{18, 30, 40, 50, 60, 70, 80, 90}, []float64{0.003, 0.01, 0.03, 0.07, 0.13, 0.18, 0.20, 0.17}), 18, [5]float64{1.5, 1.3, 1.15, 1.05, 1.0}, t2Prev),
			numerator: num(0.56, t2Q, mildE, func(a int) float64 {
				if a < 40 {
					return 0.75
				}
				return 1
			}), ages: adultBands, breakdowns: allBreakdowns, q: t2Q, eth: mildE},
		{code: "NPDA_RTCGM_T1", indicator: "DM-2", file: "nda.xlsx",
			description: "children and young people (0–19) with type 1 diabetes using real-time continuous glucose monitoring",
			eligible: func(p *person) float64 {
				return prev(same([]float64{1, 5, 10, 15, 19}, []float64{0.0005, 0.0018, 0.0035, 0.0045, 0.0045}), 0, noneQ, noneE)(p) * b2f(p.age <= 19)
			},
			numerator: num(0.80, cgmQ, mildE, nil), ages: childBands, breakdowns: allBreakdowns, q: cgmQ, eth: mildE},
		{code: "SMI_PHC6", indicator: "MH-4", file: "gp_health_checks.csv",
			description: "people on the severe mental illness register receiving all six physical health checks",
			eligible:    prev(same([]float64{18, 30, 50, 70, 90}, []float64{0.006, 0.010, 0.011, 0.008, 0.006}), 18, [5]float64{2.2, 1.6, 1.2, 1.0, 0.85}, [nGroups]float64{1.0, 1.4, 1.1, 2.0, 1.3, 1.0, 1.0}),
			numerator:   num(0.52, smiQ, mildE, nil), ages: adultBands, breakdowns: allBreakdowns, q: smiQ, eth: mildE},
		{code: "LDHC_14PLUS", indicator: "LDA-1", file: "gp_health_checks.csv",
			description: "people aged 14+ on the learning disability register with an annual health check",
			eligible:    prev(same([]float64{14, 40, 70, 90}, []float64{0.007, 0.006, 0.004, 0.002}), 14, [5]float64{1.5, 1.25, 1.1, 1.0, 0.9}, noneE),
			numerator:   num(0.76, ldQ, mildE, nil), ages: ldBands, breakdowns: allBreakdowns, q: ldQ, eth: mildE},
		{code: "VAC_COVID_AUT25", indicator: "RESP-1", file: "vaccination.csv",
			description: "COVID-19 autumn 2025: eligible (75+, or immunosuppressed) and vaccinated",
			eligible: func(p *person) float64 {
				return b2f(p.age >= 75 || flags.immuno[p.idx])
			},
			numerator: num(0.68, vaccQ, vaccE, func(a int) float64 {
				if a < 75 {
					return 0.5
				}
				return 1
			}), ages: covidBands, breakdowns: allBreakdowns, q: vaccQ, eth: vaccE},
		{code: "VAC_FLU_2526", indicator: "RESP-1", file: "vaccination.csv",
			description: "influenza 2025-26: eligible (65+, at-risk 2-64, all aged 2-3) and vaccinated",
			eligible: func(p *person) float64 {
				return b2f(p.age >= 65 || (p.age >= 2 && p.age <= 3) || (p.age >= 2 && flags.atRisk[p.idx]))
			},
			numerator: num(0.74, vaccQ, vaccE, func(a int) float64 {
				switch {
				case a <= 3:
					return 0.6
				case a < 65:
					return 0.57
				}
				return 1
			}), ages: fluBands, breakdowns: allBreakdowns, q: vaccQ, eth: vaccE},
		{code: "VAC_PPV_65PLUS", indicator: "RESP-1", file: "vaccination.csv",
			description: "pneumococcal polysaccharide vaccine ever, people aged 65+",
			eligible:    func(p *person) float64 { return b2f(p.age >= 65) },
			numerator: num(0.66, vaccQ, vaccE, func(a int) float64 {
				return 1 + 0.004*float64(min(a, 90)-65)
			}), ages: ppvBands, breakdowns: allBreakdowns, q: vaccQ, eth: vaccE},
		{code: "MSD_COC_PLACED", indicator: "MAT-1", file: "maternity.csv",
			description: "women booked for antenatal care placed on a continuity of carer pathway",
			eligible:    bookings,
			numerator:   num(0.12, cocQ, cocE, nil), ages: maternityBand, breakdowns: []string{"overall", "imd_quintile", "ethnic_group", "age_band"}, q: cocQ, eth: cocE},
		{code: "MSD_COC_TARGET", indicator: "MAT-1", file: "maternity.csv",
			description: "women from Black, Asian and mixed or other minority ethnic groups, or living in the most deprived quintile, placed on a continuity of carer pathway",
			from:        "MSD_COC_PLACED",
			subset:      func(p *person) bool { return p.q == 1 || (p.group >= gMixed && p.group <= gOther) },
			ages:        nil, breakdowns: []string{"overall", "imd_quintile", "ethnic_group"}, q: cocQ, eth: cocE},
	}
}

// bookings is the probability that a woman books for antenatal care in the
// year.
func bookings(p *person) float64 {
	if p.sex != 2 || p.age < 16 || p.age > 45 {
		return 0
	}
	return same([]float64{16, 20, 25, 30, 35, 40, 45}, []float64{0.02, 0.05, 0.08, 0.09, 0.06, 0.025, 0.005}).at(p.age, 2) * []float64{1.15, 1.1, 1.0, 0.95, 0.9}[p.qi()]
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// unit is one person counted by an aggregate measure.
type unit struct {
	p   *person
	num bool
}

// aggRow is one row of an aggregate source.
type aggRow struct {
	code, breakdown, group string
	num, den               int
}

// tabulate counts units by every breakdown the measure publishes, skipping
// groups with an empty denominator.
func tabulate(m measure, units []unit) []aggRow {
	var rows []aggRow
	add := func(b, g string, keep func(p *person) bool) {
		n, d := 0, 0
		for _, u := range units {
			if keep(u.p) {
				d++
				if u.num {
					n++
				}
			}
		}
		if d > 0 {
			rows = append(rows, aggRow{m.code, b, g, n, d})
		}
	}
	for _, b := range m.breakdowns {
		switch b {
		case "overall":
			add(b, "All", func(*person) bool { return true })
		case "imd_quintile":
			for q := 1; q <= 5; q++ {
				add(b, strconv.Itoa(q), func(p *person) bool { return p.q == q })
			}
			add(b, "Unknown", func(p *person) bool { return p.q == 0 })
		case "ethnic_group":
			for g := range nGroups {
				add(b, groupNames[g], func(p *person) bool { return p.group == g })
			}
		case "age_band":
			for _, a := range m.ages {
				add(b, a.label, func(p *person) bool { return p.age >= a.lo && p.age <= a.hi })
			}
		case "sex":
			add(b, "Male", func(p *person) bool { return p.sex == 1 })
			add(b, "Female", func(p *person) bool { return p.sex == 2 })
		}
	}
	return rows
}

// aggregateRows draws every measure's units and tabulates them, in measure
// order.
func aggregateRows(seed uint64, people []*person) (map[string][]aggRow, []measure) {
	r := newRNG(seed, streamAggregate)
	flags := vaccFlags{immuno: make([]bool, len(people)), atRisk: make([]bool, len(people))}
	for i, p := range people {
		flags.immuno[i] = p.age >= 1 && r.bern(0.025)
		flags.atRisk[i] = r.bern(0.08 + 0.003*float64(min(p.age, 64)))
	}
	ms := measures(flags)
	out := map[string][]aggRow{}
	byCode := map[string][]unit{}
	for _, m := range ms {
		var units []unit
		if m.from != "" {
			for _, u := range byCode[m.from] {
				if m.subset(u.p) {
					units = append(units, u)
				}
			}
		} else {
			for _, p := range people {
				if r.bern(m.eligible(p)) {
					units = append(units, unit{p: p, num: r.bern(m.numerator(p))})
				}
			}
		}
		byCode[m.code] = units
		out[m.file] = append(out[m.file], tabulate(m, units)...)
	}
	return out, ms
}

// Tobacco dependence settings (SM-1, SM-2) and learning disability and
// autism inpatients (LDA-2) are counted, not modelled per person.
func tobaccoRows() []aggRow {
	return []aggRow{
		{"TDS_ACUTE_SETTINGS", "overall", "All", 5, 6},
		{"TDS_MATERNITY_SETTINGS", "overall", "All", 2, 3},
	}
}

// ldInpatients is the number of adults with a learning disability and/or
// autism in inpatient care at the end of the period.
const ldInpatients = 14

// ldInpatientRows picks the inpatients among adults (more often men and
// people aged 18–49) and counts them against the adult population.
func ldInpatientRows(seed uint64, people []*person) []aggRow {
	r := newRNG(seed, streamLDInpatients)
	var adults []*person
	var ws []float64
	for _, p := range people {
		if p.age < 18 {
			continue
		}
		w := 1.0
		if p.sex == 1 {
			w = 2.5
		}
		if p.age < 50 {
			w *= 2
		}
		adults = append(adults, p)
		ws = append(ws, w)
	}
	chosen := map[int]bool{}
	c := newCumulative(ws)
	for len(chosen) < ldInpatients {
		chosen[c.pick(r)] = true
	}
	units := make([]unit, len(adults))
	for i, p := range adults {
		units[i] = unit{p: p, num: chosen[i]}
	}
	m := measure{code: "AT_LDA_INPATIENTS", ages: inpatientBand, breakdowns: []string{"overall", "sex", "age_band"}}
	return tabulate(m, units)
}

// aggregateCSV writes aggregate rows.
func aggregateCSV(rows []aggRow) []byte {
	t := newTable(headers["aggregate"]...)
	for _, r := range rows {
		t.row(r.code, r.breakdown, r.group, strconv.Itoa(r.num), strconv.Itoa(r.den))
	}
	return t.bytes()
}

// xlsxTime is the fixed creation and modification time of nda.xlsx.
const xlsxTime = "2026-04-30T09:00:00Z"

// aggregateXLSX writes aggregate rows to a one-sheet workbook with fixed
// document properties, so its bytes do not depend on when it is written.
func aggregateXLSX(sheet string, rows []aggRow) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("name sheet: %w", err)
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:          "National Diabetes Audit extract (synthetic)",
		Creator:        "hiis fixturegen",
		LastModifiedBy: "hiis fixturegen",
		Created:        xlsxTime,
		Modified:       xlsxTime,
		Description:    "Synthetic data for NHS Fenland and Nene ICB (synthetic), QXX",
		Language:       "en-GB",
	}); err != nil {
		return nil, fmt.Errorf("set document properties: %w", err)
	}
	head := headers["aggregate"]
	hrow := make([]any, len(head))
	for i, h := range head {
		hrow[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &hrow); err != nil {
		return nil, fmt.Errorf("write header: %w", err)
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i+2, err)
		}
		vals := []any{r.code, r.breakdown, r.group, r.num, r.den}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return nil, fmt.Errorf("write row %d: %w", i+2, err)
		}
	}
	last, err := excelize.CoordinatesToCellName(len(head), len(rows)+1)
	if err != nil {
		return nil, fmt.Errorf("dimension: %w", err)
	}
	if err := f.SetSheetDimension(sheet, "A1:"+last); err != nil {
		return nil, fmt.Errorf("set dimension: %w", err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("write workbook: %w", err)
	}
	return b.Bytes(), nil
}
