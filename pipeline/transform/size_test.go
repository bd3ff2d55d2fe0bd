package transform

import (
	"context"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"18.5 GiB", 37 << 29, true},
		{"512.0 MiB", 512 << 20, true},
		{"1000 bytes", 1000, true},
		{"2.5 GB", 2_500_000_000, true},
		{"lots", 0, false},
		{"12 parsecs", 0, false},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, ok := parseSize(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("parseSize(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

// TestMemoryLimit: the engine runs under the configured memory limit, or
// by default under a share of RAM capped at DefaultMemoryCap.
func TestMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		name, limit string
		lo, hi      int64
	}{
		{"default", "", 64 << 20, DefaultMemoryCap},
		{"configured", "1GiB", 1 << 30, 1 << 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := Open(context.Background(), nil, Period{"2025-04-01", "2026-03-31"}, "", Options{MemoryLimit: c.limit})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			var s string
			if err := e.db.QueryRow("SELECT current_setting('memory_limit')").Scan(&s); err != nil {
				t.Fatal(err)
			}
			got, ok := parseSize(s)
			if !ok || got < c.lo || got > c.hi {
				t.Errorf("memory_limit %q, want between %d and %d bytes", s, c.lo, c.hi)
			}
		})
	}
}
