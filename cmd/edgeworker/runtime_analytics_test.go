//go:build !(js && wasm)

package main

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/router"
)

// TestRuntimeAnalytics runs the Worker in workerd with an Analytics Engine
// stand-in bound as ANALYTICS and checks that every request, forwarded or
// answered by the Worker itself, writes exactly one data point naming the
// cell, the status and the Worker's reason, with a latency that is not
// negative.
func TestRuntimeAnalytics(t *testing.T) {
	t.Parallel()
	a := startEchoCell(t, "cell-a", "aws")
	reg := registry(t, 1, []*cell{a}, router.Tenant{ID: "acme", Cell: "cell-a"})
	sink, err := workerd.NewAnalytics()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	env := startEdge(t, envOptions{
		config:   `{"tenantModes":["header"],"cacheSeconds":30}`,
		registry: reg, key: testKey, analytics: sink,
	})
	requests := []struct {
		tenant   string
		attempts float64
		want     workerd.DataPoint // Doubles[0] (latency) is checked apart
	}{
		{"acme", 1, workerd.DataPoint{Blobs: []string{"cell-a", "aws", "2xx", "200", ""}, Index: "cell-a"}},
		{"nobody", 0, workerd.DataPoint{Blobs: []string{"", "", "4xx", "404", "unknown_tenant"}}},
		{"", 0, workerd.DataPoint{Blobs: []string{"", "", "4xx", "400", "no_tenant"}}},
	}
	for i, r := range requests {
		h := map[string]string{}
		if r.tenant != "" {
			h["X-Tenant-ID"] = r.tenant
		}
		resp := env.do("GET", "/x", h, "")
		if got := strconv.Itoa(resp.status); got != r.want.Blobs[3] {
			t.Fatalf("request %d: status %s, want %s: %s", i, got, r.want.Blobs[3], resp.body)
		}
		// workerd sends the point to the stand-in on its own after the
		// Worker wrote it (the Worker does not wait): wait for it.
		eventually(t, 10*time.Second, "the data point of request "+r.tenant, func() bool {
			return len(sink.Bodies()) > i
		})
	}
	got, err := sink.DataPoints()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(requests) {
		t.Fatalf("%d data points for %d requests: %+v", len(got), len(requests), got)
	}
	for i, r := range requests {
		p := got[i]
		if !slices.Equal(p.Blobs, r.want.Blobs) || p.Index != r.want.Index {
			t.Errorf("request %d: blobs %q index %q, want %q %q", i, p.Blobs, p.Index, r.want.Blobs, r.want.Index)
		}
		if len(p.Doubles) < 2 {
			t.Fatalf("request %d: doubles %v, want latency and attempts", i, p.Doubles)
		}
		if p.Doubles[0] < 0 {
			t.Errorf("request %d: latency %v ms, want >= 0", i, p.Doubles[0])
		}
		if p.Doubles[1] != r.attempts {
			t.Errorf("request %d: attempts %v, want %v", i, p.Doubles[1], r.attempts)
		}
	}
}
