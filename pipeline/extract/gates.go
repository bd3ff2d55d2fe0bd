package extract

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"hiis/pipeline/config"
	"hiis/pipeline/source"
)

// check applies a source's checks after extract (or on reuse, from the
// counts kept with the snapshot): dates only valid month-first, the share
// of rejected rows (and, for population sources, of people), and the
// quality gates. The first failing check is returned.
func check(kind source.Kind, src *config.Source, res Result, input string, maxReject float64, lim Limits) error {
	fail := func(format string, args ...any) error {
		return &InputError{Source: src.Name, Input: input, Err: fmt.Errorf(format, args...)}
	}
	if mf := res.MonthFirst; mf != nil {
		return fail("line %d: %s %q is a date only when read month-first (%d such values); set date_format: mm/dd/yyyy if the extract writes months first, or dd/mm/yyyy to reject them",
			mf.Line, mf.Field, mf.Value, mf.Count)
	}
	if err := checkRejects(res, input, maxReject); err != nil {
		return err
	}
	if kind.Level == source.Aggregate {
		return nil
	}
	records := res.Rows - res.Rejected
	if src.Duplicates != "keep" {
		records -= res.Duplicates
	}
	if records <= 0 {
		return nil
	}
	q := res.Quality
	if considered, unmatched := records-q.LSOABlank-q.LSOAOutside, q.LSOAUnmatched-q.LSOAOutside; considered > 0 && float64(unmatched) > share(lim.MaxUnmatchedLSOA, config.DefaultMaxUnmatchedLSOAShare)*float64(considered) {
		return fail("%d of the %d records with an LSOA code (%.1f%%) are not in the IMD lookup: only %.1f%% matched, below the %.0f%% required (max_unmatched_lsoa_share); codes not found: %s%s",
			unmatched, considered, pct(unmatched, considered), pct(considered-unmatched, considered), 100-100*share(lim.MaxUnmatchedLSOA, config.DefaultMaxUnmatchedLSOAShare),
			strings.Join(q.UnmatchedExamples, ", "), editionHint(src.Name, q.UnmatchedExamples, lim.IMDEdition))
	}
	if q.InPeriod == 0 && kind.Level == source.Record {
		return fail("none of the %d records has a %s in the reporting period %s to %s; check that the extract is for this period", records, kind.EventDate(), lim.PeriodStart, lim.PeriodEnd)
	}
	if q.EthnicColumn && q.EthnicBlank+q.EthnicNotKnown+q.EthnicInvalid == records {
		return fail("ethnicity is unknown for every record (%d blank or NULL, %d coded 99, %d not an NHS code); check that sources.%s.columns.ethnic_category names the ethnic category column",
			q.EthnicBlank, q.EthnicNotKnown, q.EthnicInvalid, src.Name)
	}
	limit := share(lim.MaxInvalidCodes, config.DefaultMaxInvalidCodeShare)
	if float64(q.EthnicInvalid) > limit*float64(records) {
		hint := "declare ethnic_subcodes: true for two-character local subcodes, or map your labels with labels: {ethnic_category: {...}}"
		return fail("%d of %d records (%.1f%%) have an ethnic category that is not an NHS code (A–H, J–N, P, R, S, Z or 99), above the limit of %.0f%% (max_invalid_code_share); %s",
			q.EthnicInvalid, records, pct(q.EthnicInvalid, records), 100*limit, hint)
	}
	if float64(q.SexInvalid) > limit*float64(records) {
		return fail("%d of %d records (%.1f%%) have a sex that is not an NHS code (1 male, 2 female; 0, 9, X not known), above the limit of %.0f%% (max_invalid_code_share); map your labels with labels: {sex: {...}}",
			q.SexInvalid, records, pct(q.SexInvalid, records), 100*limit)
	}
	return nil
}

func share(v *float64, def float64) float64 {
	if v != nil {
		return *v
	}
	return def
}

func pct(n, d int64) float64 { return 100 * float64(n) / float64(d) }

var lsoaShape = regexp.MustCompile(`^E01[0-9]{6} `)

// editionHint explains unmatched codes: LSOA-shaped codes (2011 and 2021
// codes share a shape, so only the lookup's edition can be named), or
// values that are not LSOA codes at all.
func editionHint(source string, examples []string, edition string) string {
	if len(examples) == 0 {
		return ""
	}
	for _, e := range examples {
		if !lsoaShape.MatchString(e) {
			return fmt.Sprintf(". These are not English LSOA codes (E01 and six digits): check that sources.%s.columns.lsoa names the LSOA column", source)
		}
	}
	if edition == "" {
		edition = "not named"
	}
	return fmt.Sprintf(". They have the shape of English LSOA codes, which LSOA 2011 and LSOA 2021 codes share; the lookup's edition is %s. If the extract's LSOAs are of the other edition (IMD 2019 is keyed on LSOA 2011, IMD 2025 on LSOA 2021), use the lookup of that edition (reference.imd.path, with reference.imd.columns for its headers) or an LSOA column of the lookup's edition", edition)
}

// errNoRows is an input with a header and nothing else.
var errNoRows = errors.New("no data rows after the header")
