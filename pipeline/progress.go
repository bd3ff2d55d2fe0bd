package pipeline

import (
	"fmt"
	"io"

	"hiis/pipeline/extract"
)

// progress reports stages and row counts: redrawn in place on a terminal,
// plain lines otherwise.
type progress struct {
	w   io.Writer
	tty bool
}

func (p progress) stage(name string) {
	if p.w != nil {
		fmt.Fprintf(p.w, "hiis: %s\n", name)
	}
}

func (p progress) count(source string, n int64) {
	if p.w != nil && p.tty {
		fmt.Fprintf(p.w, "\r  %s: %d rows", source, n)
	}
}

func (p progress) done(source string, res extract.Result) {
	if p.w == nil {
		return
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	how := "extracted"
	if res.Reused {
		how = "reused snapshot"
	}
	fmt.Fprintf(p.w, "  %s: %d rows, %d rejected (%s)\n", source, res.Rows, res.Rejected, how)
}

// transformed reports an indicator done, in place on a terminal.
func (p progress) transformed(done, total int, id string) {
	if p.w == nil || !p.tty {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K  indicators: %d of %d (%s)", done, total, id)
	if done == total {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
