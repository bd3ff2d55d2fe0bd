package fixturegen

import (
	"bytes"
	"fmt"
	"strings"
)

// readme writes fixtures/README.md from the files just built, so that its
// row counts and line numbers are always those of the committed files.
func readme(seed uint64, files []file, bad []badRow) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Fixtures\n\n")
	p("Synthetic source extracts, a synthetic IMD lookup and the true inequalities they were generated with, for\n")
	p("**%s** (code %s), reporting period %s to %s.\n\n", orgName, orgCode, isoDate(period.start), isoDate(period.start+period.days-1))
	p("**Everything here is synthetic.** No row describes a real person. The LSOA codes (E01990001…), district codes\n")
	p("(E07990001…) and the organisation do not exist; rates are plausible, some deliberately inflated so that rare\n")
	p("events (children's asthma, diabetes and epilepsy admissions, tooth extractions, detentions) have enough counts.\n\n")
	p("Every file except `golden/` and `testdata/` is written by `hiis/pipeline/fixturegen` with seed **%d**. Do not edit\n", seed)
	p("them by hand: change the generator and regenerate from the repository root with\n\n")
	p("```sh\ngo run ./pipeline/cmd/hiis-fixtures -out fixtures -seed %d\n```\n\n", seed)
	p("`go test ./pipeline/fixturegen/` regenerates into a temporary folder and fails if any committed file differs,\n")
	p("so the fixtures cannot drift from the generator. The generating model is described at the top of\n")
	p("`pipeline/fixturegen/doc.go`.\n\n")

	p("## Files\n\n| file | kind | rows | what |\n| --- | --- | ---: | --- |\n")
	for _, f := range files {
		if f.doc == "" {
			continue
		}
		kind := f.kind
		if kind == "" {
			kind = "—"
		}
		rows := "—"
		if f.rows > 0 {
			rows = fmt.Sprintf("%d", f.rows)
		}
		p("| `%s` | %s | %s | %s |\n", f.path, kind, rows, f.doc)
	}

	p("\n## Columns\n\n")
	p("Headers are the hiis column names of `pipeline/source/kinds.go`, except `apc.csv`, which uses SUS-style\n")
	p("names so that the run config must map them (`lsoa: Der_Postcode_LSOA_2011_Code`, and so on, in kinds.go's order).\n")
	p("Aggregate files share the columns `measure_code, breakdown, group, numerator, denominator`; breakdowns are\n")
	p("`overall` (group `All`), `imd_quintile` (`1`–`5`, `Unknown`), `ethnic_group` (the seven groups of METHODS.md),\n")
	p("`age_band` (bands per measure) and `sex` (`Male`, `Female`); groups with no one in the denominator are left out.\n\n")
	for _, f := range files {
		var head string
		switch {
		case strings.HasSuffix(f.path, ".csv"):
			line, _, _ := bytes.Cut(f.data, []byte("\n"))
			head = strings.TrimSuffix(strings.TrimPrefix(string(line), "\ufeff"), "\r")
		case strings.HasSuffix(f.path, ".xlsx"):
			head = strings.Join(headers["aggregate"], ",") + " (sheet NDA)"
		default:
			continue
		}
		p("- `%s`: `%s`\n", f.path, head)
	}

	p("\n## What the data exercise\n\n")
	p("- **IMD lookup** exactly as the official `File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv`: UTF-8 byte-order\n")
	p("  mark, CRLF line ends, no line end after the last row, ranks of 1,000 and over quoted with a thousands\n")
	p("  separator, decile = ⌈rank × 10 / 32,844⌉ (1 = most deprived). Four districts; Nenebridge is skewed to deciles 1–4.\n")
	p("- **Unknown IMD group**: %d people registered in two Welsh LSOAs (W01000123, W01001876) are in the population but not\n", crossBorderSize*len(crossBorder))
	p("  the lookup; 1%% of event rows (in MHSDS, all rows of 1%% of people) carry a blank LSOA or one outside the lookup.\n")
	p("- **Ethnic category**: about 5%% Z (not stated), 2%% 99, 2%% blank, and two-character local codes (\"A1\", \"CA\", \"N2\").\n")
	p("  Minority shares rise with deprivation.\n")
	p("- **Sex**: 0.3%% of ECDS rows have sex 9 (excluded from standardisation, kept in counts).\n")
	p("- **Codes**: ICD-10 written \"J45.9\", \"J459\" or \"J45\"; OPCS-4 \"F10.4\" or \"F104\". Near-miss codes and decoy\n")
	p("  spells (adult asthma, diabetes and epilepsy; COPD codes under 35; extractions at 11–40 or not for decay;\n")
	p("  maternity, birth and transfer methods; March 2025 spells just before the period) make each filter matter.\n")
	p("- **Dates**: ISO `YYYY-MM-DD`, except `talking_therapies.csv`, whose end_date is `DD/MM/YYYY`.\n")
	p("- **Disclosure control**: small counts (1–7) in the aggregate files (Unknown quintile, small ethnic groups,\n")
	p("  the children's diabetes audit, learning disability inpatients).\n")

	p("\n## Bad rows\n\nThese rows must be rejected, with their line number (line 1 is the header):\n\n")
	p("| file | line | field | what is wrong |\n| --- | ---: | --- | --- |\n")
	for _, r := range bad {
		p("| `sources/%s` | %d | %s | %s |\n", r.File, r.Line, r.Field, r.Reason)
	}

	p("\n## truth.json\n\n")
	p("For every record-level indicator (`indicators`): its source, measure (`proportion`, `crude_rate`, `dsr` or\n")
	p("`ratio_to_baseline`), the expected numerator, denominator and value per IMD quintile (`by_quintile`), and\n")
	p("`q1_to_q5`, the true ratio of quintile 1 to quintile 5, computed from expected counts (not the sampled ones)\n")
	p("over the people in `population.csv`, exactly as the pipeline computes the measure: standardised rates use ESP\n")
	p("2013 weights per five-year band × sex. Rates also give the ratio under the other rate measure in\n")
	p("`alternatives`. `models` lists every event model with its age curve and its multipliers by IMD quintile and\n")
	p("ethnic group; `aggregates` lists every aggregate measure code with the indicator it serves; `bad_rows` repeats\n")
	p("the table above. Sampled Q1/Q5 ratios scatter around `q1_to_q5` by sampling error, more for rare events.\n")
	return b.Bytes()
}
