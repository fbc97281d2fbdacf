package main

import (
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// lineLogger writes the Worker's log lines: one JSON object a line, byte
// for byte what slog.NewJSONHandler(w, nil) writes for the same call
// (TestLineLoggerMatchesSlog, FuzzLineLogger), without linking log/slog,
// which with its reflect-based value formatting cost the Worker about
// 50 KB of gzipped wasm.
//
// It formats the values the Worker logs: strings, bools, integers, errors,
// time.Time, time.Duration, and the named string types fabric.Cloud and
// router.Reason (which slog encodes with encoding/json, HTML escaping
// off). Any other type is written as the string "!UNSUPPORTED"; add it here
// (and to the tests) before logging it.
type lineLogger struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
	buf []byte
}

var _ router.Logger = (*lineLogger)(nil)

func newLineLogger(w io.Writer, now func() time.Time) *lineLogger {
	return &lineLogger{w: w, now: now}
}

func (l *lineLogger) Info(msg string, args ...any)  { l.log("INFO", msg, args) }
func (l *lineLogger) Warn(msg string, args ...any)  { l.log("WARN", msg, args) }
func (l *lineLogger) Error(msg string, args ...any) { l.log("ERROR", msg, args) }

func (l *lineLogger) log(level, msg string, args []any) {
	t := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := append(l.buf[:0], `{"time":`...)
	b = appendTime(b, t)
	b = append(b, `,"level":"`...)
	b = append(b, level...)
	b = append(b, `","msg":`...)
	b = appendLogString(b, msg, false)
	for len(args) > 0 {
		// slog's rule: a string is a key and the next argument its value;
		// a last string alone, or a value where a key should be, goes
		// under the key !BADKEY.
		key, ok := args[0].(string)
		var v any
		switch {
		case ok && len(args) > 1:
			v, args = args[1], args[2:]
		case ok:
			key, v, args = "!BADKEY", args[0], args[1:]
		default:
			key, v, args = "!BADKEY", args[0], args[1:]
		}
		b = append(b, ',')
		b = appendLogString(b, key, false)
		b = append(b, ':')
		b = appendLogValue(b, v)
	}
	b = append(b, '}', '\n')
	_, _ = l.w.Write(b)
	if cap(b) <= 64<<10 {
		l.buf = b
	}
}

// appendLogValue writes v as slog's JSON handler does.
func appendLogValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendLogString(b, v, false)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case time.Duration:
		return strconv.AppendInt(b, int64(v), 10)
	case time.Time:
		return appendTime(b, v)
	case fabric.Cloud:
		return appendLogString(b, string(v), true)
	case router.Reason:
		return appendLogString(b, string(v), true)
	case error:
		return appendLogString(b, v.Error(), false)
	case nil:
		return append(b, "null"...)
	}
	return appendLogString(b, "!UNSUPPORTED", false)
}

// appendTime writes t as slog does: RFC 3339 with nanoseconds, quoted.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendLogString writes s quoted. With jsonStyle false it escapes as slog
// escapes a string (control bytes as \u00XX except \n, \r and \t); with
// jsonStyle true as encoding/json does with HTML escaping off (\b and \f
// by letter too), which is how slog writes a value of a named string
// type. Both write invalid UTF-8 as \ufffd and U+2028, U+2029 escaped.
func appendLogString(b []byte, s string, jsonStyle bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case jsonStyle && c == '\b':
				b = append(b, '\\', 'b')
			case jsonStyle && c == '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
