package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

// TestValidateThreeMistakes: every problem at once, sorted, positioned, exit 2.
func TestValidateThreeMistakes(t *testing.T) {
	data, err := os.ReadFile("testdata/three-mistakes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#   ") {
			want = append(want, "testdata/"+strings.TrimPrefix(line, "#   "))
		}
	}
	code, _, stderr := run(t, "validate", "--config", "testdata/three-mistakes.yaml")
	if code != ExitInvalid {
		t.Errorf("exit %d, want %d", code, ExitInvalid)
	}
	got := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(got) != len(want)+1 || got[len(got)-1] != "3 problems" {
		t.Fatalf("stderr:\n%s\nwant:\n%s\n3 problems", stderr, strings.Join(want, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], w)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--nope"}, ExitInvalid, "unknown flag: --nope"},
		{[]string{"validate", "extra"}, ExitInvalid, "takes no arguments"},
		{[]string{"validate", "--config", "testdata/missing.yaml"}, ExitInvalid, "config testdata/missing.yaml not found"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func TestDiffExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"diff", "testdata/metrics_a.csv", "testdata/metrics_a.csv"}, ExitOK, "0 changed; 0 over"},
		{[]string{"diff", "testdata/metrics_a.csv", "testdata/metrics_b.csv"}, ExitChecks, "! X-1 imd_quintile 1: value 12.5 → 12.6 (+0.1, +0.8%)"},
		{[]string{"diff", "--tolerance", "0.01", "testdata/metrics_a.csv", "testdata/metrics_b.csv"}, ExitOK, "~ X-1 imd_quintile 1"},
		{[]string{"diff", "testdata/metrics_a.csv"}, ExitInvalid, "takes 2 argument(s)"},
		{[]string{"verify", "testdata"}, ExitInvalid, "is not a hiis run folder"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("exit %d, output:\n%s%s\nwant exit %d and %q", code, stdout, stderr, tc.code, tc.want)
			}
		})
	}
}
