package transform

import (
	"context"
	"fmt"
	"strings"

	"hiis/pipeline/diag"
	"hiis/pipeline/indicator"
	"hiis/pipeline/source"
)

// Check binds every indicator's SQL against empty tables shaped like the
// run's sources, so that an unknown column or a malformed expression is
// reported at the indicator file's line before anything runs. snaps need no
// Path.
func Check(ctx context.Context, inds []*indicator.Indicator, snaps []Snapshot, period Period, macros string) (diag.List, error) {
	empty := make([]Snapshot, len(snaps))
	kinds := map[string]source.Kind{}
	for i, s := range snaps {
		empty[i] = Snapshot{Name: s.Name, Kind: s.Kind}
		kinds[s.Name] = s.Kind
	}
	e, err := Open(ctx, empty, period, macros, Options{})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	var l diag.List
	for _, ind := range inds {
		if _, ok := kinds[ind.Source]; !ok && ind.SQL == "" {
			continue // reported by indicator.Select
		}
		parts := []struct{ key, query string }{}
		if ind.SQL == "" {
			src := ident(ind.Source)
			if ind.Filter != "" {
				parts = append(parts, struct{ key, query string }{"filter", fmt.Sprintf("SELECT count(*) FROM %s WHERE (%s)", src, ind.Filter)})
			}
			parts = append(parts, struct{ key, query string }{"numerator", fmt.Sprintf("SELECT %s FROM %s", ind.Numerator, src)})
			if ind.Denominator != "" {
				parts = append(parts, struct{ key, query string }{"denominator", fmt.Sprintf("SELECT %s FROM %s", ind.Denominator, src)})
			}
			if p := ind.Population; p != nil && p.Filter != "" {
				if _, ok := kinds[p.Source]; ok {
					parts = append(parts, struct{ key, query string }{"population.filter", fmt.Sprintf("SELECT count(*) FROM %s WHERE (%s)", ident(p.Source), p.Filter)})
				}
			}
		}
		found := false
		for _, p := range parts {
			if err := e.bind(ctx, p.query); err != nil {
				l.Add(ind.Pos.Of(p.key), "%s: %s: %s", ind.ID, p.key, sqlMessage(err))
				found = true
			}
		}
		if found {
			continue
		}
		q, err := Query(ind, kinds, false)
		if err == nil {
			err = e.bind(ctx, q)
		}
		if err != nil {
			key := "numerator"
			if ind.SQL != "" {
				key = "sql"
			}
			l.Add(ind.Pos.Of(key), "%s: %s", ind.ID, sqlMessage(err))
		}
	}
	return l, nil
}

// bind prepares a query without running it.
func (e *Engine) bind(ctx context.Context, q string) error {
	st, err := e.db.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	return st.Close()
}

// sqlMessage keeps the first line of a DuckDB error.
func sqlMessage(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
