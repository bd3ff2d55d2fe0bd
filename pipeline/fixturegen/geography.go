package fixturegen

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// nationalLSOAs is the number of LSOAs (2011) ranked by the English Indices of
// Deprivation 2019; ranks run 1 (most deprived) to nationalLSOAs.
const nationalLSOAs = 32844

// district is a synthetic local authority district.
type district struct {
	code, name string
	lsoas      int
	decileW    [10]float64 // relative number of LSOAs in deciles 1..10
	diversity  float64     // scales the minority ethnic share
	otherWhite float64     // share of the minority that is White other (C)
}

// districts are the four synthetic districts of NHS Fenland and Nene ICB
// (synthetic). Nenebridge is the urban, deprived, diverse one.
var districts = []district{
	{code: "E07990001", name: "Nenebridge", lsoas: 90, decileW: [10]float64{18, 16, 14, 12, 10, 8, 7, 6, 5, 4}, diversity: 1.3, otherWhite: 0.22},
	{code: "E07990002", name: "Fenland", lsoas: 80, decileW: [10]float64{8, 10, 12, 12, 12, 11, 10, 9, 8, 8}, diversity: 0.8, otherWhite: 0.55},
	{code: "E07990003", name: "Marshwold", lsoas: 70, decileW: [10]float64{3, 4, 6, 9, 11, 13, 14, 14, 13, 13}, diversity: 0.6, otherWhite: 0.35},
	{code: "E07990004", name: "Ouseholme", lsoas: 60, decileW: [10]float64{2, 2, 3, 4, 6, 10, 14, 18, 20, 21}, diversity: 0.6, otherWhite: 0.30},
}

// lsoa is one area of the synthetic lookup (or a cross-border area outside
// it, with decile 0).
type lsoa struct {
	code, name   string
	district     *district
	rank, decile int
	quintile     int     // 1..5, 0 when not in the lookup
	minority     float64 // share of people not White British
	otherWhite   float64 // share of that minority that is White other (C)
	youngTilt    float64 // β of the age tilt exp(β·(40−age)/40)
	inLookup     bool
}

// crossBorder are registered patients' LSOAs outside the lookup (Welsh), which
// give the population an Unknown IMD group.
var crossBorder = []string{"W01000123", "W01001876"}

// decileRange returns the national ranks whose decile is d, so that
// ⌈rank·10/32,844⌉ = d.
func decileRange(d int) (lo, hi int) {
	return (d-1)*nationalLSOAs/10 + 1, d * nationalLSOAs / 10
}

// decileOf is the official decile of a national rank.
func decileOf(rank int) int {
	return (rank*10 + nationalLSOAs - 1) / nationalLSOAs
}

// allocate splits n into integer counts proportional to w (largest
// remainder, ties to the lower index).
func allocate(n int, w []float64) []int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	out := make([]int, len(w))
	rem := make([]float64, len(w))
	left := n
	for i, x := range w {
		exact := float64(n) * x / total
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		left -= out[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// quintileTilt is the age tilt β by quintile: deprived areas are younger.
var quintileTilt = [5]float64{0.30, 0.18, 0.06, -0.06, -0.15}

// buildLSOAs creates the synthetic areas in code order, then the cross-border
// ones.
func buildLSOAs(seed uint64) ([]*lsoa, error) {
	r := newRNG(seed, streamGeography)
	used := map[int]bool{}
	var out []*lsoa
	next := 1
	for di := range districts {
		d := &districts[di]
		counts := allocate(d.lsoas, d.decileW[:])
		var deciles []int
		for dec, c := range counts {
			for range c {
				deciles = append(deciles, dec+1)
			}
		}
		r.Shuffle(len(deciles), func(i, j int) { deciles[i], deciles[j] = deciles[j], deciles[i] })
		// Names: MSOAs of 4 to 6 LSOAs, numbered 001…, lettered A….
		msoa, letter, size := 1, 0, 4+r.IntN(3)
		for _, dec := range deciles {
			if letter == size {
				msoa, letter, size = msoa+1, 0, 4+r.IntN(3)
			}
			lo, hi := decileRange(dec)
			rank := lo + r.IntN(hi-lo+1)
			for used[rank] {
				rank = lo + r.IntN(hi-lo+1)
			}
			used[rank] = true
			if decileOf(rank) != dec {
				return nil, fmt.Errorf("rank %d has decile %d, not %d", rank, decileOf(rank), dec)
			}
			q := (dec + 1) / 2
			div := (1 - float64(dec-1)/11) * d.diversity * (0.8 + 0.4*r.Float64())
			if div > 1 {
				div = 1
			}
			out = append(out, &lsoa{
				code:       fmt.Sprintf("E0199%04d", next),
				name:       fmt.Sprintf("%s %03d%c", d.name, msoa, 'A'+letter),
				district:   d,
				rank:       rank,
				decile:     dec,
				quintile:   q,
				minority:   0.04 + 0.40*div,
				otherWhite: d.otherWhite,
				youngTilt:  quintileTilt[q-1],
				inLookup:   true,
			})
			next++
			letter++
		}
	}
	for _, c := range crossBorder {
		out = append(out, &lsoa{code: c, minority: 0.08, otherWhite: 0.3})
	}
	return out, nil
}

// imdLookup writes the synthetic lookup in the exact format of the official
// File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv: UTF-8 byte-order mark,
// CRLF line ends, ranks of 1,000 and over quoted with a thousands separator,
// rows in LSOA code order and no line end after the last row.
func imdLookup(areas []*lsoa) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeffLSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile")
	for _, a := range areas {
		if !a.inLookup {
			continue
		}
		fmt.Fprintf(&b, "\r\n%s,%s,%s,%s,%s,%d", a.code, a.name, a.district.code, a.district.name, officialRank(a.rank), a.decile)
	}
	return b.Bytes()
}

// officialRank formats a rank as the official file does: "546", "\"29,199\"".
func officialRank(rank int) string {
	if rank < 1000 {
		return strconv.Itoa(rank)
	}
	return fmt.Sprintf("\"%d,%03d\"", rank/1000, rank%1000)
}
