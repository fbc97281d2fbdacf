package jsonkeys

import (
	"unicode/utf16"
	"unicode/utf8"
)

// unquote returns the content of a JSON string that str has already
// scanned (s holds what lies between the quotes: no control byte, no
// invalid escape), decoded as encoding/json decodes it into a Go string:
// escapes resolved, a \u surrogate pair joined into one rune, a lone or
// broken surrogate and every byte that is not valid UTF-8 replaced by
// U+FFFD. FuzzUnquote holds it to json.Unmarshal.
//
// It is written here rather than calling encoding/json so that the edge
// Worker, which links this package, need not link encoding/json for it.
func unquote(s []byte) []byte {
	b := make([]byte, 0, len(s)+2*utf8.UTFMax)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == 'u':
			r, n := escapedRune(s[i:])
			b = utf8.AppendRune(b, r)
			i += n
		case c == '\\' && i+1 < len(s) && simpleEscapes[s[i+1]] != 0:
			b = append(b, simpleEscapes[s[i+1]])
			i += 2
		case c < utf8.RuneSelf: // str refuses any other escape
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return b
}

// simpleEscapes maps the byte after a backslash to what it stands for (0:
// not a one-byte escape).
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// escapedRune decodes the `\uXXXX` escape at the start of s, joined with a
// second one when the two make a surrogate pair, and returns the rune
// (U+FFFD for a lone or broken surrogate) and the bytes it took.
func escapedRune(s []byte) (rune, int) {
	r := hex4(s[2:])
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	r2 := hex4u(s[6:])
	if r2 < 0 {
		return utf8.RuneError, 6
	}
	if joined := utf16.DecodeRune(r, r2); joined != utf8.RuneError {
		return joined, 12
	}
	return utf8.RuneError, 6
}

// hex4u reads a `\uXXXX` escape at the start of s and returns its value,
// or -1 when s does not start with one.
func hex4u(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	return hex4(s[2:])
}

// hex4 reads four hex digits at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
