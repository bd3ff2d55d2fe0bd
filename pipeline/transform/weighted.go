package transform

import (
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
		out.WriteString("coalesce(sum(record_count)" + filter + ", 0)")
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
