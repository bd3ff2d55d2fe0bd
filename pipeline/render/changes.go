package render

// Change is one indicator's change since the previous year's published
// statement (the config's previous.metrics). It is computed upstream, from
// the published figures of both years; render only words and draws it.
type Change struct {
	IndicatorID string
	// Measure is "overall" (the indicator's overall value) or "gap" (IMD
	// quintile 1 minus quintile 5, the absolute gap).
	Measure    string
	LastYear   float64 // NaN when it was not published last year
	ThisYear   float64 // NaN when it is withheld this year
	Difference float64 // ThisYear − LastYear; NaN when either is missing
	// Lower95 and Upper95 bound the difference (95%); NaN when they cannot
	// be computed. The change is significant when they exclude 0.
	Lower95, Upper95 float64
	// Comparable is false when the two years are not like for like (a
	// different IMD edition for the gap, or a changed definition); Note
	// then says why in one plain sentence.
	Comparable bool
	Note       string
}
