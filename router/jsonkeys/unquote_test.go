package jsonkeys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// unquoteCases are keys whose decoding is easy to get wrong: every escape,
// surrogate pairs whole and broken, invalid UTF-8.
var unquoteCases = []string{
	`plain`, `\"\\\/\b\f\n\r\t`, `\u0065poch`, `\u00e9\u00C9`, `\u212a`,
	`\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\ude00\ud83d`, `\ud83d\u0041`, `\ud83d\ud83d\ude00`,
	`\udbff\udfff`, `\u0000`, "caf\xc3\xa9", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	`\ud83d\`, `\ud83d\u12`, "\u2028",
}

// TestUnquoteMatchesEncodingJSON: unquote decodes each string the way
// json.Unmarshal into a string does, byte for byte.
func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, c := range unquoteCases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			checkUnquote(t, []byte(`"`+c+`"`))
		})
	}
}

// checkUnquote compares unquote with json.Unmarshal on doc when the
// scanner takes doc for one whole string; it reports whether it did.
func checkUnquote(t *testing.T, doc []byte) bool {
	t.Helper()
	s := scanner{data: doc}
	if len(doc) == 0 || doc[0] != '"' {
		return false
	}
	start, end, _, err := s.str()
	if err != nil || s.i != len(doc) {
		return false
	}
	var want string
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatalf("the scanner took %q for a string, json.Unmarshal did not: %v", doc, err)
	}
	if got := unquote(doc[start:end]); !bytes.Equal(got, []byte(want)) {
		t.Fatalf("unquote(%q) = %q, json.Unmarshal gives %q", doc, got, want)
	}
	return true
}

// FuzzUnquote: on every string the scanner accepts, unquote and
// json.Unmarshal decode the same bytes.
func FuzzUnquote(f *testing.F) {
	for _, c := range unquoteCases {
		f.Add([]byte(`"` + c + `"`))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkUnquote(t, doc)
	})
}

// TestErrorText: the messages are those the package wrote with fmt
// (%q and %d) before it stopped importing fmt.
func TestErrorText(t *testing.T) {
	t.Parallel()
	dups := []Duplicate{
		{Path: "tenants[3].cell", Key: "cell", Earlier: "cell"},
		{Path: `cells.a"b`, Key: "Epoch\n\u00e9\xff", Earlier: "epoch"},
	}
	old := func(d Duplicate) string {
		if d.Key == d.Earlier {
			return fmt.Sprintf("%s: duplicate key %q: an object names each key once (only the last value would count); remove the extra one", d.Path, d.Key)
		}
		return fmt.Sprintf("%s: duplicate key %q (the same as %q apart from case, and JSON field names match regardless of case): remove the extra one", d.Path, d.Key, d.Earlier)
	}
	for _, d := range dups {
		if got, want := d.Error(), old(d); got != want {
			t.Errorf("Duplicate.Error() = %q, want %q", got, want)
		}
	}
	e := &Error{Duplicates: dups, Total: 7}
	want := fmt.Sprintf("%d duplicate keys:\n  %s\n  %s\n  ... and %d more", 7, old(dups[0]), old(dups[1]), 5)
	if got := e.Error(); got != want {
		t.Errorf("Error.Error() = %q, want %q", got, want)
	}
	if got := (&Error{Duplicates: dups[:1], Total: 1}).Error(); got != old(dups[0]) {
		t.Errorf("one duplicate: %q", got)
	}
	if strings.Contains(want, "%!") {
		t.Fatalf("bad format in the test: %q", want)
	}
}
