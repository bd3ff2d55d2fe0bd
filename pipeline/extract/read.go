package extract

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/xuri/excelize/v2"

	"hiis/pipeline/refdata"
)

// reader yields an extract's rows as text fields, whatever the file format.
type reader interface {
	// Header returns the column names of the first line.
	Header() []string
	// Next returns the next row and its 1-based line (or row) number. At the
	// end it returns io.EOF; a row that cannot be parsed gives a *lineError,
	// after which reading goes on.
	Next() (rec []string, line int, err error)
	Close() error
}

// lineError is a row the reader could not parse.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func openReader(path, format, sheet string) (reader, error) {
	switch format {
	case "csv":
		return openCSV(path)
	case "parquet":
		return openParquet(path)
	case "xlsx":
		return openXLSX(path, sheet)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// errEmpty reports a file with no header line.
var errEmpty = errors.New("file is empty: expected a header line naming the columns")

type csvReader struct {
	rc     io.ReadCloser
	cr     *csv.Reader
	header []string
}

func openCSV(path string) (reader, error) {
	rc, err := refdata.Open(path)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bufio.NewReaderSize(rc, 1<<20))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		rc.Close()
		return nil, errEmpty
	}
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("line 1: %w", err)
	}
	header := append([]string(nil), head...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	return &csvReader{rc: rc, cr: cr, header: header}, nil
}

func (r *csvReader) Header() []string { return r.header }

func (r *csvReader) Next() ([]string, int, error) {
	rec, err := r.cr.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, &lineError{line: pe.StartLine, msg: pe.Err.Error()}
		}
		return nil, 0, err
	}
	line, _ := r.cr.FieldPos(0)
	return rec, line, nil
}

func (r *csvReader) Close() error { return r.rc.Close() }

// parquetReader reads a Parquet extract row by row; the "line" is the row
// number counting the header as line 1, as for CSV.
type parquetReader struct {
	f      *os.File
	r      *parquet.Reader
	header []string
	kinds  []parquet.Type
	buf    []parquet.Row
	row    int
}

func openParquet(path string) (reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	pr := &parquetReader{f: f, r: parquet.NewReader(pf), buf: make([]parquet.Row, 1), row: 1}
	for _, c := range pf.Schema().Fields() {
		if !c.Leaf() {
			f.Close()
			return nil, fmt.Errorf("column %q is nested; hiis reads flat Parquet files", c.Name())
		}
		pr.header = append(pr.header, c.Name())
		pr.kinds = append(pr.kinds, c.Type())
	}
	return pr, nil
}

func (r *parquetReader) Header() []string { return r.header }

func (r *parquetReader) Next() ([]string, int, error) {
	n, err := r.r.ReadRows(r.buf)
	if n == 0 {
		if err == nil || err == io.EOF {
			return nil, 0, io.EOF
		}
		return nil, 0, err
	}
	r.row++
	rec := make([]string, len(r.header))
	for _, v := range r.buf[0] {
		i := v.Column()
		if i < 0 || i >= len(rec) || v.IsNull() {
			continue
		}
		rec[i] = parquetText(v, r.kinds[i])
	}
	return rec, r.row, nil
}

// parquetText renders a Parquet value as the text a CSV would carry,
// decoding the logical types extracts use: dates, timestamps and decimals.
func parquetText(v parquet.Value, t parquet.Type) string {
	if lt := t.LogicalType(); lt != nil {
		switch l := lt.Value.(type) {
		case *format.DateType:
			return time.Unix(int64(v.Int32())*86400, 0).UTC().Format(time.DateOnly)
		case *format.TimestampType:
			unit := time.Millisecond
			if l.Unit.Value != nil {
				unit = l.Unit.Value.Duration()
			}
			sec, frac := v.Int64()/int64(time.Second/unit), v.Int64()%int64(time.Second/unit)
			return time.Unix(sec, frac*int64(unit)).UTC().Format("2006-01-02T15:04:05")
		case *format.DecimalType:
			var unscaled *big.Int
			switch v.Kind() {
			case parquet.Int32:
				unscaled = big.NewInt(int64(v.Int32()))
			case parquet.Int64:
				unscaled = big.NewInt(v.Int64())
			default: // big-endian two's complement bytes
				b := v.ByteArray()
				unscaled = new(big.Int).SetBytes(b)
				if len(b) > 0 && b[0]&0x80 != 0 {
					unscaled.Sub(unscaled, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
				}
			}
			return new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(l.Scale)), nil)).FloatString(int(l.Scale))
		}
	}
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Float:
		return strconv.FormatFloat(float64(v.Float()), 'f', -1, 32)
	case parquet.Double:
		return strconv.FormatFloat(v.Double(), 'f', -1, 64)
	}
	return string(v.ByteArray())
}

func (r *parquetReader) Close() error { return r.f.Close() }

// xlsxReader reads one sheet of a workbook; the line is the sheet's row.
type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	row    int
}

func openXLSX(path, sheet string) (reader, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("not a readable XLSX workbook: %w", err)
	}
	if sheet == "" {
		sheet = f.GetSheetName(0)
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sheet %q: %w (sheets: %s)", sheet, err, strings.Join(f.GetSheetList(), ", "))
	}
	x := &xlsxReader{f: f, rows: rows}
	if !rows.Next() {
		x.Close()
		return nil, errEmpty
	}
	x.row = 1
	if x.header, err = rows.Columns(); err != nil {
		x.Close()
		return nil, err
	}
	return x, nil
}

func (r *xlsxReader) Header() []string { return r.header }

func (r *xlsxReader) Next() ([]string, int, error) {
	for r.rows.Next() {
		r.row++
		rec, err := r.rows.Columns()
		if err != nil {
			return nil, r.row, &lineError{line: r.row, msg: err.Error()}
		}
		if len(rec) == 0 {
			continue // excelize reports empty rows as no cells; skip them like blank CSV lines
		}
		// excelize drops trailing empty cells: pad the row to the header.
		for len(rec) < len(r.header) {
			rec = append(rec, "")
		}
		return rec, r.row, nil
	}
	if err := r.rows.Error(); err != nil {
		return nil, 0, err
	}
	return nil, 0, io.EOF
}

func (r *xlsxReader) Close() error {
	if r.rows != nil {
		r.rows.Close()
	}
	return r.f.Close()
}

// excelDate converts a spreadsheet serial day number to a date.
func excelDate(s string) (time.Time, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 1 || v > 2958465 || v != math.Trunc(v) {
		return time.Time{}, false
	}
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(v)), true
}
