package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline"
	"hiis/pipeline/audit"
	"hiis/pipeline/diag"
	"hiis/pipeline/refdata"
)

// englandFile is a Fingertips data download with ER-1a's England rows
// (mapped to made-up Indicator ID 990101): overall and quintiles 1 and 5.
func englandFile(value string) string {
	head := `"` + strings.Join(refdata.FingertipsColumns, `","`) + `","Recent Trend","Compared to England value or percentiles","Time period Sortable","New data","Compared to goal"` + "\r\n"
	row := func(ctype, cat, v, lo, hi string) string {
		return `990101,"Waiting 18+ weeks",,,E92000001,England,England,Persons,All ages,"` + ctype + `","` + cat + `",2023/24,` + v + `,` + lo + `,` + hi + `,,,,,,,,20230000,,` + "\r\n"
	}
	const q = "LSOA11 deprivation quintiles in England (IMD2019)"
	return head + row("", "", "35.5", "35.2", "35.8") +
		row(q, "Most deprived quintile (IMD2019)", value, "40.1", "41.1") +
		row(q, "Least deprived quintile (IMD2019)", "30.2", "29.8", "30.6")
}

const englandConfig = `comparators:
  national:
    path: england.csv
    format: fingertips
    label: England
    period: "2023/24"
    indicators: {ER-1a: "990101"}
`

// A published England file is read beside the statement, pinned in the
// manifest, copied into the bundle (the folder verifies on its own), and
// refused with file, line and field when it fails a check.
func TestPublishedComparator(t *testing.T) {
	for _, tc := range []struct {
		name, cfg, file string
		want            string
		asError         any
	}{
		{name: "good", cfg: englandConfig, file: englandFile("40.6")},
		{name: "bad value", cfg: englandConfig, file: englandFile("4o.6"),
			want: `comparators.national: england.csv: line 3: field "Value": "4o.6" is not a number`, asError: new(*pipeline.BadInputError)},
		{name: "not an indicator", cfg: strings.Replace(englandConfig, "ER-1a:", "CVD-1:", 1), file: englandFile("40.6"),
			want: "comparators.national.indicators: CVD-1 is not an indicator in indicators", asError: new(*pipeline.InvalidError)},
		{name: "mapped indicator absent", cfg: strings.Replace(englandConfig, `"990101"`, `"990999"`, 1), file: englandFile("40.6"),
			want: "england.csv: field \"Indicator ID\": Indicator ID 990999 (for ER-1a): no rows", asError: new(*pipeline.BadInputError)},
		{name: "unknown format", cfg: strings.Replace(englandConfig, "format: fingertips", "format: phof", 1), file: englandFile("40.6"),
			want: `comparators.national.format: "phof" is not fingertips`, asError: new(*diag.Error)},
		{name: "pin", cfg: englandConfig + "    sha256: " + strings.Repeat("ab", 32) + "\n", file: englandFile("40.6"),
			want: "comparators.national.sha256", asError: new(*pipeline.InvalidError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := miniProject(t, miniConfig+tc.cfg, wlmdsHeader+goodRows(40))
			if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "england.csv"), []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runMini(t, cfgPath)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
				}
				if !errors.As(err, tc.asError) {
					t.Fatalf("error %T does not unwrap to %T", err, tc.asError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			page, err := os.ReadFile(filepath.Join(out, "statement.html"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"significantly above England (35.5%, 95% CI 35.2 to 35.8)", "against the same quintile of England", "England, same quintile (grey diamonds)", "England 35.5%"} {
				if !strings.Contains(string(page), want) {
					t.Errorf("statement.html lacks %q", want)
				}
			}
			man, err := os.ReadFile(filepath.Join(out, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(man), `"comparator:national"`) || !strings.Contains(string(man), "bundle/reference/comparator-national.csv") {
				t.Error("the manifest does not pin England's file and its bundle copy")
			}
			dst := filepath.Join(t.TempDir(), "copy")
			if err := os.CopyFS(dst, os.DirFS(out)); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(context.Background(), dst)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Error("the copied folder does not verify")
			}
		})
	}
}
