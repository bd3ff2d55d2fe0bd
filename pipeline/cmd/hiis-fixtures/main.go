// Command hiis-fixtures writes hiis's synthetic fixture tree (IMD lookup,
// population, every source extract, truth.json and README.md):
//
//	go run ./pipeline/cmd/hiis-fixtures -out fixtures -seed 2025
//
// The output is a pure function of the seed. It never touches fixtures/golden.
//
// With --scale it writes a larger tree for benchmarks instead, never to be
// committed: --scale N draws N times the fixture's people in the same 300
// LSOAs, --scale national an England-sized tree (32,844 LSOAs in 42 ICBs,
// 27 million record-level rows). The tree holds a runnable config
// (DIR/config/fixture.yaml) and copies of indicators/ and templates/:
//
//	go run ./pipeline/cmd/hiis-fixtures --scale 10 --out /tmp/hiis-x10
//	hiis run --config /tmp/hiis-x10/config/fixture.yaml
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"

	"hiis/pipeline/fixturegen"
)

func main() {
	out := flag.String("out", "fixtures", "folder to write the fixture tree into")
	seed := flag.Uint64("seed", 2025, "random seed (the committed fixtures use 2025)")
	scale := flag.String("scale", "", "write a scaled tree instead: N (people per LSOA × N) or national")
	workers := flag.Int("workers", 0, "goroutines drawing a scaled tree (default: all cores; the output does not depend on it)")
	indicators := flag.String("indicators", "indicators", "with --scale: the indicator folder to copy into the tree")
	templates := flag.String("templates", "templates", "with --scale: the templates folder to copy into the tree")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the generation to this file (go tool pprof)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "hiis-fixtures: cpu profile: %v\n", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hiis-fixtures: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if *scale == "" {
		if err := fixturegen.Generate(*out, *seed); err != nil {
			fmt.Fprintf(os.Stderr, "hiis-fixtures: %v\n", err)
			os.Exit(1)
		}
		return
	}
	opt := fixturegen.ScaleOptions{Workers: *workers}
	if *scale == "national" {
		opt.National = true
	} else {
		n, err := strconv.Atoi(*scale)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "hiis-fixtures: --scale %q: want a whole number of at least 1, or national\n", *scale)
			os.Exit(2)
		}
		opt.Scale = n
	}
	if *out == "fixtures" {
		fmt.Fprintln(os.Stderr, "hiis-fixtures: --scale needs --out DIR (a folder outside the committed fixtures)")
		os.Exit(2)
	}
	st, err := fixturegen.GenerateScaled(*out, *seed, opt)
	if err == nil {
		err = copyTree(*indicators, filepath.Join(*out, "indicators"))
	}
	if err == nil {
		err = copyTree(*templates, filepath.Join(*out, "templates"))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hiis-fixtures: %v\n", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	fmt.Printf("hiis-fixtures: wrote %s: %d LSOAs, %d people (%d population rows), %d record-level rows in %.1fs\n",
		*out, st.LSOAs, st.People, st.PopulationRows, st.RecordRows, st.Elapsed.Seconds())
}

// copyTree copies the regular files under src to dst, keeping the layout.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		return os.WriteFile(target, data, 0o644)
	})
}
