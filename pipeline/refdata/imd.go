// Package refdata reads reference files as their publishers release them:
// the English Indices of Deprivation LSOA file (File_1) and its population
// denominators (File_6).
package refdata

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// IMD columns as published in File_1 of the English Indices of Deprivation.
const (
	ColLSOA     = "LSOA code (2011)"
	ColLSOAName = "LSOA name (2011)"
	ColLAD      = "Local Authority District code (2019)"
	ColLADName  = "Local Authority District name (2019)"
	ColRank     = "Index of Multiple Deprivation (IMD) Rank"
	ColDecile   = "Index of Multiple Deprivation (IMD) Decile"
)

// Area is one LSOA of the lookup.
type Area struct {
	LAD    string
	Rank   int
	Decile int // 1 = most deprived, whatever the file's direction
	// Match says how a code finds this area: MatchDirect (or "") for the
	// IMD's own codes, another of MatchLabels for a code of the other LSOA
	// edition added by Combine.
	Match string
}

// Quintile returns ⌈decile/2⌉: 1 is the most deprived fifth.
func (a Area) Quintile() int { return (a.Decile + 1) / 2 }

// IMD is an LSOA → deprivation lookup.
type IMD struct {
	Areas map[string]Area
}

// Open opens a file for reading, decompressing it when its name ends in .gz.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{gz, f}, nil
}

// Columns names the lookup's columns. The zero value means the headers of
// the English Indices of Deprivation 2019 File_1; IMD 2025, keyed on 2021
// LSOAs, names them differently, and a config maps them.
type Columns struct {
	LSOA, LAD, Rank, Decile string
}

// IMD2019 are the File_1 headers of the English Indices of Deprivation 2019.
var IMD2019 = Columns{LSOA: ColLSOA, LAD: ColLAD, Rank: ColRank, Decile: ColDecile}

// withDefaults fills unset names from IMD 2019.
func (c Columns) withDefaults() Columns {
	return Columns{LSOA: orDefault(c.LSOA, IMD2019.LSOA), LAD: orDefault(c.LAD, IMD2019.LAD),
		Rank: orDefault(c.Rank, IMD2019.Rank), Decile: orDefault(c.Decile, IMD2019.Decile)}
}

// orDefault is v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// LoadIMD reads an IMD lookup in the official File_1 format: optional UTF-8
// byte-order mark, the published headers (other columns are ignored, so the
// full File_7 works too), ranks that may carry thousands separators. cols
// renames the columns (zero value: IMD 2019). With decile1MostDeprived
// false the file's deciles run the other way and are flipped. Errors name
// the file, line and field.
func LoadIMD(path string, cols Columns, decile1MostDeprived bool) (*IMD, error) {
	rc, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadIMD(rc, path, cols, decile1MostDeprived)
}

// ReadIMD is LoadIMD over a reader; name is used in messages.
func ReadIMD(r io.Reader, name string, cols Columns, decile1MostDeprived bool) (*IMD, error) {
	cols = cols.withDefaults()
	cr, head, err := openCSV(r, name, "the IMD header line")
	if err != nil {
		return nil, err
	}
	idx, err := headerIndex(head, name, cols.LSOA, cols.LAD, cols.Rank, cols.Decile)
	if err != nil {
		return nil, err
	}
	imd := &IMD{Areas: map[string]Area{}}
	var seen []ranked
	for rec, err := range records(cr, name, idx) {
		if err != nil {
			return nil, err
		}
		line, field := rec.line, rec.get
		code := strings.ToUpper(field(cols.LSOA))
		if code == "" {
			return nil, fmt.Errorf("%s: line %d: field %q is blank", name, line, cols.LSOA)
		}
		rank, err := strconv.Atoi(strings.ReplaceAll(field(cols.Rank), ",", ""))
		if err != nil || rank < 1 {
			return nil, fmt.Errorf("%s: line %d: field %q: %q is not a rank", name, line, cols.Rank, field(cols.Rank))
		}
		dec, err := strconv.Atoi(field(cols.Decile))
		if err != nil || dec < 1 || dec > 10 {
			return nil, fmt.Errorf("%s: line %d: field %q: %q is not a decile from 1 to 10", name, line, cols.Decile, field(cols.Decile))
		}
		seen = append(seen, ranked{code: code, line: line, rank: rank, fileDecile: dec})
		if !decile1MostDeprived {
			dec = 11 - dec
		}
		if _, dup := imd.Areas[code]; dup {
			return nil, fmt.Errorf("%s: line %d: LSOA %s appears twice", name, line, code)
		}
		imd.Areas[code] = Area{LAD: field(cols.LAD), Rank: rank, Decile: dec}
	}
	if len(imd.Areas) == 0 {
		return nil, fmt.Errorf("%s: no LSOAs after the header", name)
	}
	if err := checkDirection(seen, name, cols, decile1MostDeprived); err != nil {
		return nil, err
	}
	return imd, nil
}

// ranked is one row of the lookup as the file has it, for the direction check.
type ranked struct {
	code       string
	line, rank int
	fileDecile int
}

// checkDirection checks the file's deciles against its ranks. Rank 1 is the
// most deprived area in the official files, so with decile 1 most deprived
// the deciles rise with the rank, and with decile 1 least deprived they
// fall. A file whose deciles run the other way from the one the config
// declares (decile_1 set by mistake), or whose deciles and ranks disagree
// (a mapped column that is not the rank or decile), is refused with a
// message naming the file, the rows that contradict each other and the
// setting to check.
func checkDirection(rows []ranked, name string, cols Columns, decile1MostDeprived bool) error {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].rank != rows[j].rank {
			return rows[i].rank < rows[j].rank
		}
		return rows[i].code < rows[j].code
	})
	// most deprived first: the decile as hiis uses it (1 = most deprived).
	norm := func(r ranked) int {
		if decile1MostDeprived {
			return r.fileDecile
		}
		return 11 - r.fileDecile
	}
	first, last := rows[0], rows[len(rows)-1]
	if norm(first) > norm(last) {
		declared, other := "most_deprived", "least_deprived"
		if !decile1MostDeprived {
			declared, other = other, declared
		}
		return fmt.Errorf("%s: deciles contradict reference.imd.decile_1: %s: LSOA %s (line %d) has the lowest rank, %d (rank 1 is the most deprived area in the official files), and decile %d, while LSOA %s (line %d) has the highest rank, %d, and decile %d; so decile 1 is not the %s end of this file: set decile_1: %s, or check the columns mapped as rank (%q) and decile (%q)",
			name, declared, first.code, first.line, first.rank, first.fileDecile, last.code, last.line, last.rank, last.fileDecile,
			strings.TrimSuffix(declared, "_deprived")+" deprived", other, cols.Rank, cols.Decile)
	}
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if norm(b) < norm(a) {
			return fmt.Errorf("%s: line %d: LSOA %s has rank %d and decile %d, but LSOA %s (line %d) has the lower rank %d and decile %d: the deciles do not follow the ranks; check the columns mapped as rank (%q) and decile (%q)",
				name, b.line, b.code, b.rank, b.fileDecile, a.code, a.line, a.rank, a.fileDecile, cols.Rank, cols.Decile)
		}
	}
	return nil
}

// headerIndex finds the IMD file's named columns in a header row.
func headerIndex(head []string, name string, want ...string) (map[string]int, error) {
	return columnIndex(head, name, "the official IMD File_1 headers are expected; map others with reference.imd.columns", want...)
}

// Population File_6 columns.
const (
	ColPopLSOA  = "LSOA code (2011)"
	ColPopTotal = "Total population: mid 2015 (excluding prisoners)"
)

// LoadPopulation reads LSOA total populations from File_6 of the English
// Indices of Deprivation 2019 (mid-2015 denominators).
func LoadPopulation(path string) (map[string]int64, error) {
	rc, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	cr := csv.NewReader(bufio.NewReader(rc))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading header: %w", path, err)
	}
	idx, err := headerIndex(head, path, ColPopLSOA, ColPopTotal)
	if err != nil {
		return nil, err
	}
	pop := map[string]int64{}
	for rec, err := range records(cr, path, idx) {
		if err != nil {
			return nil, err
		}
		v := strings.ReplaceAll(rec.get(ColPopTotal), ",", "")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: field %q: %q is not a whole number", path, rec.line, ColPopTotal, v)
		}
		pop[rec.get(ColPopLSOA)] = n
	}
	return pop, nil
}
