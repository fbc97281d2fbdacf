package main

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// logFormats are the values of --log-format.
var logFormats = []string{"text", "json"}

// logFormat is a --log-format flag: a value outside logFormats is refused
// when the flags are parsed, so a typo never falls back to a format the
// user did not ask for.
type logFormat string

var _ choiceValue = (*logFormat)(nil)

// String implements flag.Value.
func (f *logFormat) String() string { return string(*f) }

// Set implements flag.Value.
func (f *logFormat) Set(v string) error {
	if !slices.Contains(logFormats, v) {
		return fmt.Errorf("want %s", strings.Join(logFormats, " or "))
	}
	*f = logFormat(v)
	return nil
}

func (f *logFormat) choices() []string { return logFormats }

// logger returns a logger writing in format f to w.
func (f logFormat) logger(w io.Writer) *slog.Logger {
	if f == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
