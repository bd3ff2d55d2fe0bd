// Command hiis produces an NHS body's Health Inequalities Information
// Statement from source extracts. See README.md.
package main

import (
	"os"

	"hiis/pipeline/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
