package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hiis/pipeline/cli"
)

// TestIngestWholeRun runs the messy inputs of issue 8 through the whole
// pipeline: what the run does and the exit code a user sees.
func TestIngestWholeRun(t *testing.T) {
	for _, tc := range []struct {
		name, wlmds string
		exit        int
		want        string // in the error, or in the rejects file when exit is 0
	}{
		{name: "a Latin-1 byte is a reject, not a crash", wlmds: wlmdsHeader + goodRows(40) + "E01990001,A,40,1,P\xe9X,IRTT,3,2026-03-29\n",
			want: "42,pathway_id,invalid UTF-8 byte 0xE9"},
		{name: "duplicated records are rejected as duplicates", wlmds: wlmdsHeader + goodRows(40) + goodRows(5),
			want: "42,pathway_id+census_date,duplicate of line 2"},
		{name: "0% IMD match stops the run", wlmds: wlmdsHeader + strings.ReplaceAll(goodRows(40), "E0199000", "E0103000"),
			exit: 1, want: "only 0.0% matched"},
		{name: "no record in the period stops the run", wlmds: wlmdsHeader + strings.ReplaceAll(goodRows(40), "2026-03-29", "2020-03-29"),
			exit: 1, want: "in the reporting period 2025-04-01 to 2026-03-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := miniProject(t, miniConfig, tc.wlmds)
			out, err := runMini(t, cfgPath)
			if got := cli.ExitCode(err); got != tc.exit {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.exit)
			}
			if tc.exit != 0 {
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v\nwant %q", err, tc.want)
				}
				return
			}
			b, err := os.ReadFile(filepath.Join(out, "restricted", "rejects", "wlmds.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.want) {
				t.Fatalf("rejects:\n%s\nwant %q", b, tc.want)
			}
		})
	}
}
