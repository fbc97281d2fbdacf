//go:build !(js && wasm)

package main

// Runtime tests of the tenant directory: the built Worker in workerd, the
// directory in its own KV namespace, reference cells on loopback.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// tenantHeader asks for tenant id in the header mode.
func tenantHeader(id string) map[string]string { return map[string]string{"X-Tenant-ID": id} }

// (a) A tenant the registry does not list, written into the directory while
// the Worker runs, routes to its cell without a deploy once the negative
// cache entry expires.
func TestRuntimeDirectoryAddsTenant(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	env := startEdge(t, envOptions{
		config:   `{"cacheSeconds":30,"directoryNegativeSeconds":1}`,
		registry: registry(t, 1, []*cell{a, b}, router.Tenant{ID: "acme", Cell: "cell-a"}),
		key:      testKey,
	})
	r := env.do("GET", "/kv/x", tenantHeader("newco"), "")
	if r.status != 404 || r.json(t)["reason"] != "unknown_tenant" {
		t.Fatalf("before the directory holds newco: %d %s", r.status, r.body)
	}
	if n := env.dir.Reads("t/newco"); n != 1 {
		t.Fatalf("the Worker read t/newco %d times, want 1", n)
	}
	env.dir.Set("t/newco", entry("newco", "cell-b", "cell-a"))
	eventually(t, 15*time.Second, "newco routed to cell-b", func() bool {
		r := env.do("GET", "/kv/x", tenantHeader("newco"), "")
		switch {
		case r.status == 404 && r.header.Get("X-Cell-ID") == "cell-b":
			return true // the cell's own 404: the key is not there
		case r.status == 404 && r.json(t)["reason"] == "unknown_tenant":
			return false // the negative entry has not expired yet
		}
		t.Fatalf("newco: %d from %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
		return false
	})
	// The cell sees the tenant the directory placed, signed by the edge.
	h := map[string]string{"X-Tenant-ID": "newco", "Content-Type": "text/plain"}
	if r := env.do("PUT", "/kv/color", h, "teal"); r.status/100 != 2 || r.header.Get("X-Cell-ID") != "cell-b" {
		t.Fatalf("PUT: %d from %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
	}
	if r := env.do("GET", "/kv/color", h, ""); r.status != 200 || string(r.body) != "teal" {
		t.Fatalf("GET: %d %q", r.status, r.body)
	}
}

// (b) A directory entry wins over the registry's for the same tenant.
func TestRuntimeDirectoryOverridesRegistry(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	dir := newKV(t)
	dir.Set("t/acme", entry("acme", "cell-b"))
	dir.Set("t/hooli", []byte(`{"id":"hooli","cell":"cell-a","state":"readonly","epoch":4}`))
	env := startEdge(t, envOptions{
		registry: registry(t, 1, []*cell{a, b},
			router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}},
			router.Tenant{ID: "hooli", Cell: "cell-b"},
			router.Tenant{ID: "globex", Cell: "cell-a"}),
		key: testKey, directory: dir,
	})
	tests := []struct {
		name, method, tenant string
		status               int
		cell, reason         string
	}{
		{"directory cell, not the registry's", "GET", "acme", 404, "cell-b", ""},
		{"directory state, not the registry's", "PUT", "hooli", 503, "", "tenant_readonly"},
		{"directory cell for reads", "GET", "hooli", 404, "cell-a", ""},
		{"registry seed for a tenant the directory lacks", "GET", "globex", 404, "cell-a", ""},
	}
	for _, tt := range tests {
		body := ""
		if tt.method != "GET" {
			body = "x"
		}
		r := env.do(tt.method, "/kv/nothing", tenantHeader(tt.tenant), body)
		if r.status != tt.status || r.header.Get("X-Cell-ID") != tt.cell {
			t.Errorf("%s: %d from %q, want %d from %q: %s", tt.name, r.status, r.header.Get("X-Cell-ID"), tt.status, tt.cell, r.body)
			continue
		}
		if tt.reason != "" && r.json(t)["reason"] != tt.reason {
			t.Errorf("%s: %s, want reason %s", tt.name, r.body, tt.reason)
		}
	}
}

// (c) The directory's KV fails: cached tenants keep routing (from their
// expired entries), registry tenants keep routing (the seed), and a
// directory tenant this isolate never read gets 503 directory_unavailable,
// never 404.
func TestRuntimeDirectoryOutage(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	dir := newKV(t)
	dir.Set("t/cached", entry("cached", "cell-b"))
	dir.Set("t/uncached", entry("uncached", "cell-b"))
	env := startEdge(t, envOptions{
		config:   `{"cacheSeconds":1}`,
		registry: registry(t, 1, []*cell{a, b}, router.Tenant{ID: "solo", Cell: "cell-a"}),
		key:      testKey, directory: dir,
	})
	expect := func(tenantID string, status int, cell, reason string) {
		t.Helper()
		r := env.do("GET", "/kv/x", tenantHeader(tenantID), "")
		if r.status != status || r.header.Get("X-Cell-ID") != cell {
			t.Fatalf("%s: %d from %q, want %d from %q: %s", tenantID, r.status, r.header.Get("X-Cell-ID"), status, cell, r.body)
		}
		if reason != "" {
			if got := r.json(t)["reason"]; got != reason {
				t.Fatalf("%s: reason %v, want %s", tenantID, got, reason)
			}
		}
		if reason == "directory_unavailable" {
			if r.header.Get("Retry-After") != fmt.Sprint(router.DirectoryRetryAfter) {
				t.Fatalf("%s: Retry-After %q", tenantID, r.header.Get("Retry-After"))
			}
		}
	}
	expect("cached", 404, "cell-b", "")
	expect("solo", 404, "cell-a", "")

	dir.FailAll(503)
	// The cached entry expires after a second; from then on every request
	// for cached tries KV, fails, and is served from the expired entry.
	before := dir.Reads("t/cached")
	eventually(t, 15*time.Second, "a request for cached that read the failing KV", func() bool {
		expect("cached", 404, "cell-b", "")
		return dir.Reads("t/cached") > before
	})
	expect("cached", 404, "cell-b", "")
	expect("solo", 404, "cell-a", "")
	expect("uncached", 503, "", "directory_unavailable")
	expect("nobody", 503, "", "directory_unavailable")
	if n := dir.Reads("t/uncached"); n == 0 {
		t.Fatal("the Worker answered for uncached without trying KV")
	}

	dir.FailAll(0)
	expect("uncached", 404, "cell-b", "")
	expect("nobody", 404, "", "unknown_tenant")
}

// Concurrent misses for one tenant in one isolate share one KV read, and
// every request that waited for another's read goes on in its own request
// context: its fetch to the cell and its response work (jsWait).
func TestRuntimeDirectorySharedRead(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	dir := newKV(t)
	dir.Set("t/newco", entry("newco", "cell-b"))
	env := startEdge(t, envOptions{registry: registry(t, 1, []*cell{a, b}), key: testKey, directory: dir})
	// Warm the isolate: registry and health read, Go started.
	if r := env.do("GET", "/", tenantHeader("warmup"), ""); r.status != 404 {
		t.Fatalf("warm-up: %d %s", r.status, r.body)
	}
	release := dir.Hold("t/newco")
	const n = 8
	type answer struct {
		status int
		cell   string
		err    error
	}
	answers := make(chan answer, n)
	for range n {
		go func() {
			req, _ := http.NewRequest("GET", env.rt.URL+"/kv/x", nil)
			req.Header.Set("X-Tenant-ID", "newco")
			resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			resp.Body.Close()
			answers <- answer{status: resp.StatusCode, cell: resp.Header.Get("X-Cell-ID")}
		}()
	}
	// The read is held: with a shared read one request waits at KV and
	// the others in the Worker; without, all n would reach KV at once.
	// Give them two seconds to arrive, then let the read go.
	deadline := time.Now().Add(2 * time.Second)
	for dir.Held("t/newco") < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	held := dir.Held("t/newco")
	release()
	for range n {
		got := <-answers
		if got.err != nil || got.status != 404 || got.cell != "cell-b" {
			t.Errorf("request: %d from %q (%v), want the cell's 404 from cell-b", got.status, got.cell, got.err)
		}
	}
	if reads := dir.Reads("t/newco"); reads != 1 || held != 1 {
		t.Fatalf("%d reads of t/newco (%d held at once) for %d concurrent requests, want 1", reads, held, n)
	}
}

// (d) A directory of a million tenants costs the isolate what one of a
// thousand does: the Worker reads one tenant at a time and caches at most
// directoryCacheEntries of them. The heap is read through the test-only
// memory binding (workerd.Options.MemStats), after a collection.
func TestRuntimeDirectoryMemoryIsFlat(t *testing.T) {
	t.Parallel()
	const (
		cacheCap = 500
		requests = 4000
	)
	a := startEchoCell(t, "cell-a", "aws")
	b := startEchoCell(t, "cell-b", "gcp")
	reg := registry(t, 1, []*cell{a, b})
	config := fmt.Sprintf(`{"cacheSeconds":300,"directoryCacheEntries":%d}`, cacheCap)

	type figures struct {
		mem workerd.MemStats
		rss int64
	}
	measure := func(tenants int) figures {
		dir := newKV(t)
		dir.SetMany(func(yield func(string, []byte) bool) {
			for i := range tenants {
				id := fmt.Sprintf("tenant-%07d", i)
				if !yield(edgeconf.DirectoryTenantKey(id), entry(id, []string{"cell-a", "cell-b"}[i%2])) {
					return
				}
			}
		})
		env := startEdge(t, envOptions{config: config, registry: reg, key: testKey, directory: dir, memStats: true})
		rnd := rand.New(rand.NewPCG(uint64(tenants), 12))
		ids := make(chan int, requests)
		for range requests {
			ids <- rnd.IntN(tenants)
		}
		close(ids)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		client := &http.Client{Timeout: 30 * time.Second}
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range ids {
					req, _ := http.NewRequest("GET", env.rt.URL+"/x", nil)
					req.Header.Set("X-Tenant-ID", fmt.Sprintf("tenant-%07d", i))
					resp, err := client.Do(req)
					if err != nil {
						errs <- err
						return
					}
					resp.Body.Close()
					if want := []string{"cell-a", "cell-b"}[i%2]; resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != want {
						errs <- fmt.Errorf("tenant-%07d: %d from %q, want %s", i, resp.StatusCode, resp.Header.Get("X-Cell-ID"), want)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		m, err := env.rt.MemStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rss, err := env.rt.RSS()
		if err != nil {
			t.Fatal(err)
		}
		return figures{m, rss}
	}
	small, large := measure(1_000), measure(1_000_000)
	for name, f := range map[string]figures{"1k": small, "1M": large} {
		t.Logf("%s-tenant directory: Go heap in use %d B, heap alloc %d B, runtime sys %d B, %d tenants cached; workerd RSS %d B",
			name, f.mem.HeapInuse, f.mem.HeapAlloc, f.mem.Sys, f.mem.DirectoryEntries, f.rss)
		if f.mem.DirectoryEntries > cacheCap {
			t.Errorf("%s: %d tenants cached, over the bound %d", name, f.mem.DirectoryEntries, cacheCap)
		}
	}
	if large.mem.DirectoryEntries != cacheCap {
		t.Errorf("1M: %d tenants cached after %d requests over random tenants, want the cache full (%d)", large.mem.DirectoryEntries, requests, cacheCap)
	}
	// Both the spans in use and the live objects: within 10% of the 1k
	// figure plus what the bounded cache may hold.
	for _, f := range []struct {
		name         string
		small, large uint64
	}{{"Go heap in use", small.mem.HeapInuse, large.mem.HeapInuse}, {"Go heap live", small.mem.HeapAlloc, large.mem.HeapAlloc}} {
		limit := f.small + f.small/10 + cacheCap*edgeconf.MaxDirectoryEntryMemory
		if f.large > limit {
			t.Errorf("%s with 1M directory tenants %d B, over the 1k figure %d B + 10%% + the cache bound (%d B)", f.name, f.large, f.small, limit)
		}
	}
}

// (f) Under policy place, the first request of a tenant in neither the
// directory nor the registry records the tenant in the directory through
// the Worker's DIRECTORY binding (entry, journal record with its TTL, cell
// counter), with the cells the directory core places it on, and routes it
// there; the next request goes to the same cell without writing again.
func TestRuntimeDirectoryPlacesUnknownTenant(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	c := startCell(t, "cell-c", "azure")
	doc, place := placeRegistry(t, a, b, c)
	want := place("newco")
	env := startEdge(t, envOptions{registry: doc, key: testKey})
	r := env.do("GET", "/kv/x", tenantHeader("newco"), "")
	if r.status != 404 || r.header.Get("X-Cell-ID") != want.Cell {
		t.Fatalf("first request: %d from %q, want the cell's own 404 from %s: %s", r.status, r.header.Get("X-Cell-ID"), want.Cell, r.body)
	}
	data, ok := env.dir.Get(directory.TenantKey("newco"))
	if !ok {
		t.Fatal("the directory holds no entry for newco after its first request")
	}
	var got router.Tenant
	if err := router.DecodeStrict(data, &got); err != nil {
		t.Fatalf("newco's entry: %v: %s", err, data)
	}
	if got.Cell != want.Cell || !slices.Equal(got.Failover, want.Failover) || got.Epoch != 1 {
		t.Fatalf("recorded %s, want cell %s, failover %v, epoch 1", data, want.Cell, want.Failover)
	}
	if n, _ := env.dir.Get(directory.CounterKey(want.Cell)); string(n) != "1" {
		t.Fatalf("counter of %s: %q, want 1", want.Cell, n)
	}
	journal := env.dir.Keys(directory.JournalPrefix)
	if len(journal) != 1 || !strings.HasSuffix(journal[0], "-newco") {
		t.Fatalf("journal keys %v, want one record of newco", journal)
	}
	if exp := env.dir.Expiration(journal[0]); exp.IsZero() {
		t.Fatalf("journal record %s does not expire", journal[0])
	}

	h := map[string]string{"X-Tenant-ID": "newco", "Content-Type": "text/plain"}
	if r := env.do("PUT", "/kv/color", h, "teal"); r.status/100 != 2 || r.header.Get("X-Cell-ID") != want.Cell {
		t.Fatalf("second request: %d from %q, want %s: %s", r.status, r.header.Get("X-Cell-ID"), want.Cell, r.body)
	}
	if r := env.do("GET", "/kv/color", h, ""); r.status != 200 || string(r.body) != "teal" || r.header.Get("X-Cell-ID") != want.Cell {
		t.Fatalf("third request: %d %q from %q", r.status, r.body, r.header.Get("X-Cell-ID"))
	}
	if n := env.dir.Writes(directory.TenantKey("newco")); n != 1 {
		t.Fatalf("newco's entry written %d times, want 1", n)
	}
}

// (g) First requests of several unknown tenants at once: the isolate
// places them one at a time, the others waiting in the Worker (js_wait.go)
// while the first one's write is held at KV, and every one is recorded and
// routed to its cells.
func TestRuntimeDirectoryConcurrentPlacements(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	doc, place := placeRegistry(t, a, b)
	dir := newKV(t)
	env := startEdge(t, envOptions{registry: doc, key: testKey, directory: dir})
	// Warm the isolate: registry and health read, Go started.
	if r := env.do("GET", "/", tenantHeader("acme"), ""); r.status != 200 || r.header.Get("X-Cell-ID") != "cell-a" {
		t.Fatalf("warm-up: %d %s", r.status, r.body)
	}
	const n = 6
	type answer struct {
		tenant, cell string
		status       int
	}
	answers := make(chan answer, n)
	ask := func(id string) {
		r := env.do("GET", "/kv/x", tenantHeader(id), "")
		answers <- answer{tenant: id, cell: r.header.Get("X-Cell-ID"), status: r.status}
	}
	// The first placement's read of the removed-epoch key is held, so
	// that it is under way while the others arrive.
	release := dir.Hold(directory.RemovedKey("p0"))
	go ask("p0")
	eventually(t, 15*time.Second, "p0's placement under way", func() bool { return dir.Held(directory.RemovedKey("p0")) == 1 })
	for i := 1; i < n; i++ {
		go ask(fmt.Sprintf("p%d", i))
	}
	// Each of the others has read its tenant's key (found it absent) and
	// come to place it: none may write before p0 goes on.
	eventually(t, 15*time.Second, "the other requests' directory reads", func() bool {
		for i := 1; i < n; i++ {
			if dir.Reads(directory.TenantKey(fmt.Sprintf("p%d", i))) == 0 {
				return false
			}
		}
		return true
	})
	if got := dir.Keys(directory.TenantPrefix); len(got) != 0 {
		t.Errorf("entries %v written while the first placement was held: placements ran side by side", got)
	}
	release()
	for range n {
		got := <-answers
		want := place(got.tenant)
		if got.status != 404 || got.cell != want.Cell {
			t.Errorf("%s: %d from %q, want the cell's 404 from %s", got.tenant, got.status, got.cell, want.Cell)
		}
		if _, ok := dir.Get(directory.TenantKey(got.tenant)); !ok {
			t.Errorf("%s is not in the directory", got.tenant)
		}
	}
}

// (h) A tenant placed at its first request in one isolate keeps its cell
// in a fresh one (workerd restarted over the same directory) whose
// registry has a new cell that would take it if it were placed again: the
// new isolate routes it by its recorded entry and writes nothing.
func TestRuntimeDirectoryPlacementHoldsInANewIsolate(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	c := startCell(t, "cell-c", "azure")
	before, placeBefore := placeRegistry(t, a, b)
	after, placeAfter := placeRegistry(t, a, b, c)
	id := ""
	for i := 0; id == "" && i < 1000; i++ {
		if cand := fmt.Sprintf("moved%d", i); placeBefore(cand).Cell != placeAfter(cand).Cell {
			id = cand
		}
	}
	if id == "" {
		t.Fatal("no tenant id that cell-c would take")
	}
	want := placeBefore(id).Cell
	dir := newKV(t)
	first := startEdge(t, envOptions{registry: before, key: testKey, directory: dir})
	if r := first.do("GET", "/kv/x", tenantHeader(id), ""); r.status != 404 || r.header.Get("X-Cell-ID") != want {
		t.Fatalf("first isolate: %d from %q, want the cell's 404 from %s: %s", r.status, r.header.Get("X-Cell-ID"), want, r.body)
	}
	if err := first.rt.Close(); err != nil {
		t.Fatal(err)
	}
	writes := len(dir.Keys(""))
	second := startEdge(t, envOptions{registry: after, key: testKey, directory: dir})
	if r := second.do("GET", "/kv/x", tenantHeader(id), ""); r.status != 404 || r.header.Get("X-Cell-ID") != want {
		t.Fatalf("new isolate: %d from %q, want %s (recorded; a placement afresh says %s): %s", r.status, r.header.Get("X-Cell-ID"), want, placeAfter(id).Cell, r.body)
	}
	if n := dir.Writes(directory.TenantKey(id)); n != 1 || len(dir.Keys("")) != writes {
		t.Fatalf("the new isolate wrote to the directory: %s's entry written %d times, keys %v", id, n, dir.Keys(""))
	}
}

// placeRegistry is a registry of cells with policy place, and the
// placement the directory core gives a tenant first seen at a request on
// it (directory.PlaceAtRequest).
func placeRegistry(t *testing.T, cells ...*cell) ([]byte, func(id string) router.Tenant) {
	t.Helper()
	var reg router.Registry
	if err := json.Unmarshal(registry(t, 1, cells, router.Tenant{ID: "acme", Cell: "cell-a"}), &reg); err != nil {
		t.Fatal(err)
	}
	reg.UnknownTenants = fabric.PolicyPlace
	doc, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := router.Compile(&reg)
	if err != nil {
		t.Fatal(err)
	}
	return doc, func(id string) router.Tenant {
		t.Helper()
		p, err := directory.PlaceAtRequest(snap, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}
