package fixturegen

import (
	"bytes"
	"encoding/csv"
	"time"
)

// table accumulates a CSV file with LF line ends, quoting only where needed.
type table struct {
	buf  bytes.Buffer
	w    *csv.Writer
	rows int // data rows written (not counting the header)
}

func newTable(header ...string) *table {
	t := &table{}
	t.w = csv.NewWriter(&t.buf)
	_ = t.w.Write(header) // writes to a bytes.Buffer cannot fail
	return t
}

// row writes one data row.
func (t *table) row(fields ...string) {
	_ = t.w.Write(fields)
	t.rows++
}

// bytes returns the file's content.
func (t *table) bytes() []byte {
	t.w.Flush()
	return t.buf.Bytes()
}

// Days are counted from 1970-01-01 (UTC), which sorts and formats cheaply.
func dayOf(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func isoDate(day int) string {
	if i := day - firstCachedDay; i >= 0 && i < len(cachedISO) {
		return cachedISO[i]
	}
	return time.Unix(int64(day)*86400, 0).UTC().Format(time.DateOnly)
}

func ukDate(day int) string {
	if i := day - firstCachedDay; i >= 0 && i < len(cachedUK) {
		return cachedUK[i]
	}
	return time.Unix(int64(day)*86400, 0).UTC().Format("02/01/2006")
}

// The dates events fall on (2019–2027) are formatted once: the scaled
// generator writes tens of millions of them.
var (
	firstCachedDay      = dayOf(2019, time.January, 1)
	cachedISO, cachedUK = func() ([]string, []string) {
		n := dayOf(2028, time.January, 1) - firstCachedDay
		iso, uk := make([]string, n), make([]string, n)
		for i := range n {
			t := time.Unix(int64(firstCachedDay+i)*86400, 0).UTC()
			iso[i], uk[i] = t.Format(time.DateOnly), t.Format("02/01/2006")
		}
		return iso, uk
	}()
)

// window is a span of days over which events are spread uniformly.
type window struct {
	name  string
	start int
	days  int
}

// scale is the window's length in years.
func (w window) scale() float64 { return float64(w.days) / 365 }

// Reporting period, ER-3 baseline, and the month before the period (spells in
// it must be filtered out by every period indicator).
var (
	period   = window{"period", dayOf(2025, time.April, 1), 365}
	baseline = window{"baseline", dayOf(2019, time.March, 1), 366}
	spill    = window{"march_2025", dayOf(2025, time.March, 1), 31}
	census   = dayOf(2026, time.March, 29)
)
