package fixturegen

import "math"

// model is one event-generating process: an annual rate (or a probability,
// for people-based measures) by age and sex, multiplied by known rate ratios
// by IMD quintile and ethnic group.
type model struct {
	name           string   // key in truth.json
	source         string   // the source file it feeds
	feeds          []string // indicator ids whose numerator or denominator it is part of
	minAge, maxAge int
	c              curve
	q              [5]float64       // multiplier by quintile 1..5 (Unknown uses 3)
	eth            [nGroups]float64 // multiplier by ethnic group
	note           string
}

// rate returns the person's annual rate (or probability) under the model.
func (m *model) rate(p *person) float64 {
	if p.age < m.minAge || p.age > m.maxAge {
		return 0
	}
	return m.c.at(p.age, p.sex) * m.q[p.qi()] * m.eth[p.group]
}

// Common knots and multiplier sets.
var (
	knots = []float64{0, 1, 5, 10, 15, 18, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	flatQ = [5]float64{1, 1, 1, 1, 1}
	flatE = [nGroups]float64{1, 1, 1, 1, 1, 1, 1}
)

// APC activity classes.
const (
	elective = iota
	emergency
	otherMethod
)

// episode is a diagnosis–procedure pattern an APC stream draws from.
type episode struct {
	diag, proc     string     // ICD-10 and OPCS-4 codes with a dot; proc may be blank
	cls            []weighted // patient classification
	minAge, maxAge int
	w              float64
}

// apcStream is an APC model with the codes its spells carry.
type apcStream struct {
	model
	class    int
	methods  []weighted
	episodes []episode
}

var (
	electiveMethods  = []weighted{{"11", 0.60}, {"12", 0.30}, {"13", 0.10}}
	emergencyMethods = []weighted{{"21", 0.70}, {"22", 0.12}, {"23", 0.01}, {"24", 0.04}, {"25", 0.01}, {"2A", 0.03}, {"2B", 0.03}, {"2C", 0.01}, {"2D", 0.03}, {"28", 0.02}}
	ordinary         = []weighted{{"1", 1}}
	dayCase          = []weighted{{"1", 0.15}, {"2", 0.85}}
	mostlyOrdinary   = []weighted{{"1", 0.75}, {"2", 0.25}}
	regularDay       = []weighted{{"3", 1}}
)

// recovery is elective activity in the period relative to the pre-pandemic
// baseline, by quintile (deprived areas recovered less), and for ages 0–18.
var (
	recovery      = [5]float64{0.90, 0.94, 0.98, 1.02, 1.05}
	recoveryChild = 0.95
	// baselineOther is the baseline rate of non-elective spells relative to
	// the period.
	baselineOther = 0.96
)

// baselineFactor is the ratio of a spell's expected rate in the ER-3
// baseline year to its rate in the reporting period.
func (s *apcStream) baselineFactor(p *person) float64 {
	if s.class != elective {
		return baselineOther
	}
	f := recovery[p.qi()]
	if p.age <= 18 {
		f *= recoveryChild
	}
	return 1 / f
}

// apcStreams are the admitted patient care models. Target codes (J45–J46,
// E10–E14, G40–G41, J40–J44, I21–I22, I60–I69, K02 with F09/F10) occur only
// in the streams named for them and in the decoys, which differ in age,
// method or diagnosis so that an indicator's filter matters.
var apcStreams = []*apcStream{
	{
		model: model{name: "apc_elective", source: "apc", feeds: []string{"ER-2a", "ER-3a", "ER-3b"}, minAge: 0, maxAge: maxAge,
			c: curve{ages: knots,
				male:   []float64{0.05, 0.04, 0.03, 0.03, 0.035, 0.04, 0.04, 0.05, 0.07, 0.10, 0.16, 0.24, 0.28, 0.22, 0.15},
				female: []float64{0.04, 0.03, 0.025, 0.03, 0.04, 0.05, 0.06, 0.09, 0.10, 0.12, 0.16, 0.21, 0.24, 0.18, 0.12}},
			q: [5]float64{0.85, 0.90, 0.95, 0.98, 1.0}, eth: [nGroups]float64{1.0, 0.92, 0.88, 0.85, 0.85, 1.0, 1.0},
			note: "elective spells (methods 11–13); reversed gradient: more elective care in less deprived areas"},
		class: elective, methods: electiveMethods,
		episodes: []episode{
			{"J35.0", "F34.1", dayCase, 2, 17, 3}, {"H65.3", "D15.1", dayCase, 1, 12, 3}, {"K40.9", "T20.1", dayCase, 0, 17, 1.5},
			{"Q53.1", "N08.2", dayCase, 0, 5, 0.5}, {"N47X", "N30.3", dayCase, 1, 17, 1}, {"K35.8", "H01.1", mostlyOrdinary, 5, 17, 0.5},
			{"H26.9", "C71.2", dayCase, 18, maxAge, 4}, {"K80.2", "J18.3", mostlyOrdinary, 18, maxAge, 2}, {"M17.1", "W40.1", ordinary, 40, maxAge, 2},
			{"M16.1", "W37.1", ordinary, 40, maxAge, 1.5}, {"K63.5", "H22.9", dayCase, 18, maxAge, 3}, {"K21.9", "G45.1", dayCase, 18, maxAge, 2.5},
			{"N40X", "M65.3", mostlyOrdinary, 45, maxAge, 1}, {"D25.9", "Q07.4", mostlyOrdinary, 25, 60, 0.8}, {"K40.9", "T20.1", dayCase, 18, maxAge, 1.5},
			{"L72.1", "S06.2", dayCase, 18, maxAge, 1}, {"C50.9", "B28.3", mostlyOrdinary, 25, maxAge, 0.6}, {"Z51.1", "X72.9", regularDay, 18, maxAge, 2},
			{"I25.1", "K75.1", mostlyOrdinary, 40, maxAge, 0.8}, {"R10.4", "", dayCase, 18, maxAge, 1},
		},
	},
	{
		model: model{name: "apc_dental_caries_child", source: "apc", feeds: []string{"OH-1", "ER-2a", "ER-3a"}, minAge: 0, maxAge: 10,
			c: same([]float64{0, 2, 4, 6, 8, 10}, []float64{0, 0.003, 0.011, 0.013, 0.010, 0.006}),
			q: [5]float64{3.2, 2.4, 1.7, 1.3, 1.0}, eth: [nGroups]float64{1.0, 1.3, 1.6, 1.2, 1.3, 1.0, 1.0},
			note: "tooth extraction for decay (K02, OPCS F09/F10) in children aged 0–10, elective, ordinary or day case"},
		class: elective, methods: []weighted{{"11", 0.7}, {"12", 0.3}},
		episodes: []episode{
			{"K02.1", "F10.4", dayCase, 0, 10, 5}, {"K02.9", "F10.4", dayCase, 0, 10, 2}, {"K02.1", "F10.9", dayCase, 0, 10, 1},
			{"K02.8", "F09.1", dayCase, 0, 10, 0.5}, {"K02.0", "F10.1", dayCase, 0, 10, 0.5},
		},
	},
	{
		model: model{name: "apc_dental_other_child", source: "apc", feeds: []string{"ER-2a", "ER-3a"}, minAge: 3, maxAge: 10,
			c: same([]float64{3, 10}, []float64{0.0015, 0.0015}), q: flatQ, eth: flatE,
			note: "decoy for OH-1: extractions in children for reasons other than decay (K00, K01, K04, K08)"},
		class: elective, methods: electiveMethods,
		episodes: []episode{{"K01.1", "F09.1", dayCase, 3, 10, 1}, {"K00.6", "F10.4", dayCase, 3, 10, 1}, {"K04.7", "F10.4", dayCase, 3, 10, 1}, {"K08.8", "F10.1", dayCase, 3, 10, 0.5}},
	},
	{
		model: model{name: "apc_dental_older", source: "apc", feeds: []string{"ER-2a", "ER-3a", "ER-3b"}, minAge: 11, maxAge: 40,
			c: same([]float64{11, 40}, []float64{0.0015, 0.0008}), q: [5]float64{1.8, 1.5, 1.3, 1.1, 1.0}, eth: flatE,
			note: "decoy for OH-1: tooth extractions for decay at ages 11–40"},
		class: elective, methods: electiveMethods,
		episodes: []episode{{"K02.1", "F10.4", dayCase, 11, 40, 3}, {"K02.9", "F09.1", dayCase, 11, 40, 1}},
	},
	{
		model: model{name: "apc_emergency_other", source: "apc", feeds: []string{"ER-2b"}, minAge: 0, maxAge: maxAge,
			c: curve{ages: knots,
				male:   []float64{0.30, 0.12, 0.05, 0.04, 0.05, 0.05, 0.05, 0.05, 0.06, 0.07, 0.10, 0.16, 0.30, 0.50, 0.60},
				female: []float64{0.25, 0.10, 0.04, 0.035, 0.06, 0.06, 0.06, 0.07, 0.07, 0.07, 0.09, 0.14, 0.26, 0.45, 0.55}},
			q: [5]float64{1.8, 1.5, 1.3, 1.15, 1.0}, eth: [nGroups]float64{1.0, 1.05, 1.1, 1.1, 0.9, 1.0, 1.0},
			note: "emergency spells for every other diagnosis (none in a target range; G45, I20, I25, I50, E16, E87, R56 are near misses)"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{
			{"J21.9", "", ordinary, 0, 2, 4}, {"R50.9", "", ordinary, 0, 17, 2}, {"A08.4", "", ordinary, 0, 17, 2}, {"J06.9", "", ordinary, 0, 17, 2},
			{"S09.9", "", ordinary, 0, 17, 1}, {"R56.0", "", ordinary, 0, 6, 1}, {"B34.9", "", ordinary, 0, 17, 1.5}, {"J20.9", "", ordinary, 0, 17, 1},
			{"R11X", "", ordinary, 0, 17, 0.7}, {"T78.4", "", ordinary, 0, 17, 0.5}, {"E16.2", "", ordinary, 5, 17, 0.2},
			{"R07.4", "", ordinary, 18, maxAge, 3}, {"R10.4", "", ordinary, 18, maxAge, 2.5}, {"N39.0", "", ordinary, 18, maxAge, 2.5}, {"J18.9", "", ordinary, 18, maxAge, 3},
			{"J22X", "", ordinary, 18, maxAge, 2}, {"L03.1", "", ordinary, 18, maxAge, 1.5}, {"S72.0", "W46.1", ordinary, 50, maxAge, 1.5}, {"K35.8", "H01.1", ordinary, 18, 70, 1},
			{"A41.9", "", ordinary, 18, maxAge, 1.5}, {"R55X", "", ordinary, 18, maxAge, 1.5}, {"I50.0", "", ordinary, 40, maxAge, 1.5}, {"I48X", "", ordinary, 40, maxAge, 1.2},
			{"K80.2", "", ordinary, 18, maxAge, 1}, {"E87.1", "", ordinary, 50, maxAge, 0.8}, {"G45.9", "", ordinary, 40, maxAge, 0.8}, {"I20.0", "", ordinary, 40, maxAge, 1},
			{"I25.1", "", ordinary, 40, maxAge, 0.5}, {"F10.0", "", ordinary, 18, 70, 0.8}, {"T39.1", "", ordinary, 15, 60, 0.6}, {"S06.0", "", ordinary, 18, maxAge, 0.8},
			{"R06.0", "", ordinary, 18, maxAge, 1}, {"K92.2", "", ordinary, 30, maxAge, 0.6}, {"N17.9", "", ordinary, 50, maxAge, 0.8}, {"J69.0", "", ordinary, 65, maxAge, 0.6},
			{"R29.6", "", ordinary, 65, maxAge, 1}, {"G43.9", "", ordinary, 15, 60, 0.4},
		},
	},
	{
		model: model{name: "apc_asthma_child", source: "apc", feeds: []string{"UEC-1", "ER-2b"}, minAge: 0, maxAge: 17,
			c: curve{ages: []float64{0, 1, 3, 6, 10, 14, 17},
				male:   []float64{0.001, 0.006, 0.011, 0.010, 0.007, 0.005, 0.005},
				female: []float64{0.0008, 0.004, 0.007, 0.007, 0.005, 0.006, 0.006}},
			q: [5]float64{2.0, 1.6, 1.35, 1.15, 1.0}, eth: [nGroups]float64{1.0, 1.3, 1.4, 1.8, 1.1, 1.0, 1.0},
			note: "emergency spells for asthma (J45–J46) under 18; rate inflated about fourfold so the fixture has enough events"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"J45.9", "", ordinary, 0, 17, 5}, {"J45.0", "", ordinary, 0, 17, 1}, {"J45.8", "", ordinary, 0, 17, 1}, {"J46X", "", ordinary, 0, 17, 1}},
	},
	{
		model: model{name: "apc_asthma_adult", source: "apc", feeds: []string{"ER-2b"}, minAge: 18, maxAge: maxAge,
			c: curve{ages: []float64{18, 100}, male: []float64{0.0005, 0.0006}, female: []float64{0.0009, 0.0008}},
			q: [5]float64{1.9, 1.6, 1.3, 1.1, 1.0}, eth: flatE,
			note: "decoy for UEC-1: adult asthma emergencies"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"J45.9", "", ordinary, 18, maxAge, 3}, {"J46X", "", ordinary, 18, maxAge, 1}},
	},
	{
		model: model{name: "apc_diabetes_child", source: "apc", feeds: []string{"UEC-2", "ER-2b"}, minAge: 0, maxAge: 17,
			c: same([]float64{0, 2, 5, 10, 14, 17}, []float64{0, 0.002, 0.004, 0.008, 0.012, 0.012}),
			q: [5]float64{1.5, 1.3, 1.2, 1.1, 1.0}, eth: [nGroups]float64{1.0, 0.85, 0.7, 0.9, 0.8, 1.0, 1.0},
			note: "emergency spells for diabetes (E10–E14) under 18; rate inflated so the fixture has enough events"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"E10.1", "", ordinary, 0, 17, 5}, {"E10.9", "", ordinary, 0, 17, 2}, {"E10.6", "", ordinary, 0, 17, 1}, {"E11.9", "", ordinary, 10, 17, 0.3}, {"E14.9", "", ordinary, 0, 17, 0.2}},
	},
	{
		model: model{name: "apc_diabetes_adult", source: "apc", feeds: []string{"ER-2b"}, minAge: 18, maxAge: maxAge,
			c: same([]float64{18, 50, 80, 100}, []float64{0.0008, 0.0008, 0.002, 0.002}), q: [5]float64{1.8, 1.5, 1.3, 1.1, 1.0}, eth: flatE,
			note: "decoy for UEC-2: adult diabetes emergencies"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"E11.6", "", ordinary, 18, maxAge, 2}, {"E10.1", "", ordinary, 18, maxAge, 1}, {"E11.9", "", ordinary, 18, maxAge, 1}, {"E14.9", "", ordinary, 18, maxAge, 0.5}},
	},
	{
		model: model{name: "apc_epilepsy_child", source: "apc", feeds: []string{"UEC-3", "ER-2b"}, minAge: 0, maxAge: 17,
			c: same([]float64{0, 1, 5, 10, 17}, []float64{0.007, 0.008, 0.007, 0.006, 0.007}),
			q: [5]float64{1.7, 1.45, 1.25, 1.1, 1.0}, eth: [nGroups]float64{1.0, 1.0, 1.1, 1.25, 1.0, 1.0, 1.0},
			note: "emergency spells for epilepsy (G40–G41) under 18; rate inflated so the fixture has enough events"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"G40.9", "", ordinary, 0, 17, 5}, {"G40.3", "", ordinary, 0, 17, 1}, {"G40.8", "", ordinary, 0, 17, 1}, {"G41.0", "", ordinary, 0, 17, 0.5}, {"G41.9", "", ordinary, 0, 17, 0.5}},
	},
	{
		model: model{name: "apc_epilepsy_adult", source: "apc", feeds: []string{"ER-2b"}, minAge: 18, maxAge: maxAge,
			c: same([]float64{18, 100}, []float64{0.0008, 0.0012}), q: [5]float64{1.8, 1.5, 1.3, 1.1, 1.0}, eth: flatE,
			note: "decoy for UEC-3: adult epilepsy emergencies"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"G40.9", "", ordinary, 18, maxAge, 3}, {"G41.9", "", ordinary, 18, maxAge, 1}},
	},
	{
		model: model{name: "apc_copd", source: "apc", feeds: []string{"RESP-2", "ER-2b"}, minAge: 35, maxAge: maxAge,
			c: curve{ages: []float64{35, 50, 60, 70, 80, 90},
				male:   []float64{0.0003, 0.002, 0.005, 0.012, 0.022, 0.030},
				female: []float64{0.0003, 0.0018, 0.0045, 0.010, 0.017, 0.022}},
			q: [5]float64{3.0, 2.2, 1.6, 1.25, 1.0}, eth: [nGroups]float64{1.0, 0.6, 0.5, 0.4, 0.5, 1.0, 1.0},
			note: "emergency spells for COPD (J40–J44) aged 35+"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"J44.1", "", ordinary, 35, maxAge, 5}, {"J44.0", "", ordinary, 35, maxAge, 2}, {"J44.9", "", ordinary, 35, maxAge, 1.5}, {"J43.9", "", ordinary, 35, maxAge, 0.5}, {"J42X", "", ordinary, 35, maxAge, 0.3}, {"J40X", "", ordinary, 35, maxAge, 0.2}},
	},
	{
		model: model{name: "apc_copd_under35", source: "apc", feeds: []string{"ER-2b"}, minAge: 18, maxAge: 34,
			c: same([]float64{18, 34}, []float64{0.0002, 0.0003}), q: flatQ, eth: flatE,
			note: "decoy for RESP-2: J40–J44 coded emergencies under 35"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"J40X", "", ordinary, 18, 34, 2}, {"J44.9", "", ordinary, 18, 34, 1}},
	},
	{
		model: model{name: "apc_mi", source: "apc", feeds: []string{"CVD-4", "ER-2b"}, minAge: 30, maxAge: maxAge,
			c: curve{ages: []float64{30, 40, 50, 60, 70, 80, 90},
				male:   []float64{0.0002, 0.0008, 0.002, 0.0035, 0.006, 0.009, 0.012},
				female: []float64{0.00005, 0.0002, 0.0006, 0.0012, 0.0025, 0.0045, 0.008}},
			q: [5]float64{1.9, 1.55, 1.3, 1.12, 1.0}, eth: [nGroups]float64{1.0, 1.0, 1.5, 0.7, 0.9, 1.0, 1.0},
			note: "emergency spells for myocardial infarction (I21–I22)"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"I21.4", "K75.1", ordinary, 30, maxAge, 3}, {"I21.9", "", ordinary, 30, maxAge, 3}, {"I21.0", "K75.1", ordinary, 30, maxAge, 1}, {"I21.1", "", ordinary, 30, maxAge, 1}, {"I22.9", "", ordinary, 30, maxAge, 0.3}},
	},
	{
		model: model{name: "apc_stroke", source: "apc", feeds: []string{"CVD-5", "ER-2b"}, minAge: 30, maxAge: maxAge,
			c: curve{ages: []float64{30, 40, 50, 60, 70, 80, 90},
				male:   []float64{0.0001, 0.0004, 0.0012, 0.003, 0.007, 0.014, 0.020},
				female: []float64{0.0001, 0.0003, 0.0010, 0.0025, 0.006, 0.012, 0.019}},
			q: [5]float64{1.6, 1.4, 1.2, 1.1, 1.0}, eth: [nGroups]float64{1.0, 1.1, 1.2, 1.5, 1.0, 1.0, 1.0},
			note: "emergency spells for stroke (I60–I69)"},
		class: emergency, methods: emergencyMethods,
		episodes: []episode{{"I63.9", "", ordinary, 30, maxAge, 4}, {"I61.9", "", ordinary, 30, maxAge, 1}, {"I64X", "", ordinary, 30, maxAge, 1.5}, {"I63.5", "", ordinary, 30, maxAge, 1}, {"I60.9", "", ordinary, 30, maxAge, 0.4}, {"I62.9", "", ordinary, 30, maxAge, 0.2}, {"I69.4", "", ordinary, 30, maxAge, 0.3}, {"I67.8", "", ordinary, 30, maxAge, 0.2}},
	},
	{
		model: model{name: "apc_maternity", source: "apc", feeds: nil, minAge: 16, maxAge: 45,
			c: curve{ages: []float64{16, 20, 25, 30, 35, 40, 45}, male: []float64{0, 0, 0, 0, 0, 0, 0}, female: []float64{0.03, 0.07, 0.10, 0.11, 0.07, 0.025, 0.005}},
			q: [5]float64{1.2, 1.1, 1.05, 1.0, 1.0}, eth: flatE,
			note: "maternity spells (methods 31, 32): neither elective nor emergency"},
		class: otherMethod, methods: []weighted{{"31", 0.6}, {"32", 0.4}},
		episodes: []episode{{"O80.0", "R24.9", ordinary, 16, 45, 4}, {"O82.0", "R18.2", ordinary, 16, 45, 1.5}, {"O47.1", "", ordinary, 16, 45, 1}, {"O60.1", "", ordinary, 16, 45, 0.5}},
	},
	{
		model: model{name: "apc_births", source: "apc", feeds: nil, minAge: 0, maxAge: 0,
			c: same([]float64{0, 1}, []float64{0.6, 0.6}), q: flatQ, eth: flatE,
			note: "babies' birth spells (methods 82, 83): neither elective nor emergency"},
		class: otherMethod, methods: []weighted{{"82", 0.97}, {"83", 0.03}},
		episodes: []episode{{"Z38.0", "", ordinary, 0, 0, 9}, {"P59.9", "", ordinary, 0, 0, 1}},
	},
	{
		model: model{name: "apc_transfers", source: "apc", feeds: nil, minAge: 0, maxAge: maxAge,
			c: same([]float64{0, 50, 80, 100}, []float64{0.002, 0.003, 0.010, 0.012}), q: flatQ, eth: flatE,
			note: "transfers from another provider (method 81): neither elective nor emergency"},
		class: otherMethod, methods: []weighted{{"81", 1}},
		episodes: []episode{{"I63.9", "", ordinary, 30, maxAge, 1}, {"S72.0", "W46.1", ordinary, 50, maxAge, 1}, {"J18.9", "", ordinary, 0, maxAge, 1}, {"I21.4", "K75.1", ordinary, 30, maxAge, 1}},
	},
}

// Outpatient, ECDS and waiting-list models.
var (
	opFaceCurve = curve{ages: knots,
		male:   []float64{0.40, 0.25, 0.18, 0.18, 0.18, 0.18, 0.18, 0.22, 0.26, 0.34, 0.46, 0.62, 0.72, 0.62, 0.45},
		female: []float64{0.35, 0.22, 0.16, 0.17, 0.22, 0.26, 0.30, 0.36, 0.36, 0.38, 0.46, 0.56, 0.64, 0.54, 0.40}}

	opFace = &model{name: "op_face_to_face", source: "outpatients", feeds: []string{"ER-2c"}, minAge: 0, maxAge: maxAge,
		c: opFaceCurve, q: [5]float64{1.15, 1.1, 1.05, 1.02, 1.0}, eth: [nGroups]float64{1.0, 0.95, 0.95, 0.9, 0.9, 1.0, 1.0},
		note: "face-to-face appointments (first attendance 1, 2; medium 01 or blank); gradient near 1"}
	opVirtual = &model{name: "op_virtual", source: "outpatients", feeds: []string{"ER-2c", "ER-2d"}, minAge: 0, maxAge: maxAge,
		c: opFaceCurve.scaled(0.25, 0.25), q: [5]float64{0.75, 0.82, 0.9, 0.95, 1.0}, eth: [nGroups]float64{1.0, 0.95, 0.9, 0.85, 0.85, 1.0, 1.0},
		note: "telephone or video appointments (first attendance 3, 4; medium 02, 03); reversed gradient"}

	aeVisits = &model{name: "ecds_attendances", source: "ecds", feeds: []string{"ER-2e"}, minAge: 0, maxAge: maxAge,
		c: curve{ages: knots,
			male:   []float64{0.55, 0.5, 0.25, 0.22, 0.30, 0.32, 0.33, 0.27, 0.24, 0.23, 0.25, 0.30, 0.45, 0.70, 0.75},
			female: []float64{0.5, 0.45, 0.22, 0.2, 0.30, 0.32, 0.31, 0.26, 0.23, 0.22, 0.24, 0.29, 0.43, 0.68, 0.75}}.scaled(0.7, 0.7),
		q: [5]float64{1.7, 1.45, 1.25, 1.1, 1.0}, eth: [nGroups]float64{1.0, 1.2, 1.0, 1.3, 0.9, 1.0, 1.0},
		note: "emergency care attendances (all department types)"}

	wlPathways = &model{name: "wlmds_pathways", source: "wlmds", feeds: []string{"ER-1a", "ER-1b", "ER-1c"}, minAge: 0, maxAge: maxAge,
		c: curve{ages: knots,
			male:   []float64{0.03, 0.04, 0.05, 0.05, 0.05, 0.05, 0.06, 0.07, 0.09, 0.11, 0.14, 0.18, 0.20, 0.17, 0.12},
			female: []float64{0.033, 0.044, 0.055, 0.055, 0.055, 0.055, 0.066, 0.077, 0.099, 0.121, 0.154, 0.198, 0.22, 0.187, 0.132}},
		q: [5]float64{1.2, 1.15, 1.1, 1.05, 1.0}, eth: flatE,
		note: "open pathways at the census date (mean number per person)"}
)

// Waiting times: weeks waited = ⌊W⌋ with W Weibull(shape waitShape, scale
// waitScale × waitQ[quintile]), so P(weeks ≥ k) = exp(−(k/scale)^shape):
// overall about 40% ≥ 18, 3% ≥ 52, 1% ≥ 65, longer in deprived quintiles.
var (
	waitShape = 1.265
	waitScale = 19.29
	waitQ     = [5]float64{1.14, 1.08, 1.03, 0.97, 0.92}
	// waitTypes are the waiting list types of open pathways; rttShare is the
	// share on an RTT list (IRTT, ORTT), which ER-1 counts.
	waitTypes = []weighted{{"ORTT", 0.62}, {"IRTT", 0.30}, {"ONON", 0.05}, {"INON", 0.03}}
	rttShare  = 0.92
)

// waitSurvival is P(weeks ≥ k) for a person in quintile index qi.
func waitSurvival(k float64, qi int) float64 {
	return math.Exp(-math.Pow(k/(waitScale*waitQ[qi]), waitShape))
}

// Mental health and talking therapies models.
var (
	mhDetentions = &model{name: "mhsds_detentions", source: "mhsds_detentions", feeds: []string{"MH-1"}, minAge: 12, maxAge: maxAge,
		c: curve{ages: []float64{12, 16, 18, 25, 35, 45, 55, 65, 80, 100},
			male:   []float64{0.0002, 0.0012, 0.0022, 0.0027, 0.0022, 0.0016, 0.001, 0.0007, 0.0009, 0.0006},
			female: []float64{0.00016, 0.00096, 0.00176, 0.00216, 0.00176, 0.00128, 0.0008, 0.00056, 0.00072, 0.00048}},
		q: [5]float64{2.6, 2.0, 1.5, 1.2, 1.0}, eth: [nGroups]float64{1.0, 2.0, 1.4, 3.8, 2.2, 1.0, 1.0},
		note: "Mental Health Act detentions (Poisson per person, so some people are detained more than once); rate inflated about twofold"}
	mhRestrictive = &model{name: "mhsds_restrictive_people", source: "mhsds_restrictive", feeds: []string{"MH-2"}, minAge: 10, maxAge: maxAge,
		c: curve{ages: []float64{10, 14, 18, 25, 40, 60, 80, 100},
			male:   []float64{0.0003, 0.002, 0.003, 0.0028, 0.0018, 0.0009, 0.0012, 0.0008},
			female: []float64{0.00027, 0.0018, 0.0027, 0.00252, 0.00162, 0.00081, 0.00108, 0.00072}},
		q: [5]float64{2.2, 1.8, 1.4, 1.15, 1.0}, eth: [nGroups]float64{1.0, 1.8, 1.2, 3.0, 1.6, 1.0, 1.0},
		note: "probability that a person is subject to at least one restrictive intervention; each such person has 1 + Poisson(1.8) incidents"}
	mhAccess = &model{name: "mhsds_people_in_contact", source: "mhsds_contacts", feeds: []string{"MH-3"}, minAge: 0, maxAge: maxAge,
		c: curve{ages: []float64{0, 4, 8, 12, 15, 17, 18, 25, 40, 60, 80, 100},
			male:   []float64{0.002, 0.012, 0.035, 0.055, 0.07, 0.075, 0.05, 0.045, 0.035, 0.025, 0.035, 0.035},
			female: []float64{0.001, 0.008, 0.025, 0.065, 0.10, 0.105, 0.06, 0.055, 0.04, 0.025, 0.04, 0.04}},
		q: [5]float64{1.10, 1.05, 1.02, 1.0, 1.0}, eth: [nGroups]float64{1.0, 0.9, 0.6, 0.7, 0.7, 1.0, 1.0},
		note: "probability that a person has care contacts in the year (first contact always attended); each has 1 + Poisson(2.5) contacts; gradient near 1"}
	ttCourses = &model{name: "talking_therapies_courses", source: "talking_therapies", feeds: []string{"MH-5"}, minAge: 18, maxAge: maxAge,
		c: curve{ages: []float64{18, 25, 35, 50, 65, 80, 100},
			male:   []float64{0.008, 0.012, 0.011, 0.009, 0.005, 0.002, 0.001},
			female: []float64{0.014, 0.022, 0.020, 0.015, 0.008, 0.003, 0.001}},
		q: [5]float64{1.3, 1.2, 1.1, 1.05, 1.0}, eth: [nGroups]float64{1.0, 1.0, 0.7, 0.7, 0.8, 1.0, 1.0},
		note: "finished courses of treatment"}
	// ttRecovery is P(at caseness at the end = N | at caseness at the start).
	ttRecovery = &model{name: "talking_therapies_recovery", source: "talking_therapies", feeds: []string{"MH-5"}, minAge: 18, maxAge: maxAge,
		c: same([]float64{18, 100}, []float64{1, 1}), q: [5]float64{0.42, 0.46, 0.50, 0.53, 0.56}, eth: [nGroups]float64{1.0, 0.95, 0.88, 0.86, 0.9, 1.0, 1.0},
		note: "probability of recovery (caseness Y at the start, N at the end); q gives the probability itself"}
	ttCaseness = 0.90 // P(at caseness at the start)
)

// Cancer models: incidence, then site (by sex), stageable by site, stage
// known, early stage.
var (
	cancerIncidence = &model{name: "cancer_incidence", source: "cancer", feeds: []string{"CA-1"}, minAge: 0, maxAge: maxAge,
		c: curve{ages: []float64{0, 20, 30, 40, 50, 60, 70, 80, 90, 100},
			male:   []float64{0.0002, 0.0003, 0.0005, 0.0012, 0.003, 0.008, 0.015, 0.022, 0.024, 0.02},
			female: []float64{0.0002, 0.0004, 0.0009, 0.0022, 0.004, 0.007, 0.011, 0.015, 0.016, 0.014}},
		q: [5]float64{1.15, 1.1, 1.05, 1.02, 1.0}, eth: [nGroups]float64{1.0, 0.7, 0.6, 0.8, 0.7, 1.0, 1.0},
		note: "registered tumours diagnosed in the period"}
	cancerKnown = &model{name: "cancer_stage_known", source: "cancer", feeds: []string{"CA-1"}, minAge: 0, maxAge: maxAge,
		c: same([]float64{0, 100}, []float64{1, 1}), q: [5]float64{0.90, 0.91, 0.92, 0.93, 0.94}, eth: flatE,
		note: "probability that a stageable tumour has a known stage; q gives the probability itself"}
	cancerEarly = &model{name: "cancer_early_stage", source: "cancer", feeds: []string{"CA-1"}, minAge: 0, maxAge: maxAge,
		c: same([]float64{0, 100}, []float64{1, 1}), q: [5]float64{0.84, 0.89, 0.94, 0.97, 1.0}, eth: [nGroups]float64{1.0, 1.0, 0.97, 0.93, 1.0, 1.0, 1.0},
		note: "multiplier of the site's probability of stage 1–2 among known stages (capped at 0.97)"}
)

// cancerSite is a tumour site with its share by sex, whether TNM stageable,
// and the probability of stage 1–2 when staged (least deprived, White).
type cancerSite struct {
	code        string
	male, fem   float64
	stageable   bool
	early       float64
	minAgeShare int
}

var cancerSites = []cancerSite{
	{"C61", 0.26, 0, true, 0.50, 40}, {"C50.9", 0.003, 0.30, true, 0.85, 20}, {"C34.9", 0.13, 0.12, true, 0.30, 30},
	{"C18.9", 0.08, 0.07, true, 0.42, 20}, {"C20X", 0.04, 0.03, true, 0.45, 20}, {"C67.9", 0.05, 0.02, true, 0.55, 30},
	{"C43.9", 0.04, 0.04, true, 0.88, 15}, {"C64X", 0.04, 0.03, true, 0.58, 20}, {"C54.1", 0, 0.05, true, 0.80, 30},
	{"C56X", 0, 0.04, true, 0.30, 20}, {"C83.3", 0.04, 0.04, true, 0.40, 0}, {"C15.9", 0.03, 0.015, true, 0.22, 30},
	{"C25.9", 0.03, 0.03, true, 0.15, 30}, {"C92.0", 0.02, 0.015, false, 0, 0}, {"C91.1", 0.015, 0.01, false, 0, 0},
	{"C71.9", 0.02, 0.02, false, 0, 0}, {"C90.0", 0.02, 0.015, false, 0, 30}, {"C80.9", 0.02, 0.02, false, 0, 40},
}

// sitesFor returns the sites possible for a person with their weights.
func sitesFor(p *person) ([]cancerSite, []float64) {
	var s []cancerSite
	var w []float64
	for _, c := range cancerSites {
		share := c.male
		if p.sex == 2 {
			share = c.fem
		}
		if share == 0 || p.age < c.minAgeShare {
			continue
		}
		s = append(s, c)
		w = append(w, share)
	}
	return s, w
}

// earlyProb is P(stage 1–2 | stageable, known) for a site and person.
func earlyProb(c cancerSite, p *person) float64 {
	return math.Min(0.97, c.early*cancerEarly.q[p.qi()]*cancerEarly.eth[p.group])
}

// allModels lists every event model, for truth.json.
func allModels() []*model {
	var out []*model
	for _, s := range apcStreams {
		out = append(out, &s.model)
	}
	return append(out, opFace, opVirtual, aeVisits, wlPathways, mhDetentions, mhRestrictive, mhAccess, ttCourses, ttRecovery, cancerIncidence, cancerKnown, cancerEarly)
}
