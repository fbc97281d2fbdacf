package refcell

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cellfabric/cellfabric/internal/tracing"
)

const (
	parentTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpanID  = "00f067aa0ba902b7"
)

func attr(spans tracetest.SpanStub, k attribute.Key) string {
	for _, kv := range spans.Attributes {
		if kv.Key == k {
			return kv.Value.String()
		}
	}
	return ""
}

// TestTraceSpans: a signed request gets a server span that continues the
// edge's traceparent, with tenant, operation and store, and a child span
// around the store call; /healthz and refused requests are not traced.
func TestTraceSpans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path string
		body               []byte
		wantOp, wantStore  string // wantStore "": no store span
		wantStatus         int
	}{
		{name: "put", method: "PUT", path: "/kv/k1", body: []byte("v"), wantOp: "kv.put", wantStore: "put", wantStatus: 201},
		{name: "get missing", method: "GET", path: "/kv/nope", wantOp: "kv.get", wantStore: "get", wantStatus: 404},
		{name: "list", method: "GET", path: "/kv/", wantOp: "kv.list", wantStore: "list", wantStatus: 200},
		{name: "delete", method: "DELETE", path: "/kv/nope", wantOp: "kv.delete", wantStore: "delete", wantStatus: 404},
		{name: "echo", method: "GET", path: "/orders", wantOp: "echo", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exp := tracetest.NewInMemoryExporter()
			p, err := tracing.New(context.Background(), tracing.Config{Service: "cellfabric-cell", Sample: 1, Exporter: exp})
			if err != nil {
				t.Fatal(err)
			}
			_, srv := testCell(t, Config{Tracing: p})
			s := signer(t, testKey, nil)
			r := send(t, srv.URL, tt.method, tt.path, "acme", tt.body, s, func(r *http.Request) {
				r.Header.Set("Traceparent", "00-"+parentTraceID+"-"+parentSpanID+"-01")
			})
			if r.status != tt.wantStatus {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			// Neither of these is traced.
			send(t, srv.URL, "GET", "/healthz", "", nil, nil, nil)
			send(t, srv.URL, "GET", "/orders", "acme", nil, nil, nil)
			if err := p.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans := exp.GetSpans()
			wantN := 1
			if tt.wantStore != "" {
				wantN = 2
			}
			if len(spans) != wantN {
				t.Fatalf("%d spans, want %d: %v", len(spans), wantN, spans)
			}
			var server, store *tracetest.SpanStub
			for i := range spans {
				switch spans[i].Name {
				case spanRequest:
					server = &spans[i]
				case spanStore:
					store = &spans[i]
				}
			}
			if server == nil {
				t.Fatal("no server span")
			}
			if server.SpanContext.TraceID().String() != parentTraceID || server.Parent.SpanID().String() != parentSpanID || server.SpanKind != trace.SpanKindServer {
				t.Errorf("server span in trace %s under %s, want %s under %s", server.SpanContext.TraceID(), server.Parent.SpanID(), parentTraceID, parentSpanID)
			}
			for k, want := range map[attribute.Key]string{AttrTenant: "acme", AttrOperation: tt.wantOp, AttrStore: "embedded", AttrCell: "aws-use1", AttrCloud: "aws", AttrRegion: "us-east-1"} {
				if got := attr(*server, k); got != want {
					t.Errorf("server span %s = %q, want %q", k, got, want)
				}
			}
			if got := attr(*server, AttrStatus); got != itoa(tt.wantStatus) {
				t.Errorf("server span status %s, want %d", got, tt.wantStatus)
			}
			if tt.wantStore == "" {
				return
			}
			if store == nil {
				t.Fatal("no store span")
			}
			if store.Parent.SpanID() != server.SpanContext.SpanID() || store.SpanContext.TraceID() != server.SpanContext.TraceID() {
				t.Error("store span is not the server span's child")
			}
			if got := attr(*store, AttrStoreOp); got != tt.wantStore {
				t.Errorf("store operation %q, want %q", got, tt.wantStore)
			}
			if store.Status.Code == codes.Error {
				t.Errorf("store span marked as an error for %d", tt.wantStatus)
			}
		})
	}
}

// TestTraceOff: without Tracing no tracer exists.
func TestTraceOff(t *testing.T) {
	t.Parallel()
	c, srv := testCell(t, Config{})
	if c.tracer != nil {
		t.Fatal("tracer without Config.Tracing")
	}
	if r := send(t, srv.URL, "PUT", "/kv/a", "acme", []byte("v"), signer(t, testKey, nil), nil); r.status != 201 {
		t.Fatalf("status %d", r.status)
	}
}

func itoa(n int) string { return attribute.IntValue(n).String() }
