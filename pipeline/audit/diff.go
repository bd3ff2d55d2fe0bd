// Package audit compares runs: Diff lists the metric rows that moved between
// two runs, and Verify re-runs a bundle and says what differs from its
// manifest and why.
package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"hiis/pipeline/manifest"
	"hiis/pipeline/metrics"
)

// Change is one difference between two metrics tables.
type Change struct {
	Kind   string // "added", "removed" or "changed"
	Old    metrics.Row
	New    metrics.Row
	Fields []FieldChange // for "changed"
	Over   bool          // exceeds the tolerance
}

// FieldChange is one column that differs.
type FieldChange struct {
	Column   string
	Old, New string
	Abs, Rel float64 // NaN for text columns and missing numbers
}

// DiffResult is the outcome of Diff.
type DiffResult struct {
	Changes                 []Change
	Rows                    int // rows compared (union of keys)
	Added, Removed, Changed int
	Over                    int // changes exceeding the tolerance
}

// MetricsPath finds metrics.csv: p itself if it is a file, else p/metrics.csv.
func MetricsPath(p string) string {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return filepath.Join(p, "metrics.csv")
	}
	return p
}

// organisations counts the distinct organisations in a metrics table.
func organisations(rows []metrics.Row) int {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Organisation] = true
	}
	return len(seen)
}

// ReadMetrics loads a run's metrics.csv (or a run folder's). The folder of
// a multi-organisation run gives the metrics of all/ and of every
// organisation's folder its manifest lists, together.
func ReadMetrics(p string) ([]metrics.Row, error) {
	if folders, ok := manyFolders(p); ok {
		var all []metrics.Row
		for _, f := range folders {
			rows, err := ReadMetrics(filepath.Join(p, f))
			if err != nil {
				return nil, err
			}
			all = append(all, rows...)
		}
		return all, nil
	}
	p = MetricsPath(p)
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return metrics.ReadCSV(f, p)
}

// Diff compares two metrics tables row by row, keyed by indicator,
// breakdown and group. A numeric change is over the tolerance when
// |new − old| > tol × max(|old|, |new|); any added or removed row, a number
// appearing or disappearing, and any text change are always over it.
//
// Rows of a multi-organisation run (several organisations in one table) are
// keyed by organisation too.
func Diff(a, b []metrics.Row, tol float64) DiffResult {
	var res DiffResult
	key := metrics.Row.Key
	if organisations(a) > 1 || organisations(b) > 1 {
		key = func(r metrics.Row) string { return r.Organisation + "\x00" + r.Key() }
	}
	idx := map[string]int{}
	for i, r := range b {
		idx[key(r)] = i
	}
	seen := map[string]bool{}
	for _, old := range a {
		k := key(old)
		seen[k] = true
		i, ok := idx[k]
		if !ok {
			res.Changes = append(res.Changes, Change{Kind: "removed", Old: old, Over: true})
			continue
		}
		if c, changed := compareRows(old, b[i], tol); changed {
			res.Changes = append(res.Changes, c)
		}
	}
	for _, r := range b {
		if !seen[key(r)] {
			res.Changes = append(res.Changes, Change{Kind: "added", New: r, Over: true})
			res.Rows++
		}
	}
	res.Rows += len(seen)
	for i := range res.Changes {
		c := &res.Changes[i]
		switch c.Kind {
		case "added":
			res.Added++
		case "removed":
			res.Removed++
		default:
			res.Changed++
		}
		if c.Over {
			res.Over++
		}
	}
	return res
}

func compareRows(a, b metrics.Row, tol float64) (Change, bool) {
	c := Change{Kind: "changed", Old: a, New: b}
	an, bn := a.Numbers(), b.Numbers()
	for i, col := range metrics.NumberColumns {
		x, y := an[i], bn[i]
		if x == y || (math.IsNaN(x) && math.IsNaN(y)) {
			continue
		}
		f := FieldChange{Column: col, Old: metrics.FormatNumber(x), New: metrics.FormatNumber(y), Abs: math.NaN(), Rel: math.NaN()}
		over := true
		if !math.IsNaN(x) && !math.IsNaN(y) {
			f.Abs = y - x
			if x != 0 {
				f.Rel = (y - x) / math.Abs(x)
			}
			over = math.Abs(y-x) > tol*math.Max(math.Abs(x), math.Abs(y))
		}
		c.Fields = append(c.Fields, f)
		c.Over = c.Over || over
	}
	for _, t := range [][3]string{{"period", a.Period, b.Period}, {"organisation", a.Organisation, b.Organisation},
		{"method", a.Method, b.Method}, {"suppressed", fmt.Sprint(a.Suppressed), fmt.Sprint(b.Suppressed)}, {"note", a.Note, b.Note}} {
		if t[1] != t[2] {
			c.Fields = append(c.Fields, FieldChange{Column: t[0], Old: t[1], New: t[2], Abs: math.NaN(), Rel: math.NaN()})
			c.Over = true
		}
	}
	return c, len(c.Fields) > 0
}

// Print writes the changes and a summary line for people.
func (d DiffResult) Print(w io.Writer, tol float64) {
	for _, c := range d.Changes {
		switch c.Kind {
		case "added":
			fmt.Fprintf(w, "+ %s %s %s: value %s\n", c.New.IndicatorID, c.New.Breakdown, c.New.Group, metrics.FormatNumber(c.New.Value))
		case "removed":
			fmt.Fprintf(w, "- %s %s %s: value %s\n", c.Old.IndicatorID, c.Old.Breakdown, c.Old.Group, metrics.FormatNumber(c.Old.Value))
		default:
			mark := "~"
			if c.Over {
				mark = "!"
			}
			var parts []string
			for _, f := range c.Fields {
				s := fmt.Sprintf("%s %s → %s", f.Column, quoteEmpty(f.Old), quoteEmpty(f.New))
				if !math.IsNaN(f.Abs) {
					s += fmt.Sprintf(" (%+.6g", f.Abs)
					if !math.IsNaN(f.Rel) {
						s += fmt.Sprintf(", %+.4g%%", 100*f.Rel)
					}
					s += ")"
				}
				parts = append(parts, s)
			}
			fmt.Fprintf(w, "%s %s %s %s: %s\n", mark, c.Old.IndicatorID, c.Old.Breakdown, c.Old.Group, strings.Join(parts, "; "))
		}
	}
	fmt.Fprintf(w, "%d rows compared: %d added, %d removed, %d changed; %d over the tolerance of %g\n",
		d.Rows, d.Added, d.Removed, d.Changed, d.Over, tol)
}

func quoteEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// manyFolders lists the run folders of a multi-organisation run folder
// (all/ first), from its top manifest.
func manyFolders(p string) ([]string, bool) {
	b, err := os.ReadFile(filepath.Join(p, manifest.Name))
	if err != nil {
		return nil, false
	}
	var top struct {
		Kind string `json:"kind"`
		All  struct {
			Folder string `json:"folder"`
		} `json:"all"`
		Organisations []struct {
			Folder string `json:"folder"`
		} `json:"organisations"`
	}
	if json.Unmarshal(b, &top) != nil || top.Kind != "organisations" {
		return nil, false
	}
	folders := []string{top.All.Folder}
	for _, o := range top.Organisations {
		folders = append(folders, o.Folder)
	}
	for _, f := range folders {
		if f == "" || f != filepath.Base(f) || f == ".." {
			return nil, false // never read outside the run folder
		}
	}
	return folders, true
}
