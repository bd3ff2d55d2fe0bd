package fixturegen

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Ethnic groups, in the order of METHODS.md.
const (
	gWhite = iota
	gMixed
	gAsian
	gBlack
	gOther
	gNotStated
	gNotKnown
	nGroups
)

// groupNames are the ethnic group labels hiis reports.
var groupNames = [nGroups]string{
	"White", "Mixed", "Asian or Asian British", "Black or Black British",
	"Other ethnic groups", "Not stated", "Not known",
}

// groupOf classifies a recorded ethnic category as METHODS.md does: only the
// first character counts; Z is Not stated; 99, blank and anything else are
// Not known.
func groupOf(code string) int {
	if code == "" || code == "99" {
		return gNotKnown
	}
	switch code[0] {
	case 'A', 'B', 'C':
		return gWhite
	case 'D', 'E', 'F', 'G':
		return gMixed
	case 'H', 'J', 'K', 'L':
		return gAsian
	case 'M', 'N', 'P':
		return gBlack
	case 'R', 'S':
		return gOther
	case 'Z':
		return gNotStated
	}
	return gNotKnown
}

// person is one synthetic registered patient.
type person struct {
	idx      int
	area     *lsoa
	q        int    // IMD quintile 1..5, 0 when the LSOA is not in the lookup
	eth      string // ethnic category as recorded
	group    int    // ethnic group index
	age, sex int
	pid      string // pseudonymised MHSDS person id
	mhLSOA   string // LSOA as recorded in MHSDS (outside the lookup for 1%)
}

// qi is the index into a quintile multiplier array: Unknown uses quintile 3.
func (p *person) qi() int {
	if p.q == 0 {
		return 2
	}
	return p.q - 1
}

// England-like age structure (per cent of people per five-year band, 0–4 …
// 85–89, 90+) and the share of each band that is male.
var (
	bandShare = [19]float64{5.4, 5.9, 6.0, 5.6, 6.0, 6.7, 6.9, 6.6, 6.3, 6.2, 6.8, 6.7, 5.9, 5.0, 5.0, 3.7, 2.5, 1.5, 0.9}
	bandMale  = [19]float64{0.512, 0.512, 0.512, 0.515, 0.51, 0.50, 0.495, 0.495, 0.495, 0.495, 0.495, 0.49, 0.49, 0.485, 0.48, 0.465, 0.44, 0.39, 0.30}
)

// maxAge is the oldest single year of age in the population file.
const maxAge = 100

// lsoaSize is the mean number of people per LSOA by quintile (deprived areas
// are more crowded); each LSOA varies ±15% around it.
var lsoaSize = [5]float64{294, 279, 265, 255, 245}

// crossBorderSize is the number of people in each cross-border LSOA.
const crossBorderSize = 150

// Ethnic recording: shares of not stated (Z), not known (99) and blank, and
// the share of valid codes written in a two-character local form.
const (
	shareZ      = 0.05
	share99     = 0.02
	shareBlank  = 0.02
	shareLocal  = 0.08
	badLSOARate = 0.01 // event rows (MHSDS: people) given an LSOA outside the lookup
)

// localSuffixes make two-character local codes such as "A1" or "CA".
var localSuffixes = []string{"1", "2", "A", "F", "X"}

// sexAgeCells returns the cumulative weights of the 2×101 (sex, age) cells
// for an age tilt β; cell i is sex i/101+1, age i%101.
func sexAgeCells(beta float64) cumulative {
	w := make([]float64, 2*(maxAge+1))
	for sex := 1; sex <= 2; sex++ {
		for age := 0; age <= maxAge; age++ {
			b := age / 5
			var share float64
			if b >= 18 {
				b = 18
				// Spread 90+ geometrically over 90..100.
				norm := 0.0
				for a := 90; a <= maxAge; a++ {
					norm += math.Pow(0.78, float64(a-90))
				}
				share = bandShare[18] * math.Pow(0.78, float64(age-90)) / norm
			} else {
				share = bandShare[b] / 5
			}
			m := bandMale[b]
			if sex == 2 {
				m = 1 - m
			}
			w[(sex-1)*(maxAge+1)+age] = share * m * math.Exp(beta*(40-float64(age))/40)
		}
	}
	return newCumulative(w)
}

// ethnicMix returns the national codes and their shares in an area.
func ethnicMix(a *lsoa) []weighted {
	m := a.minority
	rest := m * (1 - 0.04 - a.otherWhite)
	mix := []weighted{
		{"A", 1 - m}, {"B", m * 0.04}, {"C", m * a.otherWhite},
	}
	sub := []struct {
		share float64
		codes []weighted
	}{
		{0.14, []weighted{{"D", 0.25}, {"E", 0.20}, {"F", 0.30}, {"G", 0.25}}},
		{0.42, []weighted{{"H", 0.35}, {"J", 0.30}, {"K", 0.15}, {"L", 0.20}}},
		{0.30, []weighted{{"M", 0.30}, {"N", 0.60}, {"P", 0.10}}},
		{0.14, []weighted{{"R", 0.30}, {"S", 0.70}}},
	}
	for _, s := range sub {
		for _, c := range s.codes {
			mix = append(mix, weighted{c.v, rest * s.share * c.w})
		}
	}
	return mix
}

// recordEthnicity turns a true national code into the recorded field.
func recordEthnicity(r rng, code string) string {
	u := r.Float64()
	switch {
	case u < shareZ:
		return "Z"
	case u < shareZ+share99:
		return "99"
	case u < shareZ+share99+shareBlank:
		return ""
	case u < shareZ+share99+shareBlank+(1-shareZ-share99-shareBlank)*shareLocal:
		return code + localSuffixes[r.IntN(len(localSuffixes))]
	}
	return code
}

// badLSOA returns an LSOA field that is not in the lookup.
func badLSOA(r rng) string {
	return pickString(r, []weighted{
		{"", 0.40}, {"W01000123", 0.20}, {"W01001876", 0.10}, {"E01999999", 0.15}, {"S01006506", 0.15},
	})
}

// buildPeople draws the population, area by area.
func buildPeople(seed uint64, areas []*lsoa) []*person {
	r := newRNG(seed, streamPopulation)
	re := newRNG(seed, streamEthnicity)
	rp := newRNG(seed, streamPeople)
	cells := map[float64]cumulative{}
	var people []*person
	for _, a := range areas {
		n := crossBorderSize
		if a.inLookup {
			n = int(math.Round(lsoaSize[a.quintile-1] * (0.85 + 0.3*r.Float64())))
		}
		c, ok := cells[a.youngTilt]
		if !ok {
			c = sexAgeCells(a.youngTilt)
			cells[a.youngTilt] = c
		}
		people = areaPeople(r, re, a, n, c, people)
	}
	seen := map[string]bool{}
	for _, p := range people {
		for {
			p.pid = fmt.Sprintf("MH%08X", rp.Uint32())
			if !seen[p.pid] {
				break
			}
		}
		seen[p.pid] = true
		p.mhLSOA = p.area.code
		if rp.bern(badLSOARate) {
			p.mhLSOA = badLSOA(rp)
		}
	}
	return people
}

// areaPeople appends n people living in area a to people: sex and age from
// the cells of the area's age tilt (drawn from r), ethnicity from the area's
// mix as recorded (drawn from re).
func areaPeople(r, re rng, a *lsoa, n int, c cumulative, people []*person) []*person {
	mix := ethnicMix(a)
	mixW := make([]float64, len(mix))
	for i, m := range mix {
		mixW[i] = m.w
	}
	mixC := newCumulative(mixW)
	for range n {
		cell := c.pick(r)
		eth := recordEthnicity(re, mix[mixC.pick(re)].v)
		people = append(people, &person{
			idx:   len(people),
			area:  a,
			q:     a.quintile,
			eth:   eth,
			group: groupOf(eth),
			age:   cell % (maxAge + 1),
			sex:   cell/(maxAge+1) + 1,
		})
	}
	return people
}

// populationCSV counts people by lsoa × sex × age × ethnic_category and
// writes the non-zero cells, sorted by those keys.
func populationCSV(people []*person) ([]byte, int) {
	type key struct {
		lsoa     string
		sex, age int
		eth      string
	}
	counts := map[key]int{}
	var keys []key
	for _, p := range people {
		k := key{p.area.code, p.sex, p.age, p.eth}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.lsoa != b.lsoa {
			return a.lsoa < b.lsoa
		}
		if a.sex != b.sex {
			return a.sex < b.sex
		}
		if a.age != b.age {
			return a.age < b.age
		}
		return a.eth < b.eth
	})
	w := newTable("lsoa", "ethnic_category", "age", "sex", "people")
	for _, k := range keys {
		w.row(k.lsoa, k.eth, strconv.Itoa(k.age), strconv.Itoa(k.sex), strconv.Itoa(counts[k]))
	}
	return w.bytes(), len(keys)
}
