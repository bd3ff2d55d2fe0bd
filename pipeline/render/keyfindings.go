package render

import (
	"math"
	"sort"
	"strings"

	"hiis/pipeline/metrics"
)

// Key findings are chosen from the data: how many of each kind are listed,
// and the data-quality shares above which a source is said to limit the
// conclusions.
const (
	keyFindingsMax = 5
	ethnicLimitPct = 10.0 // % of records without a usable ethnic category
	lsoaLimitPct   = 5.0  // % of records without a valid LSOA
)

// keyFinding is one chosen finding and how large it is, for ranking.
type keyFinding struct {
	size float64
	id   string
	text string
}

// top sorts findings largest first (ties by indicator id, then text, so the
// order never depends on map or input order) and keeps the first n.
func top(fs []keyFinding, n int) []keyFinding {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].size != fs[j].size {
			return fs[i].size > fs[j].size
		}
		if fs[i].id != fs[j].id {
			return fs[i].id < fs[j].id
		}
		return fs[i].text < fs[j].text
	})
	if len(fs) > n {
		fs = fs[:n]
	}
	return fs
}

// relativeSize is how far a ratio lies from 1, on the log scale, so that
// twice and half count the same.
func relativeSize(a, b float64) float64 {
	if a <= 0 || b <= 0 || math.IsNaN(a) || math.IsNaN(b) {
		return 0
	}
	return math.Abs(math.Log(a / b))
}

// keyFindings is the page after the contents: the largest significant
// deprivation gaps, the ethnic groups significantly different from White,
// the largest significant changes since last year and the data-quality
// problems that limit the conclusions.
func (b *builder) keyFindings() *section {
	s := &section{key: "findings", title: b.line("key-findings", "title", nil)}
	var gaps, ethnic, changes []keyFinding
	withheld := 0
	for _, ind := range b.inds {
		rs := rowsOf(b.rows[ind.ID])
		q1, q5 := rs.find(metrics.IMDQuintile, "1"), rs.find(metrics.IMDQuintile, "5")
		gap := rs.find(metrics.IMDSummary, metrics.GroupGap)
		cmp := compareQuintiles(ind, q1, q5, gap)
		switch {
		case cmp.Direction != "":
			data := map[string]any{"Name": mdEscape(ind.Name), "ID": ind.ID, "Q1": formatValue(ind, q1.Value), "Q5": formatValue(ind, q5.Value),
				"Gap": "", "Interval": "", "Direction": cmp.Direction, "Judgement": cmp.Judgement}
			// The gap only as published: never worked out here when
			// disclosure control withheld it.
			if gap != nil && !math.IsNaN(gap.Value) {
				data["Gap"] = formatDiff(ind, gap.Value)
				data["Interval"] = diffInterval(ind, gap.Lower95, gap.Upper95)
			}
			gaps = append(gaps, keyFinding{size: relativeSize(q1.Value, q5.Value), id: ind.ID, text: b.text("key-findings", "gap", data)})
		case cmp.Withheld != "" || (!cmp.Missing && !cmp.Overlap && !cmp.GapIncludesZero):
			withheld++
		}
		for _, r := range rs {
			if r.Breakdown != metrics.EthnicRatio || !hasCI(r) || (r.Lower95 <= 1 && r.Upper95 >= 1) {
				continue
			}
			dir := "higher"
			if r.Upper95 < 1 {
				dir = "lower"
			}
			data := map[string]any{"Name": mdEscape(ind.Name), "ID": ind.ID, "Group": mdEscape(strings.TrimSuffix(r.Group, " / White")),
				"Ratio": formatRatio(r.Value), "Interval": interval(r.Lower95, r.Upper95, formatRatio), "Direction": dir}
			ethnic = append(ethnic, keyFinding{size: relativeSize(r.Value, 1), id: ind.ID, text: b.text("key-findings", "ethnic", data)})
		}
		if c, ok := b.changes[ind.ID]["overall"]; ok && c.Comparable && changeSignificant(c) {
			d := changeDataOf(ind, c, false)
			if d.Known {
				data := map[string]any{"Name": mdEscape(ind.Name), "ID": ind.ID, "LastYear": d.LastYear, "ThisYear": d.ThisYear,
					"Difference": d.Difference, "Interval": d.Interval, "Direction": d.Direction}
				changes = append(changes, keyFinding{size: d.ratio, id: ind.ID, text: b.text("key-findings", "change", data)})
			}
		}
	}
	counts := map[string]any{"Indicators": len(b.inds), "Gaps": len(gaps), "Ethnic": len(ethnic), "Changes": len(changes),
		"Previous": b.previous, "Withheld": withheld,
		"EthnicLimit": fixed(ethnicLimitPct, 0) + "%", "LSOALimit": fixed(lsoaLimitPct, 0) + "%", "Warnings": 0}
	s.blocks = b.blocks("key-findings", "intro", counts, nil)
	list := func(fs []keyFinding) block {
		l := &listBlock{}
		for _, f := range top(fs, keyFindingsMax) {
			l.items = append(l.items, parseInline(strings.Join(strings.Fields(f.text), " ")))
		}
		return l
	}
	section := func(name string, fs []keyFinding) {
		s.blocks = append(s.blocks, &headingBlock{text: b.line("key-findings", name+"-heading", counts), level: 2})
		s.blocks = append(s.blocks, b.blocks("key-findings", name+"-lead", counts, nil)...)
		if len(fs) > 0 {
			s.blocks = append(s.blocks, list(fs))
		}
	}
	section("gaps", gaps)
	if withheld > 0 {
		s.blocks = append(s.blocks, b.blocks("key-findings", "withheld", counts, nil)...)
	}
	section("ethnic", ethnic)
	if b.previous != "" {
		section("changes", changes)
	}
	for _, comp := range b.comps {
		s.blocks = append(s.blocks, b.compFindings(comp)...)
	}
	warnings := b.qualityWarnings()
	counts["Warnings"] = len(warnings)
	section("quality", warnings)
	return s
}

// qualityWarnings are the sources (and indicators) with too many records
// that cannot be placed in an ethnic group or a deprivation quintile. An
// indicator is named only when its source as a whole is not.
func (b *builder) qualityWarnings() []keyFinding {
	var out []keyFinding
	warned := map[string]bool{}
	for _, q := range sortedDataQuality(b.in.DataQuality) {
		if q.Indicator != "" && warned[q.Source] {
			continue
		}
		ethnic := 0.0
		known := true
		for _, v := range []float64{q.PctNotStated, q.PctNotKnown, q.PctBlank} {
			if math.IsNaN(v) {
				known = false
			}
			ethnic += v
		}
		data := map[string]any{"Source": mdEscape(q.Source), "Indicator": mdEscape(q.Indicator), "Ethnic": "", "LSOA": ""}
		size := 0.0
		if known && ethnic >= ethnicLimitPct {
			data["Ethnic"], size = formatPct(ethnic), ethnic/ethnicLimitPct
		}
		if !math.IsNaN(q.PctNoValidLSOA) && q.PctNoValidLSOA >= lsoaLimitPct {
			data["LSOA"], size = formatPct(q.PctNoValidLSOA), max(size, q.PctNoValidLSOA/lsoaLimitPct)
		}
		if size == 0 {
			continue
		}
		if q.Indicator == "" {
			warned[q.Source] = true
		}
		out = append(out, keyFinding{size: size, id: q.Source + "\x00" + q.Indicator, text: b.text("key-findings", "quality", data)})
	}
	return out
}
