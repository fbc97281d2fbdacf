// Stand-in for the standard library's json package, for ceiling.sh only: not
// a working implementation (it formats almost nothing and decodes nothing),
// it measures what the edge Worker's wasm would weigh if json cost nothing.

package json

import (
	"errors"
	"io"
	"strconv"
)

var errStub = errors.New("json stub")

type Marshaler interface{ MarshalJSON() ([]byte, error) }
type Unmarshaler interface{ UnmarshalJSON([]byte) error }
type RawMessage []byte

func (m RawMessage) MarshalJSON() ([]byte, error) { return m, nil }
func (m *RawMessage) UnmarshalJSON(data []byte) error {
	*m = append((*m)[0:0], data...)
	return nil
}

type Number string

func (n Number) String() string            { return string(n) }
func (n Number) Int64() (int64, error)     { return strconv.ParseInt(string(n), 10, 64) }
func (n Number) Float64() (float64, error) { return strconv.ParseFloat(string(n), 64) }

type SyntaxError struct {
	msg    string
	Offset int64
}

func (e *SyntaxError) Error() string { return e.msg }

type UnmarshalTypeError struct {
	Value  string
	Offset int64
	Struct string
	Field  string
}

func (e *UnmarshalTypeError) Error() string { return "json: cannot unmarshal " + e.Value }

type Token any
type Delim rune

func (d Delim) String() string { return string(d) }

func Marshal(v any) ([]byte, error)                                         { return nil, errStub }
func MarshalIndent(v any, prefix, indent string) ([]byte, error)            { return nil, errStub }
func Unmarshal(data []byte, v any) error                                    { return errStub }
func Valid(data []byte) bool                                                { return false }
func Compact(dst interface{ Write([]byte) (int, error) }, src []byte) error { return errStub }

type Decoder struct{ r io.Reader }

func NewDecoder(r io.Reader) *Decoder     { return &Decoder{r} }
func (d *Decoder) DisallowUnknownFields() {}
func (d *Decoder) UseNumber()             {}
func (d *Decoder) Decode(v any) error     { return errStub }
func (d *Decoder) Token() (Token, error)  { return nil, io.EOF }
func (d *Decoder) More() bool             { return false }
func (d *Decoder) InputOffset() int64     { return 0 }

type Encoder struct{ w io.Writer }

func NewEncoder(w io.Writer) *Encoder              { return &Encoder{w} }
func (e *Encoder) Encode(v any) error              { return errStub }
func (e *Encoder) SetEscapeHTML(on bool)           {}
func (e *Encoder) SetIndent(prefix, indent string) {}
