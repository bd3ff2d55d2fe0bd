package extract

import (
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// scanXLSX reads one sheet of a workbook into the staging file: the "line"
// is the sheet's row number. Cells are read by value: a number in a date
// column whose cell has a date format is that date (written YYYY-MM-DD),
// whatever the format displays; other cells give their raw value. dateCols
// names (by mapped header, lower case) the columns read as dates.
func scanXLSX(path, sheet string, dateCols map[string]bool, dir string, prep prepare) ([]string, *stageWriter, error) {
	head := make([]byte, 8)
	if fh, err := os.Open(path); err == nil {
		n, _ := io.ReadFull(fh, head)
		fh.Close()
		if err := sniffFile(head[:n], "xlsx"); err != nil {
			return nil, nil, err
		}
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("not a readable XLSX workbook: %w", err)
	}
	defer f.Close()
	if sheet == "" {
		sheet = f.GetSheetName(0)
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, nil, fmt.Errorf("sheet %q: %w (sheets: %s)", sheet, err, strings.Join(f.GetSheetList(), ", "))
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, nil, errEmpty
	}
	header, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	for len(header) > 0 && strings.TrimSpace(header[len(header)-1]) == "" {
		header = header[:len(header)-1]
	}
	if len(header) == 0 {
		return nil, nil, errEmpty
	}
	isDate := make([]bool, len(header))
	for i, h := range header {
		isDate[i] = dateCols[strings.ToLower(strings.TrimSpace(h))]
	}
	plan, err := planHeader(header, prep)
	if err != nil {
		return nil, nil, err
	}
	stage, err := openStage(dir)
	if err != nil {
		return nil, nil, err
	}
	defer stage.Close()
	sw, err := newStageWriter(stage, header, plan)
	if err != nil {
		os.Remove(stage.Name())
		return nil, nil, err
	}
	sw.path = stage.Name()
	fail := func(err error) ([]string, *stageWriter, error) {
		os.Remove(stage.Name())
		return nil, nil, err
	}
	styles := map[int]bool{}
	fields := make([][]byte, len(header))
	for row := 1; rows.Next(); {
		row++
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			sw.reject(int64(row), "", err.Error(), "")
			continue
		}
		if len(rec) == 0 {
			continue // excelize reports empty rows as no cells; skip them like blank CSV lines
		}
		if len(rec) > len(header) {
			extra := rec[len(header):]
			if strings.TrimSpace(strings.Join(extra, "")) != "" {
				sw.reject(int64(row), "", fmt.Sprintf("row has %d cells, the header has %d", len(rec), len(header)), "")
				continue
			}
			rec = rec[:len(header)]
		}
		blank := true
		for i := range fields {
			v := ""
			if i < len(rec) {
				v = rec[i]
			}
			if isDate[i] && v != "" {
				v = xlsxDate(f, sheet, i+1, row, v, styles)
			}
			if strings.TrimSpace(v) != "" {
				blank = false
			}
			fields[i] = []byte(v)
		}
		if blank {
			continue
		}
		if err := sw.record(int64(row), fields); err != nil {
			return fail(err)
		}
	}
	if err := rows.Error(); err != nil {
		return fail(err)
	}
	if err := sw.w.Flush(); err != nil {
		return fail(err)
	}
	if err := stage.Close(); err != nil {
		return fail(err)
	}
	return header, sw, nil
}

// xlsxDate returns a date cell's value as YYYY-MM-DD when the cell holds a
// number under a date format; otherwise its raw value.
func xlsxDate(f *excelize.File, sheet string, col, row int, raw string, styles map[int]bool) string {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return raw
	}
	cell, _ := excelize.CoordinatesToCellName(col, row)
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		return raw
	}
	isDate, ok := styles[id]
	if !ok {
		isDate = dateStyle(f, id)
		styles[id] = isDate
	}
	if !isDate || v < 1 || v > 2958465 {
		return raw
	}
	d := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(v)))
	return d.Format(time.DateOnly)
}

// dateNumFmts are Excel's built-in number formats that show dates.
var dateNumFmts = map[int]bool{14: true, 15: true, 16: true, 17: true, 22: true, 27: true, 30: true, 36: true, 45: false, 50: true, 57: true}

var quoted = regexp.MustCompile(`"[^"]*"|\[[^\]]*\]|\\.`)

func dateStyle(f *excelize.File, id int) bool {
	st, err := f.GetStyle(id)
	if err != nil || st == nil {
		return false
	}
	if st.CustomNumFmt != nil {
		code := strings.ToLower(quoted.ReplaceAllString(*st.CustomNumFmt, ""))
		return strings.ContainsAny(code, "dy")
	}
	return dateNumFmts[st.NumFmt]
}
