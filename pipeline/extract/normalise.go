package extract

import (
	"strings"

	"hiis/pipeline/refdata"
	"hiis/pipeline/stats"
)

// Ethnic groups (METHODS.md): only the first character of the code counts.
var ethnicGroup = map[byte]string{
	'A': "White", 'B': "White", 'C': "White",
	'D': "Mixed", 'E': "Mixed", 'F': "Mixed", 'G': "Mixed",
	'H': "Asian or Asian British", 'J': "Asian or Asian British", 'K': "Asian or Asian British", 'L': "Asian or Asian British",
	'M': "Black or Black British", 'N': "Black or Black British", 'P': "Black or Black British",
	'R': "Other ethnic groups", 'S': "Other ethnic groups",
	'Z': "Not stated",
}

// Ethnicity classifies an ethnic category field. code is the national code
// ("A" … "S", "Z", "99"), or "" when blank or invalid; status says which
// data-quality count the value falls in ("" when valid).
func Ethnicity(raw string) (code, group, status string) {
	v := strings.ToUpper(strings.TrimSpace(raw))
	switch {
	case v == "":
		return "", "Not known", "blank"
	case v == "99":
		return "99", "Not known", "not_known"
	}
	if g, ok := ethnicGroup[v[0]]; ok {
		if v[0] == 'Z' {
			return "Z", g, "not_stated"
		}
		return v[:1], g, ""
	}
	return "", "Not known", "invalid"
}

// Sex maps NHS sex codes: 1 male, 2 female, anything else kept as other.
func Sex(raw string) string {
	switch strings.ToUpper(strings.TrimSpace(raw)) {
	case "1", "M", "MALE":
		return "Male"
	case "2", "F", "FEMALE":
		return "Female"
	}
	return "Other or not known"
}

// AgeBand returns the default reporting band of an age: 0-17, 18-34, 35-49,
// 50-64, 65-79, 80+.
func AgeBand(age int) string {
	switch {
	case age < 18:
		return "0-17"
	case age < 35:
		return "18-34"
	case age < 50:
		return "35-49"
	case age < 65:
		return "50-64"
	case age < 80:
		return "65-79"
	}
	return "80+"
}

// ESPBand returns the European Standard Population 2013 band label of an age.
func ESPBand(age int) string { return stats.ESPBandLabels[stats.ESPBand(age)] }

// Deprivation looks up an LSOA. ok is false when the code is blank or not in
// the lookup; then quintile is "Unknown".
func Deprivation(imd *refdata.IMD, raw string) (decile int, quintile string, ok bool) {
	a, found := imd.Areas[strings.ToUpper(strings.TrimSpace(raw))]
	if !found {
		return 0, "Unknown", false
	}
	return a.Decile, string(rune('0' + a.Quintile())), true
}
