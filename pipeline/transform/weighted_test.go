package transform

import "testing"

func TestWeightedCount(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"count(*)", "coalesce(sum(record_count), 0)", true},
		{"COUNT ( * )", "coalesce(sum(record_count), 0)", true},
		{"count(*) FILTER (WHERE weeks_waiting >= 18)", "coalesce(sum(record_count) FILTER (WHERE weeks_waiting >= 18), 0)", true},
		{"count(*) - count(*) FILTER (WHERE x = ')' AND f(y))", "coalesce(sum(record_count), 0) - coalesce(sum(record_count) FILTER (WHERE x = ')' AND f(y)), 0)", true},
		{"100.0 * (count(*) + 1)", "100.0 * (coalesce(sum(record_count), 0) + 1)", true},
		{"count(DISTINCT person_id)", "", false},
		{"count(person_id)", "", false},
		{"sum(numerator)", "", false},
		{"count(*) + (SELECT count(*) FROM apc)", "", false},
		{"nullif(count(*), 0)", "", false},
		{"count(*) FILTER (WHERE x = 1", "", false},
		{"count(*) * weeks_waiting", "", false},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, ok := weightedCount(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("weightedCount(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}
