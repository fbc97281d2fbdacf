//go:build !(js && wasm)

package main

// Runtime tests of a cell's 421 stale_placement answer at the edge: the
// built Worker in workerd, the tenant directory in its KV namespace, and
// epochCells (runtime_epoch_test.go) on loopback.

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

// staleEnv is a Worker that holds acme cached on cell-a at epoch 1 (its
// cache outlives the test), over cells a and b.
func staleEnv(t *testing.T) (env *edgeEnv, a, b *epochCell) {
	t.Helper()
	a = startEpochCell(t, "cell-a", "aws")
	b = startEpochCell(t, "cell-b", "gcp")
	dir := newKV(t)
	dir.Set("t/acme", entryAt("acme", "cell-a", 1, ""))
	env = startEdge(t, envOptions{
		config:   `{"cacheSeconds":300}`,
		registry: registry(t, 1, []*cell{a.cell, b.cell}),
		key:      testKey, directory: dir, memStats: true,
	})
	if r := env.do("GET", "/kv/x", tenantHeader("acme"), ""); r.status != 200 || r.header.Get("X-Cell-ID") != "cell-a" {
		t.Fatalf("before the move: %d from %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
	}
	a.mu.Lock()
	a.seen = nil
	a.mu.Unlock()
	return env, a, b
}

// staleCounts reads the Worker's counts of stale_placement answers.
func (e *edgeEnv) staleCounts() map[string]uint64 {
	e.t.Helper()
	m, err := e.rt.MemStats(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return m.StalePlacements
}

// (b) acme moves to cell-b at epoch 2, written to the directory's KV
// behind the Worker's back; cell-a is fenced at 2. A write with a body
// through the Worker reaches cell-b, body and all, after one refusal by
// cell-a; the next request goes straight to cell-b.
func TestRuntimeStalePlacementRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		chunked bool
	}{
		{name: "declared length"},
		{name: "chunked", chunked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, a, b := staleEnv(t)
			env.dir.Set("t/acme", entryAt("acme", "cell-b", 2, ""))
			a.fence.Store(2)
			body := strings.Repeat("moving-day ", 3000) // 33 KB: within the 64 KiB kept
			r := sendBody(t, "PUT", env.rt.URL+"/kv/color", tenantHeader("acme"), body, tt.chunked)
			if r.status != 200 || r.header.Get("X-Cell-ID") != "cell-b" {
				t.Fatalf("PUT: %d from %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
			}
			as, bs := a.requests(), b.requests()
			if len(as) != 1 || len(bs) != 1 {
				t.Fatalf("cell-a got %d requests, cell-b %d; want one each", len(as), len(bs))
			}
			if as[0].got.Epoch != 1 || bs[0].got.Epoch != 2 || !bs[0].verified || bs[0].method != "PUT" {
				t.Errorf("cell-a verified epoch %d, cell-b %d (%v, %s); want 1 then 2", as[0].got.Epoch, bs[0].got.Epoch, bs[0].verified, bs[0].method)
			}
			if bs[0].body != body {
				t.Errorf("cell-b got a body of %d bytes, want the client's %d", len(bs[0].body), len(body))
			}
			if got := env.staleCounts()[staleRetried]; got != 1 {
				t.Errorf("the Worker counts %d retried stale placements, want 1", got)
			}
			r = env.do("GET", "/kv/color", tenantHeader("acme"), "")
			if r.status != 200 || r.header.Get("X-Cell-ID") != "cell-b" || len(a.requests()) != 1 || len(b.requests()) != 2 {
				t.Fatalf("next request: %d from %q; cell-a got %d, cell-b %d", r.status, r.header.Get("X-Cell-ID"), len(a.requests()), len(b.requests()))
			}
		})
	}
}

// (c) Nothing newer in the directory: the cell's 421 goes to the client as
// it came, after one attempt. A body over 64 KiB is not kept: the 421 goes
// to the client too, but the Worker routes the tenant's next request to
// its newer placement.
func TestRuntimeStalePlacementPassedOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		moved    bool
		body     string
		outcome  string
		nextCell string
	}{
		{name: "nothing newer", body: "teal", outcome: staleNotNewer, nextCell: "cell-a"},
		{name: "body too long to keep", moved: true, body: strings.Repeat("x", 70<<10), outcome: staleNotReplayable, nextCell: "cell-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, a, b := staleEnv(t)
			if tt.moved {
				env.dir.Set("t/acme", entryAt("acme", "cell-b", 2, ""))
			}
			a.fence.Store(2)
			reads := env.dir.Reads("t/acme")
			r := env.do("PUT", "/kv/color", tenantHeader("acme"), tt.body)
			if r.status != router.StatusMisdirected || r.header.Get("X-Cell-ID") != "cell-a" || string(r.body) != staleBody("acme", 2) {
				t.Fatalf("PUT: %d from %q: %s; want cell-a's 421 as it sent it", r.status, r.header.Get("X-Cell-ID"), r.body)
			}
			if len(a.requests()) != 1 || len(b.requests()) != 0 {
				t.Fatalf("cell-a got %d requests, cell-b %d; want 1 and 0", len(a.requests()), len(b.requests()))
			}
			if got := env.dir.Reads("t/acme") - reads; got != 1 {
				t.Errorf("the Worker read the tenant's entry %d times for the 421, want 1 (past its cache)", got)
			}
			if got := env.staleCounts()[tt.outcome]; got != 1 {
				t.Errorf("the Worker counts %d %s, want 1", got, tt.outcome)
			}
			a.fence.Store(0)
			if r := env.do("GET", "/kv/color", tenantHeader("acme"), ""); r.status != 200 || r.header.Get("X-Cell-ID") != tt.nextCell {
				t.Fatalf("next request: %d from %q, want 200 from %s", r.status, r.header.Get("X-Cell-ID"), tt.nextCell)
			}
		})
	}
}

// sendBody sends a request with a body, with its length declared or
// chunked.
func sendBody(t *testing.T, method, url string, header map[string]string, body string, chunked bool) response {
	t.Helper()
	if !chunked {
		return send(t, method, url, header, body)
	}
	req, err := http.NewRequest(method, url, io.NopCloser(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// A tenant's request body reaches its cell whole whether the Worker kept it
// (within 64 KiB) or not (longer: what it read first, then the rest), with
// its length declared or chunked.
func TestRuntimeKeptBodyForwardedWhole(t *testing.T) {
	t.Parallel()
	env, a, _ := staleEnv(t)
	tests := []struct {
		name    string
		size    int
		chunked bool
	}{
		{name: "kept, declared", size: 1000},
		{name: "kept, chunked", size: 1000, chunked: true},
		{name: "exactly 64 KiB, chunked", size: 64 << 10, chunked: true},
		{name: "not kept, declared", size: 200 << 10},
		{name: "not kept, chunked", size: 200 << 10, chunked: true},
	}
	for i, tt := range tests {
		body := strings.Repeat(string(rune('a'+i)), tt.size)
		before := len(a.requests())
		r := sendBody(t, "POST", env.rt.URL+"/kv/blob", tenantHeader("acme"), body, tt.chunked)
		seen := a.requests()
		if r.status != 200 || len(seen) != before+1 {
			t.Errorf("%s: %d, %d requests at the cell: %s", tt.name, r.status, len(seen)-before, r.body)
			continue
		}
		if got := seen[before].body; got != body {
			t.Errorf("%s: the cell got %d bytes, want the client's %d", tt.name, len(got), len(body))
		}
	}
}
