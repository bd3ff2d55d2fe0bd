package indicator

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"hiis/pipeline/source"
)

// Markdown renders the catalogue (indicators/README.md): a table of every
// indicator by domain, each definition in full, and the source kinds with
// their columns. It is generated; a test fails when the committed file is
// stale.
func Markdown(all []*Indicator) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Indicator catalogue\n\n")
	p("Generated from the YAML files in this folder by `go run ./pipeline/cmd/hiis indicators --markdown > indicators/README.md`; do not edit by hand.\n\n")
	counts := map[string]int{}
	for _, ind := range all {
		counts[ind.Evidence]++
	}
	p("%d indicators: %d confirmed (C), %d probable (P), %d uncertain (U). C and P indicators are on by default; a run config switches U indicators on with `include_optional: true` or `enable: [ID]`.\n\n",
		len(all), counts["C"], counts["P"], counts["U"])
	p("Adding an indicator is adding a file: write `ID.yaml` here (and `ID.sql` beside it if the declarative form is not enough); no Go changes.\n\n")
	p("| id | evidence | default | measure | source | name |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, d := range domains(all) {
		for _, ind := range all {
			if ind.Domain != d {
				continue
			}
			on := "on"
			if !ind.OnByDefault() {
				on = "off"
			}
			p("| [%s](#%s) | %s | %s | %s | %s | %s |\n", ind.ID, anchor(ind.ID), ind.Evidence, on, ind.Measure, ind.Source, ind.Name)
		}
	}
	for _, d := range domains(all) {
		p("\n## %s\n", d)
		for _, ind := range all {
			if ind.Domain != d {
				continue
			}
			p("\n### %s\n\n**%s**. Evidence %s; %s; unit %s; source `%s`.\n\n%s\n\n", ind.ID, ind.Name, ind.Evidence, ind.Measure, ind.Unit, ind.Source, oneLine(ind.Description))
			p("| part | definition |\n| --- | --- |\n")
			row := func(k, v string) {
				if v != "" {
					p("| %s | `%s` |\n", k, strings.ReplaceAll(oneLine(v), "|", `\|`))
				}
			}
			row("filter", ind.Filter)
			row("numerator", ind.Numerator)
			row("denominator", ind.Denominator)
			if ind.Population != nil {
				row("population", ind.Population.Source)
				row("population filter", ind.Population.Filter)
			}
			row("sql", ind.SQL)
			for _, b := range slices.Sorted(maps.Keys(ind.MeasureByBreakdown)) {
				row("measure for "+b, ind.MeasureByBreakdown[b])
			}
			if ind.Disclosure == "none" {
				row("disclosure", "none (counts are not of people)")
			}
			row("breakdowns", strings.Join(ind.Breakdowns, ", "))
			for _, k := range slices.Sorted(maps.Keys(ind.Codes)) {
				p("| %s | %s |\n", k, strings.ReplaceAll(oneLine(ind.Codes[k]), "|", `\|`))
			}
		}
	}
	p("\n## Source kinds\n\nA run config names each extract's kind and may map the extract's own headers onto these columns (`sources.NAME.columns`). Record-level and population kinds also get the normalised columns below.\n")
	for _, name := range source.Names() {
		k := source.Kinds[name]
		p("\n### %s\n\n%s (%s level): %s.\n\n| column | type | required | NHS field | notes |\n| --- | --- | --- | --- | --- |\n", k.Name, k.Dataset, k.Level, k.Doc)
		for _, c := range k.Columns {
			req := "yes"
			switch {
			case c.Optional:
				req = "no (column may be absent)"
			case c.Blank:
				req = "column yes, value may be blank"
			}
			p("| `%s` | %s | %s | %s | %s |\n", c.Name, c.Type, req, c.NHSField, c.Doc)
		}
	}
	p("\n### Normalised columns\n\n| column | meaning |\n| --- | --- |\n")
	for _, c := range source.Normalised {
		p("| `%s` | %s |\n", c.Name, c.Doc)
	}
	p("\nHelpers available in expressions: `period_start()` and `period_end()` from the run config, and the macros in `templates/sql/macros.sql`: `in_period(date)`, `icd3(code)` and `icd4(code)` (ICD-10 without the dot), `opcs3(code)`, `emergency_admission(method)`, `elective_admission(method)`. A body can add its own macros there.\n")
	return b.Bytes()
}

func domains(all []*Indicator) []string {
	var ds []string
	seen := map[string]bool{}
	for _, ind := range all {
		if !seen[ind.Domain] {
			seen[ind.Domain] = true
			ds = append(ds, ind.Domain)
		}
	}
	return ds
}

func anchor(id string) string { return strings.ToLower(id) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
