package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

// TestTraceFlagsRefused: route, cell and local refuse a sample ratio out
// of range, tracing without a collector, and an endpoint that is not an
// http(s) URL, naming the flag.
func TestTraceFlagsRefused(t *testing.T) {
	t.Parallel()
	regPath := filepath.Join(t.TempDir(), "registry.json")
	if err := os.WriteFile(regPath, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	routeEnv := func(k string) string {
		return map[string]string{"CELLFABRIC_EDGE_KEY": testEdgeSecret}[k]
	}
	cellGetenv := func(k string) string { return cellEnv()[k] }
	tests := []struct {
		name string
		run  func(stderr *lockedBuffer) int
		want string
	}{
		{"route ratio over 1", func(e *lockedBuffer) int {
			return routeMain(context.Background(), []string{"--registry", regPath, "--trace-endpoint", "http://127.0.0.1:4318", "--trace-sample", "1.5"}, routeEnv, &lockedBuffer{}, e)
		}, "--trace-sample 1.5"},
		{"route without a collector", func(e *lockedBuffer) int {
			return routeMain(context.Background(), []string{"--registry", regPath, "--trace-sample", "0.1"}, routeEnv, &lockedBuffer{}, e)
		}, "needs a collector"},
		{"route endpoint not a URL", func(e *lockedBuffer) int {
			return routeMain(context.Background(), []string{"--registry", regPath, "--trace-endpoint", "127.0.0.1:4318", "--trace-sample", "1"}, routeEnv, &lockedBuffer{}, e)
		}, "--trace-endpoint"},
		{"cell negative ratio", func(e *lockedBuffer) int {
			return cellMain(context.Background(), []string{"--listen", "127.0.0.1:0", "--trace-endpoint", "http://127.0.0.1:4318", "--trace-sample", "-1"}, cellGetenv, &lockedBuffer{}, e)
		}, "--trace-sample -1"},
		{"cell without a collector", func(e *lockedBuffer) int {
			return cellMain(context.Background(), []string{"--listen", "127.0.0.1:0", "--trace-sample", "1"}, cellGetenv, &lockedBuffer{}, e)
		}, "needs a collector"},
		{"local ratio over 1", func(e *lockedBuffer) int {
			return localMain(context.Background(), []string{"--dir", "../..", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--control", "", "--trace-endpoint", "http://127.0.0.1:4318", "--trace-sample", "2"}, nil, &lockedBuffer{}, e)
		}, "--trace-sample 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr lockedBuffer
			if code := tt.run(&stderr); code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 with %q", code, stderr.String(), tt.want)
			}
		})
	}
}

// testCollector runs the OpenTelemetry Collector's OTLP/HTTP receiver on
// loopback into a sink.
func testCollector(t *testing.T) (string, *consumertest.TracesSink) {
	t.Helper()
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
	h := *cfg.Protocols.HTTP.GetOrInsertDefault()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h.ServerConfig.NetAddr.Endpoint = addr
	cfg.Protocols.HTTP = configoptional.Some(h)
	sink := new(consumertest.TracesSink)
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return "http://" + addr, sink
}

// TestLocalTraces: `cellfabric local --trace-endpoint` makes one request
// one trace across the router and the cell that answered, exported by
// both when local stops.
func TestLocalTraces(t *testing.T) {
	t.Parallel()
	url, sink := testCollector(t)
	lr := startLocal(t, "--trace-endpoint", url)
	req, _ := http.NewRequest("GET", lr.proxy+"/orders", nil)
	req.Header.Set("X-Tenant-ID", "acme")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cell := resp.Header.Get("X-Cell-ID")
	if resp.StatusCode != 200 || cell == "" {
		t.Fatalf("status %d from cell %q", resp.StatusCode, cell)
	}
	if code := lr.stop(t); code != 0 {
		t.Fatalf("local exited %d", code)
	}
	type got struct {
		service, cell string
		span          ptrace.Span
	}
	var spans []got
	for _, td := range sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			attr := func(k string) string {
				if v, ok := rs.Resource().Attributes().Get(k); ok {
					return v.AsString()
				}
				return ""
			}
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < ss.Len(); k++ {
					spans = append(spans, got{attr("service.name"), attr("cellfabric.cell"), ss.At(k)})
				}
			}
		}
	}
	names := map[string]got{}
	for _, s := range spans {
		names[s.span.Name()] = s
	}
	if len(spans) != 3 || len(names) != 3 {
		t.Fatalf("%d spans %v, want router.request, router.attempt and cell.request", len(spans), names)
	}
	rs, ra, cs := names["router.request"], names["router.attempt"], names["cell.request"]
	if rs.service != "cellfabric-router" || cs.service != "cellfabric-cell" || cs.cell != cell {
		t.Errorf("services %q and %q (cell %q), want cellfabric-router and cellfabric-cell of %s", rs.service, cs.service, cs.cell, cell)
	}
	if ra.span.TraceID() != rs.span.TraceID() || cs.span.TraceID() != rs.span.TraceID() {
		t.Error("the router's and the cell's spans are in different traces")
	}
	if ra.span.ParentSpanID() != rs.span.SpanID() || cs.span.ParentSpanID() != ra.span.SpanID() {
		t.Error("cell.request is not below router.attempt below router.request")
	}
}
