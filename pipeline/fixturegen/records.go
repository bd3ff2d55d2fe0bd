package fixturegen

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ev is one record-level event before its file is written.
type ev struct {
	day, ord int
	p        *person
	lsoa     string
	sex      string
	vals     []string // the kind's own columns; vals[0] is the id, set after sorting
}

// badCopy returns the fields of event i with its id replaced: the start of
// a deliberately bad row that the caller then spoils.
func badCopy(evs []ev, i int, id string) []string {
	f := append(evs[i].eqCols(), evs[i].vals...)
	f[4] = id
	return f
}

// badRow describes a deliberately invalid row.
type badRow struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// sourceFile is one generated record-level file.
type sourceFile struct {
	name string
	data []byte
	rows int
	bad  []badRow
}

// eventLSOA is the LSOA written on an event row: the person's, or for 1% of
// rows one outside the lookup (or blank).
func eventLSOA(r rng, p *person) string {
	if r.bern(badLSOARate) {
		return badLSOA(r)
	}
	return p.area.code
}

// eqCols returns the four equality columns of an event row.
func (e *ev) eqCols() []string {
	return []string{e.lsoa, e.p.eth, strconv.Itoa(e.p.age), e.sex}
}

// sortEvents orders events by date, then person, then generation order, and
// numbers them with idFormat from first.
func sortEvents(evs []ev, idFormat string, first int) {
	sort.Slice(evs, func(i, j int) bool {
		a, b := &evs[i], &evs[j]
		if a.day != b.day {
			return a.day < b.day
		}
		if a.p.idx != b.p.idx {
			return a.p.idx < b.p.idx
		}
		return a.ord < b.ord
	})
	for i := range evs {
		evs[i].vals[0] = fmt.Sprintf(idFormat, first+i)
	}
}

// writeEvents writes sorted events under header, inserting bad rows after
// the data rows at the given indices (in increasing order).
func writeEvents(name string, header []string, evs []ev, inserts []insert) sourceFile {
	t := newTable(header...)
	var bad []badRow
	next := 0
	for i := range evs {
		t.row(append(evs[i].eqCols(), evs[i].vals...)...)
		for next < len(inserts) && inserts[next].after == i {
			in := inserts[next]
			t.row(in.fields...)
			bad = append(bad, badRow{File: name, Line: t.rows + 1, Field: in.field, Reason: in.reason})
			next++
		}
	}
	return sourceFile{name: name, data: t.bytes(), rows: t.rows, bad: bad}
}

// insert is a bad row placed after data row index after.
type insert struct {
	after         int
	fields        []string
	field, reason string
}

// sexCode is the sex field of a person.
func sexCode(p *person) string { return strconv.Itoa(p.sex) }

// icd formats a code like "J45.9" as written by different systems: "J45.9",
// "J459" or, now and then, the three-character "J45". Codes without a dot
// ("I64X") are written as they are or cut to three characters.
func icd(r rng, code string) string {
	if code == "" {
		return ""
	}
	u := r.Float64()
	if !strings.Contains(code, ".") {
		if len(code) > 3 && u < 0.3 {
			return code[:3]
		}
		return code
	}
	switch {
	case u < 0.05:
		return code[:3]
	case u < 0.5:
		return code
	}
	return strings.Replace(code, ".", "", 1)
}

// opcs formats an OPCS-4 code with or without its dot.
func opcs(r rng, code string) string {
	if code == "" || r.bern(0.5) {
		return code
	}
	return strings.Replace(code, ".", "", 1)
}

// wlmdsFile draws the open pathways at the census date.
func wlmdsFile(seed uint64, people []*person) sourceFile {
	r := newRNG(seed, streamWLMDS)
	var evs []ev
	for _, p := range people {
		evs = wlmdsDraw(r, p, evs)
	}
	sortEvents(evs, "WL%08d", 10000001)
	return writeEvents("wlmds.csv", headers["wlmds"], evs, nil)
}

// wlmdsDraw appends person p's open pathways to evs.
func wlmdsDraw(r rng, p *person, evs []ev) []ev {
	for range r.poisson(wlPathways.rate(p)) {
		typ := pickString(r, waitTypes)
		w := waitScale * waitQ[p.qi()] * math.Pow(-math.Log(1-r.Float64()), 1/waitShape)
		evs = append(evs, ev{day: census, ord: len(evs), p: p, lsoa: eventLSOA(r, p), sex: sexCode(p),
			vals: []string{"", typ, strconv.Itoa(int(math.Floor(w))), isoDate(census)}})
	}
	return evs
}

// apcFile draws admitted patient care spells over the ER-3 baseline, the
// month before the period and the period.
func apcFile(seed uint64, people []*person) sourceFile {
	r := newRNG(seed, streamAPC)
	var evs []ev
	for _, p := range people {
		evs = apcDraw(r, p, evs)
	}
	sortEvents(evs, "%09d", 300000001)
	for i := range evs {
		evs[i].vals[1] = isoDate(evs[i].day)
	}
	return writeEvents("apc.csv", headers["apc"], evs, nil)
}

// apcWindows are the spans APC spells are drawn over.
var apcWindows = []window{baseline, spill, period}

// ageEpisodes are the episodes an APC stream can give a person of one age,
// with their weights.
type ageEpisodes struct {
	eps []episode
	ws  []float64
}

// apcEpisodes[stream][age] lists each stream's episodes possible at each age.
var apcEpisodes = func() [][]ageEpisodes {
	out := make([][]ageEpisodes, len(apcStreams))
	for si, s := range apcStreams {
		out[si] = make([]ageEpisodes, maxAge+1)
		for age := range out[si] {
			for _, e := range s.episodes {
				if age >= e.minAge && age <= e.maxAge {
					out[si][age].eps = append(out[si][age].eps, e)
					out[si][age].ws = append(out[si][age].ws, e.w)
				}
			}
		}
	}
	return out
}()

// apcDraw appends person p's spells to evs.
func apcDraw(r rng, p *person, evs []ev) []ev {
	for si, s := range apcStreams {
		rate := s.rate(p)
		if rate == 0 {
			continue
		}
		for _, w := range apcWindows {
			lambda := rate * w.scale()
			if w == baseline {
				lambda *= s.baselineFactor(p)
			}
			for range r.poisson(lambda) {
				eps := apcEpisodes[si][p.age]
				e := eps.eps[r.pick(eps.ws)]
				evs = append(evs, ev{day: w.start + r.IntN(w.days), ord: len(evs), p: p, lsoa: eventLSOA(r, p), sex: sexCode(p),
					vals: []string{"", "", pickString(r, s.methods), pickString(r, e.cls), icd(r, e.diag), opcs(r, e.proc)}})
			}
		}
	}
	return evs
}

// dnaRate is the share of outpatient appointments not attended, by quintile.
var dnaRate = [5]float64{0.10, 0.085, 0.07, 0.06, 0.05}

// outpatientsFile draws outpatient appointments in the period, with two bad
// rows.
func outpatientsFile(seed uint64, people []*person) sourceFile {
	r := newRNG(seed, streamOutpatients)
	var evs []ev
	for _, p := range people {
		evs = outpatientsDraw(r, p, evs)
	}
	sortEvents(evs, "OP%09d", 1)
	for i := range evs {
		evs[i].vals[1] = isoDate(evs[i].day)
	}
	n := len(evs)
	a := badCopy(evs, n/3, "OP900000001")
	a[5] = "31/02/2026"
	b := badCopy(evs, 3*n/4, "OP900000002")
	b = b[:len(b)-1]
	return writeEvents("outpatients.csv", headers["outpatients"], evs, []insert{
		{after: n / 3, fields: a, field: "appointment_date", reason: `"31/02/2026" is not a date (31 February)`},
		{after: 3 * n / 4, fields: b, field: "(row)", reason: "8 fields, the header has 9 (consultation_medium missing)"},
	})
}

// Outpatient first-attendance and consultation-medium codes, face to face
// and virtual.
var (
	firstFace     = []weighted{{"1", 0.30}, {"2", 0.70}}
	mediumFace    = []weighted{{"01", 0.95}, {"", 0.05}}
	firstVirtual  = []weighted{{"3", 0.25}, {"4", 0.75}}
	mediumVirtual = []weighted{{"02", 0.75}, {"03", 0.25}}
)

// outpatientsDraw appends person p's appointments to evs.
func outpatientsDraw(r rng, p *person, evs []ev) []ev {
	for _, virtual := range []bool{false, true} {
		m := opFace
		if virtual {
			m = opVirtual
		}
		for range r.poisson(m.rate(p)) {
			att := pickString(r, []weighted{{"5", 0.91 - dnaRate[p.qi()]}, {"6", 0.03}, {"2", 0.04}, {"3", dnaRate[p.qi()]}, {"7", 0.02}})
			var first, medium string
			if virtual {
				first = pickString(r, firstVirtual)
				medium = pickString(r, mediumVirtual)
			} else {
				first = pickString(r, firstFace)
				medium = pickString(r, mediumFace)
			}
			evs = append(evs, ev{day: period.start + r.IntN(period.days), ord: len(evs), p: p, lsoa: eventLSOA(r, p), sex: sexCode(p),
				vals: []string{"", "", att, first, medium}})
		}
	}
	return evs
}

// ecdsFile draws emergency care attendances in the period, with three bad
// rows.
func ecdsFile(seed uint64, people []*person) sourceFile {
	r := newRNG(seed, streamECDS)
	var evs []ev
	for _, p := range people {
		evs = ecdsDraw(r, p, evs)
	}
	sortEvents(evs, "AE%09d", 1)
	for i := range evs {
		evs[i].vals[1] = isoDate(evs[i].day)
	}
	n := len(evs)
	a := badCopy(evs, n/5, "AE900000001")
	a[5] = "2025-13-07"
	b := badCopy(evs, n/2, "AE900000002")
	b[2] = "4O"
	c := badCopy(evs, 4*n/5, "AE900000003")
	c = c[:len(c)-1]
	return writeEvents("ecds.csv", headers["ecds"], evs, []insert{
		{after: n / 5, fields: a, field: "arrival_date", reason: `"2025-13-07" is not a date (month 13)`},
		{after: n / 2, fields: b, field: "age", reason: `"4O" is not a whole number (letter O)`},
		{after: 4 * n / 5, fields: c, field: "(row)", reason: "6 fields, the header has 7 (department_type missing)"},
	})
}

// departmentTypes are the ECDS department types attendances are drawn from.
var departmentTypes = []weighted{{"01", 0.75}, {"02", 0.03}, {"03", 0.20}, {"04", 0.02}}

// ecdsDraw appends person p's attendances to evs.
func ecdsDraw(r rng, p *person, evs []ev) []ev {
	for range r.poisson(aeVisits.rate(p)) {
		sex := sexCode(p)
		if r.bern(ecdsSexUnknown) {
			sex = "9"
		}
		evs = append(evs, ev{day: period.start + r.IntN(period.days), ord: len(evs), p: p, lsoa: eventLSOA(r, p), sex: sex,
			vals: []string{"", "", pickString(r, departmentTypes)}})
	}
	return evs
}

// ecdsSexUnknown is the share of ECDS rows with sex 9 (not specified).
const ecdsSexUnknown = 0.003

// mhsdsFiles draws detentions, restrictive interventions and care contacts.
// A person's rows all carry the same (possibly invalid) LSOA, so that person
// counts stay consistent.
func mhsdsFiles(seed uint64, people []*person) []sourceFile {
	r := newRNG(seed, streamMHSDS)
	var det, res, con []ev
	for _, p := range people {
		det = mhDetentionsDraw(r, p, det)
	}
	for _, p := range people {
		res = mhRestrictiveDraw(r, p, res)
	}
	for _, p := range people {
		con = mhContactsDraw(r, p, con)
	}
	// person_id is the first own column; the row ids go after it.
	sortByDay := func(evs []ev) {
		sort.Slice(evs, func(i, j int) bool {
			a, b := &evs[i], &evs[j]
			if a.day != b.day {
				return a.day < b.day
			}
			if a.p.idx != b.p.idx {
				return a.p.idx < b.p.idx
			}
			return a.ord < b.ord
		})
	}
	sortByDay(det)
	for i := range det {
		det[i].vals[1] = fmt.Sprintf("MHA%07d", i+1)
		det[i].vals[2] = isoDate(det[i].day)
	}
	sortByDay(res)
	for i := range res {
		res[i].vals[1] = isoDate(res[i].day)
	}
	sortByDay(con)
	for i := range con {
		con[i].vals[1] = isoDate(con[i].day)
	}
	return []sourceFile{
		writeEvents("mhsds_detentions.csv", headers["mhsds_detentions"], det, nil),
		writeEvents("mhsds_restrictive.csv", headers["mhsds_restrictive"], res, nil),
		writeEvents("mhsds_contacts.csv", headers["mhsds_contacts"], con, nil),
	}
}

// MHSDS codes: legal status of detentions, restrictive intervention types,
// and attendance of contacts (the first contact, and the others).
var (
	legalStatuses     = []weighted{{"02", 0.55}, {"03", 0.35}, {"04", 0.03}, {"35", 0.05}, {"37", 0.02}}
	interventionTypes = []weighted{
		{"01", 0.20}, {"02", 0.10}, {"03", 0.12}, {"04", 0.05}, {"05", 0.03}, {"06", 0.03}, {"07", 0.05}, {"08", 0.02},
		{"09", 0.12}, {"10", 0.10}, {"11", 0.02}, {"12", 0.01}, {"13", 0.10}, {"14", 0.05}}
	contactAttended = []weighted{{"5", 0.82}, {"6", 0.03}, {"3", 0.10}, {"2", 0.03}, {"7", 0.02}}
	firstAttended   = []weighted{{"5", 0.95}, {"6", 0.05}}
)

// mhEvent is an MHSDS row of person p: their (possibly invalid) LSOA and
// person_id, then vals.
func mhEvent(p *person, day, ord int, vals ...string) ev {
	return ev{day: day, ord: ord, p: p, lsoa: p.mhLSOA, sex: sexCode(p), vals: append([]string{p.pid}, vals...)}
}

// mhDetentionsDraw appends person p's detentions to evs.
func mhDetentionsDraw(r rng, p *person, evs []ev) []ev {
	for range r.poisson(mhDetentions.rate(p)) {
		evs = append(evs, mhEvent(p, period.start+r.IntN(period.days), len(evs), "", "", pickString(r, legalStatuses)))
	}
	return evs
}

// mhRestrictiveDraw appends person p's restrictive interventions to evs.
func mhRestrictiveDraw(r rng, p *person, evs []ev) []ev {
	if !r.bern(mhRestrictive.rate(p)) {
		return evs
	}
	for range 1 + r.poisson(1.8) {
		evs = append(evs, mhEvent(p, period.start+r.IntN(period.days), len(evs), "", pickString(r, interventionTypes)))
	}
	return evs
}

// mhContactsDraw appends person p's care contacts to evs, in date order.
func mhContactsDraw(r rng, p *person, evs []ev) []ev {
	if !r.bern(mhAccess.rate(p)) {
		return evs
	}
	k := 1 + r.poisson(2.5)
	days := make([]int, k)
	for i := range days {
		days[i] = period.start + r.IntN(period.days)
	}
	sort.Ints(days)
	for i, d := range days {
		att := pickString(r, contactAttended)
		if i == 0 {
			att = pickString(r, firstAttended)
		}
		evs = append(evs, mhEvent(p, d, len(evs), "", att))
	}
	return evs
}

// talkingTherapiesFile draws finished courses of treatment; end dates are
// written DD/MM/YYYY, as some systems export them.
func talkingTherapiesFile(seed uint64, people []*person) sourceFile {
	r := newRNG(seed, streamTalking)
	var evs []ev
	for _, p := range people {
		evs = talkingTherapiesDraw(r, p, evs)
	}
	sortEvents(evs, "TT%08d", 1)
	for i := range evs {
		evs[i].vals[1] = ukDate(evs[i].day)
	}
	return writeEvents("talking_therapies.csv", headers["talking_therapies"], evs, nil)
}

// talkingTherapiesDraw appends person p's finished courses to evs.
func talkingTherapiesDraw(r rng, p *person, evs []ev) []ev {
	for range r.poisson(ttCourses.rate(p)) {
		start, end := "N", "N"
		if r.bern(ttCaseness) {
			start, end = "Y", "Y"
			if r.bern(ttRecovery.rate(p)) {
				end = "N"
			}
		} else if r.bern(0.1) {
			end = "Y"
		}
		evs = append(evs, ev{day: period.start + r.IntN(period.days), ord: len(evs), p: p, lsoa: eventLSOA(r, p), sex: sexCode(p),
			vals: []string{"", "", start, end}})
	}
	return evs
}

// cancerFile draws registered tumours diagnosed in the period.
func cancerFile(seed uint64, people []*person) sourceFile {
	r := newRNG(seed, streamCancer)
	var evs []ev
	for _, p := range people {
		evs = cancerDraw(r, p, evs)
	}
	sortEvents(evs, "T%08d", 40000001)
	for i := range evs {
		evs[i].vals[1] = isoDate(evs[i].day)
	}
	return writeEvents("cancer.csv", headers["cancer"], evs, nil)
}

// Tumour stages: unknown, early and late.
var (
	stageUnknown = []weighted{{"", 0.5}, {"X", 0.25}, {"U", 0.25}}
	stageEarly   = []weighted{{"1", 0.55}, {"2", 0.45}}
	stageLate    = []weighted{{"3", 0.5}, {"4", 0.5}}
)

// cancerDraw appends person p's tumours to evs.
func cancerDraw(r rng, p *person, evs []ev) []ev {
	for range r.poisson(cancerIncidence.rate(p)) {
		sites, ws := sitesFor(p)
		s := sites[r.pick(ws)]
		stageable, stage := "N", ""
		if s.stageable {
			stageable = "Y"
			switch {
			case !r.bern(cancerKnown.rate(p)):
				stage = pickString(r, stageUnknown)
			case r.bern(earlyProb(s, p)):
				stage = pickString(r, stageEarly)
			default:
				stage = pickString(r, stageLate)
			}
		}
		evs = append(evs, ev{day: period.start + r.IntN(period.days), ord: len(evs), p: p, lsoa: eventLSOA(r, p), sex: sexCode(p),
			vals: []string{"", "", icd(r, s.code), stageable, stage}})
	}
	return evs
}

// headers are the CSV headers of each record-level source: the hiis column
// names of pipeline/source, except apc, which uses SUS-style names so that
// the run config has to map them.
var headers = map[string][]string{
	"wlmds": {"lsoa", "ethnic_category", "age", "sex", "pathway_id", "waiting_list_type", "weeks_waiting", "census_date"},
	"apc": {"Der_Postcode_LSOA_2011_Code", "Ethnic_Group", "Age_At_Start_of_Spell_SUS", "Sex", "APCS_Ident", "Admission_Date",
		"Admission_Method", "Patient_Classification", "Der_Primary_Diagnosis_Code", "Der_Primary_Procedure_Code"},
	"outpatients":       {"lsoa", "ethnic_category", "age", "sex", "appointment_id", "appointment_date", "attended", "first_attendance", "consultation_medium"},
	"ecds":              {"lsoa", "ethnic_category", "age", "sex", "attendance_id", "arrival_date", "department_type"},
	"mhsds_detentions":  {"lsoa", "ethnic_category", "age", "sex", "person_id", "detention_id", "start_date", "legal_status"},
	"mhsds_restrictive": {"lsoa", "ethnic_category", "age", "sex", "person_id", "intervention_date", "intervention_type"},
	"mhsds_contacts":    {"lsoa", "ethnic_category", "age", "sex", "person_id", "contact_date", "attended"},
	"talking_therapies": {"lsoa", "ethnic_category", "age", "sex", "referral_id", "end_date", "at_caseness_start", "at_caseness_end"},
	"cancer":            {"lsoa", "ethnic_category", "age", "sex", "tumour_id", "diagnosis_date", "site_icd10", "stageable", "stage"},
	"population":        {"lsoa", "ethnic_category", "age", "sex", "people"},
	"aggregate":         {"measure_code", "breakdown", "group", "numerator", "denominator"},
}
