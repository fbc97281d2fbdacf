//go:build !(js && wasm)

package main

import (
	"errors"
	"maps"
	"testing"
	"time"
)

// TestPrepareCachedOnly: the fast path's decision is made only from the
// isolate's caches, and gives up, reading nothing, whenever the slow path
// would read KV first or the request has a body.
func TestPrepareCachedOnly(t *testing.T) {
	t.Parallel()
	get := func(tenantID string) inbound {
		return inbound{Method: "GET", URL: "https://edge.example/x?y=1", Header: headers{"X-Tenant-Id": tenantID}}
	}
	tests := []struct {
		name string
		// warm are the tenants served first; then the clock moves by wait.
		warm []string
		wait time.Duration
		in   inbound
		// cell is the first attempt's; "" when the fast path gives up;
		// refused when the request is refused.
		cell    string
		refused string
	}{
		{name: "cold isolate", in: get("acme")},
		{name: "warm", warm: []string{"acme"}, in: get("acme"), cell: "cell-a"},
		{name: "directory entry not cached", warm: []string{"solo"}, in: get("acme")},
		{name: "registry due for a read", warm: []string{"acme"}, wait: 11 * time.Second, in: get("acme")},
		{name: "request with a body", warm: []string{"acme"}, in: inbound{Method: "PUT", URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": "acme"}, HasBody: true}},
		{name: "refusal from the caches", warm: []string{"acme"}, in: get("Not A Tenant"), refused: "bad_header"},
		{name: "unknown tenant, negative entry cached", warm: []string{"acme", "nobody"}, in: get("nobody"), refused: "unknown_tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, kv, clk := newTestEdge(t, `{"cacheSeconds":10}`)
			for _, id := range tt.warm {
				route(t, e, id)
			}
			clk.add(tt.wait)
			reads := kv.count("registry")
			w, err := e.prepare(tt.in, true)
			if got := kv.count("registry") - reads; got != 0 {
				t.Errorf("prepare read the registry %d times, want none", got)
			}
			want := tt.cell != "" || tt.refused != ""
			if (err == nil) != want {
				t.Fatalf("prepare: %v, want the fast path %v", err, want)
			}
			if err != nil {
				if !errors.Is(err, errNotCached) {
					t.Fatalf("prepare: %v, want errNotCached", err)
				}
				return
			}
			if tt.refused != "" {
				if !w.done || w.res.Refusal == nil || string(w.res.Refusal.Reason) != tt.refused {
					t.Fatalf("walk done %v, refusal %+v; want %s", w.done, w.res.Refusal, tt.refused)
				}
				return
			}
			a := w.next()
			if w.done || a == nil || a.Cell.ID != tt.cell || a.URL != "https://a.cells.example/x?y=1" || a.Signature == "" || a.Traceparent == "" {
				t.Fatalf("first attempt %+v (walk done %v), want one to %s", a, w.done, tt.cell)
			}
		})
	}
}

// TestWalkFastOutcomes: a walk begun on the fast path ends as serve's
// would: an answer passed on settles it at once, anything else is left to
// Go, which goes on from the same walk.
func TestWalkFastOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		// first is how the fast path's attempt at cell-a ended: a status
		// or an error.
		first  any
		passes bool
		// cell answers the request in the end; reason when refused.
		cell, reason string
	}{
		{name: "200 passed on", method: "GET", first: 200, passes: true, cell: "cell-a"},
		{name: "a cell's 404 passed on", method: "GET", first: 404, passes: true, cell: "cell-a"},
		{name: "503 on a POST passed on", method: "POST", first: 503, passes: true, cell: "cell-a"},
		{name: "503 on a read: next cell", method: "GET", first: 503, cell: "cell-b"},
		{name: "421 looked into", method: "GET", first: 421, cell: "cell-a"},
		{name: "connection failed: next cell", method: "GET", first: errRefused, cell: "cell-b"},
		{name: "timeout: no retry", method: "GET", first: errTimeout, reason: "upstream_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _, _ := newTestEdge(t, `{"cacheSeconds":10}`)
			route(t, e, "acme")
			w, err := e.prepare(inbound{Method: tt.method, URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": "acme"}}, true)
			if err != nil {
				t.Fatal(err)
			}
			a := w.next()
			var (
				rep    reply
				sendEr error
			)
			if status, ok := tt.first.(int); ok {
				if got := w.passes(status); got != tt.passes {
					t.Fatalf("passes(%d) = %v, want %v", status, got, tt.passes)
				}
				rep = statusReply(status)
				if tt.passes {
					w.settle(a, rep, nil)
					if !w.done || w.res.Cell.ID != tt.cell || w.res.Reply.Status() != status || w.res.Attempts != 1 {
						t.Fatalf("walk done %v, %+v; want %d from %s after 1 attempt", w.done, w.res, status, tt.cell)
					}
					return
				}
				rep = &fakeReply{status: status, body: []byte(staleAnswer.body)}
			} else {
				sendEr = tt.first.(error)
			}
			// Go goes on (resume), from the same walk.
			w.up = &fakeUpstream{}
			w.settle(a, rep, sendEr)
			w.rest()
			switch {
			case tt.reason != "":
				if w.res.Refusal == nil || string(w.res.Refusal.Reason) != tt.reason {
					t.Fatalf("result %+v, want refusal %s", w.res, tt.reason)
				}
			case w.res.Refusal != nil || w.res.Cell.ID != tt.cell:
				t.Fatalf("result %+v (refusal %+v), want an answer from %s", w.res, w.res.Refusal, tt.cell)
			}
		})
	}
}

func TestPathCounts(t *testing.T) {
	t.Parallel()
	var c pathCounts
	c.add(pathFast)
	c.add(pathFast)
	c.add(pathSlow)
	c.add("no such path")
	want := map[string]uint64{pathFast: 2, pathResumed: 0, pathSlow: 1}
	if got := c.report(); !maps.Equal(got, want) {
		t.Fatalf("report %v, want %v", got, want)
	}
}

// BenchmarkFastPath is the fast path's work in Go for one warm request:
// the decision from the caches, the first attempt signed, and the answer
// settled.
func BenchmarkFastPath(b *testing.B) {
	e, _, _ := newTestEdge(b, `{"cacheSeconds":3600}`)
	e.serve(inbound{Method: "GET", URL: "https://edge.example/", Header: headers{"X-Tenant-Id": "acme"}}, &fakeUpstream{})
	in := inbound{Method: "GET", URL: "https://edge.example/orders/7?x=1", Header: headerList{"x-tenant-id", "acme", "accept", "*/*", "user-agent", "bench"}}
	b.ReportAllocs()
	for b.Loop() {
		w, err := e.prepare(in, true)
		if err != nil {
			b.Fatal(err)
		}
		a := w.next()
		w.settle(a, statusReply(200), nil)
	}
}

// TestPrepareCachedOnlyAtExpiry: the fast path's decision reads nothing
// from KV even when the tenant's directory entry expires while it is being
// made (a clock that moves on at every reading): it either decides from
// the entry it found fresh or gives up. In the Worker a read there would
// wait inside a synchronous call from the shim, which must never wait.
func TestPrepareCachedOnlyAtExpiry(t *testing.T) {
	t.Parallel()
	// Each offset puts the entry's expiry at another reading of the clock
	// within prepare.
	for offset := range 40 {
		e, _, clk := newTestEdge(t, `{"cacheSeconds":10}`)
		if got := route(t, e, "acme"); got != "cell-a" {
			t.Fatalf("warm-up: %s", got)
		}
		dir := e.dirKV.(*fakeKV)
		reads := dir.count("t/acme")
		// The registry's read is not due yet when the entry expires: the
		// entry was read after it.
		base := clk.now().Add(10*time.Second - time.Duration(offset)*time.Microsecond)
		var ticks int64
		e.now = func() time.Time {
			ticks++
			return base.Add(time.Duration(ticks) * time.Microsecond)
		}
		w, err := e.prepare(inbound{Method: "GET", URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": "acme"}}, true)
		if got := dir.count("t/acme") - reads; got != 0 {
			t.Fatalf("entry expiring %d µs into prepare: prepare with cachedOnly read the directory %d times (err %v), want none", offset, got, err)
		}
		if err == nil && (w.done || w.next() == nil) {
			t.Fatalf("entry expiring %d µs into prepare: the walk is done (%+v), want a first attempt", offset, w.res.Refusal)
		}
	}
}
