package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a semantic version (major.minor.patch).
type Version [3]int

// ParseVersion reads "1.2.3" (a leading v is allowed; pre-release and build
// suffixes are ignored).
func ParseVersion(s string) (Version, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("%q is not a version like 1.2.3", s)
	}
	var v Version
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("%q is not a version like 1.2.3", s)
		}
		v[i] = n
	}
	return v, nil
}

func (v Version) cmp(w Version) int {
	for i := range v {
		if v[i] != w[i] {
			if v[i] < w[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Range is a set of constraints that must all hold, such as ">=0.1.0 <1.0.0".
type Range struct {
	text string
	cons []constraint
}

type constraint struct {
	op string
	v  Version
}

// ParseRange reads space-separated constraints with operators >=, >, <=, <, =.
func ParseRange(s string) (Range, error) {
	r := Range{text: s}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return r, fmt.Errorf("empty version range; write one like \">=0.1.0 <1.0.0\"")
	}
	for _, f := range fields {
		op := ""
		for _, o := range []string{">=", "<=", ">", "<", "="} {
			if strings.HasPrefix(f, o) {
				op = o
				break
			}
		}
		if op == "" {
			op = "="
		}
		v, err := ParseVersion(strings.TrimPrefix(f, op))
		if err != nil {
			return r, fmt.Errorf("version range %q: %v", s, err)
		}
		r.cons = append(r.cons, constraint{op, v})
	}
	return r, nil
}

// Contains reports whether v satisfies every constraint.
func (r Range) Contains(v Version) bool {
	for _, c := range r.cons {
		d := v.cmp(c.v)
		ok := map[string]bool{">=": d >= 0, ">": d > 0, "<=": d <= 0, "<": d < 0, "=": d == 0}[c.op]
		if !ok {
			return false
		}
	}
	return true
}

func (r Range) String() string { return r.text }
