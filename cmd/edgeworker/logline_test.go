package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// logLineCases are calls shaped like the Worker's, and values whose
// encoding is easy to get wrong.
var logLineCases = []struct {
	name string
	msg  string
	args []any
}{
	{"no attrs", "a tenant directory write has been under way too long", nil},
	{"strings ints errors", "cell request failed", []any{"cell", "aws-use1", "cloud", fabric.Cloud("aws"), "tenant", "acme", "request_id", "r-1", "error", errors.New("dial: refused")}},
	{"int64 bool", "reading the tenant directory failed", []any{"tenant", "acme", "found", true, "epoch", int64(-3), "cells", 2}},
	{"reason", "refused", []any{"reason", router.ReasonBadRequestBody, "new_epoch", int64(9)}},
	{"time and duration", "stale health", []any{"checked_at", time.Date(2026, 12, 6, 3, 4, 5, 120000000, time.UTC), "max_age", 90 * time.Second}},
	{"unsigned", "u", []any{"a", uint64(1 << 63), "b", uint32(7), "c", uint(3), "d", int32(-7)}},
	{"escapes", "quote \" back \\ nl \n cr \r tab \t bell \a bs \b ff \f <&> \u2028 \u2029 \xff é", []any{"k\"<", "v\x00\x1f<>&\u2028\xfe"}},
	{"named string escapes", "n", []any{"cloud", fabric.Cloud("<a&b>\b\f\n\x01\u2029\xff")}},
	{"odd args", "odd", []any{"key", "value", "dangling"}},
	{"non-string key", "bad key", []any{42, "x", "y"}},
	{"nil value", "nil", []any{"v", nil}},
}

// slogLine is what slog.NewJSONHandler writes for the call at time t.
func slogLine(t time.Time, level slog.Level, msg string, args []any) []byte {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	r := slog.NewRecord(t, level, msg, 0)
	r.Add(args...)
	_ = h.Handle(context.Background(), r)
	return buf.Bytes()
}

// lineLoggerLine is what lineLogger writes for the same call.
func lineLoggerLine(t time.Time, level slog.Level, msg string, args []any) []byte {
	var buf bytes.Buffer
	l := newLineLogger(&buf, func() time.Time { return t })
	switch level {
	case slog.LevelInfo:
		l.Info(msg, args...)
	case slog.LevelWarn:
		l.Warn(msg, args...)
	default:
		l.Error(msg, args...)
	}
	return buf.Bytes()
}

// TestLineLoggerMatchesSlog: the Worker's log lines are slog's JSON
// handler's, byte for byte, at every level.
func TestLineLoggerMatchesSlog(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 3, 45, 0, 123456789, time.UTC)
	for _, tt := range logLineCases {
		for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
			t.Run(tt.name+"/"+level.String(), func(t *testing.T) {
				t.Parallel()
				want := slogLine(at, level, tt.msg, tt.args)
				if got := lineLoggerLine(at, level, tt.msg, tt.args); !bytes.Equal(got, want) {
					t.Errorf("lineLogger wrote\n%s\nslog writes\n%s", got, want)
				}
			})
		}
	}
}

// TestLineLoggerUnsupported: a value of a type the writer does not know is
// marked, not dropped or misprinted.
func TestLineLoggerUnsupported(t *testing.T) {
	t.Parallel()
	got := lineLoggerLine(time.Unix(0, 0).UTC(), slog.LevelInfo, "m", []any{"v", 1.5})
	if !bytes.Contains(got, []byte(`"v":"!UNSUPPORTED"`)) {
		t.Errorf("got %s", got)
	}
}

// FuzzLineLogger: for any message, keys and values of the kinds the
// Worker logs, and any time, the line is slog's.
func FuzzLineLogger(f *testing.F) {
	for _, tt := range logLineCases {
		k, v := "k", ""
		if len(tt.args) > 1 {
			k, _ = tt.args[0].(string)
			v, _ = tt.args[1].(string)
		}
		f.Add(tt.msg, k, v, int64(7), int64(1765000000123), false)
	}
	f.Fuzz(func(t *testing.T, msg, key, value string, n, ms int64, named bool) {
		at := time.UnixMilli(ms % 253402300799000).UTC() // years 1970..9999
		if at.Year() < 0 || at.Year() > 9999 {
			return
		}
		if key == "" {
			key = "k"
		}
		var v any = value
		if named {
			v = fabric.Cloud(value)
		}
		args := []any{key, v, "n", n, "d", time.Duration(n), "e", errors.New(value), "t", at}
		want := slogLine(at, slog.LevelWarn, msg, args)
		if got := lineLoggerLine(at, slog.LevelWarn, msg, args); !bytes.Equal(got, want) {
			t.Fatalf("lineLogger wrote\n%s\nslog writes\n%s", got, want)
		}
	})
}
