package stats

// ESP2013 is the European Standard Population 2013 in the 19 bands
// PHEindicatormethods ships (0–4, 5–9, …, 85–89, 90+; Eurostat's 0 and 1–4
// merged, and 90–94 and 95+ merged). It sums to 100,000. Apply it to each sex
// separately for age–sex standardisation.
var ESP2013 = [19]float64{
	5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
	7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
}

// ESPBandLabels are the labels of the ESP2013 bands, index for index.
var ESPBandLabels = [19]string{
	"0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
	"50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
}

// ESPBand returns the index (0..18) of the ESP2013 band holding age in
// completed years: 0 for ages 0–4, …, 18 for 90 and over. A negative age is
// invalid and returns -1.
func ESPBand(age int) int {
	switch {
	case age < 0:
		return -1
	case age >= 90:
		return 18
	default:
		return age / 5
	}
}
