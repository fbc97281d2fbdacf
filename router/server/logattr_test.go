package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router"
)

// TestLogAttributeNames: the router's lines about a tenant's failed
// attempts name the tenant and the cell with the keys the cells' access
// lines and the spans use (internal/logattr), so that one log query
// follows a tenant through the router and its cells; no line uses the
// bare "tenant" or "cell". With tracing on, the lines carry the
// request's trace id and the router's span id (the keys of the cells'
// access lines), so a log line leads to its trace; off, neither key.
func TestLogAttributeNames(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		tests := []struct {
			name       string
			deadFirst  bool // the primary refuses connections; else it answers 503
			wantMsg    string
			wantCell   string
			wantStatus float64 // 0: no status on the line
			traced     bool
		}{
			{name: "connection refused", deadFirst: true, wantMsg: "cell request failed", wantCell: "dead"},
			{name: "503 retried", wantMsg: "retrying on the next cell", wantCell: "cell-a", wantStatus: 503},
			{name: "connection refused, traced", deadFirst: true, wantMsg: "cell request failed", wantCell: "dead", traced: true},
			{name: "503 retried, traced", wantMsg: "retrying on the next cell", wantCell: "cell-a", wantStatus: 503, traced: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a := newTestCell(t, "cell-a", "aws")
				b := newTestCell(t, "cell-b", "gcp")
				a.status.Store(503)
				cells := []router.Cell{a.cell(), b.cell()}
				primary := "cell-a"
				if tt.deadFirst {
					cells = append(cells, router.Cell{ID: "dead", Cloud: "aws", Region: "r", Endpoint: deadURL(t), Weight: 100})
					primary = "dead"
				}
				logs := &syncBuffer{}
				exp := tracetest.NewInMemoryExporter()
				var p *tracing.Provider
				if tt.traced {
					var err error
					if p, err = tracing.New(context.Background(), tracing.Config{Service: "cellfabric-router", Sample: 1, Exporter: exp}); err != nil {
						t.Fatal(err)
					}
				}
				h := startRouter(t, registry(1, cells, router.Tenant{ID: "acme", Cell: primary, Failover: []string{"cell-b"}}),
					func(c *Config) { c.Logger, c.Tracing = slog.New(slog.NewJSONHandler(logs, nil)), p })
				resp, body := h.do(t, "GET", "/x", map[string]string{"X-Tenant-ID": "acme", "X-Request-ID": "req-42"}, "")
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				wantTrace, wantSpan := "", ""
				if tt.traced {
					if err := p.ForceFlush(context.Background()); err != nil {
						t.Fatal(err)
					}
					servers := spansByName(exp.GetSpans(), spanRequest)
					if len(servers) != 1 {
						t.Fatalf("%d server spans, want 1", len(servers))
					}
					wantTrace, wantSpan = servers[0].SpanContext.TraceID().String(), servers[0].SpanContext.SpanID().String()
				}
				var found bool
				for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil {
						t.Fatalf("not JSON: %q", line)
					}
					for _, bare := range []string{"tenant", "cell"} {
						if _, ok := m[bare]; ok {
							t.Errorf("bare %q in %s", bare, line)
						}
					}
					if m["msg"] != tt.wantMsg {
						continue
					}
					found = true
					if m[logattr.Tenant] != "acme" || m[logattr.Cell] != tt.wantCell || m[logattr.RequestID] != "req-42" {
						t.Errorf("%s: tenant %v cell %v request id %v, want acme %s req-42", line, m[logattr.Tenant], m[logattr.Cell], m[logattr.RequestID], tt.wantCell)
					}
					if tid, _ := m[logattr.TraceID].(string); tid != wantTrace {
						t.Errorf("%s: trace id %q, want %q", line, tid, wantTrace)
					}
					if sid, _ := m[logattr.SpanID].(string); sid != wantSpan {
						t.Errorf("%s: span id %q, want %q", line, sid, wantSpan)
					}
					if tt.wantStatus != 0 && m[logattr.Status] != tt.wantStatus {
						t.Errorf("%s: status %v, want %v", line, m[logattr.Status], tt.wantStatus)
					}
				}
				if !found {
					t.Errorf("no %q line:\n%s", tt.wantMsg, logs.String())
				}
			})
		}
	})
}
