package diag

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of Redact.
const (
	MaxMessage = 300 // characters of a redacted message
	MaxQuoted  = 40  // characters of the one quoted value it keeps
)

// Redact makes an error message safe to show outside restricted/ (on the
// terminal, in a failed run's manifest): record values must not leak
// through it. It keeps the first quoted value ("..." as %q writes it),
// cut to MaxQuoted characters, and replaces every later one with "…";
// turns newlines into "; " and drops other control characters and invalid
// UTF-8; and cuts the whole to MaxMessage characters. The full text belongs
// in restricted/.
func Redact(msg string) string {
	var b strings.Builder
	n := 0           // characters written
	cut := false     // MaxMessage reached with text left over
	quoted := 0      // quoted values seen
	inQuote := false // inside a quoted value
	escaped := false // the previous character was a backslash inside it
	q := 0           // characters of the current quoted value
	emit := func(rs ...rune) {
		for _, r := range rs {
			if n >= MaxMessage {
				cut = true
				return
			}
			b.WriteRune(r)
			n++
		}
	}
	for i := 0; i < len(msg) && !cut; {
		r, size := utf8.DecodeRuneInString(msg[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			continue // an invalid byte
		case r == '\n' && !inQuote:
			emit(';', ' ')
			continue
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			continue
		}
		switch {
		case !inQuote && r == '"':
			inQuote, escaped, q = true, false, 0
			quoted++
			if quoted > 1 {
				emit('"', '…')
			} else {
				emit(r)
			}
		case !inQuote:
			emit(r)
		case r == '"' && !escaped:
			inQuote = false
			emit(r)
		default:
			escaped = !escaped && r == '\\'
			q++
			if quoted == 1 && q <= MaxQuoted {
				emit(r)
			} else if quoted == 1 && q == MaxQuoted+1 {
				emit('…')
			}
		}
	}
	if cut {
		s := []rune(b.String())
		return string(s[:MaxMessage-1]) + "…"
	}
	return b.String()
}
