package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"hiis/pipeline/audit"
)

func verifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify RUN_FOLDER",
		Short: "Re-run a published run folder from its bundle and compare every output with its manifest",
		Long: "verify re-runs transform, statistics and render from the run folder's pinned config, definitions and\n" +
			"snapshots into a temporary folder, and compares every output's sha256 with manifest.json.\n" +
			"Exit 0 when identical; exit 1 with the files, metric rows and likely cause when not.",
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			rep, err := audit.Verify(c.Context(), args[0])
			var nb *audit.NotBundleError
			if errors.As(err, &nb) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			rep.Print(c.OutOrStdout())
			if !rep.OK() {
				return &ExitError{Code: ExitChecks, Err: fmt.Errorf("verify %s: outputs differ from the manifest", args[0])}
			}
			return nil
		},
	}
}

func diffCmd() *cobra.Command {
	var tol float64
	c := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Compare two runs' metrics row by row",
		Long: "diff compares the metrics.csv of two run folders (or two metrics.csv files) and prints added,\n" +
			"removed and changed rows with absolute and relative change. Exit 1 when a change exceeds the tolerance\n" +
			"(relative: |new − old| > tolerance × max(|old|, |new|)); rows added or removed and text changes always do.",
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			a, err := audit.ReadMetrics(args[0])
			if err != nil {
				return &usageError{err}
			}
			b, err := audit.ReadMetrics(args[1])
			if err != nil {
				return &usageError{err}
			}
			res := audit.Diff(a, b, tol)
			res.Print(c.OutOrStdout(), tol)
			if res.Over > 0 {
				return &ExitError{Code: ExitChecks, Err: fmt.Errorf("diff: %d changes exceed the tolerance of %g", res.Over, tol)}
			}
			return nil
		},
	}
	c.Flags().Float64Var(&tol, "tolerance", 0, "relative change allowed before diff fails")
	return c
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{fmt.Errorf("hiis %s takes %d argument(s), got %d (usage: hiis %s)", c.Name(), n, len(args), c.Use)}
		}
		return nil
	}
}
