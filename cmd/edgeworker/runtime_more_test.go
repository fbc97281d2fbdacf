//go:build !(js && wasm)

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

func TestRuntimeMisconfigured(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	env := startEdge(t, envOptions{config: `{"cacheSeconds":-1}`, registry: registry(t, 1, []*cell{a}, router.Tenant{ID: "acme", Cell: "cell-a"})})
	r := env.do("GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
	if r.status != 500 {
		t.Fatalf("status %d, want 500: %s", r.status, r.body)
	}
	m := r.json(t)
	msg, _ := m["error"].(string)
	if m["reason"] != "worker_misconfigured" || !strings.Contains(msg, "EDGE_KEY") || !strings.Contains(msg, "cacheSeconds") {
		t.Fatalf("body %v, want worker_misconfigured naming EDGE_KEY and cacheSeconds", m)
	}
	if err := env.rt.Scheduled(context.Background()); err == nil {
		t.Fatal("the cron run of a misconfigured Worker succeeded")
	}
}

// Concurrent requests share the isolate (and its registry and health
// reads) without one request's I/O leaking into another's.
func TestRuntimeConcurrentRequests(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	env := startEdge(t, envOptions{config: `{"cacheSeconds":1}`, key: testKey,
		registry: registry(t, 1, []*cell{a, b}, router.Tenant{ID: "acme", Cell: "cell-a"}, router.Tenant{ID: "globex", Cell: "cell-b"})})
	want := map[string]string{"acme": "cell-a", "globex": "cell-b"}
	deadline := time.Now().Add(2500 * time.Millisecond) // spans more than two cache periods
	errs := make(chan error, 64)
	for w := 0; w < 16; w++ {
		go func() {
			tenantID := []string{"acme", "globex"}[w%2]
			n := 0
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", env.rt.URL+"/c", nil)
				req.Header.Set("X-Tenant-ID", tenantID)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != want[tenantID] {
					errs <- fmt.Errorf("tenant %s: status %d cell %q", tenantID, resp.StatusCode, resp.Header.Get("X-Cell-ID"))
					return
				}
				n++
			}
			if n == 0 {
				errs <- fmt.Errorf("worker %d sent nothing", w)
				return
			}
			errs <- nil
		}()
	}
	for w := 0; w < 16; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := env.kv.Reads(edgeconf.RegistryKey); n < 2 {
		t.Fatalf("the registry was read %d times; the cache never expired during the test", n)
	}
}
