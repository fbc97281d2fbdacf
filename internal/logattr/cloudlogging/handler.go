package cloudlogging

import (
	"context"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// The fields Cloud Logging's logging agent lifts out of a JSON line into
// the LogEntry (the rest stays in jsonPayload), as documented in "Special
// JSON fields in messages",
// https://cloud.google.com/logging/docs/structured-logging#special-payload-fields:
// severity (a LogSeverity name), message (the entry's summary line), time,
// logging.googleapis.com/trace (projects/PROJECT/traces/TRACE_ID),
// logging.googleapis.com/spanId and logging.googleapis.com/trace_sampled.
// slog's "time" key already is the one Cloud Logging reads.
const (
	KeySeverity     = "severity"
	KeyMessage      = "message"
	KeyTrace        = "logging.googleapis.com/trace"
	KeySpanID       = "logging.googleapis.com/spanId"
	KeyTraceSampled = "logging.googleapis.com/trace_sampled"
)

// Options configure a Handler.
type Options struct {
	// Project is the GCP project the process runs in: the trace field names
	// the trace as projects/<Project>/traces/<id>, so that Cloud Logging
	// links the entry to that project's Cloud Trace. Zero: the entries
	// carry severity and message but no trace fields.
	Project string
	// Level is the lowest level written. Zero: slog.LevelInfo.
	Level slog.Leveler
}

// Handler is a slog.Handler writing Cloud Logging's JSON lines. A record
// logged with a context holding a valid span context (Logger.InfoContext,
// LogAttrs) gets the trace fields when Options.Project is set.
type Handler struct {
	json    slog.Handler
	project string
}

var _ slog.Handler = (*Handler)(nil)

// NewHandler returns a Handler writing to w.
func NewHandler(w io.Writer, opts Options) *Handler {
	return &Handler{
		json:    slog.NewJSONHandler(w, &slog.HandlerOptions{Level: opts.Level, ReplaceAttr: replace}),
		project: opts.Project,
	}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.json.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if h.project != "" {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.AddAttrs(
				slog.String(KeyTrace, "projects/"+h.project+"/traces/"+sc.TraceID().String()),
				slog.String(KeySpanID, sc.SpanID().String()),
				slog.Bool(KeyTraceSampled, sc.IsSampled()),
			)
		}
	}
	return h.json.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{json: h.json.WithAttrs(as), project: h.project}
}

// WithGroup implements slog.Handler. The trace fields of a record stay at
// the top level only when no group is open, so a caller that needs them
// does not log under a group.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{json: h.json.WithGroup(name), project: h.project}
}

// replace renames slog's level and message keys to Cloud Logging's, at the
// top level only (a user's attribute named "level" inside a group stays).
func replace(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		l, _ := a.Value.Any().(slog.Level)
		return slog.String(KeySeverity, Severity(l))
	case slog.MessageKey:
		a.Key = KeyMessage
	}
	return a
}

// Severity is the Cloud Logging LogSeverity name of a slog level: DEBUG
// below info, INFO, WARNING from warn, ERROR from error.
func Severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}
