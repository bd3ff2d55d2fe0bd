package refdata

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Population layouts: published population files hiis reshapes into the
// population kind's long form (lsoa, age, sex, people).
const (
	// LayoutONSMidYearWide is ONS's "Lower layer Super Output Area
	// population estimates" by single year of age and sex, as published:
	// one row per LSOA, an LSOA code column, a Total column and one column
	// per sex and single year of age, F0 … F90 and M0 … M90 (90 = 90 and
	// over). Saved as CSV from the published workbook's sheet.
	LayoutONSMidYearWide = "ons_mid_year_wide"
	// LayoutGPRegisteredLSOA is NHS England's "Patients Registered at a GP
	// Practice" LSOA file by sex: one row per practice, LSOA and sex
	// (PRACTICE_CODE, LSOA_CODE, SEX, NUMBER_OF_PATIENTS). It has no age.
	LayoutGPRegisteredLSOA = "gp_registered_lsoa"
)

// Reshaped says what a population file gave.
type Reshaped struct {
	Rows   int64 // long-form rows written
	People int64 // people in them
}

// PopulationHeader is the long form's header: the population kind's
// column names.
var PopulationHeader = []string{"lsoa", "age", "sex", "people"}

// ReshapePopulation reads the population file in (CSV, optionally gzipped)
// in the declared layout and writes its long form to the CSV file out
// (replaced atomically): lsoa, age (blank when the layout has none), sex (1
// male, 2 female), people; rows with no people are left out. The output
// depends only on the input's bytes. Errors name the file, line and field:
// a missing column, a count that is not a whole number, a row whose ages do
// not add up to its Total, an unknown sex.
func ReshapePopulation(layout, in, out string) (Reshaped, error) {
	rc, err := Open(in)
	if err != nil {
		return Reshaped{}, err
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return Reshaped{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+"-*")
	if err != nil {
		return Reshaped{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriter(tmp)
	w := csv.NewWriter(bw)
	if err := w.Write(PopulationHeader); err != nil {
		return Reshaped{}, err
	}
	var res Reshaped
	emit := func(lsoa, age, sex string, n int64) error {
		if n == 0 {
			return nil
		}
		res.Rows++
		res.People += n
		return w.Write([]string{lsoa, age, sex, strconv.FormatInt(n, 10)})
	}
	switch layout {
	case LayoutONSMidYearWide:
		err = readONSWide(rc, in, emit)
	case LayoutGPRegisteredLSOA:
		err = readGPRegistered(rc, in, emit)
	default:
		err = fmt.Errorf("%s: layout %q is not %s or %s", in, layout, LayoutONSMidYearWide, LayoutGPRegisteredLSOA)
	}
	if err != nil {
		return res, err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return res, err
	}
	if err := bw.Flush(); err != nil {
		return res, err
	}
	if err := tmp.Close(); err != nil {
		return res, err
	}
	return res, os.Rename(tmp.Name(), out)
}

// wideAge matches ONS's age columns: F0 … F90, M0 … M90 (F90+ accepted).
var wideAge = regexp.MustCompile(`^([FM])(\d{1,3})\+?$`)

// lsoaColumn finds an LSOA code column: "LSOA 2021 Code", "LSOA Code",
// "LSOA21CD", "LSOA_CODE" ...
func lsoaColumn(head []string) int {
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if strings.HasPrefix(h, "lsoa") && (strings.Contains(h, "code") || strings.HasSuffix(h, "cd")) {
			return i
		}
	}
	return -1
}

func readONSWide(r io.Reader, name string, emit func(lsoa, age, sex string, n int64) error) error {
	cr, head, err := openCSV(r, name, "the ONS header line")
	if err != nil {
		return err
	}
	lsoaCol, totalCol := lsoaColumn(head), -1
	type ageCol struct {
		i        int
		age, sex string
		head     string
	}
	var ages []ageCol
	seen := map[string]int{}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch strings.ToLower(h) {
		case "total", "all ages":
			totalCol = i
			continue
		}
		m := wideAge.FindStringSubmatch(h)
		if m == nil {
			continue
		}
		age, _ := strconv.Atoi(m[2])
		if age > 90 {
			return fmt.Errorf("%s: line 1: column %q: ONS's estimates stop at 90 (90 and over)", name, h)
		}
		key := m[1] + strconv.Itoa(age)
		if j, dup := seen[key]; dup {
			return fmt.Errorf("%s: line 1: columns %d and %d are both %s", name, j+1, i+1, key)
		}
		seen[key] = i
		sex := "1"
		if m[1] == "F" {
			sex = "2"
		}
		ages = append(ages, ageCol{i: i, age: strconv.Itoa(age), sex: sex, head: h})
	}
	var missing []string
	if lsoaCol < 0 {
		missing = append(missing, "an LSOA code column (such as \"LSOA 2021 Code\")")
	}
	for _, s := range []string{"F", "M"} {
		for a := 0; a <= 90; a++ {
			if _, ok := seen[s+strconv.Itoa(a)]; !ok {
				missing = append(missing, s+strconv.Itoa(a))
			}
		}
	}
	if len(missing) > 0 {
		if len(missing) > 6 {
			missing = append(missing[:6], fmt.Sprintf("and %d more", len(missing)-6))
		}
		return fmt.Errorf("%s: line 1: missing %s (layout ons_mid_year_wide: ONS's LSOA estimates by single year of age, F0 … F90 and M0 … M90)", name, strings.Join(missing, ", "))
	}
	// Females then males, age order: the published column order.
	sort.SliceStable(ages, func(a, b int) bool {
		if ages[a].sex != ages[b].sex {
			return ages[a].sex > ages[b].sex
		}
		x, _ := strconv.Atoi(ages[a].age)
		y, _ := strconv.Atoi(ages[b].age)
		return x < y
	})
	lsoas := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		lsoa := strings.ToUpper(get(lsoaCol))
		if lsoa == "" {
			return fmt.Errorf("%s: line %d: field %q is blank", name, line, head[lsoaCol])
		}
		if first, dup := lsoas[lsoa]; dup {
			return fmt.Errorf("%s: line %d: LSOA %s appears twice (first at line %d)", name, line, lsoa, first)
		}
		lsoas[lsoa] = line
		var sum int64
		for _, a := range ages {
			n, err := count(get(a.i))
			if err != nil {
				return fmt.Errorf("%s: line %d: field %q: %v", name, line, a.head, err)
			}
			sum += n
			if err := emit(lsoa, a.age, a.sex, n); err != nil {
				return err
			}
		}
		if totalCol >= 0 {
			total, err := count(get(totalCol))
			if err != nil {
				return fmt.Errorf("%s: line %d: field %q: %v", name, line, head[totalCol], err)
			}
			if total != sum {
				return fmt.Errorf("%s: line %d: LSOA %s: the ages add up to %d, but %q is %d", name, line, lsoa, sum, head[totalCol], total)
			}
		}
	}
}

// count reads a published count: a whole number, thousands separators
// allowed, not negative.
func count(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a count of people", s)
	}
	return n, nil
}

func readGPRegistered(r io.Reader, name string, emit func(lsoa, age, sex string, n int64) error) error {
	cr, head, err := openCSV(r, name, "the header line")
	if err != nil {
		return err
	}
	const colLSOA, colSex, colN = "LSOA_CODE", "SEX", "NUMBER_OF_PATIENTS"
	idx, err := columnIndex(head, name, `layout gp_registered_lsoa: NHS England's "Patients Registered at a GP Practice" LSOA file by sex`, colLSOA, colSex, colN)
	if err != nil {
		return err
	}
	type cell struct{ lsoa, sex string }
	people := map[cell]int64{}
	for rec, err := range records(cr, name, idx) {
		if err != nil {
			return err
		}
		line, get := rec.line, rec.get
		var sex string
		switch strings.ToUpper(get(colSex)) {
		case "MALE", "M", "1":
			sex = "1"
		case "FEMALE", "F", "2":
			sex = "2"
		case "ALL":
			return fmt.Errorf("%s: line %d: field %q is ALL: this is the all-persons file; use the male and female LSOA file, so that rates can be given by sex", name, line, colSex)
		default:
			return fmt.Errorf("%s: line %d: field %q: %q is not MALE or FEMALE", name, line, colSex, get(colSex))
		}
		n, err := count(get(colN))
		if err != nil {
			return fmt.Errorf("%s: line %d: field %q: %v", name, line, colN, err)
		}
		// One row per practice: people of an LSOA registered at several
		// practices are added up. A blank or "NO2011" LSOA stays as it is
		// (Unknown deprivation), never dropped.
		people[cell{strings.ToUpper(get(colLSOA)), sex}] += n
	}
	cells := make([]cell, 0, len(people))
	for c := range people {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].lsoa != cells[j].lsoa {
			return cells[i].lsoa < cells[j].lsoa
		}
		return cells[i].sex < cells[j].sex
	})
	for _, c := range cells {
		if err := emit(c.lsoa, "", c.sex, people[c]); err != nil {
			return err
		}
	}
	return nil
}

// openCSV starts reading a published CSV file: it returns the reader, with
// rows of any length allowed, and the header row; an empty file is an
// error saying what header was expected.
func openCSV(r io.Reader, name, want string) (*csv.Reader, []string, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: file is empty: expected %s", name, want)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return cr, head, nil
}

// record is one row of a reference CSV: the line it starts on, its fields,
// and the header's column index (from columnIndex).
type record struct {
	line   int
	fields []string
	idx    map[string]int
}

// get is the trimmed value of the named column, "" when the row is short.
func (r record) get(col string) string {
	if i, ok := r.idx[col]; ok && i < len(r.fields) {
		return strings.TrimSpace(r.fields[i])
	}
	return ""
}

// records yields the rows of cr after its header, each with the line it
// starts on, until the end of the file; a CSV error is yielded once, named
// by the file, and ends it.
func records(cr *csv.Reader, name string, idx map[string]int) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		for {
			fields, err := cr.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(record{}, fmt.Errorf("%s: %w", name, err))
				return
			}
			line, _ := cr.FieldPos(0)
			if !yield(record{line: line, fields: fields, idx: idx}, nil) {
				return
			}
		}
	}
}
