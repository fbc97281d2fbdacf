package jsonkeys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	wide := func(n int) string { // an object of n distinct keys and a repeat of key k7
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		b.WriteString(`"K7":0}`)
		return b.String()
	}
	tests := []struct {
		name string
		doc  string
		want []string // the duplicates' errors, in order; nil: none
	}{
		{name: "no object", doc: `[1,"a",true,null,-0.5e+3]`},
		{name: "distinct keys", doc: `{"a":1,"b":{"a":2,"b":[{"a":3},{"a":4}]}}`},
		{name: "same key in sibling objects", doc: `[{"id":1},{"id":2}]`},
		{name: "same key at different depths", doc: `{"id":{"id":{"id":1}}}`},
		{name: "keys that differ", doc: `{"a":1,"ab":2,"b":3,"a\u0062c":4,"é":5,"e":6}`},
		{name: "empty key", doc: `{"":1,"x":2}`},
		{name: "top level", doc: `{"epoch":100,"epoch":999}`, want: []string{`epoch: duplicate key "epoch": `}},
		{name: "nested in arrays", doc: `{"tenants":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d","cell":"x","cell":"y"}]}`, want: []string{`tenants[3].cell: duplicate key "cell": `}},
		{name: "deep", doc: `{"a":{"b":[[0,{"c":{"d":1,"d":2}}]]}}`, want: []string{`a.b[0][1].c.d: duplicate key "d"`}},
		{name: "root array", doc: `[0,{"x":1,"x":1}]`, want: []string{`[1].x: duplicate key "x"`}},
		{name: "escaped spelling", doc: `{"epoch":1,"\u0065poch":2}`, want: []string{`epoch: duplicate key "epoch"`}},
		{name: "other case", doc: `{"epoch":1,"EPOCH":2}`, want: []string{`EPOCH: duplicate key "EPOCH" (the same as "epoch" apart from case`}},
		{name: "unicode case folding", doc: `{"kelvin":1,"\u212aelvin":2}`, want: []string{"[\"\u212aelvin\"]: duplicate key \"\u212aelvin\" (the same as \"kelvin\""}},
		{name: "invalid utf-8 keys both become U+FFFD", doc: "{\"\xff\":1,\"\xfe\":2}", want: []string{"[\"\ufffd\"]: duplicate key \"\ufffd\""}},
		{name: "key that is not a word", doc: `{"a b":{"x.y":1,"x.y":2}}`, want: []string{`["a b"]["x.y"]: duplicate key "x.y"`}},
		{name: "two", doc: `{"a":1,"a":2,"b":{"c":1,"c":2}}`, want: []string{`a: duplicate key "a"`, `b.c: duplicate key "c"`}},
		{name: "three times", doc: `{"a":1,"a":2,"a":3}`, want: []string{`a: duplicate key "a"`, `a: duplicate key "a"`}},
		{name: "large object", doc: wide(40), want: []string{`K7: duplicate key "K7" (the same as "k7"`}},
		{name: "large object without repeat", doc: strings.Replace(wide(40), `"K7"`, `"k40"`, 1)},
		{name: "large objects one after another", doc: "[" + wide(20) + "," + wide(30) + "]", want: []string{`[0].K7:`, `[1].K7:`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check([]byte(tt.doc))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Check = %v, want an *Error", err)
			}
			if de.Total != len(tt.want) || len(de.Duplicates) != len(tt.want) {
				t.Fatalf("Check found %d duplicates, want %d: %v", de.Total, len(tt.want), err)
			}
			for i, w := range tt.want {
				if got := de.Duplicates[i].Error(); !strings.HasPrefix(got, w) {
					t.Errorf("duplicate %d = %q, want it to start with %q", i, got, w)
				}
			}
			if len(tt.want) > 1 && !strings.HasPrefix(err.Error(), fmt.Sprintf("%d duplicate keys:", len(tt.want))) {
				t.Errorf("error = %q, want a count first", err)
			}
		})
	}
}

// TestCheckSyntax: Check refuses exactly what json.Valid refuses.
func TestCheckSyntax(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `[1,]`, `[,1]`, `{"a":1 "b":2}`, `{a:1}`, `{'a':1}`,
		`01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x1`, `NaN`, `tru`, `nulll`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`,
		"\"a\x01b\"", `{"a":1}{}`, `{"a":1} x`, `[1 2]`, `"\`, `{"a":"b"`, `{"a":"b",`, `[`, `[1`,
		`1`, ` {} `, "\t[\n]\r", `-0.0e-0`, `"\ud800"`, "\"\xff\"", `{"":{"":[]}}`, `1E5`, `[true,false,null]`,
	} {
		err := Check([]byte(doc))
		var se *SyntaxError
		if json.Valid([]byte(doc)) == errors.As(err, &se) {
			t.Errorf("Check(%q) = %v; json.Valid = %v", doc, err, json.Valid([]byte(doc)))
		}
		if se == nil && err != nil {
			t.Errorf("Check(%q) = %v, want nil or a *SyntaxError", doc, err)
		}
	}
}

// TestCheckDepth: the nesting limit is encoding/json's.
func TestCheckDepth(t *testing.T) {
	t.Parallel()
	for _, n := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			close := "]"
			if open != "[" {
				close = "}"
			}
			doc := []byte(strings.Repeat(open, n) + "1" + strings.Repeat(close, n))
			var se *SyntaxError
			if got := !errors.As(Check(doc), &se); got != json.Valid(doc) {
				t.Errorf("depth %d of %s: Check valid = %v, json.Valid = %v", n, open, got, json.Valid(doc))
			}
		}
	}
}

// TestCheckBoundsErrors: a hostile document cannot make a huge error.
func TestCheckBoundsErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 1<<20)
	var b strings.Builder
	for i := 0; i < 50; i++ {
		b.WriteString(`{"` + long + `":`)
	}
	b.WriteString(`{"x":1,"x":2}`)
	b.WriteString(strings.Repeat("}", 50))
	doc := `[` + strings.Repeat(`{"a":1,"a":2},`, 3*MaxReported) + b.String() + `]`
	err := Check([]byte(doc))
	var de *Error
	if !errors.As(err, &de) || de.Total != 3*MaxReported+1 || len(de.Duplicates) != MaxReported {
		t.Fatalf("Check = %T, want %d duplicates with %d listed", err, 3*MaxReported+1, MaxReported)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("... and %d more", 2*MaxReported+1)) {
		t.Errorf("error does not count the unlisted duplicates")
	}
	if n := len(err.Error()); n > 100*(maxShownPath+2*maxShownKey+300) {
		t.Errorf("error is %d bytes", n)
	}
	one := Check([]byte(b.String())).Error()
	if len(one) > maxShownPath+3*maxShownKey+300 || !strings.Contains(one, "….x: duplicate key \"x\"") {
		t.Errorf("error for a deep path with huge keys (%d bytes): %.300s", len(one), one)
	}
}

// duplicatesByTokens is a slow, obviously correct count of duplicate keys
// (equal ignoring case, as encoding/json matches them) using encoding/json's
// own tokenizer. data must be valid JSON.
func duplicatesByTokens(data []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers too large for a float64 are valid JSON
	type level struct {
		object bool
		keys   []string
		isKey  bool
	}
	var stack []*level
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, ok := tok.(string); ok && top != nil && top.object && top.isKey {
			for _, prev := range top.keys {
				if strings.EqualFold(prev, k) {
					n++
					break
				}
			}
			top.keys = append(top.keys, k)
			top.isKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{object: true, isKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].isKey = true
		}
	}
}

// FuzzCheck: Check agrees with json.Valid on what is JSON, and with
// encoding/json's tokenizer on how many keys repeat.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"epoch":100,"epoch":999}`, `{"a":[{"b":1,"B":2}],"c":"\u0063"}`, `[1,2.5e-3,true,false,null,"x\n"]`,
		`{"\u212a":1,"k":2}`, "{\"\xff\":1,\"\xfe\":2}", `{"a":{"a":{"a":1}}}`, `{"a":1,}`, `01`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Check(data)
		var se *SyntaxError
		isSyntax := errors.As(err, &se)
		if valid := json.Valid(data); valid == isSyntax {
			t.Fatalf("Check = %v, json.Valid = %v", err, valid)
		}
		if isSyntax {
			return
		}
		want, terr := duplicatesByTokens(data)
		if terr != nil {
			t.Fatalf("tokenizer failed on valid JSON: %v", terr)
		}
		got := 0
		var de *Error
		if errors.As(err, &de) {
			got = de.Total
		} else if err != nil {
			t.Fatalf("Check = %T %v", err, err)
		}
		if got != want {
			t.Fatalf("Check found %d duplicates (%v), the tokenizer %d", got, err, want)
		}
	})
}
