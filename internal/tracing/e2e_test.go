package tracing_test

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/internal/tracing/tracingtest"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
	"github.com/cellfabric/cellfabric/router/server"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// The end-to-end tests run a real OpenTelemetry Collector OTLP/HTTP
// receiver (tracingtest: the collector's own otlpreceiver, with
// consumertest's sink as its pipeline), a real reference cell and a real
// router on loopback, and check what the collector received.

var e2eKey = edgeauth.Key{ID: "k1", Secret: []byte("tracing-e2e-edge-secret-0123456789")}

// A traceparent as the edge Worker writes it: a new trace, the Worker's
// span, sampled.
const (
	workerTraceID     = "5bd66ef5095369c7b0d1f8f4bd33716a"
	workerSpanID      = "c532cb4098ac3dd2"
	workerTraceparent = "00-" + workerTraceID + "-" + workerSpanID + "-01"
)

// topology is a traced reference cell behind a traced router.
type topology struct {
	routerURL        string
	routerTP, cellTP *tracing.Provider
}

// startTopology starts the cell and the router on engine, exporting to
// endpoint and sampling routerSample and cellSample of the traces each
// roots (0: tracing off), with the router's trust rule.
func startTopology(t *testing.T, engine server.Engine, endpoint string, routerSample, cellSample float64, trust bool) *topology {
	t.Helper()
	ctx := context.Background()
	routerCfg := tracing.Config{Service: "cellfabric-router", Sample: routerSample, Endpoint: endpoint}
	cellCfg := tracing.Config{Service: "cellfabric-cell", Sample: cellSample, Endpoint: endpoint}
	cellTP, err := tracing.New(ctx, cellCfg)
	if err != nil {
		t.Fatal(err)
	}
	routerTP, err := tracing.New(ctx, routerCfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := refcell.New(refcell.Config{CellID: "aws-use1", Cloud: "aws", Region: "us-east-1", Keys: []edgeauth.Key{e2eKey},
		Store: state.New(embedded.New()), StoreKind: "embedded", Tracing: cellTP})
	if err != nil {
		t.Fatal(err)
	}
	cellSrv := httptest.NewServer(c)
	t.Cleanup(func() { cellSrv.Close(); c.Close(); _ = cellTP.Shutdown(ctx) })

	store := router.NewStore(nil)
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: 1, UnknownTenants: fabric.PolicyReject,
		Cells:   []router.Cell{{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: cellSrv.URL, Weight: 100, State: fabric.CellActive}},
		Tenants: []router.Tenant{{ID: "acme", Cell: "aws-use1"}}}
	if err := store.Install(reg, "memory"); err != nil {
		t.Fatal(err)
	}
	signer, err := edgeauth.NewSigner(e2eKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := server.New(server.Config{Store: store, Signer: signer, Health: health.New(health.Config{Interval: time.Hour}),
		Engine: engine, Tracing: routerTP, TraceTrustIncoming: trust})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Serve(sctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		_ = routerTP.Shutdown(ctx)
	})
	return &topology{routerURL: "http://" + ln.Addr().String(), routerTP: routerTP, cellTP: cellTP}
}

// put puts a value for acme through the router with the Worker's
// traceparent, and fails the test unless the cell answered 201: tracing,
// on or off, collector up or down, never changes the answer.
func (tp *topology) put(t *testing.T) {
	t.Helper()
	req, err := http.NewRequest("PUT", tp.routerURL+"/kv/color", strings.NewReader("blue"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Tenant-ID", "acme")
	req.Header.Set("Traceparent", workerTraceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
}

// flush exports what both servers hold; the receiver hands spans to its
// sink before it answers an export, so they are in the sink after this.
func (tp *topology) flush(t *testing.T) {
	t.Helper()
	for _, p := range []*tracing.Provider{tp.routerTP, tp.cellTP} {
		if err := p.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func engines(t *testing.T, f func(t *testing.T, e server.Engine)) {
	for _, e := range server.Engines {
		t.Run("engine="+string(e), func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

// TestEndToEndOneTrace: one request with the edge's traceparent, through a
// router that trusts it and a reference cell, reaches the collector as one
// trace: router server span (child of the Worker's span) → router client
// span → cell server span → cell store span, with the attributes.
func TestEndToEndOneTrace(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e server.Engine) {
		col := tracingtest.Start(t)
		url := col.URL
		tp := startTopology(t, e, url, 1, 1, true)
		tp.put(t)
		tp.flush(t)
		spans := col.Spans()
		if len(spans) != 4 {
			t.Fatalf("collector received %d spans, want 4", len(spans))
		}
		for _, s := range spans {
			if got := s.TraceID().String(); got != workerTraceID {
				t.Errorf("span %s (%s) in trace %s, want the Worker's %s", s.Name(), s.Service(), got, workerTraceID)
			}
		}
		one := func(name, service string) tracingtest.Span {
			t.Helper()
			got := tracingtest.Named(spans, name)
			if len(got) != 1 || got[0].Service() != service {
				t.Fatalf("%d spans %q, want one from %s", len(got), name, service)
			}
			return got[0]
		}
		rs, rc := one("router.request", "cellfabric-router"), one("router.attempt", "cellfabric-router")
		cs, st := one("cell.request", "cellfabric-cell"), one("cell.store", "cellfabric-cell")
		links := []struct {
			child, parent string
			got, want     [8]byte
		}{
			{"router.request", "the Worker's span", rs.ParentSpanID(), mustSpanID(t, workerSpanID)},
			{"router.attempt", "router.request", rc.ParentSpanID(), rs.SpanID()},
			{"cell.request", "router.attempt", cs.ParentSpanID(), rc.SpanID()},
			{"cell.store", "cell.request", st.ParentSpanID(), cs.SpanID()},
		}
		for _, l := range links {
			if l.got != l.want {
				t.Errorf("%s's parent is %x, want %s (%x)", l.child, l.got, l.parent, l.want)
			}
		}
		kinds := map[string]ptrace.SpanKind{"router.request": ptrace.SpanKindServer, "router.attempt": ptrace.SpanKindClient, "cell.request": ptrace.SpanKindServer}
		for _, s := range []tracingtest.Span{rs, rc, cs} {
			if s.Kind() != kinds[s.Name()] {
				t.Errorf("%s kind %v", s.Name(), s.Kind())
			}
		}
		for _, c := range []struct {
			s    tracingtest.Span
			k, v string
		}{
			{rs, "cellfabric.tenant", "acme"}, {rs, "cellfabric.cell", "aws-use1"}, {rs, "cellfabric.cloud", "aws"},
			{rs, "cellfabric.region", "us-east-1"}, {rs, "cellfabric.decision.reason", "primary"}, {rs, "cellfabric.attempts", "1"},
			{rs, "http.response.status_code", "201"},
			{rc, "cellfabric.cell", "aws-use1"}, {rc, "cellfabric.cloud", "aws"},
			{cs, "cellfabric.tenant", "acme"}, {cs, "cellfabric.operation", "kv.put"}, {cs, "cellfabric.store", "embedded"},
			{cs, "cellfabric.cell", "aws-use1"},
			{st, "cellfabric.store.operation", "put"},
		} {
			if got := c.s.Attr(c.k); got != c.v {
				t.Errorf("%s %s = %q, want %q", c.s.Name(), c.k, got, c.v)
			}
		}
	})
}

func mustSpanID(t *testing.T, s string) [8]byte {
	t.Helper()
	var id [8]byte
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestEndToEndUntrustedClient: a router that does not trust incoming
// traceparents starts its own trace for a client's; the cell joins the
// router's trace, not the client's.
func TestEndToEndUntrustedClient(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e server.Engine) {
		col := tracingtest.Start(t)
		url := col.URL
		tp := startTopology(t, e, url, 1, 1, false)
		tp.put(t)
		tp.flush(t)
		spans := col.Spans()
		if len(spans) != 4 {
			t.Fatalf("collector received %d spans, want 4", len(spans))
		}
		rs := tracingtest.Named(spans, "router.request")[0]
		if rs.TraceID().String() == workerTraceID || !rs.ParentSpanID().IsEmpty() {
			t.Fatalf("the router adopted the client's traceparent: trace %x parent %x", rs.TraceID(), rs.ParentSpanID())
		}
		for _, s := range spans {
			if s.TraceID() != rs.TraceID() {
				t.Errorf("%s in trace %x, want the router's %x", s.Name(), s.TraceID(), rs.TraceID())
			}
		}
	})
}

// TestEndToEndNotSampled: with sampling 0 (tracing off) nothing reaches
// the collector; and a trace the router decided not to sample is not
// recorded by a cell that samples everything it starts itself, because
// the cell follows the router's decision.
func TestEndToEndNotSampled(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e server.Engine) {
		col := tracingtest.Start(t)
		url := col.URL
		off := startTopology(t, e, url, 0, 0, true)
		if off.routerTP != nil || off.cellTP != nil {
			t.Fatal("sample 0 built a tracer provider")
		}
		off.put(t)
		// Router on with a ratio that samples no root in practice, not
		// trusting the client; the cell samples everything it roots.
		rare := startTopology(t, e, url, 1e-12, 1, false)
		rare.put(t)
		rare.flush(t)
		if n := len(col.Spans()); n != 0 {
			t.Errorf("collector received %d spans, want none", n)
		}
	})
}

// TestEndToEndCollectorDown: with the collector's address closed the
// request is answered as always and the spans are counted as dropped.
func TestEndToEndCollectorDown(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e server.Engine) {
		dead := "http://" + tracingtest.FreeAddr(t)
		tp := startTopology(t, e, dead, 1, 1, true)
		tp.put(t)
		tp.flush(t)
		if tp.routerTP.Dropped() != 2 || tp.cellTP.Dropped() != 2 {
			t.Errorf("dropped router %d, cell %d; want 2 and 2", tp.routerTP.Dropped(), tp.cellTP.Dropped())
		}
	})
}
