package extract

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"hiis/pipeline/refdata"
	"hiis/pipeline/source"
)

// The CSV scan is one pass in Go over the extract's bytes. It checks what
// DuckDB's reader would get wrong or silently accept (encodings, line
// endings, quoting that runs over lines, field counts, invalid UTF-8) and
// writes a staging CSV that DuckDB reads in parallel: comma-separated,
// UTF-8, one header line, then one record per line with the record's
// physical line in the original file as the first field. Records that
// cannot be read go straight to the rejects.

// errEmpty reports a file with no header line.
var errEmpty = errors.New("file is empty: expected a header line naming the columns")

// stageWriter collects staging rows and the records rejected on the way.
// Fields are staged trimmed, with the text NULL (what SQL Server writes)
// as blank. The last staging column, __decile, is the IMD decile of the
// record's LSOA (blank when not in the lookup), looked up here so that
// DuckDB needs no join and keeps rows in file order.
type stageWriter struct {
	w       *bufio.Writer
	width   int   // fields per record (the header's)
	rows    int64 // records written or rejected
	maxLen  int   // longest staging line, for DuckDB's max_line_size
	rejects []reject
	buf     []byte
	stagePlan
	path    string // the staging file
	suspect int64  // records staged with __ok false
	// sorted stays true while record keys strictly increase; firstKey and
	// prevKey are the encoded first and last keys so far.
	sorted                    bool
	firstKey, prevKey, curKey []byte
	clean                     [][]byte
}

// stagePlan is what the scan needs to know of the kind's columns.
type stagePlan struct {
	lsoa    int            // index of the LSOA field, -1 when none
	deciles map[string]int // upper-case LSOA code -> decile
	checks  []fieldCheck   // fields with a fast check
	key     []int          // indexes of the record key's fields
	// all marks every record for the full SQL checks (aggregate kinds).
	all bool
}

// fieldCheck is a conservative check of one field: a field that passes
// is certainly accepted by the SQL checks, so the record needs no more; a
// field that does not is left to the SQL checks, which give the reason.
type fieldCheck struct {
	idx      int
	typ      source.Type
	required bool
	maxInt   int64 // for whole numbers: the largest accepted (ages 130)
	minInt   int64 // for whole numbers: the smallest accepted (counts 1)
}

// ok reports whether every checked field of a record passes.
func (p *stagePlan) ok(fields [][]byte) bool {
	if p.all {
		return false
	}
	for _, c := range p.checks {
		f := fields[c.idx]
		if len(f) == 0 {
			if c.required {
				return false
			}
			continue
		}
		switch c.typ {
		case source.Int:
			if len(f) > 18 || (f[0] == '0' && len(f) > 1) {
				return false
			}
			var v int64
			for _, b := range f {
				if b < '0' || b > '9' {
					return false
				}
				v = v*10 + int64(b-'0')
			}
			if v > c.maxInt || v < c.minInt {
				return false
			}
		case source.Date:
			if !isoDate(f) {
				return false
			}
		}
	}
	return true
}

// isoDate reports whether f is a valid date written YYYY-MM-DD, year 1000
// to 9999.
func isoDate(f []byte) bool {
	if len(f) != 10 || f[4] != '-' || f[7] != '-' || f[0] == '0' {
		return false
	}
	n := func(b []byte) int {
		v := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, m, d := n(f[:4]), n(f[5:7]), n(f[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// reject is one rejected record: its line, the field at fault and why.
type reject struct {
	line          int64
	field, reason string
	value         string // at most one field value, truncated
	people        int64  // the people a rejected population row stood for (0 when unknown)
}

func newStageWriter(w io.Writer, header []string, plan stagePlan) (*stageWriter, error) {
	s := &stageWriter{w: bufio.NewWriterSize(w, 1<<20), width: len(header), stagePlan: plan, sorted: true}
	s.buf = append(s.buf, "__line"...)
	for i := range header {
		s.buf = append(s.buf, ",c"...)
		s.buf = strconv.AppendInt(s.buf, int64(i), 10)
	}
	s.buf = append(s.buf, ",__decile,__ok\n"...)
	_, err := s.w.Write(s.buf)
	return s, err
}

// needsCleaning reports whether a field must be trimmed or is the text NULL.
func needsCleaning(f []byte) bool {
	n := len(f)
	return n > 0 && (f[0] == ' ' || f[0] == '\t' || f[n-1] == ' ' || f[n-1] == '\t' || n == 4 && string(f) == "NULL")
}

func cleanField(f []byte) []byte {
	f = bytes.TrimSpace(f)
	if string(f) == "NULL" {
		return nil
	}
	return f
}

// decile appends the record's IMD decile (or nothing), whether it passed
// the fast checks, and a line end.
func (s *stageWriter) decile(b []byte, fields [][]byte) []byte {
	b = append(b, ',')
	if s.lsoa >= 0 && s.lsoa < len(fields) && len(fields[s.lsoa]) > 0 {
		code := fields[s.lsoa]
		d, ok := s.deciles[string(code)]
		if !ok {
			d, ok = s.deciles[strings.ToUpper(string(code))]
		}
		if ok {
			b = strconv.AppendInt(b, int64(d), 10)
		}
	}
	s.trackKey(fields)
	if s.ok(fields) {
		return append(b, ",1\n"...)
	}
	s.suspect++
	return append(b, ",0\n"...)
}

// trackKey follows whether the record keys come in strictly increasing
// order. When they do and every field is in its canonical form (no record
// left to the SQL checks), no key can repeat and the duplicate search is
// skipped. Keys are compared as tuples through an order-keeping encoding.
func (s *stageWriter) trackKey(fields [][]byte) {
	if len(s.key) == 0 || !s.sorted {
		return
	}
	cur := s.curKey[:0]
	for _, i := range s.key {
		for _, c := range fields[i] {
			if c == 0 {
				cur = append(cur, 0, 0xFF)
			} else {
				cur = append(cur, c)
			}
		}
		cur = append(cur, 0, 0)
	}
	s.curKey = cur
	if s.firstKey == nil {
		s.firstKey = append([]byte{}, cur...)
	} else if bytes.Compare(s.prevKey, cur) >= 0 {
		s.sorted = false
		return
	}
	s.prevKey, s.curKey = cur, s.prevKey
}

// record writes one record's fields with its line.
func (s *stageWriter) record(line int64, fields [][]byte) error {
	s.rows++
	s.clean = s.clean[:0]
	for _, f := range fields {
		s.clean = append(s.clean, cleanField(f))
	}
	b := strconv.AppendInt(s.buf[:0], line, 10)
	for _, f := range s.clean {
		b = append(b, ',')
		b = appendCSVField(b, f)
	}
	b = s.decile(b, s.clean)
	s.buf = b
	if len(b) > s.maxLen {
		s.maxLen = len(b)
	}
	_, err := s.w.Write(b)
	return err
}

// rawLine writes a record that is already a valid staging line: no quotes,
// comma-separated, valid UTF-8, the right number of fields, none needing
// cleaning. fields are the line's fields.
func (s *stageWriter) rawLine(line int64, raw []byte, fields [][]byte) error {
	s.rows++
	b := strconv.AppendInt(s.buf[:0], line, 10)
	b = append(b, ',')
	b = append(b, raw...)
	b = s.decile(b, fields)
	s.buf = b
	if len(b) > s.maxLen {
		s.maxLen = len(b)
	}
	_, err := s.w.Write(b)
	return err
}

func (s *stageWriter) reject(line int64, field, reason, value string) {
	s.rows++
	s.rejects = append(s.rejects, reject{line: line, field: field, reason: reason, value: truncate(value)})
}

func appendCSVField(b, f []byte) []byte {
	if bytes.IndexAny(f, ",\"\r\n") < 0 {
		return append(b, f...)
	}
	b = append(b, '"')
	for _, c := range f {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// truncate shortens a field value for an error or rejects file: never more
// than 40 characters of one value.
func truncate(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	r := []rune(v)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return v
}

// csvOptions says how a CSV extract is written.
type csvOptions struct {
	delim    byte
	encoding string // "", utf-8, latin-1, windows-1252
}

// sniffFile refuses files that are not CSV text, naming what they are.
func sniffFile(head []byte, format string) error {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		if format == "xlsx" {
			return nil
		}
		if bytes.Contains(head, []byte("[Content_Types].xml")) || bytes.Contains(head, []byte("xl/")) {
			return errors.New("this is an XLSX workbook saved under another name, not CSV text; set format: xlsx or save the sheet as CSV")
		}
		return errors.New("this is a ZIP archive, not CSV text; unzip it first")
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		if format == "xlsx" {
			return errors.New("this workbook is password-protected (encrypted); save an unprotected copy")
		}
		return errors.New("this is an Excel 97-2003 workbook or a password-protected XLSX, not CSV text; save the sheet as CSV")
	case format == "xlsx":
		return errors.New("this is not an XLSX workbook (no ZIP signature)")
	case format != "csv":
		return nil
	case bytes.HasPrefix(head, []byte("\xFF\xFE")), bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return errors.New("this file is UTF-16 text; save it as UTF-8 CSV")
	case bytes.IndexByte(head, 0) >= 0:
		return errors.New("this file holds NUL bytes: it is UTF-16 text or binary, not UTF-8 CSV; save it as UTF-8 CSV")
	}
	if i := bytes.IndexByte(head, '\r'); i >= 0 && bytes.IndexByte(head, '\n') < 0 && (i+1 < len(head) || len(head) < 64<<10) {
		return errors.New("this file has CR-only line endings (classic Mac); save it with LF or CRLF line endings")
	}
	return nil
}

// csvScanner reads physical lines and assembles records.
type csvScanner struct {
	r      *bufio.Reader
	opt    csvOptions
	line   int64 // physical lines read so far
	bytes  int64 // bytes read so far
	fields [][]byte
	rec    []byte // the current record's bytes (decoded), fields point into it
	ends   []int
	// eofInQuote is set when the input ended inside a quoted field.
	eofInQuote bool
	// width is the header's field count (0 while reading the header);
	// swallowed counts the lines of the current record, after its first,
	// whose quoted part looks like a whole record.
	width, swallowed int
}

// errSpan is a quoting error that runs over more than one line: the source
// cannot be read record by record and fails.
type errSpan struct {
	start, end int64
	what       string
}

func (e *errSpan) Error() string {
	return fmt.Sprintf("line %d: %s (the quoted field opened on line %d runs to line %d); check for a stray \" on line %d",
		e.start, e.what, e.start, e.end, e.start)
}

// readLine returns the next physical line without its line ending, or
// io.EOF.
func (s *csvScanner) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = s.r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	s.bytes += int64(len(line))
	s.line++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}

// decode turns a line of the declared encoding into UTF-8.
func (s *csvScanner) decode(dst, line []byte) []byte {
	switch s.opt.encoding {
	case "latin-1", "windows-1252":
		for _, c := range line {
			switch {
			case c < 0x80:
				dst = append(dst, c)
			case s.opt.encoding == "windows-1252" && c < 0xA0 && cp1252[c-0x80] != 0:
				dst = utf8.AppendRune(dst, cp1252[c-0x80])
			default:
				dst = utf8.AppendRune(dst, rune(c))
			}
		}
		return dst
	}
	return append(dst, line...)
}

// cp1252 maps windows-1252 bytes 0x80–0x9F to runes (0: undefined, read as
// the Latin-1 control character).
var cp1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// next reads one record: its first line, the fields, a reason when it
// cannot be read ("" when fine) and whether the raw line can be staged as
// it is. A quoting error spanning lines is an *errSpan.
func (s *csvScanner) next() (start int64, fields [][]byte, reason string, simple bool, err error) {
	line, err := s.readLine()
	if err != nil {
		return 0, nil, "", false, err
	}
	start = s.line
	s.swallowed = 0
	d := s.opt.delim
	s.rec = s.decode(s.rec[:0], line)
	if bytes.IndexByte(line, '"') < 0 {
		// The common case: no quotes, one line.
		s.fields = s.fields[:0]
		rest := s.rec
		for {
			i := bytes.IndexByte(rest, d)
			if i < 0 {
				s.fields = append(s.fields, rest)
				break
			}
			s.fields = append(s.fields, rest[:i])
			rest = rest[i+1:]
		}
		return start, s.fields, "", d == ',' && bytes.IndexByte(line, '\r') < 0, nil
	}
	// A record with quotes: parse field by field, reading on while a quoted
	// field holds line breaks.
	s.fields = s.fields[:0]
	s.ends = s.ends[:0]
	out := make([]byte, 0, len(s.rec))
	pos := 0
	for {
		fieldStart := len(out)
		if pos < len(s.rec) && s.rec[pos] == '"' {
			pos++
			for {
				i := bytes.IndexByte(s.rec[pos:], '"')
				if s.line > start {
					// A continuation line: count it as swallowed when the
					// quoted part holds a whole record's worth of delimiters.
					inner := s.rec[pos:]
					if i >= 0 {
						inner = s.rec[pos : pos+i]
					}
					if s.width > 1 && bytes.Count(inner, []byte{d}) >= s.width-1 {
						s.swallowed++
					}
				}
				if i < 0 {
					out = append(out, s.rec[pos:]...)
					next, err := s.readLine()
					if err == io.EOF {
						s.eofInQuote = true
						if s.line > start {
							return start, nil, "", false, &errSpan{start: start, end: s.line, what: "a quoted field is never closed"}
						}
						return start, nil, `extraneous or missing " in quoted-field`, false, nil
					}
					if err != nil {
						return start, nil, "", false, err
					}
					out = append(out, '\n')
					s.rec = s.decode(s.rec[:0], next)
					pos = 0
					continue
				}
				out = append(out, s.rec[pos:pos+i]...)
				pos += i + 1
				if pos < len(s.rec) && s.rec[pos] == '"' {
					out = append(out, '"')
					pos++
					continue
				}
				break
			}
			if pos < len(s.rec) && s.rec[pos] != d {
				if s.line > start {
					return start, nil, "", false, &errSpan{start: start, end: s.line, what: `a quoted field is followed by text before the next delimiter`}
				}
				return start, nil, `extraneous or missing " in quoted-field`, false, nil
			}
		} else {
			i := bytes.IndexByte(s.rec[pos:], d)
			end := len(s.rec)
			if i >= 0 {
				end = pos + i
			}
			if q := bytes.IndexByte(s.rec[pos:end], '"'); q >= 0 {
				if s.line > start {
					return start, nil, "", false, &errSpan{start: start, end: s.line, what: `a " stands inside an unquoted field`}
				}
				return start, nil, `bare " in non-quoted-field`, false, nil
			}
			out = append(out, s.rec[pos:end]...)
			pos = end
		}
		s.ends = append(s.ends, fieldStart, len(out))
		if pos >= len(s.rec) {
			break
		}
		pos++ // the delimiter
		if pos == len(s.rec) {
			s.ends = append(s.ends, len(out), len(out))
			break
		}
	}
	for i := 0; i < len(s.ends); i += 2 {
		s.fields = append(s.fields, out[s.ends[i]:s.ends[i+1]])
	}
	return start, s.fields, "", false, nil
}

// stagePart is one staging file and what to add to its lines.
type stagePart struct {
	path   string
	offset int64
}

// splitAt is the size above which a CSV is scanned in two halves at once
// (a variable for tests).
var splitAt int64 = 8 << 20

// scanCSV reads a CSV extract and writes staging files in dir: one, or two
// when the file is large enough to scan its halves on both cores. It
// returns the header, the staging parts in order, and the counts and
// rejects of the whole file, or an error for a file that cannot be read
// as CSV at all.
func scanCSV(path string, opt csvOptions, dir string, prep prepare, progress func(rows, bytes int64)) ([]string, []stagePart, *stageWriter, error) {
	rc, err := refdata.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<20)
	head, _ := br.Peek(64 << 10)
	if err := sniffFile(head, "csv"); err != nil {
		return nil, nil, nil, err
	}
	bom := int64(0)
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
		bom = 3
	}
	s := &csvScanner{r: br, opt: opt}
	header, err := s.header()
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := planHeader(header, prep)
	if err != nil {
		return nil, nil, nil, err
	}
	s.width = len(header)
	headerEnd := bom + s.bytes
	var mid int64
	if st, err := os.Stat(path); err == nil && !strings.HasSuffix(path, ".gz") && st.Size() > splitAt {
		mid = splitPoint(path, headerEnd+(st.Size()-headerEnd)/2)
	}
	if mid <= headerEnd {
		sw, err := scanPart(s, dir, header, plan, 0, progress)
		if err != nil {
			return nil, nil, nil, err
		}
		return header, []stagePart{{path: sw.path}}, sw, nil
	}
	rc.Close()
	// Two halves at once. The split is at a line start; if a quoted field
	// runs over it, the first half ends inside quotes and the file is
	// scanned again in one piece.
	var parts [2]*stageWriter
	var errs [2]error
	var scanners [2]*csvScanner
	var done, rowsDone [2]int64
	var mu sync.Mutex
	report := func(i int) func(rows, n int64) {
		return func(rows, n int64) {
			if progress == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			done[i], rowsDone[i] = n, rows
			progress(rowsDone[0]+rowsDone[1], headerEnd+done[0]+done[1])
		}
	}
	var wg sync.WaitGroup
	for i, r := range [][2]int64{{headerEnd, mid}, {mid, -1}} {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, nil, err
		}
		defer f.Close()
		end := r[1]
		if end < 0 {
			st, _ := f.Stat()
			end = st.Size()
		}
		scanners[i] = &csvScanner{r: bufio.NewReaderSize(io.NewSectionReader(f, r[0], end-r[0]), 1<<20), opt: opt, width: len(header)}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			parts[i], errs[i] = scanPart(scanners[i], dir, header, plan, int64(1-i), report(i))
		}(i)
	}
	wg.Wait()
	if scanners[0].eofInQuote {
		splitFallbacks.Add(1)
		for _, p := range parts {
			if p != nil {
				os.Remove(p.path)
			}
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, nil, err
		}
		defer f.Close()
		s := &csvScanner{r: bufio.NewReaderSize(io.NewSectionReader(f, headerEnd, 1<<62), 1<<20), opt: opt, width: len(header)}
		sw, err := scanPart(s, dir, header, plan, 1, progress)
		if err != nil {
			return nil, nil, nil, err
		}
		return header, []stagePart{{path: sw.path}}, sw, nil
	}
	// Lines of the second half count on from the first and the header.
	first := scanners[0].line + 1
	for i := range errs {
		var span *errSpan
		if errors.As(errs[i], &span) && i == 1 && !scanners[0].eofInQuote {
			span.start += first
			span.end += first
		}
		if errs[i] != nil {
			for _, p := range parts {
				if p != nil {
					os.Remove(p.path)
				}
			}
			return nil, nil, nil, errs[i]
		}
	}
	all := parts[0]
	b := parts[1]
	for _, r := range b.rejects {
		r.line += first
		all.rejects = append(all.rejects, r)
	}
	all.rows += b.rows
	all.suspect += b.suspect
	all.sorted = all.sorted && b.sorted && (all.prevKey == nil || b.firstKey == nil || bytes.Compare(all.prevKey, b.firstKey) < 0)
	all.maxLen = max(all.maxLen, b.maxLen)
	return header, []stagePart{{path: all.path}, {path: b.path, offset: first}}, all, nil
}

// splitFallbacks counts split scans redone in one piece (for tests).
var splitFallbacks atomic.Int64

// splitPoint returns the offset just after the first line end at or after
// off (0 when there is none).
func splitPoint(path string, off int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n, _ := f.ReadAt(buf, off)
	if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
		return off + int64(i) + 1
	}
	return 0
}

// header reads the header record.
func (s *csvScanner) header() ([]string, error) {
	_, fields, reason, _, err := s.next()
	if err == io.EOF {
		return nil, errEmpty
	}
	if err != nil {
		return nil, err
	}
	if reason != "" {
		return nil, fmt.Errorf("line %d: header: %s", s.line, reason)
	}
	var header []string
	for _, f := range fields {
		if !utf8.Valid(f) {
			return nil, fmt.Errorf("line %d: the header is not UTF-8 text; set encoding: latin-1 or windows-1252 if the file was saved that way", s.line)
		}
		header = append(header, string(f))
	}
	return header, nil
}

// scanPart scans records from s to a new staging file in dir. Lines are
// counted from the scanner's start plus skip (the lines before it).
func scanPart(s *csvScanner, dir string, header []string, plan stagePlan, skip int64, progress func(rows, bytes int64)) (*stageWriter, error) {
	stage, err := openStage(dir)
	if err != nil {
		return nil, err
	}
	sw, err := newStageWriter(stage, header, plan)
	if err == nil {
		sw.path = stage.Name()
		err = scanRecords(s, sw, header, skip, progress)
	}
	if cerr := stage.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(stage.Name())
		return nil, err
	}
	return sw, nil
}

// scanRecords reads the data records of a CSV into the staging writer.
func scanRecords(s *csvScanner, sw *stageWriter, header []string, skip int64, progress func(rows, bytes int64)) error {
	last := time.Now()
	for n := 0; ; n++ {
		start, fields, reason, simple, err := s.next()
		if err == io.EOF {
			break
		}
		var span *errSpan
		if errors.As(err, &span) {
			span.start += skip
			span.end += skip
			return span
		}
		if err != nil {
			return err
		}
		start += skip
		if n&4095 == 0 && progress != nil && time.Since(last) > 400*time.Millisecond {
			progress(sw.rows, s.bytes)
			last = time.Now()
		}
		switch {
		case reason != "":
			sw.reject(start, "", reason, "")
			continue
		case len(fields) == 1 && len(bytes.TrimSpace(fields[0])) == 0:
			continue // an empty line carries no record
		case s.swallowed > 0:
			return &errSpan{start: start, end: s.line + skip, what: fmt.Sprintf("a quoted field runs over %d lines, %d of them looking like whole records", s.line+skip-start+1, s.swallowed)}
		case len(fields) != len(header) && s.line+skip > start:
			return &errSpan{start: start, end: s.line + skip, what: fmt.Sprintf("a quoted field runs over %d lines and leaves a record of %d fields where the header has %d", s.line+skip-start+1, len(fields), len(header))}
		case len(fields) != len(header):
			if allBlank(fields) {
				continue
			}
			sw.reject(start, "", fmt.Sprintf("row has %d fields, the header has %d", len(fields), len(header)), "")
			continue
		}
		if allBlank(fields) {
			continue
		}
		if bad := invalidField(fields); bad >= 0 {
			f := fields[bad]
			i := 0
			for utf8.FullRune(f[i:]) {
				r, size := utf8.DecodeRune(f[i:])
				if r == utf8.RuneError && size == 1 {
					break
				}
				i += size
			}
			sw.reject(start, header[bad], fmt.Sprintf("invalid UTF-8 byte 0x%02X; set encoding: latin-1 or windows-1252 if the file was saved that way", f[i]), "")
			continue
		}
		if simple {
			for _, f := range fields {
				if needsCleaning(f) {
					simple = false
					break
				}
			}
		}
		if simple {
			err = sw.rawLine(start, s.rec, fields)
		} else {
			err = sw.record(start, fields)
		}
		if err != nil {
			return err
		}
	}
	if progress != nil {
		progress(sw.rows, s.bytes)
	}
	return sw.w.Flush()
}

func allBlank(fields [][]byte) bool {
	for _, f := range fields {
		if len(bytes.TrimSpace(f)) != 0 {
			return false
		}
	}
	return true
}

// invalidField returns the index of the first field that is not valid
// UTF-8, or -1.
func invalidField(fields [][]byte) int {
	for i, f := range fields {
		if !utf8.Valid(f) {
			return i
		}
	}
	return -1
}

// checkHeader refuses header names that repeat (after trimming and case
// folding), naming both positions.
func checkHeader(header []string) error {
	seen := map[string]int{}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if k == "" {
			continue
		}
		if j, ok := seen[k]; ok {
			return fmt.Errorf("columns %d and %d are both named %q; rename one so that each column has its own name", j+1, i+1, truncate(strings.TrimSpace(h)))
		}
		seen[k] = i
	}
	return nil
}

// prepare maps a header to the kind's columns and returns the scan's plan.
type prepare func(header []string) (stagePlan, error)

// planHeader checks the header and maps it to the kind's columns.
func planHeader(header []string, prep prepare) (stagePlan, error) {
	if err := checkHeader(header); err != nil {
		return stagePlan{}, fmt.Errorf("line 1: %w", err)
	}
	plan, err := prep(header)
	if err != nil {
		return stagePlan{}, fmt.Errorf("line 1: %w", err)
	}
	return plan, nil
}

// openStage creates the staging file in dir.
func openStage(dir string) (*os.File, error) {
	return os.CreateTemp(dir, ".stage-*.csv")
}
