package pipeline

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"hiis/pipeline/extract"
)

// plainEvery is how often a plain (non-terminal) progress line may repeat
// for the same step; the last one (all done) is always written.
const plainEvery = 10 * time.Second

// progress reports what a run is doing on w (stderr). On a terminal each
// source's ingest is a bar (share of the file read, rows per second, time
// left), the transform a bar of indicators done and rendering one of
// statements done; otherwise it writes plain lines. At the end it writes
// one line of stage times, which hiis-bench reads. Its methods may be called
// from several goroutines.
type progress struct {
	w   io.Writer
	tty bool
	now func() time.Time // the clock; time.Now when nil

	mu        sync.Mutex
	bars      *mpb.Progress // the terminal's bars, while any is drawn
	ingests   map[string]*ingestBar
	steps     map[string]*mpb.Bar // transform and render bars
	lastPlain map[string]time.Time
	stages    []stageTime
	current   string
	started   time.Time // of the current stage
	runStart  time.Time
}

// stageTime is how long one stage took.
type stageTime struct {
	name string
	d    time.Duration
}

// ingestBar is one source's bar and the rows its rate is computed from.
type ingestBar struct {
	bar   *mpb.Bar
	rows  atomic.Int64
	start time.Time
}

func newProgress(w io.Writer, tty bool) *progress {
	return &progress{w: w, tty: tty}
}

func (p *progress) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// stage starts stage name, ending the one before.
func (p *progress) stage(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	if p.current == "" {
		p.runStart = now
	} else {
		p.stages = append(p.stages, stageTime{p.current, now.Sub(p.started)})
	}
	p.current, p.started = name, now
	p.stopBarsLocked()
	if p.w != nil {
		fmt.Fprintf(p.w, "hiis: %s\n", name)
	}
}

// ingest reports a source's extract: rows read, bytes of the input read and
// the input's size (0 when unknown, as for gzipped input).
func (p *progress) ingest(source string, rows, bytes, total int64) {
	if p == nil || p.w == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ib := p.ingests[source]
	if ib == nil {
		ib = &ingestBar{start: p.clock()}
		rate := decor.Any(func(decor.Statistics) string {
			secs := p.clock().Sub(ib.start).Seconds()
			if secs <= 0 {
				return fmt.Sprintf("%d rows", ib.rows.Load())
			}
			return fmt.Sprintf("%d rows, %.0f rows/s", ib.rows.Load(), float64(ib.rows.Load())/secs)
		}, decor.WCSyncSpace)
		name := decor.Name("  "+source, decor.WCSyncSpaceR)
		if total > 0 {
			ib.bar = p.container().AddBar(total, mpb.BarWidth(30),
				mpb.PrependDecorators(name, decor.Percentage(decor.WCSyncSpace)),
				mpb.AppendDecorators(rate, decor.OnComplete(timeLeft(), "")))
		} else {
			ib.bar = p.container().New(0, mpb.SpinnerStyle().PositionLeft(), mpb.BarWidth(1),
				mpb.PrependDecorators(name), mpb.AppendDecorators(rate))
		}
		if p.ingests == nil {
			p.ingests = map[string]*ingestBar{}
		}
		p.ingests[source] = ib
	}
	ib.rows.Store(rows)
	if total > 0 {
		ib.bar.SetCurrent(min(bytes, total))
	} else {
		ib.bar.SetCurrent(rows)
	}
}

// done reports a finished (or reused) source.
func (p *progress) done(source string, res extract.Result) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	how := "extracted"
	if res.Reused {
		how = "reused snapshot"
	}
	line := fmt.Sprintf("  %s: %d rows, %d rejected (%s)\n", source, res.Rows, res.Rejected, how)
	if ib := p.ingests[source]; ib != nil {
		ib.bar.Abort(true) // the line below replaces it
		delete(p.ingests, source)
	}
	if p.bars != nil {
		_, _ = p.bars.Write([]byte(line))
		return
	}
	fmt.Fprint(p.w, line)
}

// transform reports indicators done of total; what names the last one.
func (p *progress) transform(done, total int, what string) {
	p.step("transform", "indicators", done, total, what)
}

// render reports statements done of total.
func (p *progress) render(done, total int) {
	p.step("render", "statements", done, total, "")
}

// step draws a bar of done of total units on a terminal, or writes a plain
// line at most every plainEvery (and when all are done) otherwise.
func (p *progress) step(name, unit string, done, total int, what string) {
	if p == nil || p.w == nil || total <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		if done == 0 {
			return // nothing to say yet
		}
		now := p.clock()
		if last, ok := p.lastPlain[name]; ok && done < total && now.Sub(last) < plainEvery {
			return
		}
		if p.lastPlain == nil {
			p.lastPlain = map[string]time.Time{}
		}
		p.lastPlain[name] = now
		line := fmt.Sprintf("  %s: %d of %d %s", name, done, total, unit)
		if what != "" && done < total {
			line += " (" + what + ")"
		}
		fmt.Fprintln(p.w, line)
		return
	}
	b := p.steps[name]
	if b == nil {
		b = p.container().AddBar(int64(total), mpb.BarWidth(30),
			mpb.PrependDecorators(decor.Name("  "+name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d "+unit, decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.OnComplete(timeLeft(), "")))
		if p.steps == nil {
			p.steps = map[string]*mpb.Bar{}
		}
		p.steps[name] = b
	}
	b.SetTotal(int64(total), false)
	b.SetCurrent(int64(min(done, total)))
}

// timeLeft is the estimated time left, from the average rate so far.
func timeLeft() decor.Decorator {
	return decor.Meta(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), func(s string) string { return s + " left" })
}

// container returns the terminal's bars, starting them if needed.
func (p *progress) container() *mpb.Progress {
	if p.bars == nil {
		p.bars = mpb.New(mpb.WithOutput(p.w), mpb.WithAutoRefresh(), mpb.WithRefreshRate(150*time.Millisecond))
	}
	return p.bars
}

// stopBarsLocked completes every bar and waits until they are drawn for the
// last time.
func (p *progress) stopBarsLocked() {
	if p.bars == nil {
		return
	}
	for name, ib := range p.ingests {
		ib.bar.Abort(false)
		delete(p.ingests, name)
	}
	for name, b := range p.steps {
		if !b.Completed() {
			b.Abort(false)
		}
		delete(p.steps, name)
	}
	p.bars.Wait()
	p.bars = nil
}

// end stops the bars and, after a successful run, writes the stage times as
// one line: "hiis: timing load=0.012s extract=1.234s … total=2.345s".
func (p *progress) end(ok bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopBarsLocked()
	if p.current == "" {
		return
	}
	now := p.clock()
	p.stages = append(p.stages, stageTime{p.current, now.Sub(p.started)})
	p.current = ""
	if !ok || p.w == nil {
		return
	}
	fmt.Fprintln(p.w, timingLine(p.stages, now.Sub(p.runStart)))
}

// timingLine formats stage times for people and for hiis-bench.
func timingLine(stages []stageTime, total time.Duration) string {
	var b strings.Builder
	b.WriteString("hiis: timing")
	for _, s := range stages {
		fmt.Fprintf(&b, " %s=%.3fs", s.name, s.d.Seconds())
	}
	fmt.Fprintf(&b, " total=%.3fs", total.Seconds())
	return b.String()
}
