package fixturegen

import (
	"fmt"
	"math"
	"sort"
)

// National geography: England-sized and synthetic. 32,844 LSOAs
// (E01000001…E01032844, LSOA 2011-style codes) in nationalDistricts local
// authority districts (E07990001…), grouped into nationalOrgs integrated care
// boards (ONS-style codes E54990001…, short codes Z01…). Each district has
// its own deprivation level, so deprivation clusters by place as it does in
// England; every LSOA has a unique national rank 1…32,844, and its decile
// is ⌈rank·10/32,844⌉ as in the official File_1.
const (
	nationalDistricts = 317
	nationalOrgs      = 42
)

// org is a synthetic integrated care board of the national geography.
type org struct {
	code, short, name string
}

// Syllables of synthetic district names: 22 × 15 = 330 unique names.
var (
	namePrefixes = []string{"Ash", "Bram", "Cal", "Dun", "Elm", "Fen", "Gran", "Hart", "Ives", "Kel", "Lang",
		"Mar", "Nor", "Oak", "Pen", "Quen", "Ros", "Stan", "Thorn", "Ux", "Wil", "Yar"}
	nameSuffixes = []string{"bridge", "by", "combe", "dale", "field", "ford", "ham", "ley", "mouth", "ton", "wick",
		"worth", "stead", "hurst", "borough"}
)

// buildNational creates the national areas in code order (then the two
// cross-border ones, outside the lookup) and the organisation of each
// in-lookup area, indexed like the areas.
func buildNational(seed uint64) ([]*lsoa, []*org, error) {
	r := newRNG(seed, streamNational)
	dists := make([]district, nationalDistricts)
	sizes := make([]float64, nationalDistricts)
	level := make([]float64, nationalDistricts)
	for i := range dists {
		dists[i] = district{
			code:       fmt.Sprintf("E0799%04d", i+1),
			name:       namePrefixes[i/len(nameSuffixes)] + nameSuffixes[i%len(nameSuffixes)],
			diversity:  math.Min(2, math.Max(0.3, math.Exp(0.5*r.NormFloat64()))),
			otherWhite: 0.2 + 0.35*r.Float64(),
		}
		sizes[i] = 0.4 + 1.6*r.Float64()
		level[i] = r.NormFloat64()
	}
	counts := allocate(nationalLSOAs, sizes)
	orgW := make([]float64, nationalOrgs)
	for i := range orgW {
		orgW[i] = 0.5 + r.Float64()
	}
	perOrg := allocate(nationalDistricts, orgW)

	// Areas in district order; a score = district level + local noise gives
	// the ranks (highest score = rank 1, most deprived).
	var areas []*lsoa
	var score []float64
	var distOf []int
	for di := range dists {
		d := &dists[di]
		d.lsoas = counts[di]
		msoa, letter, size := 1, 0, 4+r.IntN(3)
		for range counts[di] {
			if letter == size {
				msoa, letter, size = msoa+1, 0, 4+r.IntN(3)
			}
			areas = append(areas, &lsoa{
				code:     fmt.Sprintf("E01%06d", len(areas)+1),
				name:     fmt.Sprintf("%s %03d%c", d.name, msoa, 'A'+letter),
				district: d,
				inLookup: true,
			})
			score = append(score, level[di]+0.8*r.NormFloat64())
			distOf = append(distOf, di)
			letter++
		}
	}
	order := make([]int, len(areas))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return score[order[i]] > score[order[j]] })
	for rank, i := range order {
		a := areas[i]
		a.rank = rank + 1
		a.decile = decileOf(a.rank)
		a.quintile = (a.decile + 1) / 2
		div := math.Min(1, (1-float64(a.decile-1)/11)*a.district.diversity*(0.8+0.4*r.Float64()))
		a.minority = 0.04 + 0.40*div
		a.otherWhite = a.district.otherWhite
		a.youngTilt = quintileTilt[a.quintile-1]
	}

	orgs := make([]*org, nationalOrgs)
	distOrg := make([]*org, nationalDistricts)
	next := 0
	for oi := range orgs {
		first := dists[next].name
		last := dists[next+perOrg[oi]-1].name
		name := "NHS " + first + " ICB (synthetic)"
		if perOrg[oi] > 1 {
			name = "NHS " + first + " and " + last + " ICB (synthetic)"
		}
		orgs[oi] = &org{code: fmt.Sprintf("E5499%04d", oi+1), short: fmt.Sprintf("Z%02d", oi+1), name: name}
		for range perOrg[oi] {
			distOrg[next] = orgs[oi]
			next++
		}
	}
	if next != nationalDistricts || len(areas) != nationalLSOAs {
		return nil, nil, fmt.Errorf("national geography: %d districts and %d LSOAs assigned", next, len(areas))
	}
	orgOf := make([]*org, len(areas))
	for i, di := range distOf {
		orgOf[i] = distOrg[di]
	}
	for _, c := range crossBorder {
		areas = append(areas, &lsoa{code: c, minority: 0.08, otherWhite: 0.3})
	}
	return areas, orgOf, nil
}

// orgLookup writes the LSOA → ICB lookup in the shape of ONS's LSOA → Sub-ICB
// → ICB lookups: LSOA11CD, LSOA11NM, ICB22CD, ICB22CDH, ICB22NM, one row per
// LSOA in code order.
func orgLookup(areas []*lsoa, orgOf []*org) []byte {
	t := newTable("LSOA11CD", "LSOA11NM", "ICB22CD", "ICB22CDH", "ICB22NM")
	for i, o := range orgOf {
		t.row(areas[i].code, areas[i].name, o.code, o.short, o.name)
	}
	return t.bytes()
}
