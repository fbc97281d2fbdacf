//go:build !(js && wasm)

package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/internal/tracing/tracingtest"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// startTracedCell serves a reference cell that traces every request
// (sample 1) into col.
func startTracedCell(t *testing.T, id string, col *tracingtest.Collector) (*cell, *tracing.Provider) {
	t.Helper()
	p, err := tracing.New(context.Background(), tracing.Config{Service: "cellfabric-cell", Sample: 1, Endpoint: col.URL})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := refcell.New(refcell.Config{CellID: id, Cloud: "aws", Region: "local-1", Keys: []edgeauth.Key{testKey}, Store: state.New(embedded.New()), StoreKind: "embedded", Tracing: p})
	if err != nil {
		t.Fatal(err)
	}
	c := serveCell(t, id, "aws", rc)
	t.Cleanup(func() { _ = rc.Close(); _ = p.Shutdown(context.Background()) })
	return c, p
}

// TestRuntimeTrace: a request through the Worker in workerd to a
// reference cell that traces yields, at a real collector receiver, the
// cell's spans in the trace the Worker started, below the Worker's span,
// never in the trace a client named; with the edge's traceSample at 0
// (the default) the cell records nothing, even though it would sample
// every trace it started itself, because it follows the edge's decision.
func TestRuntimeTrace(t *testing.T) {
	t.Parallel()
	const client = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	tests := []struct {
		name, config string
		wantSpans    int
	}{
		{name: "sampled at the edge", config: `{"traceSample":1}`, wantSpans: 2},
		{name: "not sampled at the edge", config: `{}`, wantSpans: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			col := tracingtest.Start(t)
			a, p := startTracedCell(t, "cell-a", col)
			env := startEdge(t, envOptions{config: tt.config, key: testKey, registry: registry(t, 1, []*cell{a}, router.Tenant{ID: "acme", Cell: "cell-a"})})
			r := env.do("PUT", "/kv/color", map[string]string{"X-Tenant-ID": "acme", "traceparent": client, "tracestate": "client=1"}, "blue")
			if r.status != http.StatusCreated {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if err := p.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans := col.Spans()
			if len(spans) != tt.wantSpans {
				t.Fatalf("collector received %d spans, want %d", len(spans), tt.wantSpans)
			}
			if tt.wantSpans == 0 {
				return
			}
			req, store := tracingtest.Named(spans, "cell.request"), tracingtest.Named(spans, "cell.store")
			if len(req) != 1 || len(store) != 1 {
				t.Fatalf("spans %d cell.request, %d cell.store; want one each", len(req), len(store))
			}
			cs := req[0]
			if cs.TraceID().String() == client[3:35] {
				t.Errorf("the cell joined the client's trace %s", cs.TraceID())
			}
			if cs.ParentSpanID().IsEmpty() || cs.ParentSpanID().String() == client[36:52] {
				t.Errorf("cell.request's parent %s, want the Worker's own span", cs.ParentSpanID())
			}
			if store[0].ParentSpanID() != cs.SpanID() || store[0].TraceID() != cs.TraceID() {
				t.Error("cell.store is not below cell.request")
			}
			if cs.Attr("cellfabric.tenant") != "acme" || cs.Attr("cellfabric.operation") != "kv.put" {
				t.Errorf("cell.request tenant %q operation %q", cs.Attr("cellfabric.tenant"), cs.Attr("cellfabric.operation"))
			}
		})
	}
}
