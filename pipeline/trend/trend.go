package trend

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"hiis/pipeline/metrics"
	"hiis/pipeline/render"
	"hiis/pipeline/stats"
)

// Method is the method column of a difference row.
const Method = "difference between years, normal approximation from each year's 95% limits"

// Options describe this year's run for Compare.
type Options struct {
	Period       string // this run's period label
	Organisation string // this run's organisation code
	IMDEdition   string // this run's IMD edition (reference.imd.edition)
	// PreviousIMDEdition is the IMD edition last year's run used, from the
	// config (previous.imd_edition); it overrides the manifest's. When
	// neither says, the editions are taken to be the same.
	PreviousIMDEdition string
	// Definitions holds this run's sha256 of each indicator's definition
	// files, by indicator id; compared with last year's manifest.
	Definitions map[string][]string
}

// A measure compared between the years: its render.Change name, the row it
// reads and the prefix of its change groups.
var measures = []struct{ name, breakdown, group, prefix string }{
	{"overall", metrics.Overall, metrics.GroupAll, "overall"},
	{"gap", metrics.IMDSummary, metrics.GroupGap, "gap_q1_q5"},
}

// Compare works out each indicator's change since last year from the
// published rows of both years (after disclosure control), for every id in
// ids (in that order). For the overall value and the quintile 1 − 5 gap it
// returns three metrics rows (breakdown metrics.Change, groups
// <prefix>_last_year, <prefix>_this_year and <prefix>_difference) and one
// render.Change. A measure this year's run does not publish (no IMD
// breakdown, a count) is left out. The difference is NaN when either year's
// value is withheld or missing, and when the years are not like for like.
func Compare(ids []string, published []metrics.Row, prev *Previous, opt Options) ([]metrics.Row, []render.Change) {
	cur := map[string]metrics.Row{}
	for _, r := range published {
		cur[r.Key()] = r
	}
	var rows []metrics.Row
	var changes []render.Change
	for _, id := range ids {
		for _, m := range measures {
			this, ok := cur[metrics.Row{IndicatorID: id, Breakdown: m.breakdown, Group: m.group}.Key()]
			if !ok {
				continue
			}
			last, inLast := prev.Row(id, m.breakdown, m.group)
			if !inLast {
				last = missingRow()
			}
			comparable, why := likeForLike(id, m.name == "gap", prev, opt)
			diff, note := difference(this, last, inLast, comparable, prev.Period)
			if !comparable {
				note = "not like for like: " + why
			}
			at := func(suffix string, r metrics.Row) metrics.Row {
				r.IndicatorID, r.Period, r.Organisation = id, opt.Period, opt.Organisation
				r.Breakdown, r.Group = metrics.Change, m.prefix+"_"+suffix
				return r
			}
			lastRow := last
			lastRow.Note = publishedNote(prev.Period, last, inLast)
			thisRow := this
			thisRow.Note = publishedNote(opt.Period, this, true)
			diffRow := metrics.Row{Numerator: math.NaN(), Denominator: math.NaN(), Value: diff.Value,
				Lower95: diff.Lower95, Upper95: diff.Upper95, Lower998: diff.Lower998, Upper998: diff.Upper998,
				Method: Method, Suppressed: last.Suppressed || this.Suppressed, Note: note}
			rows = append(rows, at("last_year", lastRow), at("this_year", thisRow), at("difference", diffRow))
			c := render.Change{IndicatorID: id, Measure: m.name, LastYear: asPublished(last), ThisYear: asPublished(this),
				Difference: diff.Value, Lower95: diff.Lower95, Upper95: diff.Upper95, Comparable: comparable}
			if !comparable {
				c.Note = why
			}
			changes = append(changes, c)
		}
	}
	return rows, changes
}

// difference is this year's value minus last year's with its interval, and
// the note of the difference row. Each year's standard error comes from its
// published 95% limits on the scale of the values, se = (U − L)/(2·1.959964)
// (stats.Difference), the same approach as the gap rows of the metrics, so
// that a gap's change is exact and an overall value's treats its interval
// as symmetric.
func difference(this, last metrics.Row, inLast, comparable bool, lastPeriod string) (stats.Estimate, string) {
	na := stats.Estimate{Value: math.NaN(), Lower95: math.NaN(), Upper95: math.NaN(), Lower998: math.NaN(), Upper998: math.NaN()}
	switch {
	case !inLast:
		return na, "no change: not in " + lastPeriod + "'s published metrics"
	case last.Suppressed:
		return na, "withheld: " + lastPeriod + "'s value was withheld"
	case this.Suppressed:
		return na, "withheld: this year's value is withheld"
	case math.IsNaN(last.Value):
		return na, "no change: " + lastPeriod + "'s value was not published"
	case math.IsNaN(this.Value):
		return na, "no change: this year's value is not published"
	case !comparable:
		return na, ""
	}
	d := stats.Difference(toEstimate(this), toEstimate(last))
	return d, significance(d)
}

// significance says whether the difference's 95% interval excludes 0.
func significance(d stats.Estimate) string {
	switch {
	case math.IsNaN(d.Lower95) || math.IsNaN(d.Upper95):
		return d.Note
	case d.Lower95 > 0:
		return "95% interval lies wholly above 0"
	case d.Upper95 < 0:
		return "95% interval lies wholly below 0"
	}
	return "95% interval includes 0"
}

// asPublished is a row's value as published: NaN when withheld.
func asPublished(r metrics.Row) float64 {
	if r.Suppressed {
		return math.NaN()
	}
	return r.Value
}

func publishedNote(period string, r metrics.Row, present bool) string {
	switch {
	case !present:
		return "not in " + period + "'s published metrics"
	case r.Suppressed:
		return "withheld in " + period
	}
	return "as published for " + period
}

func missingRow() metrics.Row {
	na := math.NaN()
	return metrics.Row{Numerator: na, Denominator: na, Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na}
}

func toEstimate(r metrics.Row) stats.Estimate {
	return stats.Estimate{Value: r.Value, Lower95: r.Lower95, Upper95: r.Upper95, Lower998: r.Lower998, Upper998: r.Upper998}
}

// likeForLike says whether an indicator's figures compare between the two
// years, and if not why: the same organisation, the same definition files
// (when last year's manifest lists them) and, for the quintile gap, the same
// IMD edition.
func likeForLike(id string, gap bool, prev *Previous, opt Options) (bool, string) {
	if prev.Organisation != opt.Organisation {
		return false, fmt.Sprintf("%s's figures are for organisation %s and this year's for %s", prev.Period, prev.Organisation, opt.Organisation)
	}
	if last, ok := prev.Definitions[id]; ok && opt.Definitions != nil && !slices.Equal(last, opt.Definitions[id]) {
		return false, "the indicator's definition changed since " + prev.Period
	}
	if !gap {
		return true, ""
	}
	ed := opt.PreviousIMDEdition
	if ed == "" {
		ed = prev.IMDEdition
	}
	if ed != "" && opt.IMDEdition != "" && !sameEdition(ed, opt.IMDEdition) {
		return false, fmt.Sprintf("the IMD quintiles come from %s in %s and from %s this year", editionName(ed), prev.Period, editionName(opt.IMDEdition))
	}
	return true, ""
}

var yearRE = regexp.MustCompile(`\b(19|20)\d\d\b`)

// sameEdition compares two IMD editions by their year (the first four-digit
// year in each, e.g. "English Indices of Deprivation 2019 (LSOA 2011)"), or
// by their text when either has none.
func sameEdition(a, b string) bool {
	ya, yb := yearRE.FindString(a), yearRE.FindString(b)
	if ya != "" && yb != "" {
		return ya == yb
	}
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// editionName is "IMD 2019" for an edition naming a year, else its text.
func editionName(ed string) string {
	if y := yearRE.FindString(ed); y != "" {
		return "IMD " + y
	}
	return strings.TrimSpace(ed)
}
