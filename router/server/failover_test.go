package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/health"
)

func TestFailoverAndRetries(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		dead := router.Cell{ID: "dead", Cloud: "aws", Region: "r", Endpoint: deadURL(t), Weight: 100}
		tests := []struct {
			name       string
			primary503 bool
			method     string
			body       string
			usePrimary bool // primary is the dead cell
			wantStatus int
			wantCell   string
			wantHits   [2]int64 // primary, failover (live cells only)
		}{
			{name: "connect failure retried on failover", usePrimary: true, method: "GET", wantStatus: 200, wantCell: "cell-b"},
			{name: "connect failure retried even for POST with body", usePrimary: true, method: "POST", body: "payload", wantStatus: 200, wantCell: "cell-b"},
			{name: "503 on GET retried", primary503: true, method: "GET", wantStatus: 200, wantCell: "cell-b", wantHits: [2]int64{1, 1}},
			{name: "503 on DELETE retried", primary503: true, method: "DELETE", wantStatus: 200, wantCell: "cell-b", wantHits: [2]int64{1, 1}},
			{name: "503 on POST not retried", primary503: true, method: "POST", body: "x", wantStatus: 503, wantCell: "cell-a", wantHits: [2]int64{1, 0}},
			{name: "503 on PUT with body not retried", primary503: true, method: "PUT", body: "x", wantStatus: 503, wantCell: "cell-a", wantHits: [2]int64{1, 0}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a := newTestCell(t, "cell-a", "aws")
				b := newTestCell(t, "cell-b", "gcp")
				if tt.primary503 {
					a.status.Store(503)
				}
				cells := []router.Cell{a.cell(), b.cell()}
				primary := "cell-a"
				if tt.usePrimary {
					cells = append(cells, dead)
					primary = "dead"
				}
				h := startRouter(t, registry(1, cells, router.Tenant{ID: "acme", Cell: primary, Failover: []string{"cell-b"}}), nil)
				resp, body := h.do(t, tt.method, "/x", map[string]string{"X-Tenant-ID": "acme"}, tt.body)
				if resp.StatusCode != tt.wantStatus || resp.Header.Get("X-Cell-ID") != tt.wantCell {
					t.Fatalf("status %d cell %q, want %d %q: %s", resp.StatusCode, resp.Header.Get("X-Cell-ID"), tt.wantStatus, tt.wantCell, body)
				}
				if !tt.usePrimary && (a.hits.Load() != tt.wantHits[0] || b.hits.Load() != tt.wantHits[1]) {
					t.Errorf("hits a=%d b=%d, want %v", a.hits.Load(), b.hits.Load(), tt.wantHits)
				}
				if tt.body != "" && resp.StatusCode == 200 {
					var e echo
					json.Unmarshal(body, &e)
					if e.BodyBytes != len(tt.body) {
						t.Errorf("retried request arrived with %d body bytes, want %d", e.BodyBytes, len(tt.body))
					}
				}
			})
		}
	})
}

func TestAllCellsDown(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{a.cell(), {ID: "gone", Cloud: "gcp", Region: "r", Endpoint: deadURL(t), Weight: 100}},
			router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"gone"}},
			router.Tenant{ID: "solo", Cell: "gone"}), nil)
		h.rt.Health().SetOverride("cell-a", health.OverrideDown)
		h.rt.Health().SetOverride("gone", health.OverrideDown)
		resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
		if resp.StatusCode != 503 || !strings.Contains(string(body), "no_healthy_cell") || !strings.Contains(string(body), "down or unhealthy (cell-a, gone)") {
			t.Fatalf("all down: %d %s", resp.StatusCode, body)
		}
		// A cell that cannot be reached and has no failover: 502 naming it.
		h.rt.Health().SetOverride("gone", health.OverrideNone)
		resp, body = h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "solo"}, "")
		if resp.StatusCode != 502 || !strings.Contains(string(body), "cell gone could not be reached") {
			t.Fatalf("unreachable: %d %s", resp.StatusCode, body)
		}
		if v := metricValue(t, h, `cellfabric_router_rejected_total{reason="no_healthy_cell"}`); v != 1 {
			t.Errorf("no_healthy_cell counted %v times", v)
		}
	})
}

// load runs GETs for tenant from workers goroutines until stop is closed and
// returns how many succeeded and the failures.
func load(t *testing.T, h *harness, tenant string, workers int, stop <-chan struct{}) (ok *atomic.Int64, fails chan string, wait func()) {
	ok = new(atomic.Int64)
	fails = make(chan string, 1000)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", h.url+"/load", nil)
				req.Header.Set("X-Tenant-ID", tenant)
				resp, err := h.client.Do(req)
				if err != nil {
					select {
					case fails <- err.Error():
					default:
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					select {
					case fails <- resp.Status + " from " + resp.Header.Get("X-Cell-ID"):
					default:
					}
					continue
				}
				ok.Add(1)
			}
		}()
	}
	return ok, fails, wg.Wait
}

// TestCellDiesMidLoad: the primary cell is shut down while requests flow;
// not one request fails, traffic moves to the failover cell, and active
// checks mark the dead cell unhealthy.
func TestCellDiesMidLoad(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		b := newTestCell(t, "cell-b", "gcp")
		h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}),
			func(c *Config) {
				c.Health = health.New(health.Config{Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond})
			})
		stop := make(chan struct{})
		ok, fails, wait := load(t, h, "acme", 8, stop)
		waitUntil(t, "traffic on a", func() bool { return a.hits.Load() > 200 })
		a.srv.Close() // waits for a's in-flight requests, then refuses connections
		bBefore := b.hits.Load()
		waitUntil(t, "traffic on b", func() bool { return b.hits.Load() > bBefore+200 })
		waitUntil(t, "a marked unhealthy", func() bool { return !h.rt.Health().Healthy("cell-a") })
		close(stop)
		wait()
		close(fails)
		var failed []string
		for f := range fails {
			failed = append(failed, f)
		}
		if len(failed) > 0 {
			t.Fatalf("%d failed requests (of %d ok), e.g. %v", len(failed), ok.Load(), failed[:min(5, len(failed))])
		}
		if v := metricValue(t, h, `cellfabric_router_cell_healthy{cell="cell-a",cloud="aws"}`); v != 0 {
			t.Errorf("cell_healthy for a = %v, want 0", v)
		}
		t.Logf("%d requests, none failed", ok.Load())
	})
}

// TestReloadsUnderLoad: 100 registry reloads while requests flow, moving the
// tenant between two cells; not one request fails.
func TestReloadsUnderLoad(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		b := newTestCell(t, "cell-b", "gcp")
		cells := []router.Cell{a.cell(), b.cell()}
		h := startRouter(t, registry(1, cells, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), nil)
		stop := make(chan struct{})
		ok, fails, wait := load(t, h, "acme", 8, stop)
		for i := int64(2); i <= 101; i++ {
			primary, failover := "cell-a", "cell-b"
			if i%2 == 0 {
				primary, failover = "cell-b", "cell-a"
			}
			reg := registry(i, cells, router.Tenant{ID: "acme", Cell: primary, Failover: []string{failover}})
			data, _ := json.Marshal(reg)
			if err := h.store.Update(data, "test"); err != nil {
				t.Fatal(err)
			}
			// Let a few requests through on each version.
			n := ok.Load()
			waitUntil(t, "requests between reloads", func() bool { return ok.Load() >= n+5 })
		}
		close(stop)
		wait()
		close(fails)
		for f := range fails {
			t.Fatalf("failed request during reloads: %s", f)
		}
		if h.store.Snapshot().Epoch() != 101 || h.store.Stats().Accepted != 101 {
			t.Errorf("epoch %d accepted %d", h.store.Snapshot().Epoch(), h.store.Stats().Accepted)
		}
		if a.hits.Load() == 0 || b.hits.Load() == 0 {
			t.Errorf("tenant did not move: a=%d b=%d", a.hits.Load(), b.hits.Load())
		}
		if v := metricValue(t, h, "cellfabric_router_registry_reloads_total"); v != 101 {
			t.Errorf("reloads metric %v", v)
		}
		t.Logf("%d requests over 100 reloads, none failed", ok.Load())
	})
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		release := make(chan struct{})
		a.hold.Store(&release)
		h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		type result struct {
			status int
			err    error
		}
		got := make(chan result, 1)
		go func() {
			req, _ := http.NewRequest("GET", h.url+"/slow", nil)
			req.Header.Set("X-Tenant-ID", "acme")
			resp, err := h.client.Do(req)
			if err != nil {
				got <- result{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got <- result{status: resp.StatusCode}
		}()
		waitUntil(t, "request in flight", func() bool { return a.hits.Load() == 1 })
		h.cancel()
		waitUntil(t, "readyz reports draining", func() bool {
			resp, err := http.Get(h.admin + "/readyz")
			if err != nil {
				return true // admin already closed: also not ready
			}
			resp.Body.Close()
			return resp.StatusCode == 503
		})
		select {
		case err := <-h.done:
			t.Fatalf("Serve returned before the in-flight request finished: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		r := <-got
		if r.err != nil || r.status != 200 {
			t.Fatalf("in-flight request: %d %v", r.status, r.err)
		}
		err := <-h.done
		h.done <- err // for the cleanup
		if err != nil {
			t.Fatal(err)
		}
		if _, err := http.Get(h.url + "/"); err == nil || !errors.Is(err, err) {
			t.Error("router still accepts after shutdown")
		}
		_ = context.Background()
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestRetryBudget(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		b := &retryBudget{ratio: 0.5, min: 2}
		for i := 0; i < 10; i++ {
			b.request()
		}
		allowed := 0
		for i := 0; i < 20; i++ {
			if b.allow() {
				allowed++
			}
		}
		// Within one second: max(2, 0.5*10) = 5, unless the second turned over
		// during the loop (then more are allowed, never fewer than 2).
		if allowed < 2 || (allowed != 5 && b.second.Load() == time.Now().Unix() && b.denied.Load() == 15) {
			t.Errorf("allowed %d retries, want 5", allowed)
		}
		if b.denied.Load() == 0 {
			t.Error("budget never denied a retry")
		}
	})
}
