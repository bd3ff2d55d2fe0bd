// Package source declares the kinds of extract hiis reads: for each, the
// columns it must have (with the NHS data set field each stands for), their
// types, and whether it is record-level or already aggregated. A run config
// maps an extract's own headers onto these names.
package source

import (
	"fmt"
	"sort"
	"strings"
)

// Type is a column's type in an extract.
type Type string

// Column types.
const (
	String Type = "string"
	Int    Type = "int"   // whole number
	Number Type = "float" // any number
	Date   Type = "date"  // YYYY-MM-DD (also DD/MM/YYYY in CSV)
)

// Column is one declared column of a kind.
type Column struct {
	Name     string // hiis name, used in indicator expressions
	Type     Type
	Optional bool   // the column may be absent from the extract (then NULL)
	Blank    bool   // values may be blank (NULL); otherwise a blank is a reject
	NHSField string // the NHS data set field it corresponds to
	Doc      string
}

// Kind is a kind of source extract.
type Kind struct {
	Name string
	// Level is "record" (one row per patient, spell, attendance, pathway ...),
	// "population" (people by LSOA, age and sex) or "aggregate" (numerator and
	// denominator already counted per group).
	Level   string
	Dataset string // the NHS data set or publication
	Doc     string
	Columns []Column
	// Key lists the columns that identify one record of a record-level
	// kind: a second record with the same key is a duplicate. Empty when
	// the data set has no record identifier.
	Key []string
}

// EventDate returns the kind's first date column: the date that places a
// record in the reporting period ("" when the kind has none).
func (k Kind) EventDate() string {
	for _, c := range k.Columns {
		if c.Type == Date {
			return c.Name
		}
	}
	return ""
}

// withKey returns k with its record key.
func (k Kind) withKey(cols ...string) Kind {
	k.Key = cols
	return k
}

// Levels.
const (
	Record     = "record"
	Population = "population"
	Aggregate  = "aggregate"
)

// equality are the columns every record-level and population kind carries,
// from which extract derives the normalised columns.
var equality = []Column{
	{Name: "lsoa", Type: String, Blank: true, NHSField: "LSOA of residence (2011 census LSOA code, derived from postcode)", Doc: "LSOA code; blank or not in the IMD lookup gives IMD group Unknown"},
	{Name: "ethnic_category", Type: String, Blank: true, NHSField: "ETHNIC CATEGORY (NHS Data Dictionary, 2001 census categories)", Doc: "A–S, Z (not stated), 99 (not known); only the first character counts"},
	{Name: "age", Type: Int, Blank: true, NHSField: "AGE AT ACTIVITY DATE (whole years)", Doc: "0–130; blank gives age band Unknown"},
	{Name: "sex", Type: String, Blank: true, NHSField: "PERSON STATED GENDER CODE / SEX", Doc: "1 male, 2 female; other codes are kept as Other or not known"},
}

// organisation is the optional column naming a record's organisation, for
// provider-based multi-organisation runs (organisations.column).
var organisation = Column{Name: "organisation", Type: String, Optional: true, Blank: true,
	NHSField: "ORGANISATION IDENTIFIER (CODE OF PROVIDER), or the commissioner's code", Doc: "the organisation the record belongs to, for organisations: {column: organisation}"}

func record(name, dataset, doc string, cols ...Column) Kind {
	return Kind{Name: name, Level: Record, Dataset: dataset, Doc: doc, Columns: append(append(append([]Column{}, equality...), cols...), organisation)}
}

// Kinds lists every kind hiis reads, by name.
var Kinds = map[string]Kind{}

func init() {
	for _, k := range []Kind{
		record("wlmds", "Waiting List Minimum Data Set (WLMDS), weekly snapshot", "one row per open referral-to-treatment pathway at the snapshot date",
			Column{Name: "pathway_id", Type: String, NHSField: "PATIENT PATHWAY IDENTIFIER", Doc: "unique per pathway"},
			Column{Name: "waiting_list_type", Type: String, NHSField: "WAITING LIST TYPE", Doc: "IRTT, ORTT (open RTT pathways), others excluded by indicators"},
			Column{Name: "weeks_waiting", Type: Int, NHSField: "derived: weeks from REFERRAL TO TREATMENT PERIOD START DATE to the snapshot", Doc: "completed weeks waited"},
			Column{Name: "census_date", Type: Date, NHSField: "WEEK ENDING DATE", Doc: "snapshot date"},
		).withKey("pathway_id", "census_date"),
		record("apc", "Secondary Uses Service (SUS) admitted patient care, spells", "one row per hospital spell (dominant episode)",
			Column{Name: "spell_id", Type: String, NHSField: "HOSPITAL PROVIDER SPELL NUMBER", Doc: "unique per spell"},
			Column{Name: "admission_date", Type: Date, NHSField: "START DATE (HOSPITAL PROVIDER SPELL)"},
			Column{Name: "admission_method", Type: String, NHSField: "ADMISSION METHOD (HOSPITAL PROVIDER SPELL)", Doc: "11–13 elective; 21–25, 2A–2D, 28 emergency"},
			Column{Name: "patient_classification", Type: String, Blank: true, NHSField: "PATIENT CLASSIFICATION CODE", Doc: "1 ordinary admission, 2 day case"},
			Column{Name: "primary_diagnosis", Type: String, Blank: true, NHSField: "PRIMARY DIAGNOSIS (ICD-10)", Doc: "e.g. J45.9 or J459"},
			Column{Name: "main_procedure", Type: String, Blank: true, NHSField: "PRIMARY PROCEDURE (OPCS-4)", Doc: "e.g. F09.1 or F091"},
		).withKey("spell_id"),
		record("outpatients", "SUS outpatients", "one row per outpatient appointment (attended or not)",
			Column{Name: "appointment_id", Type: String, NHSField: "ATTENDANCE IDENTIFIER"},
			Column{Name: "appointment_date", Type: Date, NHSField: "APPOINTMENT DATE"},
			Column{Name: "attended", Type: String, Blank: true, NHSField: "ATTENDED OR DID NOT ATTEND", Doc: "5, 6 attended; 2, 3, 7 not"},
			Column{Name: "first_attendance", Type: String, Blank: true, NHSField: "FIRST ATTENDANCE", Doc: "1 first, 2 follow-up, 3 first by telephone or video, 4 follow-up by telephone or video"},
			Column{Name: "consultation_medium", Type: String, Blank: true, Optional: true, NHSField: "CONSULTATION MEDIUM USED", Doc: "01 face to face, 02 telephone, 03 video, ..."},
		).withKey("appointment_id"),
		record("ecds", "Emergency Care Data Set (ECDS)", "one row per emergency care attendance",
			Column{Name: "attendance_id", Type: String, NHSField: "EMERGENCY CARE ATTENDANCE IDENTIFIER"},
			Column{Name: "arrival_date", Type: Date, NHSField: "EMERGENCY CARE ARRIVAL DATE"},
			Column{Name: "department_type", Type: String, Blank: true, Optional: true, NHSField: "EMERGENCY CARE DEPARTMENT TYPE", Doc: "01–04"},
		).withKey("attendance_id"),
		record("mhsds_detentions", "Mental Health Services Data Set (MHSDS), Mental Health Act detentions", "one row per detention (legal status episode starting a detention)",
			Column{Name: "person_id", Type: String, NHSField: "PERSON ID (pseudonymised)"},
			Column{Name: "detention_id", Type: String, NHSField: "MENTAL HEALTH ACT LEGAL STATUS CLASSIFICATION PERIOD ID"},
			Column{Name: "start_date", Type: Date, NHSField: "START DATE (MENTAL HEALTH ACT LEGAL STATUS CLASSIFICATION PERIOD)"},
			Column{Name: "legal_status", Type: String, Blank: true, NHSField: "MENTAL HEALTH ACT LEGAL STATUS CLASSIFICATION CODE", Doc: "02, 03 (sections 2, 3), ..."},
		).withKey("detention_id"),
		record("mhsds_restrictive", "MHSDS restrictive interventions", "one row per restrictive intervention incident",
			Column{Name: "person_id", Type: String, NHSField: "PERSON ID (pseudonymised)"},
			Column{Name: "intervention_date", Type: Date, NHSField: "START DATE (RESTRICTIVE INTERVENTION INCIDENT)"},
			Column{Name: "intervention_type", Type: String, Blank: true, NHSField: "RESTRICTIVE INTERVENTION TYPE"},
		),
		record("mhsds_contacts", "MHSDS care contacts", "one row per care contact",
			Column{Name: "person_id", Type: String, NHSField: "PERSON ID (pseudonymised)"},
			Column{Name: "contact_date", Type: Date, NHSField: "CARE CONTACT DATE"},
			Column{Name: "attended", Type: String, Blank: true, Optional: true, NHSField: "ATTENDED OR DID NOT ATTEND"},
		),
		record("talking_therapies", "NHS Talking Therapies data set", "one row per finished course of treatment",
			Column{Name: "referral_id", Type: String, NHSField: "SERVICE REQUEST IDENTIFIER"},
			Column{Name: "end_date", Type: Date, NHSField: "SERVICE DISCHARGE DATE"},
			Column{Name: "at_caseness_start", Type: String, NHSField: "derived: at caseness at first assessment", Doc: "Y or N"},
			Column{Name: "at_caseness_end", Type: String, NHSField: "derived: at caseness at last appointment", Doc: "Y or N"},
		).withKey("referral_id"),
		record("cancer", "Cancer registrations (NDRS or rapid registration)", "one row per registered tumour",
			Column{Name: "tumour_id", Type: String, NHSField: "TUMOUR ID"},
			Column{Name: "diagnosis_date", Type: Date, NHSField: "DATE OF DIAGNOSIS"},
			Column{Name: "site_icd10", Type: String, NHSField: "PRIMARY DIAGNOSIS (ICD-10 site)"},
			Column{Name: "stageable", Type: String, NHSField: "derived: site and morphology are stageable", Doc: "Y or N"},
			Column{Name: "stage", Type: String, Blank: true, NHSField: "STAGE (TNM, summarised)", Doc: "1, 2, 3, 4; blank, X or U unknown"},
		).withKey("tumour_id"),
		{Name: "population", Level: Population, Dataset: "Patients registered at a GP practice by LSOA, single year of age and sex (or resident population)", Doc: "people by LSOA, sex, age and, where known, ethnic category; without ethnic_category, rates by ethnic group cannot be computed",
			Columns: append(populationEquality(), Column{Name: "people", Type: Int, NHSField: "NUMBER OF PATIENTS", Doc: "people in the cell"}, organisation)},
		{Name: "aggregate", Level: Aggregate, Dataset: "published counts per group (CVDPREVENT, National Diabetes Audit, learning disability health checks, vaccination uptake, tobacco dependence returns ...)", Doc: "one row per measure × breakdown × group with numerator and denominator",
			Columns: []Column{
				{Name: "measure_code", Type: String, NHSField: "the publication's metric or indicator code", Doc: "selects the rows of one indicator"},
				{Name: "breakdown", Type: String, NHSField: "the publication's category type", Doc: "overall, imd_quintile, ethnic_group, age_band or sex"},
				{Name: "group", Type: String, Blank: true, NHSField: "the publication's category", Doc: "for imd_quintile 1–5 (1 most deprived) or Unknown; ethnic groups as in METHODS.md"},
				{Name: "numerator", Type: Number, NHSField: "NUMERATOR"},
				{Name: "denominator", Type: Number, NHSField: "DENOMINATOR"},
				organisation,
			}},
	} {
		Kinds[k.Name] = k
	}
}

// populationEquality is the equality columns with ethnic category optional:
// many population files have none.
func populationEquality() []Column {
	cols := append([]Column{}, equality...)
	for i := range cols {
		if cols[i].Name == "ethnic_category" {
			cols[i].Optional = true
		}
	}
	return cols
}

// Lookup returns the kind with name, or an error listing the known kinds.
func Lookup(name string) (Kind, error) {
	k, ok := Kinds[name]
	if !ok {
		return Kind{}, fmt.Errorf("unknown source kind %q (known kinds: %s)", name, strings.Join(Names(), ", "))
	}
	return k, nil
}

// Names returns every kind's name, sorted.
func Names() []string {
	var names []string
	for n := range Kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Column returns the declared column with name. Record-level kinds also
// have CountColumn, which a config may map but which is not in Columns.
func (k Kind) Column(name string) (Column, bool) {
	for _, c := range k.Columns {
		if c.Name == name {
			return c, true
		}
	}
	if name == CountColumn.Name && k.Level == Record {
		return CountColumn, true
	}
	return Column{}, false
}

// CountColumn is the optional column of a record-level extract saying how
// many records a row stands for (a warehouse may group before it sends).
// Extract writes it to the snapshot as record_count: 1 when not mapped.
var CountColumn = Column{Name: "count", Type: Int, Optional: true, Doc: "records the row stands for: a positive whole number; 1 when absent"}

// RecordCount is the snapshot column of record-level kinds holding how many
// records each row stands for.
const RecordCount = "record_count"

// Normalised lists the columns extract adds to record-level and population
// snapshots, derived from the equality columns.
var Normalised = []Column{
	{Name: "imd_decile", Type: Int, Doc: "1 = most deprived 10% of LSOAs nationally; NULL when unknown"},
	{Name: "imd_quintile", Type: String, Doc: "1 (most deprived) to 5, or Unknown"},
	{Name: "ethnic_code", Type: String, Doc: "the national code (first character), Z, 99, or blank"},
	{Name: "ethnic_group", Type: String, Doc: "White, Mixed, Asian or Asian British, Black or Black British, Other ethnic groups, Not stated, Not known"},
	{Name: "age_band", Type: String, Doc: "reporting band (0-17, 18-34, 35-49, 50-64, 65-79, 80+) or Unknown"},
	{Name: "esp_band", Type: String, Doc: "European Standard Population 2013 band (0-4 ... 90+) or Unknown"},
	{Name: "sex_group", Type: String, Doc: "Male, Female, or Other or not known"},
}
