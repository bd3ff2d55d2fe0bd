package fixturegen

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// esp2013 are the European Standard Population 2013 weights of the 19 bands
// 0–4 … 85–89, 90+ (as in pipeline/stats, repeated here so the generator
// does not depend on the code it tests).
var esp2013 = [19]float64{5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000}

func espBand(age int) int { return min(age/5, 18) }

// quintileValue is an indicator's expected numerator, denominator and value
// in one quintile.
type quintileValue struct {
	Numerator   float64 `json:"numerator"`
	Denominator float64 `json:"denominator"`
	Value       float64 `json:"value"`
}

// indicatorTruth is the true inequality of one record-level indicator.
type indicatorTruth struct {
	ID         string `json:"id"`
	Source     string `json:"source"`
	Measure    string `json:"measure"`
	Per        int    `json:"per"`
	Definition string `json:"definition"`
	// Q1ToQ5 is the ratio of quintile 1's value to quintile 5's.
	Q1ToQ5     float64                  `json:"q1_to_q5"`
	ByQuintile map[string]quintileValue `json:"by_quintile"`
	// Alternatives holds the Q1/Q5 ratio under the other rate measure (crude
	// or standardised), for rates where a config might choose either.
	Alternatives map[string]float64 `json:"alternatives,omitempty"`
	Note         string             `json:"note,omitempty"`
	// bands holds a rate's expected events and people per quintile, ESP
	// band and sex (male, female), for last year's synthetic DSRs.
	bands *rateBands
}

// rateBands are expected events [0] and people [1] by quintile, ESP 2013
// band and sex.
type rateBands [5][19][2][2]float64

// curveJSON documents a model's age curve.
type curveJSON struct {
	Ages   []float64 `json:"ages"`
	Male   []float64 `json:"male"`
	Female []float64 `json:"female"`
}

// modelTruth documents one event model.
type modelTruth struct {
	Name        string             `json:"name"`
	Source      string             `json:"source"`
	Feeds       []string           `json:"feeds"`
	Ages        [2]int             `json:"ages"`
	Curve       curveJSON          `json:"curve"`
	IMDQuintile map[string]float64 `json:"imd_quintile"`
	EthnicGroup map[string]float64 `json:"ethnic_group"`
	Note        string             `json:"note"`
}

// aggregateTruth documents one aggregate measure.
type aggregateTruth struct {
	File        string             `json:"file"`
	MeasureCode string             `json:"measure_code"`
	Indicator   string             `json:"indicator"`
	Description string             `json:"description"`
	Breakdowns  []string           `json:"breakdowns"`
	IMDQuintile map[string]float64 `json:"numerator_imd_quintile,omitempty"`
	EthnicGroup map[string]float64 `json:"numerator_ethnic_group,omitempty"`
}

// truthFile is the content of truth.json.
type truthFile struct {
	Description  string            `json:"description"`
	Generator    string            `json:"generator"`
	Seed         uint64            `json:"seed"`
	Organisation map[string]string `json:"organisation"`
	Period       map[string]string `json:"period"`
	Conventions  []string          `json:"conventions"`
	Population   struct {
		People     int            `json:"people"`
		ByQuintile map[string]int `json:"by_quintile"`
	} `json:"population"`
	Indicators   []indicatorTruth `json:"indicators"`
	Models       []modelTruth     `json:"models"`
	WaitingTimes struct {
		Shape         float64            `json:"weibull_shape"`
		Scale         float64            `json:"weibull_scale_weeks"`
		QuintileScale map[string]float64 `json:"scale_multiplier_by_quintile"`
		RTTShare      float64            `json:"rtt_share"`
	} `json:"waiting_times"`
	Baseline struct {
		Recovery      map[string]float64 `json:"elective_period_over_baseline_by_quintile"`
		RecoveryChild float64            `json:"elective_child_factor_age_0_18"`
		Other         float64            `json:"non_elective_baseline_over_period"`
	} `json:"er3_baseline"`
	Aggregates []aggregateTruth `json:"aggregates"`
	BadRows    []badRow         `json:"bad_rows"`
}

func qmap(q [5]float64) map[string]float64 {
	m := map[string]float64{}
	for i, v := range q {
		m[strconv.Itoa(i+1)] = v
	}
	return m
}

func emap(e [nGroups]float64) map[string]float64 {
	m := map[string]float64{}
	for i, v := range e {
		m[groupNames[i]] = v
	}
	return m
}

// streamNamed returns the APC stream called name.
func streamNamed(name string) *apcStream {
	for _, s := range apcStreams {
		if s.name == name {
			return s
		}
	}
	panic("fixturegen: no APC stream " + name)
}

// classRate sums the period rates of the APC streams of one class.
func classRate(p *person, class int) float64 {
	t := 0.0
	for _, s := range apcStreams {
		if s.class == class {
			t += s.rate(p)
		}
	}
	return t
}

// kept is the expected share of event rows whose LSOA stays in the lookup.
const kept = 1 - badLSOARate

// byQuintile turns sums per quintile into values.
func byQuintile(num, den [5]float64, per float64) map[string]quintileValue {
	m := map[string]quintileValue{}
	for q := range 5 {
		v := 0.0
		if den[q] > 0 {
			v = num[q] / den[q] * per
		}
		m[strconv.Itoa(q+1)] = quintileValue{sig(num[q]), sig(den[q]), sig(v)}
	}
	return m
}

func ratio(m map[string]quintileValue) float64 {
	return sig(m["1"].Value / m["5"].Value)
}

// proportionTruth sums expected numerators and denominators per quintile.
func proportionTruth(people []*person, num, den func(p *person) float64, per float64) map[string]quintileValue {
	var n, d [5]float64
	for _, p := range people {
		if p.q == 0 {
			continue
		}
		n[p.q-1] += num(p)
		d[p.q-1] += den(p)
	}
	return byQuintile(n, d, per)
}

// rateTruth returns the crude rate and the directly age–sex standardised
// rate (ESP 2013, five-year bands × sex) per quintile of expected events
// among the people eligible by age.
func rateTruth(people []*person, eligible func(p *person) bool, events func(p *person) float64) (crude, dsr map[string]quintileValue, bands *rateBands) {
	var x, n [5][19][2]float64
	var cn, cd [5]float64
	for _, p := range people {
		if p.q == 0 || !eligible(p) {
			continue
		}
		e := events(p)
		x[p.q-1][espBand(p.age)][p.sex-1] += e
		n[p.q-1][espBand(p.age)][p.sex-1]++
		cn[p.q-1] += e
		cd[p.q-1]++
	}
	crude = byQuintile(cn, cd, 1e5)
	dsr = map[string]quintileValue{}
	for q := range 5 {
		sum, w := 0.0, 0.0
		for b := range 19 {
			for s := range 2 {
				if n[q][b][s] == 0 {
					continue
				}
				sum += esp2013[b] * x[q][b][s] / n[q][b][s]
				w += esp2013[b]
			}
		}
		dsr[strconv.Itoa(q+1)] = quintileValue{sig(cn[q]), sig(cd[q]), sig(sum / w * 1e5)}
	}
	bands = new(rateBands)
	for q := range 5 {
		for b := range 19 {
			for s := range 2 {
				bands[q][b][s] = [2]float64{x[q][b][s], n[q][b][s]}
			}
		}
	}
	return crude, dsr, bands
}

// rateIndicator builds the truth of a rate indicator whose primary measure
// is "dsr" or "crude_rate".
func rateIndicator(people []*person, id, source, measure, def string, eligible func(p *person) bool, events func(p *person) float64) indicatorTruth {
	crude, dsr, bands := rateTruth(people, eligible, events)
	t := indicatorTruth{ID: id, Source: source, Measure: measure, Per: 100000, Definition: def, bands: bands}
	if measure == "dsr" {
		t.ByQuintile = dsr
		t.Alternatives = map[string]float64{"crude_rate_q1_to_q5": ratio(crude)}
	} else {
		t.ByQuintile = crude
		t.Alternatives = map[string]float64{"dsr_q1_to_q5": ratio(dsr)}
	}
	t.Q1ToQ5 = ratio(t.ByQuintile)
	return t
}

func all(*person) bool { return true }

// indicatorTruths computes the truth of every record-level indicator.
func indicatorTruths(people []*person) []indicatorTruth {
	var out []indicatorTruth
	// ER-1: waiting times.
	rtt := func(p *person) float64 { return kept * wlPathways.rate(p) * rttShare }
	for _, w := range []struct {
		id    string
		weeks float64
	}{{"ER-1a", 18}, {"ER-1b", 52}, {"ER-1c", 65}} {
		t := indicatorTruth{ID: w.id, Source: "wlmds", Measure: "proportion", Per: 100,
			Definition: fmt.Sprintf("open IRTT/ORTT pathways at %s waiting %g+ weeks / all open IRTT/ORTT pathways", isoDate(census), w.weeks)}
		t.ByQuintile = proportionTruth(people, func(p *person) float64 { return rtt(p) * waitSurvival(w.weeks, p.qi()) }, rtt, 100)
		t.Q1ToQ5 = ratio(t.ByQuintile)
		out = append(out, t)
	}
	// ER-2: activity rates.
	out = append(out,
		rateIndicator(people, "ER-2a", "apc", "dsr", "elective spells (methods 11, 12, 13) in the period per 100,000, age–sex standardised",
			all, func(p *person) float64 { return kept * classRate(p, elective) }),
		rateIndicator(people, "ER-2b", "apc", "dsr", "emergency spells (methods 21–25, 2A–2D, 28) in the period per 100,000, age–sex standardised",
			all, func(p *person) float64 { return kept * classRate(p, emergency) }),
		rateIndicator(people, "ER-2c", "outpatients", "dsr", "outpatient appointments (attended or not) per 100,000, age–sex standardised",
			all, func(p *person) float64 { return kept * (opFace.rate(p) + opVirtual.rate(p)) }),
		rateIndicator(people, "ER-2d", "outpatients", "dsr", "telephone or video appointments (first attendance 3, 4; medium 02, 03) per 100,000, age–sex standardised",
			all, func(p *person) float64 { return kept * opVirtual.rate(p) }),
		rateIndicator(people, "ER-2e", "ecds", "dsr", "emergency care attendances with sex 1 or 2 per 100,000, age–sex standardised",
			all, func(p *person) float64 { return kept * (1 - ecdsSexUnknown) * aeVisits.rate(p) }),
	)
	// ER-3: elective activity against the baseline.
	for _, e := range []struct {
		id, ages string
		in       func(p *person) bool
	}{
		{"ER-3a", "0–18", func(p *person) bool { return p.age <= 18 }},
		{"ER-3b", "19+", func(p *person) bool { return p.age > 18 }},
	} {
		t := indicatorTruth{ID: e.id, Source: "apc", Measure: "ratio_to_baseline", Per: 100,
			Definition: "elective spells aged " + e.ages + " in the period / elective spells 2019-03-01 to 2020-02-29, as a percentage"}
		t.ByQuintile = proportionTruth(people,
			func(p *person) float64 { return b2f(e.in(p)) * kept * classRate(p, elective) },
			func(p *person) float64 {
				if !e.in(p) {
					return 0
				}
				d := 0.0
				for _, s := range apcStreams {
					if s.class == elective {
						d += s.rate(p) * s.baselineFactor(p)
					}
				}
				return kept * d * baseline.scale()
			}, 100)
		t.Q1ToQ5 = ratio(t.ByQuintile)
		out = append(out, t)
	}
	child := func(maxAge int) func(p *person) bool { return func(p *person) bool { return p.age <= maxAge } }
	stream := func(name string) func(p *person) float64 {
		s := streamNamed(name)
		return func(p *person) float64 { return kept * s.rate(p) }
	}
	out = append(out,
		rateIndicator(people, "UEC-1", "apc", "crude_rate", "emergency spells, primary diagnosis J45–J46, aged 0–17, per 100,000 aged 0–17", child(17), stream("apc_asthma_child")),
		rateIndicator(people, "UEC-2", "apc", "crude_rate", "emergency spells, primary diagnosis E10–E14, aged 0–17, per 100,000 aged 0–17", child(17), stream("apc_diabetes_child")),
		rateIndicator(people, "UEC-3", "apc", "crude_rate", "emergency spells, primary diagnosis G40–G41, aged 0–17, per 100,000 aged 0–17", child(17), stream("apc_epilepsy_child")),
		rateIndicator(people, "RESP-2", "apc", "dsr", "emergency spells, primary diagnosis J40–J44, aged 35+, per 100,000 aged 35+, age–sex standardised",
			func(p *person) bool { return p.age >= 35 }, stream("apc_copd")),
		rateIndicator(people, "MH-1", "mhsds_detentions", "crude_rate", "Mental Health Act detentions starting in the period per 100,000 (the DSR is the alternative)",
			all, func(p *person) float64 { return kept * mhDetentions.rate(p) }),
		rateIndicator(people, "MH-2", "mhsds_restrictive", "crude_rate", "people with at least one restrictive intervention in the period per 100,000",
			all, func(p *person) float64 { return kept * mhRestrictive.rate(p) }),
		rateIndicator(people, "MH-3", "mhsds_contacts", "crude_rate", "people aged 0–17 with at least one care contact in the period per 100,000 aged 0–17",
			child(17), func(p *person) float64 { return kept * mhAccess.rate(p) }),
	)
	// MH-5: recovery among those at caseness at the start.
	tt := indicatorTruth{ID: "MH-5", Source: "talking_therapies", Measure: "proportion", Per: 100,
		Definition: "finished courses at caseness at the start and not at the end / finished courses at caseness at the start"}
	tt.ByQuintile = proportionTruth(people,
		func(p *person) float64 { return kept * ttCourses.rate(p) * ttCaseness * ttRecovery.rate(p) },
		func(p *person) float64 { return kept * ttCourses.rate(p) * ttCaseness }, 100)
	tt.Q1ToQ5 = ratio(tt.ByQuintile)
	out = append(out, tt)
	// CA-1: early stage among stageable tumours with a known stage.
	ca := indicatorTruth{ID: "CA-1", Source: "cancer", Measure: "proportion", Per: 100,
		Definition: "tumours at stage 1 or 2 / stageable tumours with stage 1–4"}
	caSums := func(early bool) func(p *person) float64 {
		return func(p *person) float64 {
			lambda := cancerIncidence.rate(p)
			if lambda == 0 {
				return 0
			}
			sites, ws := sitesFor(p)
			total := 0.0
			for _, w := range ws {
				total += w
			}
			s := 0.0
			for i, c := range sites {
				if !c.stageable {
					continue
				}
				v := ws[i] / total * cancerKnown.rate(p)
				if early {
					v *= earlyProb(c, p)
				}
				s += v
			}
			return kept * lambda * s
		}
	}
	ca.ByQuintile = proportionTruth(people, caSums(true), caSums(false), 100)
	ca.Q1ToQ5 = ratio(ca.ByQuintile)
	out = append(out, ca,
		rateIndicator(people, "CVD-4", "apc", "dsr", "emergency spells, primary diagnosis I21–I22, per 100,000, age–sex standardised", all, stream("apc_mi")),
		rateIndicator(people, "CVD-5", "apc", "dsr", "emergency spells, primary diagnosis I60–I69, per 100,000, age–sex standardised", all, stream("apc_stroke")),
		rateIndicator(people, "OH-1", "apc", "crude_rate", "spells with main procedure F09/F10 and primary diagnosis K02, aged 0–10, classification 1 or 2, per 100,000 aged 0–10",
			child(10), stream("apc_dental_caries_child")),
	)
	return out
}

// truthJSON assembles truth.json.
func truthJSON(seed uint64, people []*person, ms []measure, bad []badRow) ([]byte, error) {
	var t truthFile
	t.Description = "True inequalities of the synthetic fixture data: expected (not sampled) counts per IMD quintile under the generating model, over the people in population.csv, and the multipliers used"
	t.Generator = "hiis/pipeline/fixturegen"
	t.Seed = seed
	t.Organisation = map[string]string{"code": orgCode, "name": orgName}
	t.Period = map[string]string{"start": isoDate(period.start), "end": isoDate(period.start + period.days - 1)}
	t.Conventions = []string{
		"IMD quintile 1 is the most deprived; quintile = ceil(decile / 2)",
		"q1_to_q5 is the value in quintile 1 divided by the value in quintile 5 for the indicator's measure",
		"proportion and ratio_to_baseline: value = expected numerator / expected denominator * per",
		"crude_rate: numerator = expected events, denominator = people of eligible age in population.csv",
		"dsr: numerator = expected events, denominator = people of eligible age; value = sum over 5-year ESP 2013 band x sex of w * events / people, divided by the sum of w, * per",
		"expected counts include the 1% of rows (MHSDS: people) whose LSOA is outside the lookup, which fall in the Unknown group; rejected bad rows are not counted",
		"multipliers: expected rate = curve(age, sex) * imd_quintile[q] * ethnic_group[g]; people outside the lookup use quintile 3's multiplier",
	}
	t.Population.People = len(people)
	t.Population.ByQuintile = map[string]int{}
	for _, p := range people {
		k := "Unknown"
		if p.q > 0 {
			k = strconv.Itoa(p.q)
		}
		t.Population.ByQuintile[k]++
	}
	t.Indicators = indicatorTruths(people)
	for _, m := range allModels() {
		t.Models = append(t.Models, modelTruth{
			Name: m.name, Source: m.source, Feeds: m.feeds, Ages: [2]int{m.minAge, m.maxAge},
			Curve:       curveJSON{Ages: m.c.ages, Male: m.c.male, Female: m.c.female},
			IMDQuintile: qmap(m.q), EthnicGroup: emap(m.eth), Note: m.note,
		})
	}
	t.WaitingTimes.Shape = waitShape
	t.WaitingTimes.Scale = waitScale
	t.WaitingTimes.QuintileScale = qmap(waitQ)
	t.WaitingTimes.RTTShare = rttShare
	t.Baseline.Recovery = qmap(recovery)
	t.Baseline.RecoveryChild = recoveryChild
	t.Baseline.Other = baselineOther
	for _, m := range ms {
		t.Aggregates = append(t.Aggregates, aggregateTruth{File: m.file, MeasureCode: m.code, Indicator: m.indicator,
			Description: m.description, Breakdowns: m.breakdowns, IMDQuintile: qmap(m.q), EthnicGroup: emap(m.eth)})
	}
	t.Aggregates = append(t.Aggregates,
		aggregateTruth{File: "tobacco.csv", MeasureCode: "TDS_ACUTE_SETTINGS", Indicator: "SM-1", Description: "adult acute inpatient settings offering tobacco dependence services / settings", Breakdowns: []string{"overall"}},
		aggregateTruth{File: "tobacco.csv", MeasureCode: "TDS_MATERNITY_SETTINGS", Indicator: "SM-2", Description: "maternity inpatient settings offering tobacco dependence services / settings", Breakdowns: []string{"overall"}},
		aggregateTruth{File: "ld_inpatients.csv", MeasureCode: "AT_LDA_INPATIENTS", Indicator: "LDA-2", Description: fmt.Sprintf("%d adult inpatients with a learning disability and/or autism / adults in population.csv (report per million)", ldInpatients), Breakdowns: []string{"overall", "sex", "age_band"}},
	)
	t.BadRows = bad
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode truth: %w", err)
	}
	return append(b, '\n'), nil
}
