package router

// Logger is what the packages the edge Worker links (router, and
// control/directory above it) log through. *slog.Logger satisfies it, and
// the server passes one; the Worker passes its own small JSON-lines
// writer, so that it does not link log/slog (about 50 KB of its gzipped
// wasm). Arguments are slog's: a message, then alternating keys and
// values.
//
// A nil Logger means DiscardLogger. A nil *slog.Logger held in a Logger is
// not nil: pass a nil Logger instead.
type Logger interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// DiscardLogger drops every line.
var DiscardLogger Logger = discardLogger{}

type discardLogger struct{}

func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}
