package transform

import (
	"fmt"
	"regexp"
	"strings"
)

// countStar finds count(*) in an expression.
var countStar = regexp.MustCompile(`(?i)\bcount\s*\(\s*\*\s*\)`)

// filterClause finds the FILTER that may follow an aggregate.
var filterClause = regexp.MustCompile(`(?i)^\s*filter\s*\(`)

// arithmetic is what may stand around the counts of a count-only
// expression: numbers, operators and parentheses.
var arithmetic = regexp.MustCompile(`^[\s0-9.+\-*/()]*$`)

// weightedCount rewrites an expression that only counts rows — count(*),
// each optionally with FILTER (WHERE …), in arithmetic with numbers — to
// sum the rows' record_count instead, so it counts the records of a grouped
// extract without repeating its rows. ok is false for any other expression
// (other aggregates, functions, columns outside a FILTER), which must then
// see one row per record. An empty expression is returned as it is.
func weightedCount(expr string) (string, bool) {
	return rewriteCounts(expr, func(filter string) string {
		return "coalesce(sum(record_count)" + filter + ", 0)"
	})
}

// rewriteCounts replaces each count(*) of a count-only expression, with
// its FILTER clause (" FILTER (…)", or ""), by what with returns; ok is
// false when the expression is not count-only.
func rewriteCounts(expr string, with func(filter string) string) (string, bool) {
	var out, rest strings.Builder
	for {
		loc := countStar.FindStringIndex(expr)
		if loc == nil {
			rest.WriteString(expr)
			out.WriteString(expr)
			break
		}
		rest.WriteString(expr[:loc[0]])
		out.WriteString(expr[:loc[0]])
		expr = expr[loc[1]:]
		filter := ""
		if f := filterClause.FindStringIndex(expr); f != nil {
			end := closing(expr, f[1]-1)
			if end < 0 {
				return "", false
			}
			filter = " " + strings.TrimSpace(expr[:end+1])
			expr = expr[end+1:]
		}
		out.WriteString(with(filter))
	}
	if !arithmetic.MatchString(rest.String()) {
		return "", false
	}
	return out.String(), true
}

// closing returns the index of the parenthesis closing the one at open,
// skipping quoted strings and identifiers; -1 when there is none.
func closing(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return -1
			}
			i += j + 1 // a doubled quote is two strings back to back: same result
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// counts splits count-only expressions (see weightedCount) into their
// count terms, so that rows can be counted once at the finest grouping and
// the counts rolled up: each term becomes a column hiis_t<i> of the fine
// grouping, and the expression a sum of those columns.
type counts struct {
	weighted bool     // sum record_count instead of counting rows
	terms    []string // the aggregate of each hiis_t<i>
}

// split returns expr with each count term replaced by the sum of its
// column; ok is false when expr is not count-only. "" stays "".
func (c *counts) split(expr string) (string, bool) {
	rolled, ok := rewriteCounts(expr, func(filter string) string {
		agg := "count(*)" + filter
		if c.weighted {
			agg = "sum(record_count)" + filter
		}
		c.terms = append(c.terms, agg)
		return fmt.Sprintf("coalesce(sum(hiis_t%d), 0)", len(c.terms)-1)
	})
	return rolled, ok
}

// fine lists the term columns for the fine grouping.
func (c *counts) fine() string {
	var cols []string
	for i, t := range c.terms {
		cols = append(cols, fmt.Sprintf("%s AS hiis_t%d", t, i))
	}
	return strings.Join(cols, ", ")
}
