// Package fixturegen writes hiis's synthetic fixture tree: a synthetic IMD
// lookup, a registered population, every record-level and aggregate source the
// indicator catalogue needs, the true inequality each record-level indicator
// was generated with (truth.json) and a README. Everything is synthetic: no
// real person, area or organisation is described.
//
// Output is a pure function of the seed: every random draw comes from
// math/rand/v2 PCG streams seeded with (seed, a constant per component), maps
// are only used for look-ups, and every file is sorted before it is written,
// so two runs with the same seed give byte-identical files (nda.xlsx included:
// its document properties are fixed).
//
// # Generating model
//
// Geography. Four synthetic local authority districts (E07990001…E07990004)
// hold 300 synthetic LSOAs (E01990001…E01990300, names like "Fenland 001A").
// Each LSOA gets an IMD decile from its district's decile weights (Nenebridge
// skews to deciles 1–4, Ouseholme to 8–10; every decile occurs) and a unique
// national rank inside that decile's range of 1…32,844, so that
// decile = ⌈rank·10/32,844⌉ as in the official File_1. Quintile = ⌈decile/2⌉,
// 1 = most deprived. Two Welsh LSOAs (cross-border registrations) are in the
// population but not in the lookup, so they fall in IMD group Unknown.
//
// Population. About 80,000 people. Each LSOA's size depends on its quintile;
// each person's sex and single year of age (0–100) is drawn from an
// England-like pyramid tilted younger in deprived quintiles; each person's
// ethnic category is drawn from an LSOA mix whose minority share rises with
// deprivation and with the district's diversity, then recorded as Z (5%),
// 99 (2%), blank (2%) or the national code, 8% of those in a two-character
// local form ("A1", "CA", …). population.csv is these people counted by
// lsoa × sex × age × ethnic_category (non-zero cells only).
//
// Record-level events. Every record-level source is drawn from those same
// people: for each person and each event model m, the expected number of
// events in a window is
//
//	λ = curve_m(age, sex) × Q_m[imd quintile] × E_m[ethnic group] × days/365
//
// where curve_m is a piecewise-linear age curve per sex, Q_m and E_m are the
// known rate ratios (Unknown quintile uses Q3's), and counts are Poisson(λ)
// (people-based measures, MH-2 and MH-3, use a Bernoulli probability instead).
// Outcome probabilities (waits, stage, recovery) have their own quintile and
// ethnic multipliers. Each event row copies its person's lsoa,
// ethnic_category, age and sex, except that 1% of rows (1% of people in the
// MHSDS sources, so person counts stay consistent) are given an LSOA outside
// the lookup or a blank one, and 0.3% of ECDS rows have sex 9. A handful of
// deliberately bad rows are added to ecds.csv and outpatients.csv.
//
// Aggregates. Registers and eligible cohorts are Bernoulli draws over the
// same people (prevalence by age, quintile and ethnic group), numerators are
// Bernoulli draws within them, and every breakdown is a tabulation of the
// same units, so breakdowns add up to the overall row.
//
// Truth. truth.json gives, for every record-level indicator, the expected
// numerator and denominator per quintile under the model above (expected
// events, not sampled ones, over the realised population file) and the ratio
// of quintile 1 to quintile 5 for the indicator's measure: proportions as
// expected numerator / expected denominator, crude rates per head of the
// population file, and directly standardised rates with ESP 2013 weights per
// five-year band × sex, as the pipeline computes them. It also lists every
// model's quintile and ethnic multipliers.
//
// # Scaled trees
//
// GenerateScaled (hiis-fixtures --scale) writes larger trees for benchmarks
// from the same models, never committed. --scale N draws N times the people
// of each of the 300 LSOAs; --scale national draws an England-sized
// geography (32,844 LSOAs E01000001…, 317 districts, 42 ICBs, ranks from a
// district level plus local noise so deprivation clusters by place) with
// twice the fixture's people per LSOA: about 17.6 million people and 27.5
// million record-level rows. Each area draws from its own PCG streams
// (seed, area, component) and is formatted on its own goroutine; the writer
// takes areas in code order, so the files do not depend on the number of
// workers. Rows are in area order, not date order; record ids are the
// area's number and the row's number within it (unique, increasing down
// each file). There are no deliberately bad rows, and the aggregate sources
// are the committed fixture's.
package fixturegen
