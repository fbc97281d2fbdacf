//go:build !(js && wasm)

package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// entry is a directory value.
func entry(id, cell string, failover ...string) []byte {
	fo := ""
	if len(failover) > 0 {
		fo = `,"failover":["` + strings.Join(failover, `","`) + `"]`
	}
	return []byte(fmt.Sprintf(`{"id":%q,"cell":%q%s,"epoch":1}`, id, cell, fo))
}

// route serves one GET for tenant and returns the cell it went to, or the
// refusal's reason.
func route(t *testing.T, e *edge, tenantID string) string {
	t.Helper()
	res := e.serve(inbound{Method: "GET", URL: "https://edge.example/", Header: headers{"X-Tenant-Id": tenantID}}, &fakeUpstream{})
	if res.Refusal != nil {
		return string(res.Refusal.Reason)
	}
	return res.Cell.ID
}

func TestDirectoryDecides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		config  string
		entries map[string]string // directory key → value
		tenant  string
		want    string // cell, or refusal reason
	}{
		{name: "directory tenant", entries: map[string]string{"t/newco": string(entry("newco", "cell-c"))}, tenant: "newco", want: "cell-c"},
		{name: "directory overrides the registry", entries: map[string]string{"t/acme": string(entry("acme", "cell-b"))}, tenant: "acme", want: "cell-b"},
		{name: "registry seed", tenant: "solo", want: "cell-a"},
		{name: "in neither, reject", tenant: "nobody", want: "unknown_tenant"},
		{name: "directory failover when its primary is unknown to the registry", entries: map[string]string{"t/newco": string(entry("newco", "cell-zz", "cell-b"))}, tenant: "newco", want: "cell-b"},
		{name: "malformed entry falls back to the registry", entries: map[string]string{"t/acme": `{"id":"acme","cell":`}, tenant: "acme", want: "cell-a"},
		{name: "entry stored under another tenant", entries: map[string]string{"t/newco": string(entry("acme", "cell-c"))}, tenant: "newco", want: "unknown_tenant"},
		{name: "directory state applies", entries: map[string]string{"t/acme": `{"id":"acme","cell":"cell-b","state":"readonly"}`}, tenant: "acme", want: "cell-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _, _ := newTestEdge(t, tt.config)
			for k, v := range tt.entries {
				dirOf(e).set(k, []byte(v))
			}
			if got := route(t, e, tt.tenant); got != tt.want {
				t.Fatalf("routed to %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDirectoryReadonlyEntryRefusesWrites(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, "")
	dirOf(e).set("t/acme", []byte(`{"id":"acme","cell":"cell-b","state":"migrating"}`))
	res := e.serve(inbound{Method: "PUT", URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": "acme"}}, &fakeUpstream{})
	if res.Refusal == nil || res.Refusal.Reason != router.ReasonTenantReadonly {
		t.Fatalf("write to a migrating directory tenant: %+v", res)
	}
}

func TestDirectoryCacheTimes(t *testing.T) {
	t.Parallel()
	e, _, clk := newTestEdge(t, `{"cacheSeconds":20,"directoryNegativeSeconds":5}`)
	dir := dirOf(e)
	// Absent: cached for the negative time.
	if got := route(t, e, "newco"); got != "unknown_tenant" || dir.count("t/newco") != 1 {
		t.Fatalf("absent tenant: %s after %d reads", got, dir.count("t/newco"))
	}
	dir.set("t/newco", entry("newco", "cell-c"))
	clk.add(4 * time.Second)
	if got := route(t, e, "newco"); got != "unknown_tenant" || dir.count("t/newco") != 1 {
		t.Fatalf("within the negative time: %s after %d reads", got, dir.count("t/newco"))
	}
	clk.add(time.Second)
	if got := route(t, e, "newco"); got != "cell-c" || dir.count("t/newco") != 2 {
		t.Fatalf("after the negative time: %s after %d reads", got, dir.count("t/newco"))
	}
	// Found: cached for cacheSeconds.
	dir.set("t/newco", entry("newco", "cell-b"))
	clk.add(19 * time.Second)
	if got := route(t, e, "newco"); got != "cell-c" || dir.count("t/newco") != 2 {
		t.Fatalf("within the cache time: %s after %d reads", got, dir.count("t/newco"))
	}
	clk.add(time.Second)
	if got := route(t, e, "newco"); got != "cell-b" || dir.count("t/newco") != 3 {
		t.Fatalf("after the cache time: %s after %d reads", got, dir.count("t/newco"))
	}
	// Removed from the directory: back to the registry (here: unknown).
	dir.mu.Lock()
	delete(dir.values, "t/newco")
	dir.mu.Unlock()
	clk.add(20 * time.Second)
	if got := route(t, e, "newco"); got != "unknown_tenant" {
		t.Fatalf("after removal: %s", got)
	}
}

func TestDirectoryMalformedIsNotCached(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e, _, _ := newTestEdge(t, "")
	e.logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	dir := dirOf(e)
	dir.set("t/newco", []byte(`{"id":"newco","cell":"cell-c","failover":["cell-c"]}`))
	for i := 1; i <= 3; i++ {
		if got := route(t, e, "newco"); got != "unknown_tenant" || dir.count("t/newco") != i {
			t.Fatalf("request %d: %s after %d reads, want unknown_tenant after %d", i, got, dir.count("t/newco"), i)
		}
	}
	if !strings.Contains(logs.String(), "malformed tenant directory entry") || !strings.Contains(logs.String(), "tenant=newco") {
		t.Errorf("no log line naming the tenant:\n%s", logs.String())
	}
	dir.set("t/newco", entry("newco", "cell-c"))
	if got := route(t, e, "newco"); got != "cell-c" {
		t.Fatalf("once fixed: %s", got)
	}
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestDirectoryOutage(t *testing.T) {
	t.Parallel()
	e, _, clk := newTestEdge(t, `{"cacheSeconds":10}`)
	dir := dirOf(e)
	dir.set("t/cached", entry("cached", "cell-c"))
	dir.set("t/uncached", entry("uncached", "cell-c"))
	dir.set("t/acme", entry("acme", "cell-b"))
	if got := route(t, e, "cached"); got != "cell-c" {
		t.Fatalf("before the outage: %s", got)
	}
	if got := route(t, e, "acme"); got != "cell-b" {
		t.Fatalf("before the outage: acme to %s", got)
	}
	dir.fail(errors.New("KV GET failed: 503"))
	clk.add(time.Hour) // every cached entry is stale
	tests := []struct {
		tenant, want string
	}{
		{"cached", "cell-c"}, // the stale entry serves
		{"acme", "cell-b"},   // the stale entry wins over the registry seed
		{"solo", "cell-a"},   // the registry seed serves
		{"uncached", "directory_unavailable"},
		{"nobody", "directory_unavailable"}, // never 404 on a failed read
	}
	for _, tt := range tests {
		if got := route(t, e, tt.tenant); got != tt.want {
			t.Errorf("%s during the outage: %s, want %s", tt.tenant, got, tt.want)
		}
	}
	res := e.serve(inbound{Method: "GET", URL: "https://edge.example/", Header: headers{"X-Tenant-Id": "uncached"}}, &fakeUpstream{})
	if r := res.Refusal; r == nil || r.Status != 503 || r.RetryAfter != router.DirectoryRetryAfter || res.Tenant != "uncached" {
		t.Fatalf("refusal %+v", res)
	}
	dir.fail(nil)
	if got := route(t, e, "uncached"); got != "cell-c" {
		t.Fatalf("after the outage: %s", got)
	}
}

func TestDirectoryCacheIsBounded(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, `{"directoryCacheEntries":3}`)
	dir := dirOf(e)
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		dir.set("t/"+id, entry(id, "cell-c"))
	}
	for _, id := range []string{"t1", "t2", "t3", "t1", "t4"} { // t2 is the least recently used when t4 comes
		if got := route(t, e, id); got != "cell-c" {
			t.Fatalf("%s: %s", id, got)
		}
	}
	if n := e.dir.len(); n != 3 {
		t.Fatalf("%d entries cached, want the bound 3", n)
	}
	// Hits first (they evict nothing), then the evicted one.
	for _, c := range []struct {
		id    string
		reads int
	}{{"t1", 1}, {"t3", 1}, {"t4", 1}, {"t2", 2}} {
		route(t, e, c.id)
		if got := dir.count("t/" + c.id); got != c.reads {
			t.Errorf("%s read %d times, want %d", c.id, got, c.reads)
		}
	}
}

// TestDirectoryCacheMemoryUnderChurn: a full cache that keeps replacing its
// entries (every request a new tenant, as over a directory of millions)
// holds the same memory after a hundred thousand replacements as after a
// thousand: nothing grows with the tenants seen, the map included.
func TestDirectoryCacheMemoryUnderChurn(t *testing.T) {
	c := newDirCache(500)
	tn := &router.Tenant{ID: "x", Cell: "cell-a"}
	churn := func(round, n int) {
		for i := range n {
			c.put(fmt.Sprintf("tenant-%d-%07d", round, i), tn, time.Now())
		}
	}
	churn(0, 1_000)
	after1k := heapAlloc()
	churn(1, 100_000)
	after100k := heapAlloc()
	if c.len() != 500 {
		t.Fatalf("%d entries, want the bound 500", c.len())
	}
	if after100k > after1k+after1k/10 {
		t.Fatalf("heap %d B after 100,000 replacements, %d B after 1,000: the cache grows with the tenants it has seen", after100k, after1k)
	}
}

func TestDirectoryConcurrentMissesShareOneRead(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, "")
	dir := dirOf(e)
	dir.set("t/newco", entry("newco", "cell-c"))
	release := dir.holdGets()
	waiting := signalWaits(e, 16)
	const n = 16
	results := make(chan string, n)
	for range n {
		go func() { results <- route(t, e, "newco") }()
	}
	// One request reads, the other fifteen wait for it.
	for range n - 1 {
		<-waiting
	}
	if got := dir.getsUnderWay(); got != 1 {
		t.Fatalf("%d reads under way, want 1", got)
	}
	release()
	for range n {
		if got := <-results; got != "cell-c" {
			t.Fatalf("routed to %s", got)
		}
	}
	if got := dir.count("t/newco"); got != 1 {
		t.Fatalf("%d reads of t/newco, want 1", got)
	}
}

// heldRead starts a request of tenantID whose directory read is held
// until release, and lets later reads through; the request's answer comes
// on first.
func heldRead(t *testing.T, e *edge, tenantID string) (first chan string, release func()) {
	dir := dirOf(e)
	release = dir.holdGets()
	first = routeAsync(t, e, tenantID)
	dir.waitForGet()
	dir.letGetsThrough()
	return first, release
}

// A request whose read seems stuck (its client may be gone for good) does
// not hold up the others for ever: after readStuck they read themselves.
func TestDirectoryStuckReadIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	e, _, clk := newTestEdge(t, "")
	dir := dirOf(e)
	dir.set("t/newco", entry("newco", "cell-c"))
	first, release := heldRead(t, e, "newco")
	clk.add(readStuck)
	if got := route(t, e, "newco"); got != "cell-c" {
		t.Fatalf("second request: %s", got)
	}
	release()
	if got := <-first; got != "cell-c" {
		t.Fatalf("first request: %s", got)
	}
}

// A waiter that gives up on another request's read (the Worker's wait has a
// deadline) reads the entry itself.
func TestDirectoryWaiterGivesUp(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, "")
	dir := dirOf(e)
	dir.set("t/newco", entry("newco", "cell-c"))
	first, release := heldRead(t, e, "newco")
	e.wait = func(<-chan struct{}) bool { return false }
	if got := route(t, e, "newco"); got != "cell-c" || dir.count("t/newco") != 1 {
		t.Fatalf("the waiter that gave up: %s after %d finished reads", got, dir.count("t/newco"))
	}
	release()
	if got := <-first; got != "cell-c" || dir.count("t/newco") != 2 {
		t.Fatalf("first request: %s, %d reads", got, dir.count("t/newco"))
	}
}

// TestDirectoryHitAllocatesNothing: deciding for a tenant the cache holds
// allocates nothing beyond Decide (which allocates nothing).
func TestDirectoryHitAllocatesNothing(t *testing.T) {
	e, _, _ := newTestEdge(t, "")
	dirOf(e).set("t/newco", entry("newco", "cell-c", "cell-b"))
	e.refresh()
	snap := e.store.Snapshot()
	for _, id := range []string{"newco", "solo"} { // a directory tenant, a registry tenant (negative entry)
		req := router.Request{Method: "GET", Tenant: id}
		if d, r := e.decide(snap, req, nil); r != nil || !d.Forward() {
			t.Fatalf("%s: %+v %+v", id, d, r)
		}
		if n := testing.AllocsPerRun(200, func() { _, _ = e.decide(snap, req, nil) }); n != 0 {
			t.Errorf("deciding for cached tenant %s allocates %v times", id, n)
		}
	}
}

func TestDecodeEntry(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxEntryBytes)
	tests := []struct {
		name string
		data string
		want string // substring of the error; "" means valid
	}{
		{name: "minimal", data: `{"id":"acme","cell":"cell-a"}`},
		{name: "full", data: `{"id":"acme","cell":"cell-a","failover":["cell-b","cell-c"],"state":"migrating","residency":"eu","epoch":7}`},
		{name: "unknown field is ignored", data: `{"id":"acme","cell":"cell-a","movedAt":"x"}`},
		{name: "not JSON", data: `cell-a`, want: "not a tenant entry"},
		{name: "trailing data", data: `{"id":"acme","cell":"cell-a"} {}`, want: "trailing data"},
		{name: "duplicate key", data: `{"id":"acme","cell":"cell-a","cell":"cell-b"}`, want: "duplicate key"},
		{name: "too large", data: `{"id":"acme","cell":"cell-a","x":"` + long + `"}`, want: "over the"},
		{name: "other tenant", data: `{"id":"globex","cell":"cell-a"}`, want: `id: the entry is for tenant "globex"`},
		{name: "no cell", data: `{"id":"acme"}`, want: `cell: required`},
		{name: "bad cell", data: `{"id":"acme","cell":"Cell A"}`, want: `cell "Cell A"`},
		{name: "bad failover", data: `{"id":"acme","cell":"cell-a","failover":["x"]}`, want: `failover[0]: "x" is not a valid cell id`},
		{name: "failover is the primary", data: `{"id":"acme","cell":"cell-a","failover":["cell-a"]}`, want: `failover[0]: "cell-a" is the tenant's primary cell`},
		{name: "failover twice", data: `{"id":"acme","cell":"cell-a","failover":["cell-b","cell-b"]}`, want: "listed twice"},
		{name: "too many failovers", data: `{"id":"acme","cell":"cell-a","failover":["c-1x","c-2x","c-3x","c-4x","c-5x","c-6x","c-7x","c-8x"]}`, want: "8 failover cells"},
		{name: "bad state", data: `{"id":"acme","cell":"cell-a","state":"gone"}`, want: `unknown state "gone"`},
		{name: "bad residency", data: `{"id":"acme","cell":"cell-a","residency":"e u"}`, want: "residency"},
		{name: "negative epoch", data: `{"id":"acme","cell":"cell-a","epoch":-1}`, want: "epoch: -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeEntry("acme", []byte(tt.data))
			if tt.want == "" {
				if err != nil || got.ID != "acme" {
					t.Fatalf("decodeEntry = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decodeEntry error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestDirectoryEntryMemory: the largest entry the Worker accepts costs at
// most edgeconf.MaxDirectoryEntryMemory bytes cached, so that the default
// cache stays under 10 MB. Heap figures after a collection are exact enough
// for a bound this coarse.
func TestDirectoryEntryMemory(t *testing.T) {
	if edgeconf.DefaultDirectoryCacheEntries*edgeconf.MaxDirectoryEntryMemory > 10<<20 {
		t.Fatalf("the default cache may take %d bytes, over 10 MB", edgeconf.DefaultDirectoryCacheEntries*edgeconf.MaxDirectoryEntryMemory)
	}
	const n = edgeconf.DefaultDirectoryCacheEntries
	snap := testSnapshot(t)
	values := make([][]byte, n)
	ids := make([]string, n)
	for i := range n {
		// 63-character ids, seven failover cells the registry does not
		// hold (not interned), a 32-character residency.
		ids[i] = fmt.Sprintf("%063d", i)
		fo := make([]string, router.MaxFailover)
		for j := range fo {
			fo[j] = fmt.Sprintf("zz-%017d", i*8+j)
		}
		values[i] = []byte(fmt.Sprintf(`{"id":%q,"cell":"zy-%017d","failover":["%s"],"state":"readonly","residency":"%032d","epoch":99}`, ids[i], i, strings.Join(fo, `","`), i))
	}
	c := newDirCache(n)
	before := heapAlloc()
	for i := range n {
		tn, err := decodeEntry(ids[i], values[i])
		if err != nil {
			t.Fatal(err)
		}
		intern(tn, snap)
		c.put(tn.ID, tn, time.Now())
	}
	perEntry := (heapAlloc() - before) / n
	runtime.KeepAlive(values) // made before the first figure: must not be freed before the second
	runtime.KeepAlive(ids)
	t.Logf("%d bytes per largest entry", perEntry)
	if perEntry > edgeconf.MaxDirectoryEntryMemory {
		t.Fatalf("%d bytes per largest entry, over edgeconf.MaxDirectoryEntryMemory %d", perEntry, edgeconf.MaxDirectoryEntryMemory)
	}
	if c.len() != n {
		t.Fatal("entries lost")
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// testSnapshot is the unit registry compiled.
func testSnapshot(t testing.TB) *router.Snapshot {
	t.Helper()
	reg, err := router.Parse(unitRegistry(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	s, err := router.Compile(reg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// BenchmarkDecideCachedDirectoryTenant and BenchmarkDecideRegistryTenant
// compare the decision for a tenant the directory cache holds with one the
// registry seeds (a cached negative entry, then Decide).
func BenchmarkDecideCachedDirectoryTenant(b *testing.B) { benchDecide(b, "newco") }
func BenchmarkDecideRegistryTenant(b *testing.B)        { benchDecide(b, "solo") }

// BenchmarkDecideRegistryOnly is the decision without the directory, as
// before it: the baseline of the two above.
func BenchmarkDecideRegistryOnly(b *testing.B) {
	e, _, _ := newTestEdge(b, "")
	e.refresh()
	snap := e.store.Snapshot()
	req := router.Request{Method: "GET", Tenant: "solo"}
	b.ReportAllocs()
	for b.Loop() {
		_ = snap.Decide(req, nil)
	}
}

func benchDecide(b *testing.B, tenantID string) {
	e, _, _ := newTestEdge(b, "")
	dirOf(e).set("t/newco", entry("newco", "cell-c", "cell-b"))
	e.refresh()
	snap := e.store.Snapshot()
	req := router.Request{Method: "GET", Tenant: tenantID}
	if d, r := e.decide(snap, req, nil); r != nil || !d.Forward() {
		b.Fatalf("%+v %+v", d, r)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = e.decide(snap, req, nil)
	}
}

// TestMemStats: the figures the test-only memory binding reports: the
// cache's size and a live heap.
func TestMemStats(t *testing.T) {
	e, _, _ := newTestEdge(t, "")
	dirOf(e).set("t/newco", entry("newco", "cell-c"))
	route(t, e, "newco")
	route(t, e, "solo")
	m := e.memStats()
	if m.DirectoryEntries != 2 || m.HeapAlloc == 0 || m.HeapInuse < m.HeapAlloc || m.Sys < m.HeapInuse {
		t.Fatalf("memStats = %+v, want 2 directory entries and a heap", m)
	}
}
