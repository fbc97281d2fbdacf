//go:build !(js && wasm)

package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

func TestRegistryCache(t *testing.T) {
	t.Parallel()
	e, kv, clk := newTestEdge(t, `{"cacheSeconds":10}`)
	up := &fakeUpstream{}
	get := func() string {
		t.Helper()
		res := e.serve(inbound{Method: "GET", URL: "https://edge.example/", Header: headers{"X-Tenant-Id": "acme"}}, up)
		if res.Refusal != nil {
			return string(res.Refusal.Reason)
		}
		return res.Cell.ID
	}
	if got := get(); got != "cell-a" || kv.count("registry") != 1 || kv.count("health") != 1 {
		t.Fatalf("first request: %s, reads registry %d health %d", got, kv.count("registry"), kv.count("health"))
	}
	moved := strings.Replace(string(unitRegistry(t, 2)), `"id":"acme","cell":"cell-a","failover":["cell-b","cell-c"]`, `"id":"acme","cell":"cell-c"`, 1)
	if moved == string(unitRegistry(t, 2)) {
		t.Fatal("test registry not rewritten")
	}
	kv.set("registry", []byte(moved))
	clk.add(9 * time.Second)
	if got := get(); got != "cell-a" || kv.count("registry") != 1 {
		t.Fatalf("within the cache time: %s, %d reads", got, kv.count("registry"))
	}
	clk.add(time.Second)
	if got := get(); got != "cell-c" || kv.count("registry") != 2 || kv.count("health") != 2 {
		t.Fatalf("after the cache time: %s, %d registry reads, %d health reads", got, kv.count("registry"), kv.count("health"))
	}

	// While another request is reading, this one serves the cached copy;
	// a read that never finishes stops blocking refreshes after readStuck.
	clk.add(10 * time.Second)
	if !e.claim(&e.reg, true, false) {
		t.Fatal("claim refused a due read")
	}
	if got := get(); got != "cell-c" || kv.count("registry") != 2 {
		t.Fatalf("with a read under way: %s, %d reads", got, kv.count("registry"))
	}
	clk.add(readStuck)
	get()
	if kv.count("registry") != 3 {
		t.Fatalf("a stuck read blocked the refresh: %d reads", kv.count("registry"))
	}

	// KV failing, missing or refused values keep the last good registry.
	for name, apply := range map[string]func(){
		"KV down":  func() { kv.err = errors.New("kv unavailable") },
		"missing":  func() { kv.err = nil; delete(kv.values, "registry") },
		"stale":    func() { kv.set("registry", unitRegistry(t, 1)) },
		"invalid":  func() { kv.set("registry", []byte(`{"version":1,"epoch":99,"cells":[]}`)) },
		"garbage":  func() { kv.set("registry", []byte(`<html>`)) },
		"too new?": func() { kv.set("registry", []byte(`{"version":2,"epoch":100,"cells":[]}`)) },
		// A newer registry naming a key twice: encoding/json alone would
		// serve it with the last value (acme on cell b).
		"duplicate key": func() {
			kv.set("registry", []byte(strings.Replace(string(unitRegistry(t, 3)), `"failover":["cell-b","cell-c"]`, `"failover":["cell-b","cell-c"],"cell":"cell-b","failover":["cell-a"]`, 1)))
		},
	} {
		before := kv.count("registry")
		apply()
		clk.add(10 * time.Second)
		if got := get(); got != "cell-c" || kv.count("registry") != before+1 {
			t.Errorf("%s: %s after %d reads; want the last good registry (cell c) after one more read", name, got, kv.count("registry")-before)
		}
	}
	if e.store.Snapshot().Epoch() != 2 {
		t.Errorf("serving epoch %d, want 2", e.store.Snapshot().Epoch())
	}
}

func TestNoRegistry(t *testing.T) {
	t.Parallel()
	e, kv, _ := newTestEdge(t, "")
	delete(kv.values, "registry")
	for i := 1; i <= 2; i++ {
		res := e.serve(inbound{Method: "GET", URL: "https://edge.example/", Header: headers{"X-Tenant-Id": "acme"}}, &fakeUpstream{})
		if res.Refusal == nil || res.Refusal.Status != 503 || res.Refusal.Reason != router.ReasonNoRegistry || res.Refusal.RetryAfter != 5 {
			t.Fatalf("request %d: %+v", i, res.Refusal)
		}
		// Without a registry every request tries KV again.
		if kv.count("registry") != i {
			t.Fatalf("request %d: %d registry reads", i, kv.count("registry"))
		}
	}
}

func TestHealthCache(t *testing.T) {
	t.Parallel()
	e, kv, clk := newTestEdge(t, `{"cacheSeconds":5,"healthMaxAgeSeconds":120}`)
	first := func() string {
		t.Helper()
		up := &fakeUpstream{}
		res := e.serve(inbound{Method: "POST", URL: "https://edge.example/", Header: headers{"X-Tenant-Id": "acme"}}, up)
		if res.Refusal != nil {
			return string(res.Refusal.Reason)
		}
		return up.attempts[0].Cell.ID
	}
	if got := first(); got != "cell-a" {
		t.Fatalf("without a health document: %s, want a", got)
	}
	kv.set("health", freshHealth(t, clk.now(), map[string]bool{"cell-a": false}))
	clk.add(5 * time.Second)
	if got := first(); got != "cell-b" {
		t.Fatalf("a unhealthy: %s, want b", got)
	}
	// A document that does not parse keeps the last good one.
	kv.set("health", []byte(`{"version":7}`))
	clk.add(5 * time.Second)
	if got := first(); got != "cell-b" {
		t.Fatalf("after a bad health document: %s, want b (last good)", got)
	}
	// A stale document is ignored: a stopped cron must not keep a cell out.
	clk.add(2 * time.Minute)
	if got := first(); got != "cell-a" {
		t.Fatalf("with a stale health document: %s, want a", got)
	}
	// A missing document means every cell is healthy.
	kv.set("health", freshHealth(t, clk.now(), map[string]bool{"cell-a": false}))
	clk.add(5 * time.Second)
	if got := first(); got != "cell-b" {
		t.Fatalf("fresh document: %s, want b", got)
	}
	delete(kv.values, "health")
	clk.add(5 * time.Second)
	if got := first(); got != "cell-a" {
		t.Fatalf("document deleted: %s, want a", got)
	}
}
