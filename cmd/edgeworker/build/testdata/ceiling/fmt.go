// Stand-in for the standard library's fmt package, for ceiling.sh only: not
// a working implementation (it formats almost nothing and decodes nothing),
// it measures what the edge Worker's wasm would weigh if fmt cost nothing.

package fmt

import (
	"errors"
	"io"
	"os"
	"strconv"
)

type Stringer interface{ String() string }
type GoStringer interface{ GoString() string }
type State interface {
	Write(b []byte) (n int, err error)
	Width() (wid int, ok bool)
	Precision() (prec int, ok bool)
	Flag(c int) bool
}
type Formatter interface{ Format(f State, verb rune) }
type ScanState interface {
	ReadRune() (r rune, size int, err error)
	UnreadRune() error
	SkipSpace()
	Token(skipSpace bool, f func(rune) bool) (token []byte, err error)
	Width() (wid int, ok bool)
	Read(buf []byte) (n int, err error)
}
type Scanner interface {
	Scan(state ScanState, verb rune) error
}

func one(b []byte, a any) []byte {
	switch v := a.(type) {
	case string:
		return append(b, v...)
	case []byte:
		return append(b, v...)
	case error:
		return append(b, v.Error()...)
	case Stringer:
		return append(b, v.String()...)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case bool:
		return strconv.AppendBool(b, v)
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, '?')
}

func Appendf(b []byte, format string, a ...any) []byte {
	b = append(b, format...)
	for _, x := range a {
		b = append(b, ' ')
		b = one(b, x)
	}
	return b
}
func Append(b []byte, a ...any) []byte {
	for _, x := range a {
		b = one(b, x)
	}
	return b
}
func Appendln(b []byte, a ...any) []byte     { return append(Append(b, a...), '\n') }
func Sprintf(format string, a ...any) string { return string(Appendf(nil, format, a...)) }
func Sprint(a ...any) string                 { return string(Append(nil, a...)) }
func Sprintln(a ...any) string               { return string(Appendln(nil, a...)) }
func Fprintf(w io.Writer, format string, a ...any) (int, error) {
	return w.Write(Appendf(nil, format, a...))
}
func Fprint(w io.Writer, a ...any) (int, error)   { return w.Write(Append(nil, a...)) }
func Fprintln(w io.Writer, a ...any) (int, error) { return w.Write(Appendln(nil, a...)) }
func Printf(format string, a ...any) (int, error) { return Fprintf(os.Stdout, format, a...) }
func Print(a ...any) (int, error)                 { return Fprint(os.Stdout, a...) }
func Println(a ...any) (int, error)               { return Fprintln(os.Stdout, a...) }
func FormatString(state State, verb rune) string  { return "%" + string(verb) }

type wrapErrors struct {
	msg  string
	errs []error
}

func (e *wrapErrors) Error() string   { return e.msg }
func (e *wrapErrors) Unwrap() []error { return e.errs }

func Errorf(format string, a ...any) error {
	var errs []error
	for _, x := range a {
		if e, ok := x.(error); ok {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return errors.New(Sprintf(format, a...))
	}
	return &wrapErrors{Sprintf(format, a...), errs}
}
func Sscanf(str string, format string, a ...any) (n int, err error) { return 0, errors.New("stub") }
func Sscan(str string, a ...any) (n int, err error)                 { return 0, errors.New("stub") }
func Fscan(r io.Reader, a ...any) (n int, err error)                { return 0, errors.New("stub") }
