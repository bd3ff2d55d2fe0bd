package fixturegen

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ScaleOptions says what GenerateScaled writes.
type ScaleOptions struct {
	// Scale multiplies the people of each of the fixture's 300 LSOAs, and
	// so every record-level source, by Scale (1…maxScale).
	Scale int
	// National writes the England-sized tree instead: 32,844 LSOAs in 42
	// organisations with at least 25 million record-level rows (Scale is
	// ignored).
	National bool
	// Workers is the number of goroutines drawing areas; 0 means
	// GOMAXPROCS. The output does not depend on it.
	Workers int
}

// ScaleStats is what GenerateScaled wrote.
type ScaleStats struct {
	LSOAs          int              // areas drawn (cross-border ones included)
	People         int64            // people in population.csv
	PopulationRows int64            // rows of population.csv
	Rows           map[string]int64 // record-level rows per source
	RecordRows     int64            // all record-level rows
	Elapsed        time.Duration
}

// maxScale keeps every generated id inside its fixed width (7 digits of
// row number per area and source).
const maxScale = 2000

// nationalPeople multiplies the fixture's people per LSOA in the national
// tree: about 530 per LSOA, 17 million people, 27 million record-level rows.
const nationalPeople = 2

// scaleSource is a record-level source of the scaled tree: how one person's
// events are drawn and where the generated id and the date go.
type scaleSource struct {
	name    string // source name and kind; the file is sources/<name>.csv
	prefix  string // id prefix
	idCol   int    // index in ev.vals of the generated id; -1 for none
	dateCol int    // index in ev.vals of the event's date; -1 for none
	date    func(int) string
	draw    func(r rng, p *person, evs []ev) []ev
}

// scaleSources are the record-level sources, in the order of the fixture.
var scaleSources = []scaleSource{
	{"wlmds", "WL", 0, -1, nil, wlmdsDraw},
	{"apc", "", 0, 1, isoDate, apcDraw},
	{"outpatients", "OP", 0, 1, isoDate, outpatientsDraw},
	{"ecds", "AE", 0, 1, isoDate, ecdsDraw},
	{"mhsds_detentions", "MHA", 1, 2, isoDate, mhDetentionsDraw},
	{"mhsds_restrictive", "", -1, 1, isoDate, mhRestrictiveDraw},
	{"mhsds_contacts", "", -1, 1, isoDate, mhContactsDraw},
	{"talking_therapies", "TT", 0, 1, ukDate, talkingTherapiesDraw},
	{"cancer", "T", 0, 1, isoDate, cancerDraw},
}

// Components of an area's random streams.
const (
	compSize uint64 = iota
	compPeople
	compEthnicity
	compPersonIDs
	compSources // + index into scaleSources
)

// areaRNG is the stream of one component of area i: every area draws from
// its own streams, so the output does not depend on which goroutine drew it.
func areaRNG(seed uint64, area int, comp uint64) rng {
	return newRNG(seed, 1<<63|uint64(area)<<16|comp)
}

// GenerateScaled writes a scaled fixture tree under dir: reference/ (the
// IMD lookup and, for the national tree, the LSOA → organisation lookup),
// sources/ (population, every record-level source drawn from the fixture's
// own models over opt.Scale times the people, and the fixture's aggregate
// sources), previous/, config/fixture.yaml (runnable once indicators/ and
// templates/ are beside it, which the hiis-fixtures command copies) and a
// README. Rows are streamed to disk area by area; the same seed and options
// give byte-identical files whatever opt.Workers is. It returns an error
// for a scale out of range or a file that cannot be written.
func GenerateScaled(dir string, seed uint64, opt ScaleOptions) (ScaleStats, error) {
	start := time.Now()
	st := ScaleStats{Rows: map[string]int64{}}
	if !opt.National && (opt.Scale < 1 || opt.Scale > maxScale) {
		return st, fmt.Errorf("scale %d: must be 1 to %d", opt.Scale, maxScale)
	}
	var areas []*lsoa
	var orgOf []*org
	var err error
	factor := float64(opt.Scale)
	if opt.National {
		areas, orgOf, err = buildNational(seed)
		factor = nationalPeople
	} else {
		areas, err = buildLSOAs(seed)
	}
	if err != nil {
		return st, fmt.Errorf("generate scaled fixtures: %w", err)
	}
	st.LSOAs = len(areas)
	write := func(rel string, data []byte) error {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("generate scaled fixtures: %w", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("generate scaled fixtures: %w", err)
		}
		return nil
	}
	if err := write("reference/imd_lookup.csv", imdLookup(areas)); err != nil {
		return st, err
	}
	if opt.National {
		if err := write("reference/lsoa_icb.csv", orgLookup(areas, orgOf)); err != nil {
			return st, err
		}
	}
	if err := streamRecords(dir, seed, areas, factor, opt.Workers, &st); err != nil {
		return st, err
	}

	// The aggregate sources are the fixture's own (they carry no LSOA).
	base, err := build(seed)
	if err != nil {
		return st, fmt.Errorf("generate scaled fixtures: %w", err)
	}
	var aggregates []file
	for _, f := range base {
		if f.kind == "aggregate" {
			aggregates = append(aggregates, f)
			if err := write(f.path, f.data); err != nil {
				return st, err
			}
		}
	}
	var record []recordSource
	for _, s := range scaleSources {
		record = append(record, recordSource{f: sourceFile{rows: int(st.Rows[s.name])}, kind: s.name})
	}
	prev, _ := previousDataQuality(record)
	if err := write("previous/data-quality-2024-25.csv", prev); err != nil {
		return st, err
	}
	if err := write("config/fixture.yaml", scaledConfig(seed, opt, aggregates)); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(start)
	if err := write("README.md", scaledReadme(seed, opt, st)); err != nil {
		return st, err
	}
	return st, nil
}

// areaOut is everything one area contributes to the streamed files.
type areaOut struct {
	pop     []byte
	popRows int
	people  int
	src     [][]byte
	rows    []int
}

// streamRecords draws every area on opt.Workers goroutines and writes the
// population and record-level files in area order through buffered writers,
// holding at most a few areas in memory.
func streamRecords(dir string, seed uint64, areas []*lsoa, factor float64, workers int, st *ScaleStats) (err error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sources"), 0o755); err != nil {
		return fmt.Errorf("generate scaled fixtures: %w", err)
	}
	type out struct {
		f *os.File
		w *bufio.Writer
	}
	var files []out
	defer func() {
		for _, o := range files {
			if cerr := o.f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("generate scaled fixtures: %w", cerr)
			}
		}
	}()
	open := func(name string, header []string) (*bufio.Writer, error) {
		f, err := os.Create(filepath.Join(dir, "sources", name+".csv"))
		if err != nil {
			return nil, fmt.Errorf("generate scaled fixtures: %w", err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		files = append(files, out{f, w})
		_, err = w.Write(appendFields(nil, header...))
		return w, err
	}
	popW, err := open("population", headers["population"])
	if err != nil {
		return err
	}
	srcW := make([]*bufio.Writer, len(scaleSources))
	for i, s := range scaleSources {
		if srcW[i], err = open(s.name, headers[s.name]); err != nil {
			return err
		}
	}

	// Cells of every age tilt, shared read-only by the workers.
	cells := map[float64]cumulative{}
	for _, a := range areas {
		if _, ok := cells[a.youngTilt]; !ok {
			cells[a.youngTilt] = sexAgeCells(a.youngTilt)
		}
	}
	results := make([]chan *areaOut, len(areas))
	for i := range results {
		results[i] = make(chan *areaOut, 1)
	}
	slots := make(chan struct{}, 2*workers) // areas drawn but not yet written
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				slots <- struct{}{}
				i := int(next.Add(1) - 1)
				if i >= len(areas) {
					<-slots
					return
				}
				results[i] <- drawArea(seed, i, areas[i], factor, cells[areas[i].youngTilt])
			}
		}()
	}
	var werr error
	for i := range areas {
		o := <-results[i]
		if werr == nil {
			_, werr = popW.Write(o.pop)
			for si, b := range o.src {
				if werr == nil {
					_, werr = srcW[si].Write(b)
				}
			}
		}
		st.People += int64(o.people)
		st.PopulationRows += int64(o.popRows)
		for si, n := range o.rows {
			st.Rows[scaleSources[si].name] += int64(n)
			st.RecordRows += int64(n)
		}
		<-slots
	}
	wg.Wait()
	for _, o := range files {
		if werr == nil {
			werr = o.w.Flush()
		}
	}
	if werr != nil {
		return fmt.Errorf("generate scaled fixtures: %w", werr)
	}
	return nil
}

// drawArea draws area i's people (factor times the fixture's number) and
// their events, and formats its rows. Record ids are the area's number and
// the row's number within the area, so they are unique and increase down
// each file.
func drawArea(seed uint64, i int, a *lsoa, factor float64, c cumulative) *areaOut {
	size := areaRNG(seed, i, compSize)
	n := float64(crossBorderSize) * factor
	if a.inLookup {
		n = lsoaSize[a.quintile-1] * factor * (0.85 + 0.3*size.Float64())
	}
	people := areaPeople(areaRNG(seed, i, compPeople), areaRNG(seed, i, compEthnicity), a, int(math.Round(n)), c, nil)
	ids := areaRNG(seed, i, compPersonIDs)
	for j, p := range people {
		p.pid = "MH" + string(appendPadded(appendPadded(nil, i, 5), j, 7))
		p.mhLSOA = a.code
		if ids.bern(badLSOARate) {
			p.mhLSOA = badLSOA(ids)
		}
	}
	o := &areaOut{people: len(people), src: make([][]byte, len(scaleSources)), rows: make([]int, len(scaleSources))}
	o.pop, o.popRows = areaPopulation(a.code, people)
	var evs []ev
	for si := range scaleSources {
		s := &scaleSources[si]
		r := areaRNG(seed, i, compSources+uint64(si))
		var b []byte
		local := 0
		for _, p := range people {
			evs = s.draw(r, p, evs[:0])
			for k := range evs {
				local++
				b = appendEvent(b, s, &evs[k], i, local)
			}
		}
		o.src[si], o.rows[si] = b, local
	}
	return o
}

// appendEvent formats one event row: the four equality columns, then the
// source's own, with the generated id and the date filled in.
func appendEvent(b []byte, s *scaleSource, e *ev, area, local int) []byte {
	b = appendField(b, e.lsoa)
	b = append(b, ',')
	b = appendField(b, e.p.eth)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.p.age), 10)
	b = append(b, ',')
	b = appendField(b, e.sex)
	for k, v := range e.vals {
		b = append(b, ',')
		switch k {
		case s.idCol:
			b = append(b, s.prefix...)
			b = appendPadded(appendPadded(b, area, 5), local, 7)
		case s.dateCol:
			b = append(b, s.date(e.day)...)
		default:
			b = appendField(b, v)
		}
	}
	return append(b, '\n')
}

// areaPopulation counts an area's people by sex × age × ethnic_category and
// formats the non-zero cells, sorted as population.csv is.
func areaPopulation(code string, people []*person) ([]byte, int) {
	type key struct {
		sex, age int
		eth      string
	}
	counts := map[key]int{}
	var keys []key
	for _, p := range people {
		k := key{p.sex, p.age, p.eth}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.sex != b.sex {
			return a.sex < b.sex
		}
		if a.age != b.age {
			return a.age < b.age
		}
		return a.eth < b.eth
	})
	var b []byte
	for _, k := range keys {
		b = appendFields(b, code, k.eth, strconv.Itoa(k.age), strconv.Itoa(k.sex), strconv.Itoa(counts[k]))
	}
	return b, len(keys)
}

// appendPadded appends n in decimal, zero-padded to width digits.
func appendPadded(b []byte, n, width int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], int64(n), 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendFields appends one CSV line (LF-terminated), quoting as
// encoding/csv does.
func appendFields(b []byte, fields ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, f)
	}
	return append(b, '\n')
}

// appendField appends one CSV field, quoted when it holds a comma, quote,
// line break or leading space (as encoding/csv's Writer decides).
func appendField(b []byte, f string) []byte {
	quote := f == `\.` || (f != "" && (f[0] == ' ' || f[0] == '\t'))
	for i := 0; i < len(f) && !quote; i++ {
		quote = f[i] == ',' || f[i] == '"' || f[i] == '\r' || f[i] == '\n'
	}
	if !quote {
		return append(b, f...)
	}
	b = append(b, '"')
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, f[i])
	}
	return append(b, '"')
}

// scaledConfig is the run config of a scaled tree, in config/ with every
// path relative to it.
func scaledConfig(seed uint64, opt ScaleOptions, aggregates []file) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	if opt.National {
		p("# England-sized synthetic run written by `hiis-fixtures --scale national` (seed %d).\n", seed)
		p("# Generated: do not commit. Synthetic: no real person, area or organisation.\n")
	} else {
		p("# The fixture run at scale %d, written by `hiis-fixtures --scale %d` (seed %d).\n", opt.Scale, opt.Scale, seed)
		p("# Generated: do not commit. Synthetic: no real person, area or organisation.\n")
	}
	p("hiis: \">=0.1.0 <1.0.0\"\n\n")
	if opt.National {
		p("# One statement per ICB, with all/ (England) as the comparator.\n")
		p("organisations:\n")
		p("  kind: icb\n")
		p("  lookup:\n")
		p("    path: ../reference/lsoa_icb.csv\n")
		p("    columns: {lsoa: LSOA11CD, code: ICB22CDH, name: ICB22NM}\n")
		p("  select: all\n\n")
	} else {
		p("organisation:\n  code: %s\n  name: %s\n  kind: icb\n\n", orgCode, orgName)
	}
	p("period:\n  label: 2025/26\n  start: %s\n  end: %s\n\n", isoDate(period.start), isoDate(period.start+period.days-1))
	p("# Everything the run reads is in this tree.\ndata_root: ..\n\n")
	edition := "English Indices of Deprivation 2019 (synthetic LSOAs, LSOA 2011 codes)"
	p("reference:\n  imd:\n    path: ../reference/imd_lookup.csv\n    edition: %s\n    decile_1: most_deprived\n\n", edition)
	// The generator writes local two-character ethnic subcodes (A1, AF ...).
	p("sources:\n  population:\n    kind: population\n    path: ../sources/population.csv\n    ethnic_subcodes: true\n")
	for _, s := range scaleSources {
		p("  %s:\n    kind: %s\n    path: ../sources/%s.csv\n    ethnic_subcodes: true\n", s.name, s.name, s.name)
		if s.name == "apc" {
			p("    columns:\n")
			for i, col := range []string{"lsoa", "ethnic_category", "age", "sex", "spell_id", "admission_date",
				"admission_method", "patient_classification", "primary_diagnosis", "main_procedure"} {
				p("      %s: %s\n", col, headers["apc"][i])
			}
		}
	}
	p("  # Aggregate sources: the committed fixture's own.\n")
	for _, f := range aggregates {
		name := filepath.Base(f.path)
		name = name[:len(name)-len(filepath.Ext(name))]
		p("  %s:\n    kind: aggregate\n    path: ../%s\n", name, f.path)
		if filepath.Ext(f.path) == ".xlsx" {
			p("    sheet: NDA\n")
		}
	}
	p("\nindicators:\n  dir: ../indicators\n  include_optional: true\n\n")
	p("disclosure:\n  rule: nhs_digital\n\n")
	p("extract:\n  max_reject_share: 0.01\n\n")
	p("statistics:\n  sii_repetitions: 10000\n  seed: 20231127\n\n")
	p("narrative:\n  - title: What we are doing about it\n    text: >\n      This is a synthetic statement produced from generated data to measure hiis.\n\n")
	p("previous_data_quality: ../previous/data-quality-2024-25.csv\n\n")
	p("output: ../out\n")
	return b.Bytes()
}

// scaledReadme describes a scaled tree and how it was made.
func scaledReadme(seed uint64, opt ScaleOptions, st ScaleStats) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	what := fmt.Sprintf("--scale %d", opt.Scale)
	if opt.National {
		what = "--scale national"
	}
	p("# Scaled synthetic fixtures (%s, seed %d)\n\n", what, seed)
	p("Written by `go run ./pipeline/cmd/hiis-fixtures %s -seed %d -out DIR`. Generated: never commit it.\n", what, seed)
	p("Everything is synthetic. The record-level sources are drawn from the fixture generator's own models\n")
	p("(`pipeline/fixturegen/doc.go`) over more people, area by area, so the gradients by deprivation, ethnic\n")
	p("group, age and sex are the fixture's. Record ids are the area's number and the row's number within it.\n")
	p("There are no deliberately bad rows; the aggregate sources are the committed fixture's.\n\n")
	if opt.National {
		p("Geography: %d LSOAs (E01000001…) in %d districts and %d ICBs; `reference/lsoa_icb.csv` assigns\n", nationalLSOAs, nationalDistricts, nationalOrgs)
		p("each LSOA to its ICB. Two Welsh LSOAs outside the lookup hold cross-border registrations.\n\n")
	}
	p("| | |\n| --- | ---: |\n")
	p("| LSOAs drawn | %d |\n| people | %d |\n| population.csv rows | %d |\n", st.LSOAs, st.People, st.PopulationRows)
	for _, s := range scaleSources {
		p("| %s.csv rows | %d |\n", s.name, st.Rows[s.name])
	}
	p("| record-level rows | %d |\n\n", st.RecordRows)
	p("Run it with `hiis run --config DIR/config/fixture.yaml` (the command copied `indicators/` and `templates/`\n")
	p("beside it); measure it with `go run ./pipeline/cmd/hiis-bench --data DIR`.\n")
	return b.Bytes()
}
