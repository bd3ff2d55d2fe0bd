package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"hiis/pipeline"
	"hiis/pipeline/indicator"
)

func validateCmd() *cobra.Command {
	var cfgPath string
	c := &cobra.Command{
		Use:   "validate",
		Short: "Check a run config and the indicators it selects; report every problem at once",
		Long: "validate loads the run config and every indicator it selects and reports every problem at once,\n" +
			"sorted, as file:line:col: error: message. It exits 2 when anything is wrong. Nothing is written.",
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			inds, err := pipeline.Validate(c.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s: ok: %d indicators, %d sources\n", cfg.File, len(inds), len(cfg.Sources))
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", DefaultConfig, "run configuration file")
	return c
}

func planCmd() *cobra.Command {
	var cfgPath, out, work string
	var force bool
	c := &cobra.Command{
		Use:   "plan",
		Short: "Print the stages a run would execute, with inputs and outputs; write nothing",
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			steps, err := pipeline.Plan(c.Context(), cfg, pipeline.Options{Out: out, Work: work, Force: force})
			if err != nil {
				return err
			}
			w := c.OutOrStdout()
			for _, s := range steps {
				fmt.Fprintf(w, "%-9s %-24s %s\n", s.Stage, s.Name, s.Action)
				for _, in := range s.Inputs {
					fmt.Fprintf(w, "          in:  %s\n", in)
				}
				for _, o := range s.Outputs {
					fmt.Fprintf(w, "          out: %s\n", o)
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", DefaultConfig, "run configuration file")
	c.Flags().StringVar(&out, "out", "", "run folder (default: the config's output)")
	c.Flags().StringVar(&work, "work", "", "work folder for snapshots (default: work beside the run folder)")
	c.Flags().BoolVar(&force, "force", false, "plan to rebuild every snapshot")
	return c
}

func runCmd() *cobra.Command {
	var cfgPath, out, work string
	var force bool
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the pipeline: extract, transform, statistics, disclosure control, render",
		Long: "run produces the statement PDF, the data pack and the manifest in the run folder.\n" +
			"With no flags it runs the committed fixture config (" + DefaultConfig + ") and writes under out/.",
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			stderr := c.ErrOrStderr()
			opt := pipeline.Options{Out: out, Work: work, Force: force, Progress: stderr, TTY: isTerminal(stderr)}
			if cfg.Organisations != nil {
				many, err := pipeline.RunMany(c.Context(), cfg, opt)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "hiis: wrote %s: %d organisations and %s/ (the comparator), %d rows extracted (%d rejected, %d duplicates), %s in %.1fs\n",
					many.Out, len(many.Organisations), pipeline.AllFolder, many.All.Rows, many.All.Rejected, many.All.Duplicates, unassigned(many.Unassigned), many.Elapsed.Seconds())
				return nil
			}
			sum, err := pipeline.Run(c.Context(), cfg, opt)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "hiis: wrote %s: %d indicators, %d metric rows (%d cells suppressed), %d rows extracted (%d rejected, %d duplicates, %d snapshots reused) in %.1fs\n",
				sum.Out, sum.Indicators, sum.Metrics, sum.Suppressed, sum.Rows, sum.Rejected, sum.Duplicates, sum.Reused, sum.Elapsed.Seconds())
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", DefaultConfig, "run configuration file")
	c.Flags().StringVar(&out, "out", "", "run folder (default: the config's output)")
	c.Flags().StringVar(&work, "work", "", "work folder for snapshots (default: work beside the run folder)")
	c.Flags().BoolVar(&force, "force", false, "rebuild every snapshot even when its input is unchanged")
	return c
}

func indicatorsCmd() *cobra.Command {
	var dir string
	var markdown bool
	c := &cobra.Command{
		Use:   "indicators",
		Short: "List the indicator catalogue",
		RunE: func(c *cobra.Command, _ []string) error {
			all, err := indicator.Load(dir)
			if err != nil {
				return err
			}
			if markdown {
				_, err := c.OutOrStdout().Write(indicator.Markdown(all))
				return err
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tEVIDENCE\tDEFAULT\tMEASURE\tSOURCE\tNAME")
			for _, ind := range all {
				on := "on"
				if !ind.OnByDefault() {
					on = "off"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", ind.ID, ind.Evidence, on, ind.Measure, ind.Source, strings.TrimSpace(ind.Name))
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&dir, "dir", "indicators", "folder of indicator definitions")
	c.Flags().BoolVar(&markdown, "markdown", false, "print the catalogue as Markdown (indicators/README.md)")
	return c
}

// unassigned says how many records no organisation took, per source.
func unassigned(m map[string]int64) string {
	var parts []string
	var total int64
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if m[name] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, m[name]))
			total += m[name]
		}
	}
	if total == 0 {
		return "every record assigned to an organisation"
	}
	return fmt.Sprintf("%d records assigned to no organisation (%s)", total, strings.Join(parts, ", "))
}
