package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/internal/tracing/tracingtest"
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

// TestLocalTraces: `cellfabric local --trace-endpoint` makes one request
// one trace across the router and the cell that answered, exported by
// both when local stops.
func TestLocalTraces(t *testing.T) {
	t.Parallel()
	col := tracingtest.Start(t)
	lr := startLocal(t, "--trace-endpoint", col.URL)
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
	spans := col.Spans()
	names := map[string]tracingtest.Span{}
	for _, s := range spans {
		names[s.Name()] = s
	}
	if len(spans) != 3 || len(names) != 3 {
		t.Fatalf("%d spans %v, want router.request, router.attempt and cell.request", len(spans), names)
	}
	rs, ra, cs := names["router.request"], names["router.attempt"], names["cell.request"]
	if rs.Service() != "cellfabric-router" || cs.Service() != "cellfabric-cell" || cs.Resource["cellfabric.cell"] != cell {
		t.Errorf("services %q and %q (cell %q), want cellfabric-router and cellfabric-cell of %s", rs.Service(), cs.Service(), cs.Resource["cellfabric.cell"], cell)
	}
	if ra.TraceID() != rs.TraceID() || cs.TraceID() != rs.TraceID() {
		t.Error("the router's and the cell's spans are in different traces")
	}
	if ra.ParentSpanID() != rs.SpanID() || cs.ParentSpanID() != ra.SpanID() {
		t.Error("cell.request is not below router.attempt below router.request")
	}
}
