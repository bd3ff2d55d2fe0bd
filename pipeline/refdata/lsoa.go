package refdata

import (
	"fmt"
	"io"
	"strings"
)

// Match labels say how an LSOA code was matched to the IMD lookup.
const (
	// MatchDirect: the code is one of the IMD's own.
	MatchDirect = "direct"
	// MatchLSOA2011: a 2011 code, unchanged in 2021 under a new code or
	// merged with others into one 2021 area, matched to that area.
	MatchLSOA2011 = "lsoa2011"
	// MatchLSOA2011Split: a 2011 code split into several 2021 areas (change
	// S, or X with several parts), matched to the best fit: the first 2021
	// area the lookup lists for it.
	MatchLSOA2011Split = "lsoa2011_split"
	// MatchLSOA2021: a 2021 code, unchanged or split from one 2011 area,
	// matched to that 2011 area (an IMD on 2011 codes such as IMD 2019).
	MatchLSOA2021 = "lsoa2021"
	// MatchLSOA2021Merged: a 2021 code merged from several 2011 areas
	// (change M), matched to the best fit: the first 2011 area listed.
	MatchLSOA2021Merged = "lsoa2021_merged"
	// MatchNone: blank, or a code found in neither the IMD nor the lookup.
	MatchNone = "unmatched"
)

// MatchLabels lists every label in the order a table reports them.
var MatchLabels = []string{MatchDirect, MatchLSOA2011, MatchLSOA2011Split, MatchLSOA2021, MatchLSOA2021Merged, MatchNone}

// LookupColumns names the columns of an LSOA 2011 → 2021 lookup. The zero
// value means ONS's headers: LSOA11CD, LSOA21CD and CHGIND.
type LookupColumns struct {
	LSOA11, LSOA21, Change string
}

// ONSLookup are the headers of ONS's "LSOA (2011) to LSOA (2021) to Local
// Authority District (2022) Lookup for England and Wales".
var ONSLookup = LookupColumns{LSOA11: "LSOA11CD", LSOA21: "LSOA21CD", Change: "CHGIND"}

func (c LookupColumns) withDefaults() LookupColumns {
	return LookupColumns{LSOA11: orDefault(c.LSOA11, ONSLookup.LSOA11), LSOA21: orDefault(c.LSOA21, ONSLookup.LSOA21), Change: orDefault(c.Change, ONSLookup.Change)}
}

// Pair is one row of the lookup: a 2011 area, a 2021 area and ONS's change
// indicator (U unchanged, S split, M merged, X redesigned).
type Pair struct {
	LSOA11, LSOA21, Change string
	Line                   int
}

// LSOALookup is the LSOA 2011 → 2021 lookup, in file order.
type LSOALookup struct {
	Pairs []Pair
}

// LoadLSOALookup reads ONS's LSOA 2011 → 2021 lookup (CSV, optionally
// gzipped; byte-order mark and other columns ignored). cols renames the
// columns (zero value: ONS's). Errors name the file, line and field: a
// blank code, a change indicator other than U, S, M or X, or a pair listed
// twice.
func LoadLSOALookup(path string, cols LookupColumns) (*LSOALookup, error) {
	rc, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadLSOALookup(rc, path, cols)
}

// ReadLSOALookup is LoadLSOALookup over a reader; name is used in messages.
func ReadLSOALookup(r io.Reader, name string, cols LookupColumns) (*LSOALookup, error) {
	cols = cols.withDefaults()
	cr, head, err := openCSV(r, name, "the LSOA lookup's header line")
	if err != nil {
		return nil, err
	}
	idx, err := columnIndex(head, name, "ONS's LSOA11CD, LSOA21CD and CHGIND are expected; map others with reference.lsoa_lookup.columns", cols.LSOA11, cols.LSOA21, cols.Change)
	if err != nil {
		return nil, err
	}
	lk := &LSOALookup{}
	seen := map[[2]string]int{}
	for rec, err := range records(cr, name, idx) {
		if err != nil {
			return nil, err
		}
		line := rec.line
		field := func(col string) string { return strings.ToUpper(rec.get(col)) }
		p := Pair{LSOA11: field(cols.LSOA11), LSOA21: field(cols.LSOA21), Change: field(cols.Change), Line: line}
		for _, f := range [][2]string{{cols.LSOA11, p.LSOA11}, {cols.LSOA21, p.LSOA21}} {
			if f[1] == "" {
				return nil, fmt.Errorf("%s: line %d: field %q is blank", name, line, f[0])
			}
		}
		switch p.Change {
		case "U", "S", "M", "X":
		default:
			return nil, fmt.Errorf("%s: line %d: field %q: %q is not a change indicator (U unchanged, S split, M merged, X redesigned)", name, line, cols.Change, p.Change)
		}
		k := [2]string{p.LSOA11, p.LSOA21}
		if first, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s: line %d: %s → %s is listed twice (first at line %d)", name, line, p.LSOA11, p.LSOA21, first)
		}
		seen[k] = line
		lk.Pairs = append(lk.Pairs, p)
	}
	if len(lk.Pairs) == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", name)
	}
	return lk, nil
}

// Combine adds to the IMD lookup the codes of the other LSOA edition, so
// that imd.Areas[code] finds an area whichever edition an extract is coded
// in, and Area.Match says how. For an IMD on 2021 codes (IMD 2025), each
// 2011 code not in it takes the deprivation of its 2021 area: unchanged and
// merged areas map directly (MatchLSOA2011); a split area maps to its best
// fit, the first 2021 area the lookup lists for it (MatchLSOA2011Split).
// For an IMD on 2011 codes (IMD 2019) the other way round: a 2021 code takes
// its 2011 area's (MatchLSOA2021), a merged one the first 2011 area listed
// (MatchLSOA2021Merged). Codes the IMD has stay as they are. It returns how
// many codes it added, and an error naming the lookup when it shares no
// code with the IMD (the wrong file, or the columns mapped the wrong way).
func (imd *IMD) Combine(lk *LSOALookup, name string) (int, error) {
	for code, a := range imd.Areas {
		if a.Match == "" {
			a.Match = MatchDirect
			imd.Areas[code] = a
		}
	}
	parts11, parts21 := map[string]int{}, map[string]int{}
	for _, p := range lk.Pairs {
		parts11[p.LSOA11]++
		parts21[p.LSOA21]++
	}
	added := map[string]Area{}
	matched := 0
	// adopt gives code (of the other edition) the deprivation of the IMD's
	// area known, labelled one or, when code has several parts, many.
	adopt := func(known, code string, parts map[string]int, one, many string) {
		a, ok := imd.Areas[known]
		if !ok || a.Match != MatchDirect {
			return
		}
		matched++
		if _, has := imd.Areas[code]; has {
			return
		}
		if _, done := added[code]; done {
			return // the first listed is the best fit
		}
		a.Match = one
		if parts[code] > 1 {
			a.Match = many
		}
		added[code] = a
	}
	for _, p := range lk.Pairs { // file order
		adopt(p.LSOA21, p.LSOA11, parts11, MatchLSOA2011, MatchLSOA2011Split)
		adopt(p.LSOA11, p.LSOA21, parts21, MatchLSOA2021, MatchLSOA2021Merged)
	}
	if matched == 0 {
		return 0, fmt.Errorf("%s: no LSOA in the lookup is in the IMD file; check reference.lsoa_lookup.path and its columns", name)
	}
	for code, a := range added {
		imd.Areas[code] = a
	}
	return len(added), nil
}

// MatchOf says how code matches the lookup: one of MatchLabels.
func (imd *IMD) MatchOf(code string) string {
	a, ok := imd.Areas[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return MatchNone
	}
	if a.Match == "" {
		return MatchDirect
	}
	return a.Match
}

// MatchCounts counts records by how their LSOA matched the IMD lookup.
type MatchCounts map[string]int64

// Add counts n records whose LSOA code is code.
func (c MatchCounts) Add(imd *IMD, code string, n int64) { c[imd.MatchOf(code)] += n }

// CountMatches counts records by how their LSOA matched, from records per
// LSOA code (as a GROUP BY over a snapshot gives them).
func CountMatches(imd *IMD, perCode map[string]int64) MatchCounts {
	c := MatchCounts{}
	for code, n := range perCode {
		c.Add(imd, code, n)
	}
	return c
}

// Rows returns the counts as label, records pairs in MatchLabels order,
// leaving out labels with no records.
func (c MatchCounts) Rows() [][2]string {
	var out [][2]string
	for _, l := range MatchLabels {
		if n := c[l]; n > 0 {
			out = append(out, [2]string{l, fmt.Sprint(n)})
		}
	}
	return out
}

// columnIndex finds the named columns in a header row (byte-order mark and
// surrounding spaces ignored, case-insensitive); hint ends the message
// about a missing column.
func columnIndex(head []string, name, hint string, want ...string) (map[string]int, error) {
	idx := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	out := map[string]int{}
	var missing []string
	for _, w := range want {
		i, ok := idx[strings.ToLower(w)]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", w))
			continue
		}
		out[w] = i
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: line 1: missing column %s (%s)", name, strings.Join(missing, ", "), hint)
	}
	return out, nil
}
