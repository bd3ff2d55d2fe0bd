package pipeline

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"hiis/pipeline/extract"
)

// fakeClock advances by step at every reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, false)
	p.now = fakeClock(4 * time.Second)
	p.stage("extract")
	p.ingest("apc", 10, 100, 1000) // no bars, no counters off a terminal
	p.done("apc", extract.Result{Rows: 10, Rejected: 1})
	p.done("ecds", extract.Result{Rows: 5, Reused: true})
	p.stage("transform")
	for i := 0; i <= 5; i++ {
		p.transform(i, 5, "IND-"+string(rune('0'+i)))
	}
	p.stage("render")
	p.render(0, 1)
	p.render(1, 1)
	p.end(true)

	got := buf.String()
	want := []string{
		"hiis: extract",
		"  apc: 10 rows, 1 rejected (extracted)",
		"  ecds: 5 rows, 0 rejected (reused snapshot)",
		"hiis: transform",
		"  transform: 1 of 5 indicators (IND-1)", // then at most one line per 10 s of the fake clock
		"  transform: 4 of 5 indicators (IND-4)",
		"  transform: 5 of 5 indicators",
		"hiis: render",
		"  render: 1 of 1 statements",
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != len(want)+1 {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want)+1, got)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
		}
	}
	timing := regexp.MustCompile(`^hiis: timing extract=\d+\.\d{3}s transform=\d+\.\d{3}s render=\d+\.\d{3}s total=\d+\.\d{3}s$`)
	if last := lines[len(lines)-1]; !timing.MatchString(last) {
		t.Errorf("last line %q is not the timing line", last)
	}
	if strings.Contains(got, "\r") || strings.Contains(got, "\x1b") {
		t.Errorf("plain output holds terminal control characters: %q", got)
	}
}

func TestProgressNoTimingAfterFailure(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, false)
	p.stage("load")
	p.end(false)
	if strings.Contains(buf.String(), "timing") {
		t.Errorf("a failed run printed stage times: %q", buf.String())
	}
	var nilProgress *progress
	nilProgress.stage("load") // a run without progress must not crash
	nilProgress.end(true)
}

func TestProgressTerminalDraws(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, true)
	p.stage("extract")
	for i := int64(0); i <= 10; i++ {
		p.ingest("apc", i*1000, i*100, 1000)
		p.ingest("ecds.csv.gz", i*500, 0, 0) // size unknown: a spinner
		time.Sleep(20 * time.Millisecond)
	}
	p.done("apc", extract.Result{Rows: 10000})
	p.done("ecds.csv.gz", extract.Result{Rows: 5000})
	p.stage("transform")
	for i := 0; i <= 3; i++ {
		p.transform(i, 3, "IND")
		time.Sleep(60 * time.Millisecond)
	}
	p.stage("render")
	p.render(0, 1)
	time.Sleep(200 * time.Millisecond)
	p.render(1, 1)
	p.end(true)
	got := buf.String()
	for _, want := range []string{"hiis: extract", "  apc: 10000 rows, 0 rejected (extracted)", "rows/s", "%", "3/3 indicators", "1/1 statements", " left", "hiis: timing "} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, got)
		}
	}
}
