//go:build !(js && wasm)

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// newPlaceEdge is newTestEdge over the unit registry with the unknown-tenant
// policy place.
func newPlaceEdge(t *testing.T) (*edge, *clock) {
	t.Helper()
	e, kv, clk := newTestEdge(t, "")
	var reg router.Registry
	if err := json.Unmarshal(unitRegistry(t, 1), &reg); err != nil {
		t.Fatal(err)
	}
	reg.UnknownTenants = fabric.PolicyPlace
	data, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	kv.set("registry", data)
	return e, clk
}

// storedEntry returns the directory's entry for tenant id, failing the test
// when there is none.
func storedEntry(t *testing.T, dir *fakeKV, id string) router.Tenant {
	t.Helper()
	data, ok := dir.value(directory.TenantKey(id))
	if !ok {
		t.Fatalf("the directory holds no entry for %s", id)
	}
	var tn router.Tenant
	if err := router.DecodeStrict(data, &tn); err != nil {
		t.Fatalf("entry of %s: %v", id, err)
	}
	return tn
}

// waitForPut returns once a directory write is under way, and fails the
// test if the request that should make it (its answer on done) ends
// without one.
func waitForPut(t *testing.T, dir *fakeKV, done chan string) {
	t.Helper()
	for dir.putsUnderWay() == 0 {
		select {
		case got := <-done:
			t.Fatalf("the request ended (%s) without writing to the directory", got)
		case <-time.After(time.Millisecond):
		}
	}
}

// A tenant in neither the directory nor the registry is, under policy
// place, placed as the directory core places it at a request and recorded
// in the directory (entry, journal, cell counter) before it is forwarded;
// the next request goes to the same cell without writing or reading again.
func TestPlaceRecordsUnknownTenant(t *testing.T) {
	t.Parallel()
	e, _ := newPlaceEdge(t)
	dir := dirOf(e)
	first := route(t, e, "newco")
	e.refresh()
	want, err := directory.PlaceAtRequest(e.store.Snapshot(), "newco", nil)
	if err != nil {
		t.Fatal(err)
	}
	if first != want.Cell {
		t.Fatalf("first request went to %s, want %s (directory.PlaceAtRequest)", first, want.Cell)
	}
	got := storedEntry(t, dir, "newco")
	if got.Cell != want.Cell || strings.Join(got.Failover, ",") != strings.Join(want.Failover, ",") || got.Epoch != 1 || got.EffectiveState() != fabric.TenantActive {
		t.Fatalf("recorded %+v, want cell %s failover %v at epoch 1", got, want.Cell, want.Failover)
	}
	if n, ok := dir.value(directory.CounterKey(want.Cell)); !ok || string(n) != "1" {
		t.Fatalf("counter of %s: %q, want 1", want.Cell, n)
	}
	journaled := 0
	for k := range dir.puts {
		if strings.HasPrefix(k, directory.JournalPrefix) && strings.HasSuffix(k, "-newco") {
			journaled++
		}
	}
	if journaled != 1 {
		t.Fatalf("%d journal records of newco, want 1", journaled)
	}
	reads, writes := dir.count(directory.TenantKey("newco")), len(dir.puts)
	if second := route(t, e, "newco"); second != first {
		t.Fatalf("second request went to %s, the first to %s", second, first)
	}
	if dir.count(directory.TenantKey("newco")) != reads || len(dir.puts) != writes {
		t.Fatal("the second request read or wrote the directory: the placement was not cached")
	}
}

// What placeUnknown answers when it does not place: policy reject, and a
// placement that could not be recorded (never a placement recorded
// nowhere).
func TestPlaceUnknownRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		place  bool  // policy place, else reject
		putErr error // every directory write fails
		want   router.Reason
	}{
		{name: "policy reject", want: router.ReasonUnknownTenant},
		{name: "policy place, directory write fails", place: true, putErr: errors.New("kv: 503"), want: router.ReasonPlacementFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e *edge
			if tt.place {
				e, _ = newPlaceEdge(t)
			} else {
				e, _, _ = newTestEdge(t, "")
			}
			dir := dirOf(e)
			dir.mu.Lock()
			dir.putErr = tt.putErr
			dir.mu.Unlock()
			if got := route(t, e, "newco"); got != string(tt.want) {
				t.Fatalf("routed to %s, want %s", got, tt.want)
			}
			if _, ok := dir.value(directory.TenantKey("newco")); ok {
				t.Fatal("an entry was recorded")
			}
		})
	}
}

// Placements in an isolate are made one at a time: a request placing
// another tenant waits (through e.wait) for the placement under way instead
// of writing beside it, and then places its own.
func TestPlaceOneAtATime(t *testing.T) {
	t.Parallel()
	e, _ := newPlaceEdge(t)
	dir := dirOf(e)
	release := dir.holdPuts()
	waiting := signalWaits(e, 1)
	first := routeAsync(t, e, "newco")
	waitForPut(t, dir, first)
	second := routeAsync(t, e, "globex")
	<-waiting
	if n := dir.putsUnderWay(); n != 1 {
		t.Fatalf("%d directory writes under way while globex waits, want newco's 1", n)
	}
	release()
	for _, r := range []struct {
		id string
		ch chan string
	}{{"newco", first}, {"globex", second}} {
		got := <-r.ch
		if tn := storedEntry(t, dir, r.id); got != tn.Cell {
			t.Fatalf("%s went to %s, its entry says %s", r.id, got, tn.Cell)
		}
	}
}

// A placement under way for readStuck or longer (its request's client may
// be gone and its KV call never end) does not hold up the others for ever:
// the next request places its tenant itself, with a Directory of its own
// (the stuck one may hold its locks).
func TestPlaceStuckIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	e, clk := newPlaceEdge(t)
	dir := dirOf(e)
	release := dir.holdPuts()
	first := routeAsync(t, e, "newco")
	waitForPut(t, dir, first)
	dir.letPutsThrough()
	e.wait = func(<-chan struct{}) bool { t.Error("waited for a stuck placement"); return false }
	clk.add(readStuck)
	got := route(t, e, "globex")
	if tn := storedEntry(t, dir, "globex"); got != tn.Cell {
		t.Fatalf("globex went to %s, its entry says %s", got, tn.Cell)
	}
	release()
	if got := <-first; got != storedEntry(t, dir, "newco").Cell {
		t.Fatalf("newco went to %s", got)
	}
}

// placeRegistries returns two registries with policy place, the unit
// registry's cells and those plus cell-d, and a tenant id whose placement
// at a request differs between them: a placement computed afresh would
// move it when cell-d is added.
func placeRegistries(t *testing.T) (before, after []byte, id string) {
	t.Helper()
	compile := func(extra ...router.Cell) ([]byte, *router.Snapshot) {
		// A registry of its own each time: a Snapshot keeps the one it
		// was compiled from.
		var reg router.Registry
		if err := json.Unmarshal(unitRegistry(t, 1), &reg); err != nil {
			t.Fatal(err)
		}
		reg.UnknownTenants = fabric.PolicyPlace
		reg.Cells = append(reg.Cells, extra...)
		data, err := json.Marshal(reg)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := router.Compile(&reg)
		if err != nil {
			t.Fatal(err)
		}
		return data, snap
	}
	before, snap1 := compile()
	after, snap2 := compile(router.Cell{ID: "cell-d", Cloud: "aws", Region: "r4", Endpoint: "https://d.cells.example", Weight: 100})
	for i := range 1000 {
		id = fmt.Sprintf("moved%d", i)
		p1, err1 := directory.PlaceAtRequest(snap1, id, nil)
		p2, err2 := directory.PlaceAtRequest(snap2, id, nil)
		if err1 != nil || err2 != nil {
			t.Fatal(errors.Join(err1, err2))
		}
		if p1.Cell != p2.Cell {
			return before, after, id
		}
	}
	t.Fatal("no tenant id whose placement cell-d changes")
	return nil, nil, ""
}

// A tenant placed at its first request stays on its cell in another
// isolate (a fresh Worker over the same directory) whose registry would
// place it elsewhere: that isolate reads the recorded entry and writes
// nothing.
func TestPlaceRecordedHoldsInAnotherIsolate(t *testing.T) {
	t.Parallel()
	before, after, id := placeRegistries(t)
	dir := newFakeKV()
	isolate := func(reg []byte) *edge {
		kv := newFakeKV()
		kv.set("registry", reg)
		e, err := newEdge(bindings{Key: string(unitKey.Secret), KeyID: unitKey.ID}, kv, dir, newClock().now, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.rand = func() uint64 { return 42 }
		return e
	}
	first := route(t, isolate(before), id)
	if got := storedEntry(t, dir, id); got.Cell != first {
		t.Fatalf("first request went to %s, the entry says %s", first, got.Cell)
	}
	writes := len(dir.puts)
	second := isolate(after)
	second.refresh()
	fresh, err := directory.PlaceAtRequest(second.store.Snapshot(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Cell == first {
		t.Fatalf("the test needs a registry that places %s elsewhere than %s", id, first)
	}
	if got := route(t, second, id); got != first {
		t.Fatalf("the other isolate sent %s to %s, its recorded cell is %s", id, got, first)
	}
	if len(dir.puts) != writes {
		t.Fatalf("the other isolate wrote to the directory (%d writes, was %d)", len(dir.puts), writes)
	}
}

// A request that waited for another request's placement of the same
// tenant takes that placement from the cache and writes nothing.
func TestPlaceWaiterTakesTheOthersPlacement(t *testing.T) {
	t.Parallel()
	e, _ := newPlaceEdge(t)
	dir := dirOf(e)
	release := dir.holdPuts()
	waiting := signalWaits(e, 1)
	first := routeAsync(t, e, "newco")
	waitForPut(t, dir, first)
	// The first request has read newco's key for the last time (its
	// journal write is held).
	reads := dir.count(directory.TenantKey("newco"))
	// newco's read by the first request left it cached as absent: the
	// second one comes to place it too, and waits for the first.
	second := routeAsync(t, e, "newco")
	<-waiting
	release()
	a, b := <-first, <-second
	if a != b || a != storedEntry(t, dir, "newco").Cell {
		t.Fatalf("the requests went to %s and %s, the entry says %s", a, b, storedEntry(t, dir, "newco").Cell)
	}
	if n := dir.count(directory.TenantKey("newco")); n != reads {
		t.Fatalf("newco's key read %d times, %d by the first request: the second one read the directory instead of taking the placement it waited for", n, reads)
	}
}

// The Worker looks every tenant up in the directory first, so an unknown
// tenant's refusal names both places, as the server router's does.
func TestUnknownTenantNamesTheDirectory(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, "")
	res := e.serve(inbound{Method: "GET", URL: "https://edge.example/", Header: headers{"X-Tenant-Id": "nobody"}}, &fakeUpstream{})
	if res.Refusal == nil || res.Refusal.Reason != router.ReasonUnknownTenant {
		t.Fatalf("unknown tenant: %+v", res)
	}
	if want := `tenant "nobody" is not in the tenant directory or the registry`; res.Refusal.Msg != want {
		t.Fatalf("message %q, want %q", res.Refusal.Msg, want)
	}
}

// The cells' placement flags (c/) are listed once per CacheSeconds, like
// the registry, not once per tenant first seen at a request; a cell
// drained by someone else (another isolate, the CLI through another
// Worker) is skipped once that interval has passed.
func TestPlaceListsCellFlagsOncePerCache(t *testing.T) {
	t.Parallel()
	e, clk := newPlaceEdge(t)
	dir := dirOf(e)
	const n = 12
	for i := range n {
		if got := route(t, e, fmt.Sprintf("new%02d", i)); strings.Contains(got, "_") {
			t.Fatalf("new%02d: %s", i, got)
		}
	}
	if got := dir.listed(directory.CellPrefix); got != 1 {
		t.Fatalf("%d listings of the cells' flags for %d new tenants, want 1 (once per CacheSeconds)", got, n)
	}

	// Drain the cell a next tenant would go to, behind the isolate's back.
	snap := e.store.Snapshot()
	open, err := directory.PlaceAtRequest(snap, "later", nil)
	if err != nil {
		t.Fatal(err)
	}
	flag, err := json.Marshal(directory.CellFlag{Placement: directory.PlacementClosed, Since: clk.now().Unix()})
	if err != nil {
		t.Fatal(err)
	}
	dir.set(directory.CellKey(open.Cell), flag)
	clk.add(e.cfg.Cache() + time.Second)
	want, err := directory.PlaceAtRequest(e.store.Snapshot(), "later", directory.ClosedCells{open.Cell: true})
	if err != nil || want.Cell == open.Cell {
		t.Fatalf("placement with %s closed: %+v, %v", open.Cell, want, err)
	}
	if got := route(t, e, "later"); got != want.Cell {
		t.Fatalf("after CacheSeconds, later went to %s, want %s (%s is drained)", got, want.Cell, open.Cell)
	}
	if got := dir.listed(directory.CellPrefix); got != 2 {
		t.Fatalf("%d listings of the cells' flags after one refresh, want 2", got)
	}

	// A drain through this isolate (its control API) counts at once.
	next, err := directory.PlaceAtRequest(e.store.Snapshot(), "sooner", directory.ClosedCells{open.Cell: true})
	if err != nil {
		t.Fatal(err)
	}
	d, release, err := e.writeTurn(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.CloseCell(context.Background(), next.Cell, "drained here")
	release()
	if err != nil {
		t.Fatal(err)
	}
	if got := route(t, e, "sooner"); got == next.Cell || got == open.Cell || strings.Contains(got, "_") {
		t.Fatalf("sooner went to %s right after this isolate drained %s (and %s was drained before)", got, next.Cell, open.Cell)
	}
}
