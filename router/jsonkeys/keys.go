package jsonkeys

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// remember compares the newest key (the last of s.keys) with the keys of
// its object (s.keys[from:]) and records a duplicate. A small object's keys
// are compared one by one; once it reaches smallObject keys, its folded keys
// go into set, which remember returns.
func (s *scanner) remember(from int, set map[string]int) map[string]int {
	last := len(s.keys) - 1
	k := s.keys[last]
	if set != nil {
		f := fold(k.name)
		if j, ok := set[f]; ok {
			s.duplicate(j, last)
		} else {
			set[f] = last
		}
		return set
	}
	for j := from; j < last; j++ {
		if same(s.keys[j], k) {
			s.duplicate(j, last)
			return nil
		}
	}
	if last-from+1 < smallObject {
		return nil
	}
	if n := len(s.spare); n > 0 {
		set, s.spare = s.spare[n-1], s.spare[:n-1]
	} else {
		set = make(map[string]int, 2*smallObject)
	}
	for j := from; j <= last; j++ {
		set[fold(s.keys[j].name)] = j
	}
	return set
}

// same reports whether encoding/json would take a and b for the same field:
// equal apart from case, folded as bytes.EqualFold folds (which is how
// encoding/json matches field names).
func same(a, b key) bool {
	if a.wide || b.wide {
		return bytes.EqualFold(a.name, b.name)
	}
	if len(a.name) != len(b.name) {
		return false
	}
	for i := range a.name {
		x, y := a.name[i], b.name[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// fold returns a form of name that is the same for exactly the names same
// takes for equal: ASCII letters in upper case, every other rune replaced
// by the smallest rune of its Unicode fold orbit (as encoding/json's own
// foldName does).
func fold(name []byte) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return string(out)
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// duplicate records that key dup repeats key first of the same object.
func (s *scanner) duplicate(first, dup int) {
	s.total++
	if len(s.dups) < MaxReported {
		s.dups = append(s.dups, Duplicate{Path: s.where(), Key: shown(s.keys[dup].name), Earlier: shown(s.keys[first].name)})
	}
}

// where renders the path to the current member: keys as `.name` (or
// `["na me"]` when the key is not a plain word), array elements as `[i]`.
// A path longer than maxShownPath keeps its end.
func (s *scanner) where() string {
	var parts []string
	n := 0
	for i := len(s.path) - 1; i >= 0; i-- {
		st := s.path[i]
		var p string
		if st.array {
			p = "[" + strconv.Itoa(st.index) + "]"
		} else {
			name := s.keys[st.key].name
			if plain(name) {
				p = string(name)
				if len(name) > maxShownKey {
					p = shown(name)
				}
				if i > 0 {
					p = "." + p
				}
			} else {
				p = "[" + strconv.Quote(shown(name)) + "]"
			}
		}
		if n+len(p) > maxShownPath && len(parts) > 0 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, p)
		n += len(p)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return b.String()
}

// plain: a key that reads well after a dot in a path.
func plain(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// shown is a key as an error quotes it: cut to maxShownKey bytes.
func shown(name []byte) string {
	if len(name) <= maxShownKey {
		return string(name)
	}
	cut := maxShownKey
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return string(name[:cut]) + "…"
}
