package jsonkeys

import (
	"strconv"
	"strings"
)

// MaxReported is how many duplicates an Error lists; Error.Total counts
// them all.
const MaxReported = 100

// maxDepth is encoding/json's nesting limit: a document nested deeper is
// not valid JSON to it, nor to Check.
const maxDepth = 10000

// smallObject is how many keys an object may have before its keys go into
// a map; below it they are compared one by one, which is faster for the
// small objects documents are made of (a tenant has four keys).
const smallObject = 16

// maxShown bounds what an error quotes of one key and of a path, so that a
// hostile document with huge keys cannot make a huge error message.
const (
	maxShownKey  = 64
	maxShownPath = 256
)

// Check reports whether data is one valid JSON value (white space around it
// allowed) in which no object has the same key twice. It returns nil, a
// *SyntaxError for input that is not JSON (exactly when json.Valid is
// false), or an *Error listing the duplicates. It allocates little and
// reads data once, so that it can run on a registry of a million tenants.
func Check(data []byte) error {
	s := scanner{data: data}
	if err := s.document(); err != nil {
		return err
	}
	if s.total > 0 {
		return &Error{Duplicates: s.dups, Total: s.total}
	}
	return nil
}

// Duplicate is a key written a second time in the same object.
type Duplicate struct {
	// Path is the JSON path of the second occurrence, for example
	// `tenants[3].cell` or `cells.aws-use1.endpoint`.
	Path string
	// Key is the key as written the second time, unescaped.
	Key string
	// Earlier is the key as written the first time: the same as Key, or a
	// spelling that differs only in case.
	Earlier string
}

func (d Duplicate) Error() string {
	if d.Key == d.Earlier {
		return d.Path + ": duplicate key " + strconv.Quote(d.Key) + ": an object names each key once (only the last value would count); remove the extra one"
	}
	return d.Path + ": duplicate key " + strconv.Quote(d.Key) + " (the same as " + strconv.Quote(d.Earlier) + " apart from case, and JSON field names match regardless of case): remove the extra one"
}

// Error is every duplicate key of a document.
type Error struct {
	// Duplicates are the first MaxReported duplicates, in document order.
	Duplicates []Duplicate
	// Total counts every duplicate, those past MaxReported included.
	Total int
}

func (e *Error) Error() string {
	if len(e.Duplicates) == 1 && e.Total == 1 {
		return e.Duplicates[0].Error()
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.Total) + " duplicate keys:")
	for _, d := range e.Duplicates {
		b.WriteString("\n  ")
		b.WriteString(d.Error())
	}
	if more := e.Total - len(e.Duplicates); more > 0 {
		b.WriteString("\n  ... and " + strconv.Itoa(more) + " more")
	}
	return b.String()
}

// Unwrap returns each listed duplicate.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Duplicates))
	for i, d := range e.Duplicates {
		errs[i] = d
	}
	return errs
}

// SyntaxError is input that is not one valid JSON value.
type SyntaxError struct {
	// Offset is the byte offset at which the problem was found.
	Offset int
	msg    string
}

func (e *SyntaxError) Error() string {
	return "not valid JSON at byte " + strconv.Itoa(e.Offset) + ": " + e.msg
}

// key is one object key of an open object.
type key struct {
	// name is the unescaped key: a slice of the input when the key has no
	// escape and no byte above 0x7f (nearly always), else a decoded copy.
	name []byte
	// wide: name holds a non-ASCII byte, so case is folded the Unicode way.
	wide bool
}

// step is one level of the path to the value being scanned.
type step struct {
	array bool
	index int // array: the element's index
	key   int // object: the member's key, an index into scanner.keys
}

type scanner struct {
	data  []byte
	i     int
	depth int
	keys  []key            // keys of every open object, innermost last
	path  []step           // open objects and arrays, outermost first
	spare []map[string]int // maps of closed large objects, for reuse
	dups  []Duplicate
	total int
}

func (s *scanner) document() error {
	s.space()
	if err := s.value(); err != nil {
		return err
	}
	s.space()
	if s.i < len(s.data) {
		return s.syntax("unexpected character after the top-level value")
	}
	return nil
}

func (s *scanner) value() error {
	if s.i >= len(s.data) {
		return s.eof()
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		_, _, _, err := s.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.syntax("unexpected character looking for a value")
	}
}

func (s *scanner) object() error {
	if s.depth++; s.depth > maxDepth {
		return s.syntax("nested deeper than " + strconv.Itoa(maxDepth) + " levels")
	}
	s.i++ // '{'
	from := len(s.keys)
	s.path = append(s.path, step{})
	top := len(s.path) - 1
	var set map[string]int
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
	} else {
		for {
			if s.i >= len(s.data) {
				return s.eof()
			}
			if s.data[s.i] != '"' {
				return s.syntax("unexpected character looking for an object key")
			}
			k, err := s.key()
			if err != nil {
				return err
			}
			s.keys = append(s.keys, k)
			s.path[top].key = len(s.keys) - 1
			set = s.remember(from, set)
			s.space()
			if s.i >= len(s.data) {
				return s.eof()
			}
			if s.data[s.i] != ':' {
				return s.syntax("unexpected character after an object key")
			}
			s.i++
			s.space()
			if err := s.value(); err != nil {
				return err
			}
			done, err := s.next('}', "unexpected character after an object member")
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	s.keys = s.keys[:from]
	s.path = s.path[:top]
	if set != nil {
		clear(set)
		s.spare = append(s.spare, set)
	}
	s.depth--
	return nil
}

func (s *scanner) array() error {
	if s.depth++; s.depth > maxDepth {
		return s.syntax("nested deeper than " + strconv.Itoa(maxDepth) + " levels")
	}
	s.i++ // '['
	s.path = append(s.path, step{array: true})
	top := len(s.path) - 1
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
	} else {
		for {
			if err := s.value(); err != nil {
				return err
			}
			done, err := s.next(']', "unexpected character after an array element")
			if err != nil {
				return err
			}
			if done {
				break
			}
			s.path[top].index++
		}
	}
	s.path = s.path[:top]
	s.depth--
	return nil
}

// next scans what follows an object member or an array element: the
// closing byte of the object or array (done), or a comma and the space
// before the next one. bad is the syntax error for anything else.
func (s *scanner) next(closing byte, bad string) (done bool, err error) {
	s.space()
	if s.i >= len(s.data) {
		return false, s.eof()
	}
	switch s.data[s.i] {
	case closing:
		s.i++
		return true, nil
	case ',':
		s.i++
		s.space()
		return false, nil
	}
	return false, s.syntax(bad)
}

// strByte marks the bytes that stand for themselves inside a string: not a
// quote, not a backslash, not a control character.
var strByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string at s.i and returns the bounds of its content and
// whether it holds an escape.
func (s *scanner) str() (start, end int, escaped bool, err error) {
	d := s.data
	i := s.i + 1
	start = i
	for {
		for i < len(d) && strByte[d[i]] {
			i++
		}
		if i >= len(d) {
			s.i = i
			return 0, 0, false, s.eof()
		}
		switch c := d[i]; c {
		case '"':
			s.i = i + 1
			return start, i, escaped, nil
		case '\\':
			escaped = true
			if i+1 >= len(d) {
				s.i = i + 1
				return 0, 0, false, s.eof()
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				i += 2
				for n := 0; n < 4; n++ {
					if i >= len(d) {
						s.i = i
						return 0, 0, false, s.eof()
					}
					if !isHex(d[i]) {
						s.i = i
						return 0, 0, false, s.syntax("unexpected character in a \\u escape")
					}
					i++
				}
			default:
				s.i = i + 1
				return 0, 0, false, s.syntax("invalid escape in a string")
			}
		default:
			s.i = i
			return 0, 0, false, s.syntax("unexpected character in a string")
		}
	}
}

// key scans an object key. A key with an escape or a non-ASCII byte is
// decoded by unquote exactly as encoding/json decodes it, so that it is
// compared as encoding/json will see it (invalid UTF-8 and lone surrogates
// become U+FFFD).
func (s *scanner) key() (key, error) {
	start, end, escaped, err := s.str()
	if err != nil {
		return key{}, err
	}
	name := s.data[start:end]
	wide := false
	for _, c := range name {
		if c >= 0x80 {
			wide = true
			break
		}
	}
	if !escaped && !wide {
		return key{name: name}, nil
	}
	k := key{name: unquote(name)}
	for _, c := range k.name {
		if c >= 0x80 {
			k.wide = true
			break
		}
	}
	return k, nil
}

func (s *scanner) number() error {
	d := s.data
	i := s.i
	if d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		s.i = i
		return s.eof()
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		for i++; i < len(d) && isDigit(d[i]); i++ {
		}
	default:
		s.i = i
		return s.syntax("unexpected character in a number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) {
			s.i = i
			return s.eof()
		}
		if !isDigit(d[i]) {
			s.i = i
			return s.syntax("unexpected character after a decimal point")
		}
		for ; i < len(d) && isDigit(d[i]); i++ {
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) {
			s.i = i
			return s.eof()
		}
		if !isDigit(d[i]) {
			s.i = i
			return s.syntax("unexpected character in an exponent")
		}
		for ; i < len(d) && isDigit(d[i]); i++ {
		}
	}
	s.i = i
	return nil
}

func (s *scanner) literal(word string) error {
	for j := 0; j < len(word); j++ {
		if s.i >= len(s.data) {
			return s.eof()
		}
		if s.data[s.i] != word[j] {
			return s.syntax("unexpected character in the literal " + word)
		}
		s.i++
	}
	return nil
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) syntax(msg string) error {
	return &SyntaxError{Offset: s.i, msg: msg}
}

func (s *scanner) eof() error {
	return &SyntaxError{Offset: len(s.data), msg: "unexpected end of JSON input"}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
