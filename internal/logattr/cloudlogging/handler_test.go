package cloudlogging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// TestHandler: level and message are written under Cloud Logging's names,
// and a record logged inside a span carries the trace fields when the
// project is known, and none otherwise.
func TestHandler(t *testing.T) {
	t.Parallel()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	spanCtx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	tests := []struct {
		name    string
		project string
		ctx     context.Context
		level   slog.Level
		want    map[string]any // nil value: the key must be absent
	}{
		{name: "info in a span", project: "acme-prod", ctx: spanCtx, level: slog.LevelInfo, want: map[string]any{
			"severity": "INFO", "message": "served", "level": nil, "msg": nil,
			KeyTrace: "projects/acme-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736", KeySpanID: "00f067aa0ba902b7", KeyTraceSampled: true,
		}},
		{name: "warn without a span", project: "acme-prod", ctx: context.Background(), level: slog.LevelWarn, want: map[string]any{
			"severity": "WARNING", "message": "served", KeyTrace: nil, KeySpanID: nil, KeyTraceSampled: nil,
		}},
		{name: "no project", ctx: spanCtx, level: slog.LevelError, want: map[string]any{
			"severity": "ERROR", KeyTrace: nil, KeySpanID: nil, KeyTraceSampled: nil,
		}},
		{name: "debug", project: "p", ctx: context.Background(), level: slog.LevelDebug - 4, want: map[string]any{"severity": "DEBUG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			l := slog.New(NewHandler(&buf, Options{Project: tt.project, Level: slog.LevelDebug - 4})).With("cellfabric.cell", "gcp-euw1")
			l.Log(tt.ctx, tt.level, "served", "status", 200)
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("not one JSON object: %q: %v", buf.String(), err)
			}
			if got["cellfabric.cell"] != "gcp-euw1" || got["status"] != float64(200) {
				t.Errorf("attributes lost: %v", got)
			}
			for k, w := range tt.want {
				v, ok := got[k]
				if w == nil {
					if ok {
						t.Errorf("%s = %v, want absent", k, v)
					}
					continue
				}
				if v != w {
					t.Errorf("%s = %v, want %v", k, v, w)
				}
			}
		})
	}
}

// TestSeverity: slog's levels and the ones between map to the
// LogSeverity at or below them.
func TestSeverity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		l    slog.Level
		want string
	}{
		{slog.LevelDebug, "DEBUG"}, {slog.LevelInfo, "INFO"}, {slog.LevelInfo + 2, "INFO"},
		{slog.LevelWarn, "WARNING"}, {slog.LevelError, "ERROR"}, {slog.LevelError + 4, "ERROR"},
	} {
		if got := Severity(tc.l); got != tc.want {
			t.Errorf("Severity(%v) = %s, want %s", tc.l, got, tc.want)
		}
	}
}
