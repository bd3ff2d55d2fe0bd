package render

import (
	"math"

	"hiis/pipeline/metrics"
)

// wilson returns a percentage and its 95% Wilson limits for x of n.
func wilson(x, n float64) (v, lo, hi float64) {
	const z = 1.959964
	p := x / n
	c := z * math.Sqrt(z*z+4*x*(1-p))
	return p * 100, (2*x + z*z - c) / (2 * (n + z*z)) * 100, (2*x + z*z + c) / (2 * (n + z*z)) * 100
}

// sampleInput is a hand-made run: a record-level proportion with every
// breakdown and summary, a DSR with missing and suppressed cells, and an
// aggregate proportion with only the overall value and IMD quintiles.
func sampleInput() Input {
	const org, period = "QUE", "2025/26"
	var pub, raw []metrics.Row
	add := func(r metrics.Row, unsuppressed *metrics.Row) {
		r.Period, r.Organisation = period, org
		pub = append(pub, r)
		if unsuppressed != nil {
			u := *unsuppressed
			u.Period, u.Organisation = period, org
			raw = append(raw, u)
		} else {
			raw = append(raw, r)
		}
	}
	na := metrics.NA
	prop := func(id, breakdown, group string, x, n float64) metrics.Row {
		v, lo, hi := wilson(x, n)
		return metrics.Row{IndicatorID: id, Breakdown: breakdown, Group: group,
			Numerator: x, Denominator: n, Value: v, Lower95: lo, Upper95: hi,
			Lower998: lo - 0.8, Upper998: hi + 0.8, Method: "Wilson"}
	}
	summary := func(id, group string, v, lo, hi float64) metrics.Row {
		return metrics.Row{IndicatorID: id, Breakdown: metrics.IMDSummary, Group: group,
			Numerator: na, Denominator: na, Value: v, Lower95: lo, Upper95: hi, Lower998: na, Upper998: na,
			Method: map[string]string{metrics.GroupGap: "difference", metrics.GroupRatio: "ratio",
				metrics.GroupSII: "SII simulation", metrics.GroupRII: "RII simulation"}[group]}
	}
	ratio := func(id, group string, v, lo, hi float64) metrics.Row {
		return metrics.Row{IndicatorID: id, Breakdown: metrics.EthnicRatio, Group: group + " / White",
			Numerator: na, Denominator: na, Value: v, Lower95: lo, Upper95: hi, Lower998: na, Upper998: na,
			Method: "ratio"}
	}

	// ER-1a: % waiting 18+ weeks, every breakdown.
	const er1 = "ER-1a"
	add(prop(er1, metrics.Overall, metrics.GroupAll, 4210, 18450), nil)
	for i, c := range [][2]float64{{1180, 4020}, {990, 3900}, {820, 3750}, {650, 3480}, {520, 3150}} {
		add(prop(er1, metrics.IMDQuintile, string(rune('1'+i)), c[0], c[1]), nil)
	}
	add(prop(er1, metrics.IMDQuintile, "Unknown", 50, 150), nil)
	gap := summary(er1, metrics.GroupGap, 12.846, 10.89, 14.80)
	gap.Note = "95% interval lies wholly above 0"
	add(gap, nil)
	add(summary(er1, metrics.GroupRatio, 1.7783, 1.61, 1.96), nil)
	add(summary(er1, metrics.GroupSII, -15.62, -18.1, -13.2), nil)
	add(summary(er1, metrics.GroupRII, 0.472, 0.41, 0.54), nil)
	for _, c := range []struct {
		g    string
		x, n float64
	}{{"White", 2900, 13000}, {"Mixed", 140, 560}, {"Asian or Asian British", 480, 1900},
		{"Black or Black British", 260, 980}, {"Other ethnic groups", 95, 410},
		{"Not stated", 250, 1100}, {"Not known", 85, 500}} {
		add(prop(er1, metrics.Ethnic, c.g, c.x, c.n), nil)
	}
	add(ratio(er1, "Mixed", 1.1207, 0.96, 1.31), nil)
	add(ratio(er1, "Asian or Asian British", 1.1325, 1.04, 1.23), nil)
	add(ratio(er1, "Black or Black British", 1.1892, 1.07, 1.32), nil)
	add(ratio(er1, "Other ethnic groups", 1.0386, 0.87, 1.24), nil)
	for _, c := range []struct {
		g    string
		x, n float64
	}{{"0-17", 310, 1620}, {"18-34", 690, 3100}, {"35-49", 840, 3650}, {"50-64", 1020, 4300},
		{"65-79", 930, 3900}, {"80+", 420, 1880}} {
		add(prop(er1, metrics.AgeBand, c.g, c.x, c.n), nil)
	}
	add(prop(er1, metrics.Sex, "Male", 1890, 8450), nil)
	add(prop(er1, metrics.Sex, "Female", 2315, 9985), nil)
	u := prop(er1, metrics.Sex, "Other or not known", 5, 15)
	add(metrics.Row{IndicatorID: er1, Breakdown: metrics.Sex, Group: "Other or not known",
		Numerator: na, Denominator: 15, Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na,
		Method: "Wilson", Suppressed: true, Note: "numerator of 1 to 7 suppressed"}, &u)

	// ER-2b: emergency admissions per 100,000, DSR, with gaps.
	const er2 = "ER-2b"
	dsr := func(breakdown, group string, x, n, v float64) metrics.Row {
		h := 1.96 * v / math.Sqrt(x)
		return metrics.Row{IndicatorID: er2, Breakdown: breakdown, Group: group,
			Numerator: x, Denominator: n, Value: v, Lower95: v - h, Upper95: v + h,
			Lower998: v - 1.6*h, Upper998: v + 1.6*h, Method: "Dobson"}
	}
	add(dsr(metrics.Overall, metrics.GroupAll, 61230, 742000, 8123.4), nil)
	for i, v := range []float64{11873.2, 9410.6, 7980.1, 6822.9, 6104.7} {
		add(dsr(metrics.IMDQuintile, string(rune('1'+i)), 12000-float64(i)*900, 150000, v), nil)
	}
	add(summary(er2, metrics.GroupGap, 5768.5, 5530.2, 6006.8), nil)
	add(summary(er2, metrics.GroupRatio, 1.945, 1.89, 2.00), nil)
	add(summary(er2, metrics.GroupSII, -6950.3, -7310.8, -6590.1), nil)
	add(summary(er2, metrics.GroupRII, 0.4402, 0.42, 0.46), nil)
	add(dsr(metrics.Ethnic, "White", 50210, 602000, 7988.2), nil)
	notPub := metrics.Row{IndicatorID: er2, Breakdown: metrics.Ethnic, Group: "Mixed",
		Numerator: na, Denominator: 9800, Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na,
		Method: "Dobson", Note: "DSR not published: fewer than 10 events"}
	rawNotPub := notPub
	rawNotPub.Numerator = 5
	add(notPub, &rawNotPub)
	add(dsr(metrics.Ethnic, "Asian or Asian British", 6120, 71000, 9120.4), nil)
	add(dsr(metrics.Ethnic, "Black or Black British", 2890, 31000, 10480.9), nil)
	uo := dsr(metrics.Ethnic, "Other ethnic groups", 6, 8900, 71.2)
	add(metrics.Row{IndicatorID: er2, Breakdown: metrics.Ethnic, Group: "Other ethnic groups",
		Numerator: na, Denominator: 8900, Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na,
		Method: "Dobson", Suppressed: true, Note: "numerator of 1 to 7 suppressed"}, &uo)
	add(dsr(metrics.Ethnic, "Not stated", 1400, 12000, 11020.3), nil)
	noRatio := ratio(er2, "Mixed", na, na, na)
	noRatio.Note = "not computed: no published rate for Mixed"
	add(noRatio, nil)
	add(ratio(er2, "Asian or Asian British", 1.1417, 1.11, 1.17), nil)
	add(ratio(er2, "Black or Black British", 1.3121, 1.26, 1.36), nil)
	for i, g := range []string{"0-17", "18-34", "35-49", "50-64", "65-79", "80+"} {
		v := []float64{4210.5, 5120.8, 5988.1, 7802.6, 13450.2, 31020.7}[i]
		add(dsr(metrics.AgeBand, g, math.Round(v*1.2), 120000, v), nil)
	}
	add(dsr(metrics.Sex, "Male", 30120, 368000, 8310.4), nil)
	add(dsr(metrics.Sex, "Female", 31105, 373990, 7942.2), nil)
	uso := dsr(metrics.Sex, "Other or not known", 5, 10, 50000)
	add(metrics.Row{IndicatorID: er2, Breakdown: metrics.Sex, Group: "Other or not known",
		Numerator: na, Denominator: na, Value: na, Lower95: na, Upper95: na, Lower998: na, Upper998: na,
		Method: "Dobson", Suppressed: true, Note: "numerator of 1 to 7 suppressed"}, &uso)

	// CVD-1: aggregate proportion, overall and IMD quintiles only.
	const cvd = "CVD-1"
	add(prop(cvd, metrics.Overall, metrics.GroupAll, 61540, 93200), nil)
	for i, c := range [][2]float64{{11020, 17800}, {12110, 18600}, {12750, 19100}, {12900, 19000}, {12760, 18700}} {
		add(prop(cvd, metrics.IMDQuintile, string(rune('1'+i)), c[0], c[1]), nil)
	}

	metrics.Sort(pub)
	metrics.Sort(raw)

	pop := []PopulationRow{
		{metrics.IMDQuintile, "1", 118500}, {metrics.IMDQuintile, "2", 142300}, {metrics.IMDQuintile, "3", 156800},
		{metrics.IMDQuintile, "4", 163900}, {metrics.IMDQuintile, "5", 160500}, {metrics.IMDQuintile, "Unknown", 1200},
		{metrics.Ethnic, "White", 602000}, {metrics.Ethnic, "Mixed", 9800}, {metrics.Ethnic, "Asian or Asian British", 71000},
		{metrics.Ethnic, "Black or Black British", 31000}, {metrics.Ethnic, "Other ethnic groups", 8900},
		{metrics.Ethnic, "Not stated", 12000}, {metrics.Ethnic, "Not known", 8500},
		{metrics.AgeBand, "0-17", 152000}, {metrics.AgeBand, "18-34", 171000}, {metrics.AgeBand, "35-49", 140000},
		{metrics.AgeBand, "50-64", 139000}, {metrics.AgeBand, "65-79", 98000}, {metrics.AgeBand, "80+", 43200},
		{metrics.Sex, "Male", 368000}, {metrics.Sex, "Female", 373990}, {metrics.Sex, "Other or not known", 1210},
	}
	return Input{
		Organisation:      Organisation{Code: org, Name: "NHS Queensbridge Integrated Care Board", Kind: "icb"},
		Period:            period,
		Version:           "0.4.0",
		IMDEdition:        "English Indices of Deprivation 2019 (LSOA 2011)",
		DisclosureRule:    "Counts of 1 to 7 are suppressed and other counts rounded to the nearest 5 (NHS Digital's rule for hospital data); 0 is shown as 0",
		DisclosureSetting: "disclosure.rule nhs_digital, disclosure.secondary false (the default): no secondary suppression",
		Indicators: []Indicator{
			{ID: er1, Name: "Percentage of the waiting list waiting 18 weeks or more", Domain: "Elective recovery",
				Evidence: "C", Description: "Pathways waiting 18 weeks or more as a percentage of all open referral-to-treatment pathways at the snapshot date.",
				Source: "wlmds", SourceKind: "wlmds", Measure: "proportion", Unit: "%", Multiplier: 100, Polarity: "lower_is_better"},
			{ID: er2, Name: "Emergency admissions, age–sex standardised rate", Domain: "Elective recovery",
				Evidence: "C", Description: "Emergency admissions (admission methods 21–25, 2A–2D, 28) per 100,000 registered population, directly standardised by age and sex to the 2013 European Standard Population.",
				Source: "sus_apc", SourceKind: "sus_apc", Measure: "dsr", Unit: "per 100,000", Multiplier: 100000},
			{ID: cvd, Name: "Hypertension treated to target", Domain: "Cardiovascular disease",
				Evidence: "P", Description: "Patients on the hypertension register whose last blood pressure was at or below target (≤ 140/90 mmHg under 80, ≤ 150/90 mmHg aged 80 and over), from the CVDPREVENT audit.",
				Source: "cvdprevent", SourceKind: "aggregate", Measure: "proportion", Unit: "%", Multiplier: 100, Polarity: "higher_is_better"},
		},
		Metrics:      pub,
		Unsuppressed: raw,
		DataQuality: []DataQuality{
			dataQualityRow("wlmds", er1, 18450, 1100, 420, 80, 150),
			dataQualityRow("wlmds", "", 18450, 1100, 420, 80, 150),
			dataQualityRow("sus_apc", er2, 61230, 1400, 2210, 15, 612),
			dataQualityRow("sus_apc", "", 248102, 6120, 9342, 96, 2301),
		},
		Sources: []SourceSummary{
			{Name: "wlmds", Kind: "wlmds", File: "wlmds_2026-03-29.csv", Rows: 18463, Rejected: 13},
			{Name: "sus_apc", Kind: "sus_apc", File: "apc_2025-26.parquet", Rows: 248110, Rejected: 8},
			{Name: "cvdprevent", Kind: "aggregate", File: "cvdprevent_q4.csv", Rows: 6, Rejected: 0},
		},
		Population:  pop,
		Core20Share: 118500.0 / 743200.0,
		Narrative: []Narrative{
			{Title: "What we are doing about waiting times",
				Text: "We have invested £2.4m in additional outpatient capacity in the most deprived neighbourhoods, including a community café clinic model.\n\nOur target is that no patient waits more than 18 weeks where clinically appropriate (≤ 18 weeks). ✓ Validation of the waiting list is complete."},
			{Title: "Improving the recording of ethnicity",
				Text: "Ethnic category is not stated or not known for about 8% of records. Practices and trusts are reviewing how it is collected."},
		},
	}
}

// dataQualityRow is a data-quality row as the pipeline hands it over: the
// counts as published (here taken as they were counted) and the shares
// computed from those counts, unrounded, NaN without records.
func dataQualityRow(source, indicator string, records, notStated, notKnown, blank, noLSOA float64) DataQuality {
	share := func(n float64) float64 {
		if records <= 0 {
			return math.NaN()
		}
		return n / records * 100
	}
	return DataQuality{Source: source, Indicator: indicator, Records: records,
		EthnicNotStated: notStated, EthnicNotKnown: notKnown, EthnicBlank: blank, NoValidLSOA: noLSOA,
		PctNotStated: share(notStated), PctNotKnown: share(notKnown), PctBlank: share(blank), PctNoValidLSOA: share(noLSOA)}
}

// withPrevious gives the sample's data-quality rows last year's counts, as a
// run config naming the previous year's run would: the wlmds rows have
// usable ones, the whole sus_apc source had no records then, and the
// sus_apc indicator row has no counterpart.
func withPrevious(in Input) Input {
	dq := append([]DataQuality(nil), in.DataQuality...)
	for i, q := range dq {
		switch {
		case q.Source == "wlmds":
			prev := dataQualityRow(q.Source, q.Indicator, 17200, 1030, 450, 60, 170)
			dq[i].Previous = &prev
		case q.Source == "sus_apc" && q.Indicator == "":
			prev := dataQualityRow(q.Source, "", 0, 0, 0, 0, 0)
			dq[i].Previous = &prev
		}
	}
	in.DataQuality = dq
	return in
}

// withSuppressedSummary withholds ER-1a's absolute gap the way disclosure
// control does when an IMD quintile is suppressed, leaving in its note what
// the hidden interval showed.
func withSuppressedSummary(in Input) Input {
	rows := append([]metrics.Row(nil), in.Metrics...)
	for i, r := range rows {
		if r.IndicatorID == "ER-1a" && r.Breakdown == metrics.IMDSummary && r.Group == metrics.GroupGap {
			r.Value, r.Lower95, r.Upper95 = metrics.NA, metrics.NA, metrics.NA
			r.Suppressed = true
			r.Note = "95% interval lies wholly above 0; suppressed: an IMD quintile's value is suppressed"
			rows[i] = r
		}
	}
	in.Metrics = rows
	return in
}

// withWithheld adds what disclosure control withholds to the sample: a
// data-quality row with a withheld count (and so a withheld share) whose
// shares, computed from the unrounded counts, differ from shares of the
// published counts (4.86%, not 5 of 100); last year's figures with a
// withheld share; a row withheld whole; and withheld population counts,
// among them IMD quintile 1's.
func withWithheld(in Input) Input {
	na := math.NaN()
	in.DataQuality = append(append([]DataQuality(nil), in.DataQuality...),
		DataQuality{Source: "cvdprevent", Records: 100,
			EthnicNotStated: 5, EthnicNotKnown: na, EthnicBlank: 0, NoValidLSOA: 10,
			PctNotStated: 4.86, PctNotKnown: na, PctBlank: 0, PctNoValidLSOA: 9.5,
			Previous: &DataQuality{Source: "cvdprevent", Records: 90,
				EthnicNotStated: 5, EthnicNotKnown: 0, EthnicBlank: na, NoValidLSOA: 10,
				PctNotStated: 3.5, PctNotKnown: 2, PctBlank: na, PctNoValidLSOA: 9.25}},
		DataQuality{Source: "cvdprevent", Indicator: "CVD-1", Records: na,
			EthnicNotStated: na, EthnicNotKnown: na, EthnicBlank: na, NoValidLSOA: na,
			PctNotStated: na, PctNotKnown: na, PctBlank: na, PctNoValidLSOA: na},
	)
	pop := append([]PopulationRow(nil), in.Population...)
	for i, p := range pop {
		if (p.Breakdown == metrics.IMDQuintile && p.Group == "1") || (p.Breakdown == metrics.Ethnic && p.Group == "Mixed") {
			pop[i].People = na
		}
	}
	in.Population = pop
	return in
}

// withChanges adds last year's comparison, as the trend stage computes it:
// ER-1a's overall value rose significantly and its gap fell (not
// significantly); ER-2b's overall fell but the two years are not like for
// like; CVD-1 was not published last year. The change rows it also adds to
// the metrics (for metrics.csv) are not groups.
func withChanges(in Input) Input {
	na := math.NaN()
	in.PreviousPeriod = "2024/25"
	in.Changes = []Change{
		{IndicatorID: "ER-1a", Measure: "overall", LastYear: 19.6, ThisYear: 22.8186, Difference: 3.2186, Lower95: 2.35, Upper95: 4.09, Comparable: true},
		{IndicatorID: "ER-1a", Measure: "gap", LastYear: 14.1, ThisYear: 12.846, Difference: -1.254, Lower95: -4.0, Upper95: 1.5, Comparable: true},
		{IndicatorID: "ER-2b", Measure: "overall", LastYear: 11990.4, ThisYear: 11873.25, Difference: -117.15, Lower95: -320.7, Upper95: 86.4,
			Comparable: false, Note: "The definition changed between the two years, so the comparison is not like for like."},
		{IndicatorID: "CVD-1", Measure: "overall", LastYear: na, ThisYear: 61.2, Difference: na, Lower95: na, Upper95: na, Comparable: true},
	}
	rows := append([]metrics.Row(nil), in.Metrics...)
	for _, c := range in.Changes {
		rows = append(rows, metrics.Row{IndicatorID: c.IndicatorID, Period: in.Period, Organisation: in.Organisation.Code,
			Breakdown: ChangeBreakdown, Group: c.Measure + "_difference", Numerator: na, Denominator: na,
			Value: c.Difference, Lower95: c.Lower95, Upper95: c.Upper95, Lower998: na, Upper998: na, Method: "difference"})
	}
	in.Metrics = rows
	return in
}

// withComparator reads the sample beside a hand-made comparator ("All
// organisations", organisation "all"): ER-1a's overall value is
// significantly below it; its quintiles 1 (intervals overlap), 2
// (significantly below), 3 (the comparator's withheld), 4 (significantly
// above) and 5 (the comparator has none); ER-2b's overall value has no
// interval there and no quintiles; CVD-1's overall value is withheld there.
// The comparator's change, ethnic and unknown-indicator rows are not read.
// Unassigned records: some from wlmds, a withheld count from sus_apc, none
// from cvdprevent.
func withComparator(in Input) Input {
	na := math.NaN()
	row := func(id, breakdown, group string, v, lo, hi float64) metrics.Row {
		return metrics.Row{IndicatorID: id, Period: in.Period, Organisation: "all", Breakdown: breakdown, Group: group,
			Numerator: na, Denominator: na, Value: v, Lower95: lo, Upper95: hi, Lower998: na, Upper998: na, Method: "Wilson"}
	}
	withheld := row("ER-1a", metrics.IMDQuintile, "3", na, na, na)
	withheld.Suppressed, withheld.Note = true, "numerator of 1 to 7 suppressed"
	cvd := row("CVD-1", metrics.Overall, metrics.GroupAll, na, na, na)
	cvd.Suppressed, cvd.Note = true, "numerator of 1 to 7 suppressed"
	comp := []metrics.Row{
		row("ER-1a", metrics.Overall, metrics.GroupAll, 25.0, 24.8, 25.2),
		row("ER-1a", metrics.IMDQuintile, "1", 29.0, 28.5, 29.5),
		row("ER-1a", metrics.IMDQuintile, "2", 30.0, 29.5, 30.5),
		withheld,
		row("ER-1a", metrics.IMDQuintile, "4", 15.0, 14.5, 15.5),
		row("ER-1a", metrics.Ethnic, "White", 99.0, 98.0, 99.5),
		row("ER-1a", ChangeBreakdown, "overall_difference", 1.0, 0.5, 1.5),
		row("ER-2b", metrics.Overall, metrics.GroupAll, 7950.25, na, na),
		cvd,
		row("CVD-1", metrics.IMDQuintile, "1", 60.0, 59.0, 61.0),
		row("ZZ-9", metrics.Overall, metrics.GroupAll, 1, 0, 2),
	}
	metrics.Sort(comp)
	in.Comparator, in.ComparatorLabel = comp, "All organisations"
	in.Unassigned = map[string]float64{"wlmds": 152, "sus_apc": na, "cvdprevent": 0}
	return in
}

// withNational adds a second comparator, England as published: ER-1a's
// overall value and quintiles 1 and 2 only (the file lacks the others),
// and nothing for any other indicator.
func withNational(in Input) Input {
	na := math.NaN()
	row := func(breakdown, group string, v, lo, hi float64) metrics.Row {
		return metrics.Row{IndicatorID: "ER-1a", Period: "2023/24", Organisation: "E92000001", Breakdown: breakdown, Group: group,
			Numerator: na, Denominator: na, Value: v, Lower95: lo, Upper95: hi, Lower998: na, Upper998: na, Method: "published (Fingertips)"}
	}
	in.Comparisons = append(in.Comparisons, Comparison{Key: "national", Label: "England", Period: "2023/24", Rows: []metrics.Row{
		row(metrics.Overall, metrics.GroupAll, 20.0, 19.9, 20.1),
		row(metrics.IMDQuintile, "1", 29.5, 29.3, 29.7),
		row(metrics.IMDQuintile, "2", 26.0, 25.8, 26.2),
	}})
	return in
}
