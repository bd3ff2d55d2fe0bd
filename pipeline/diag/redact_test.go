package diag

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedact(t *testing.T) {
	long := strings.Repeat("I21", 3000)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "wlmds.csv: file is empty", "wlmds.csv: file is empty"},
		{"one value kept", `apc.csv: line 7: field "age": too long`, `apc.csv: line 7: field "age": too long`},
		{"second value elided", `line 3: "E01000001" and "Z99" do not match`, `line 3: "E01000001" and "…" do not match`},
		{"value cut", `bad "` + long + `" here`, `bad "` + long[:MaxQuoted] + `…" here`},
		{"escaped quote inside", `bad "a\"b" then "secret"`, `bad "a\"b" then "…"`},
		{"unterminated quote", `bad "` + long, `bad "` + long[:MaxQuoted] + `…`},
		{"newlines and controls", "a\nb\r\rc\x00d\x1b[31me", "a; b  cd[31me"},
		{"invalid utf-8", "caf\xe9 code", "caf code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in); got != tc.want {
				t.Errorf("Redact(%.60q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	t.Run("bounded", func(t *testing.T) {
		got := Redact("header: " + long + "\n" + long)
		if n := utf8.RuneCountInString(got); n != MaxMessage || !strings.HasSuffix(got, "…") {
			t.Errorf("length %d (want %d, ending …): %q", n, MaxMessage, got)
		}
	})
}
