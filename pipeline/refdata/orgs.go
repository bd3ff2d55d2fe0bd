package refdata

import (
	"fmt"
	"sort"
	"strings"
)

// Default headers of an LSOA → organisation lookup: ONS's LSOA (2021) →
// Sub-ICB Location → ICB lookup. Others are mapped with
// organisations.lookup.columns.
const (
	ColOrgLSOA = "LSOA21CD"
	ColOrgCode = "ICB23CDH"
	ColOrgName = "ICB23NM"
)

// OrgColumns names an organisation lookup's columns.
type OrgColumns struct{ LSOA, Code, Name string }

// Org is one organisation of a lookup.
type Org struct{ Code, Name string }

// OrgLookup assigns LSOAs to organisations.
type OrgLookup struct {
	ByLSOA map[string]string // LSOA code (upper case) → organisation code
	Orgs   []Org             // every organisation in the lookup, sorted by code
}

// Names returns organisation code → name.
func (o *OrgLookup) Names() map[string]string {
	m := make(map[string]string, len(o.Orgs))
	for _, org := range o.Orgs {
		m[org.Code] = org.Name
	}
	return m
}

// LoadOrgLookup reads an LSOA → organisation lookup CSV (gzip when the name
// ends in .gz). An LSOA listed twice with different organisations, or a
// code with two names, is an error naming the line.
func LoadOrgLookup(path string, cols OrgColumns) (*OrgLookup, error) {
	cols = OrgColumns{LSOA: orDefault(cols.LSOA, ColOrgLSOA), Code: orDefault(cols.Code, ColOrgCode), Name: orDefault(cols.Name, ColOrgName)}
	rc, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	cr, head, err := openCSV(rc, path, "a header line")
	if err != nil {
		return nil, err
	}
	idx, err := columnIndex(head, path, "ONS's LSOA21CD, ICB23CDH and ICB23NM are expected; map others with organisations.lookup.columns: {lsoa, code, name}", cols.LSOA, cols.Code, cols.Name)
	if err != nil {
		return nil, err
	}
	out := &OrgLookup{ByLSOA: map[string]string{}}
	names := map[string]string{}
	for rec, err := range records(cr, path, idx) {
		if err != nil {
			return nil, err
		}
		line, get := rec.line, rec.get
		lsoa, code, name := strings.ToUpper(get(cols.LSOA)), get(cols.Code), get(cols.Name)
		switch {
		case lsoa == "":
			return nil, fmt.Errorf("%s: line %d: field %q is blank", path, line, cols.LSOA)
		case code == "":
			return nil, fmt.Errorf("%s: line %d: field %q is blank", path, line, cols.Code)
		}
		if prev, ok := out.ByLSOA[lsoa]; ok && prev != code {
			return nil, fmt.Errorf("%s: line %d: LSOA %s is assigned to both %s and %s", path, line, lsoa, prev, code)
		}
		out.ByLSOA[lsoa] = code
		if prev, ok := names[code]; ok && prev != name {
			return nil, fmt.Errorf("%s: line %d: organisation %s is named both %q and %q", path, line, code, prev, name)
		}
		names[code] = name
	}
	if len(out.ByLSOA) == 0 {
		return nil, fmt.Errorf("%s: no LSOAs after the header", path)
	}
	for code, name := range names {
		out.Orgs = append(out.Orgs, Org{Code: code, Name: name})
	}
	sort.Slice(out.Orgs, func(i, j int) bool { return out.Orgs[i].Code < out.Orgs[j].Code })
	return out, nil
}
