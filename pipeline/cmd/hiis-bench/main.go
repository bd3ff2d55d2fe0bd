// Command hiis-bench measures hiis on a scaled fixture tree against DuckDB
// reading the same CSVs once. It is a benchmark for people, not a test:
//
//	go run ./pipeline/cmd/hiis-fixtures --scale 10 --out /tmp/hiis-x10
//	go run ./pipeline/cmd/hiis-bench --data /tmp/hiis-x10 [--repeat 3] [--json]
//
// It builds hiis from this module, then for each repetition runs, each as
// a child process: hiis cold (a fresh work folder, every snapshot built),
// hiis warm (the same work folder, snapshots reused), and the bare-DuckDB
// baseline (this command's hidden "baseline" subcommand: read_csv of every
// record-level source and the population, joined to the IMD lookup,
// grouped by IMD quintile, ethnic group, age band and sex with one
// count(*) FILTER (WHERE …) per indicator numerator and denominator, on
// every core). It prints wall time per stage (from the line of stage
// times hiis run writes to stderr), rows per second, each child's peak
// memory (maxrss from rusage) and the ratios hiis ÷ baseline. Run it from
// the repository root.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		os.Exit(baselineMain(ctx, os.Args[2:]))
	}
	os.Exit(benchMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// baselineMain is the hidden child: it runs the baseline over a tree and
// prints its result as JSON.
func baselineMain(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("hiis-bench baseline", flag.ContinueOnError)
	data := fs.String("data", "", "scaled fixture tree")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := configIn(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hiis-bench baseline:", err)
		return 2
	}
	res, err := runBaseline(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hiis-bench baseline:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 3
	}
	return 0
}

// measurement is one child process run.
type measurement struct {
	Run       string             `json:"run"` // cold, warm or baseline
	Repeat    int                `json:"repeat"`
	Wall      float64            `json:"wall_seconds"`
	Stages    map[string]float64 `json:"stage_seconds,omitempty"`
	Rows      int64              `json:"rows"`
	RowsPerS  float64            `json:"rows_per_second"`
	MaxRSS    int64              `json:"peak_memory_bytes"`
	Baseline  *baselineResult    `json:"baseline,omitempty"`
	stageKeys []string
}

// report is the --json output.
type report struct {
	Data         string        `json:"data"`
	Cores        int           `json:"cores"`
	Measurements []measurement `json:"measurements"`
	Ratios       ratios        `json:"ratios"`
}

// ratios are hiis ÷ baseline, over the medians of the repetitions.
type ratios struct {
	ExtractTransform float64 `json:"extract_transform"`
	Cold             float64 `json:"cold"`
	Warm             float64 `json:"warm"`
}

func benchMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hiis-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "scaled fixture tree written by hiis-fixtures --scale (required)")
	repeat := fs.Int("repeat", 1, "repetitions of cold, warm and baseline")
	asJSON := fs.Bool("json", false, "print the measurements as JSON")
	hiisBin := fs.String("hiis", "", "hiis binary to measure (default: built from this module)")
	scratch := fs.String("work", "", "folder for the runs' work and output folders (default: a temporary folder, removed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *data == "" || fs.NArg() > 0 || *repeat < 1 {
		fmt.Fprintln(stderr, "usage: hiis-bench --data DIR [--repeat N] [--json] [--hiis BIN] [--work DIR]")
		return 2
	}
	cfg, err := configIn(*data)
	if err != nil {
		fmt.Fprintln(stderr, "hiis-bench:", err)
		return 2
	}
	dir := *scratch
	if dir == "" {
		if dir, err = os.MkdirTemp("", "hiis-bench-"); err != nil {
			fmt.Fprintln(stderr, "hiis-bench:", err)
			return 1
		}
		defer os.RemoveAll(dir)
	}
	bin := *hiisBin
	if bin == "" {
		bin = filepath.Join(dir, "hiis")
		fmt.Fprintln(stderr, "hiis-bench: building hiis")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./pipeline/cmd/hiis")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(stderr, "hiis-bench: go build (run hiis-bench from the repository root):", err)
			return 1
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "hiis-bench:", err)
		return 1
	}

	rep := report{Data: *data, Cores: runtime.NumCPU()}
	for i := 1; i <= *repeat; i++ {
		work := filepath.Join(dir, fmt.Sprintf("work-%d", i))
		for _, run := range []string{"cold", "warm"} {
			fmt.Fprintf(stderr, "hiis-bench: hiis %s run %d of %d\n", run, i, *repeat)
			out := filepath.Join(dir, fmt.Sprintf("out-%s-%d", run, i))
			m, err := runHiis(ctx, bin, cfg, out, work)
			if err != nil {
				fmt.Fprintln(stderr, "hiis-bench:", err)
				return 1
			}
			m.Run, m.Repeat = run, i
			rep.Measurements = append(rep.Measurements, m)
			_ = os.RemoveAll(out)
		}
		_ = os.RemoveAll(work)
		fmt.Fprintf(stderr, "hiis-bench: baseline run %d of %d\n", i, *repeat)
		m, err := runChild(ctx, exec.CommandContext(ctx, self, "baseline", "--data", *data))
		if err != nil {
			fmt.Fprintln(stderr, "hiis-bench: baseline:", err)
			return 1
		}
		var b baselineResult
		if err := json.Unmarshal(m.stdout, &b); err != nil {
			fmt.Fprintf(stderr, "hiis-bench: baseline printed %q: %v\n", m.stdout, err)
			return 1
		}
		rep.Measurements = append(rep.Measurements, measurement{Run: "baseline", Repeat: i, Wall: m.wall,
			Stages: map[string]float64{"query": b.Seconds}, stageKeys: []string{"query"},
			Rows: b.Rows, RowsPerS: float64(b.Rows) / b.Seconds, MaxRSS: m.maxRSS, Baseline: &b})
	}
	rep.Ratios = computeRatios(rep.Measurements)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return 3
		}
		return 0
	}
	printReport(stdout, rep)
	return 0
}

// child is what one finished child process left.
type child struct {
	stdout, stderr []byte
	wall           float64
	maxRSS         int64 // bytes
}

// runChild runs cmd, timing it and reading its peak resident memory.
func runChild(ctx context.Context, cmd *exec.Cmd) (child, error) {
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	c := child{stdout: []byte(out.String()), stderr: []byte(errb.String()), wall: time.Since(start).Seconds()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			c.maxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return c, ctx.Err()
		}
		tail := errb.String()
		if len(tail) > 2000 {
			tail = "…" + tail[len(tail)-2000:]
		}
		return c, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, tail)
	}
	return c, nil
}

var (
	timingLine = regexp.MustCompile(`(?m)^hiis: timing (.*)$`)
	rowsRead   = regexp.MustCompile(`(\d+) rows extracted`)
)

// runHiis runs hiis run on the tree into out with work as its work folder
// and reads its stage times and row count.
func runHiis(ctx context.Context, bin, cfg, out, work string) (measurement, error) {
	c, err := runChild(ctx, exec.CommandContext(ctx, bin, "run", "--config", cfg, "--out", out, "--work", work))
	if err != nil {
		return measurement{}, err
	}
	m := measurement{Wall: c.wall, MaxRSS: c.maxRSS, Stages: map[string]float64{}}
	t := timingLine.FindSubmatch(c.stderr)
	if t == nil {
		return m, errors.New("hiis run printed no stage times (\"hiis: timing …\") on stderr")
	}
	for _, kv := range strings.Fields(string(t[1])) {
		k, v, ok := strings.Cut(kv, "=")
		secs, err := strconv.ParseFloat(strings.TrimSuffix(v, "s"), 64)
		if !ok || err != nil {
			return m, fmt.Errorf("stage time %q: want name=seconds", kv)
		}
		if k != "total" {
			m.stageKeys = append(m.stageKeys, k)
		}
		m.Stages[k] = secs
	}
	if r := rowsRead.FindSubmatch(c.stdout); r != nil {
		m.Rows, _ = strconv.ParseInt(string(r[1]), 10, 64)
	}
	m.RowsPerS = float64(m.Rows) / m.Wall
	return m, nil
}

// median returns the median of the values f picks from the measurements
// of run.
func median(ms []measurement, run string, f func(measurement) float64) float64 {
	var v []float64
	for _, m := range ms {
		if m.Run == run {
			v = append(v, f(m))
		}
	}
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// computeRatios divides hiis's medians by the baseline's median query
// time (without process start, the stricter comparison).
func computeRatios(ms []measurement) ratios {
	base := median(ms, "baseline", func(m measurement) float64 { return m.Stages["query"] })
	if base <= 0 {
		return ratios{}
	}
	et := median(ms, "cold", func(m measurement) float64 { return m.Stages["extract"] + m.Stages["transform"] })
	cold := median(ms, "cold", func(m measurement) float64 { return m.Wall })
	warm := median(ms, "warm", func(m measurement) float64 { return m.Wall })
	return ratios{ExtractTransform: et / base, Cold: cold / base, Warm: warm / base}
}

func printReport(w io.Writer, rep report) {
	fmt.Fprintf(w, "hiis-bench: %s, %d cores\n\n", rep.Data, rep.Cores)
	var keys []string
	for _, m := range rep.Measurements {
		for _, k := range m.stageKeys {
			if !contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	fmt.Fprintf(w, "%-12s %9s", "run", "wall")
	for _, k := range keys {
		fmt.Fprintf(w, " %9s", k)
	}
	fmt.Fprintf(w, " %12s %12s %10s\n", "rows", "rows/s", "peak MiB")
	for _, m := range rep.Measurements {
		fmt.Fprintf(w, "%-12s %8.2fs", fmt.Sprintf("%s #%d", m.Run, m.Repeat), m.Wall)
		for _, k := range keys {
			if v, ok := m.Stages[k]; ok {
				fmt.Fprintf(w, " %8.2fs", v)
			} else {
				fmt.Fprintf(w, " %9s", "")
			}
		}
		fmt.Fprintf(w, " %12d %12.0f %10.0f\n", m.Rows, m.RowsPerS, float64(m.MaxRSS)/(1<<20))
	}
	for _, m := range rep.Measurements {
		if b := m.Baseline; b != nil {
			fmt.Fprintf(w, "\nbaseline: %s, %d threads, %d sources, %d indicators' counts (%d with their own SQL left out), %d grouped rows\n",
				b.DuckDB, b.Threads, b.Sources, b.Indicators, b.Skipped, b.Groups)
			break
		}
	}
	r := rep.Ratios
	fmt.Fprintf(w, "\nhiis ÷ baseline query (medians): extract+transform %.2f×, cold run %.2f×, warm run %.2f×\n",
		r.ExtractTransform, r.Cold, r.Warm)
	fmt.Fprintln(w, "targets (issue 8): extract+transform ≤ 2×, cold ≤ 3×, warm ≤ 1.5×; peak memory ≤ 4 GiB")
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
