package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router"
)

// A traceparent as the edge would send it.
const (
	edgeTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	edgeSpanID      = "00f067aa0ba902b7"
	edgeTraceparent = "00-" + edgeTraceID + "-" + edgeSpanID + "-01"
)

// tracedRouter starts a router with tracing into an in-memory exporter.
func tracedRouter(t *testing.T, reg *router.Registry, sample float64, trust bool) (*harness, *tracing.Provider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	p, err := tracing.New(context.Background(), tracing.Config{Service: "cellfabric-router", Sample: sample, Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	h := startRouter(t, reg, func(c *Config) { c.Tracing, c.TraceTrustIncoming = p, trust })
	return h, p, exp
}

func spansByName(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func attrOf(s tracetest.SpanStub, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// TestTraceSpans: one request that fails over from a cell answering 503
// to a healthy one yields one server span, with the tenant, the cell that
// answered, its cloud and region, the decision's reason, the attempts
// and the status, and one client span per attempt below it; the cell
// receives the last attempt's traceparent. With trust, the router's span
// continues the incoming trace; without, a client's traceparent is not
// adopted.
func TestTraceSpans(t *testing.T) {
	t.Parallel()
	for _, trust := range []bool{true, false} {
		name := "untrusted"
		if trust {
			name = "trusted"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				a, b := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp")
				a.status.Store(503)
				h, p, exp := tracedRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), 1, trust)
				resp, body := h.do(t, "GET", "/orders", map[string]string{"X-Tenant-ID": "acme", "Traceparent": edgeTraceparent, "Tracestate": "edge=1"}, "")
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				var e echo
				if err := json.Unmarshal(body, &e); err != nil || e.Cell != "cell-b" {
					t.Fatalf("answer %s (%v), want cell-b's", body, err)
				}
				if err := p.ForceFlush(context.Background()); err != nil {
					t.Fatal(err)
				}
				spans := exp.GetSpans()
				servers, clients := spansByName(spans, spanRequest), spansByName(spans, spanAttempt)
				if len(servers) != 1 || len(clients) != 2 {
					t.Fatalf("%d server and %d client spans, want 1 and 2: %v", len(servers), len(clients), spans)
				}
				srv := servers[0]
				tid := srv.SpanContext.TraceID()
				if trust {
					if tid.String() != edgeTraceID || srv.Parent.SpanID().String() != edgeSpanID || !srv.Parent.IsRemote() {
						t.Errorf("trusted: server span in trace %s under %s, want %s under %s", tid, srv.Parent.SpanID(), edgeTraceID, edgeSpanID)
					}
				} else if tid.String() == edgeTraceID || srv.Parent.IsValid() {
					t.Errorf("untrusted: the client's traceparent was adopted (trace %s, parent %v)", tid, srv.Parent.SpanID())
				}
				if srv.SpanKind != trace.SpanKindServer {
					t.Errorf("server span kind %v", srv.SpanKind)
				}
				want := map[attribute.Key]attribute.Value{
					AttrTenant: attribute.StringValue("acme"), AttrCell: attribute.StringValue("cell-b"),
					AttrCloud: attribute.StringValue("gcp"), AttrRegion: attribute.StringValue("local"),
					AttrReason: attribute.StringValue(string(router.ViaPrimary)), AttrAttempts: attribute.IntValue(2),
					AttrStatus: attribute.IntValue(200), AttrMethod: attribute.StringValue("GET"),
				}
				for k, v := range want {
					if got, ok := attrOf(srv, k); !ok || got != v {
						t.Errorf("server span %s = %v, want %v", k, got.String(), v.String())
					}
				}
				for i, c := range clients {
					if c.SpanContext.TraceID() != tid || c.Parent.SpanID() != srv.SpanContext.SpanID() || c.SpanKind != trace.SpanKindClient {
						t.Errorf("client span %d not a child of the server span", i)
					}
				}
				first, second := clients[0], clients[1]
				if n, _ := attrOf(first, AttrAttempt); n.AsInt64() != 1 {
					first, second = second, first
				}
				if v, _ := attrOf(first, AttrCell); v.AsString() != "cell-a" {
					t.Errorf("first attempt to %s, want cell-a", v.String())
				}
				if v, _ := attrOf(first, AttrStatus); v.AsInt64() != 503 {
					t.Errorf("first attempt status %s, want 503", v.String())
				}
				if v, _ := attrOf(second, AttrCell); v.AsString() != "cell-b" {
					t.Errorf("second attempt to %s, want cell-b", v.String())
				}
				// The cell got the second attempt's span as its parent.
				wantTP := "00-" + tid.String() + "-" + second.SpanContext.SpanID().String() + "-01"
				if e.Traceparent != wantTP {
					t.Errorf("cell got traceparent %q, want %q", e.Traceparent, wantTP)
				}
			})
		})
	}
}

// TestTraceUnsampled: a root the ratio leaves out, or a trusted parent
// that was not sampled, exports nothing, and the cell still gets a
// traceparent (not sampled) instead of the client's.
func TestTraceUnsampled(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		c := newTestCell(t, "cell-a", "aws")
		reg := registry(1, []router.Cell{c.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"})
		// A trusted parent that says "not sampled" is followed.
		h, p, exp := tracedRouter(t, reg, 1, true)
		notSampled := "00-" + edgeTraceID + "-" + edgeSpanID + "-00"
		resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme", "Traceparent": notSampled}, "")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		_ = p.ForceFlush(context.Background())
		if n := len(exp.GetSpans()); n != 0 {
			t.Errorf("%d spans exported for a parent that was not sampled", n)
		}
		var e echo
		_ = json.Unmarshal(body, &e)
		if !strings.HasPrefix(e.Traceparent, "00-"+edgeTraceID+"-") || e.Traceparent == notSampled || !strings.HasSuffix(e.Traceparent, "-00") {
			t.Errorf("cell got traceparent %q, want the router's unsampled span in trace %s", e.Traceparent, edgeTraceID)
		}
	})
}

// TestTraceRefusal: a request the router answers itself (unknown tenant)
// has a server span with the refusal's reason and status, no client span.
func TestTraceRefusal(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		c := newTestCell(t, "cell-a", "aws")
		h, p, exp := tracedRouter(t, registry(1, []router.Cell{c.cell()}), 1, false)
		resp, _ := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "nobody"}, "")
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
		_ = p.ForceFlush(context.Background())
		spans := exp.GetSpans()
		if len(spans) != 1 || spans[0].Name != spanRequest {
			t.Fatalf("spans %v, want one server span", spans)
		}
		if v, _ := attrOf(spans[0], AttrReason); v.AsString() != string(router.ReasonUnknownTenant) {
			t.Errorf("reason %s, want %s", v.String(), router.ReasonUnknownTenant)
		}
		if v, _ := attrOf(spans[0], AttrStatus); v.AsInt64() != 404 {
			t.Errorf("status %s, want 404", v.String())
		}
	})
}

// TestTraceExporterDown: with the collector down every request is still
// answered, and the spans are counted as dropped on /metrics.
func TestTraceExporterDown(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		c := newTestCell(t, "cell-a", "aws")
		p, err := tracing.New(context.Background(), tracing.Config{Service: "cellfabric-router", Sample: 1, Endpoint: deadURL(t)})
		if err != nil {
			t.Fatal(err)
		}
		h := startRouter(t, registry(1, []router.Cell{c.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(cfg *Config) { cfg.Tracing = p })
		for range 5 {
			if resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		}
		if err := p.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if p.Dropped() != 10 {
			t.Errorf("dropped %d spans, want 10 (5 server, 5 client)", p.Dropped())
		}
		_, metrics := h.get(t, h.admin+"/metrics")
		if !strings.Contains(metrics, "cellfabric_router_trace_spans_dropped_total 10") {
			t.Errorf("/metrics lacks the dropped spans:\n%s", grepLines(metrics, "trace"))
		}
	})
}

// TestTraceOffPassesThrough: without Tracing the router does no tracing
// work and the client's traceparent reaches the cell untouched (and
// /metrics has no trace series).
func TestTraceOffPassesThrough(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		c := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{c.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		if h.rt.tracer != nil {
			t.Fatal("a tracer without Config.Tracing")
		}
		_, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme", "Traceparent": edgeTraceparent}, "")
		var e echo
		_ = json.Unmarshal(body, &e)
		if e.Traceparent != edgeTraceparent {
			t.Errorf("traceparent %q, want the client's", e.Traceparent)
		}
		if _, metrics := h.get(t, h.admin+"/metrics"); strings.Contains(metrics, "cellfabric_router_trace_") {
			t.Error("/metrics has trace series with tracing off")
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

var _ sdktrace.SpanExporter = (*tracetest.InMemoryExporter)(nil)
