// Command hiis-fixtures writes hiis's synthetic fixture tree (IMD lookup,
// population, every source extract, truth.json and README.md):
//
//	go run ./pipeline/cmd/hiis-fixtures -out fixtures -seed 2025
//
// The output is a pure function of the seed. It never touches fixtures/golden.
package main

import (
	"flag"
	"fmt"
	"os"

	"hiis/pipeline/fixturegen"
)

func main() {
	out := flag.String("out", "fixtures", "folder to write the fixture tree into")
	seed := flag.Uint64("seed", 2025, "random seed (the committed fixtures use 2025)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hiis-fixtures: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := fixturegen.Generate(*out, *seed); err != nil {
		fmt.Fprintf(os.Stderr, "hiis-fixtures: %v\n", err)
		os.Exit(1)
	}
}
