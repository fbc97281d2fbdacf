package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// fencedCell is a real loopback cell that enforces placement epochs as
// the reference cell does: it verifies the edge signature and answers 421
// stale_placement to a request whose signed epoch is below its fence,
// without reading the body; otherwise 200 with what it received.
type fencedCell struct {
	id    string
	srv   *httptest.Server
	fence atomic.Int64
	hits  atomic.Int64
	// readFirst: read the whole body before refusing (a cell that checks
	// the epoch only when it writes).
	readFirst atomic.Bool
}

type fencedEcho struct {
	Cell   string `json:"cell"`
	Method string `json:"method"`
	Tenant string `json:"tenant"`
	Epoch  int64  `json:"epoch"`
	Body   string `json:"body"`
}

func newFencedCell(t *testing.T, id string, fence int64) *fencedCell {
	t.Helper()
	return newFencedCellOn(t, id, fence, httptest.NewServer)
}

// newFencedCellOn is a fencedCell served by serve (httptest.NewServer or
// httptest.NewTLSServer).
func newFencedCellOn(t *testing.T, id string, fence int64, serve func(http.Handler) *httptest.Server) *fencedCell {
	t.Helper()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{testKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := &fencedCell{id: id}
	c.fence.Store(fence)
	c.srv = serve(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		got, _ := edgeauth.VerifiedFromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		if f := c.fence.Load(); got.Epoch < f {
			if c.readFirst.Load() {
				_, _ = io.Copy(io.Discard, r.Body)
			}
			w.WriteHeader(http.StatusMisdirectedRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": fmt.Sprintf("tenant %s: placement epoch %d is older than %d", got.Tenant, got.Epoch, f), "reason": "stale_placement", "tenant": got.Tenant, "epoch": f})
			return
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(fencedEcho{Cell: id, Method: r.Method, Tenant: got.Tenant, Epoch: got.Epoch, Body: string(body)})
	}), nil))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *fencedCell) cell() router.Cell {
	return router.Cell{ID: c.id, Cloud: "aws", Region: "local", Endpoint: c.srv.URL, HealthURL: c.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
}

// getFeed is a memFeed whose Get answers from fresh: what the control
// API holds now, ahead of the changes the router has polled (its polls
// bring nothing new in these tests).
type getFeed struct {
	*memFeed
	mu    sync.Mutex
	fresh map[string]router.Tenant
	err   error
	gets  atomic.Int64
}

var _ DirectoryGetter = (*getFeed)(nil)

func (g *getFeed) Get(ctx context.Context, id string) (router.Tenant, bool, error) {
	g.gets.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return router.Tenant{}, false, g.err
	}
	t, ok := g.fresh[id]
	return t, ok, nil
}

// loadedRouter starts a router on feed with polls an hour apart (only the
// first load brings entries), configured further by mutate, and waits
// until it holds tenant.
func loadedRouter(t *testing.T, reg *router.Registry, feed DirectoryFeed, tenant string, mutate ...func(*Config)) *harness {
	t.Helper()
	h := startRouter(t, reg, func(c *Config) {
		c.DirectoryFeed = feed
		c.DirectoryPoll = time.Hour
		for _, m := range mutate {
			m(c)
		}
	})
	deadline := time.Now().Add(10 * time.Second) // a guard, not a measurement
	for {
		if _, ok := h.rt.Directory().Lookup(tenant); ok {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the router never loaded tenant %s", tenant)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStalePlacementRetry: a cell answers 421 stale_placement to the
// epoch the router's index holds; the router reads the tenant's placement
// again (Get), finds it moved to another cell with a higher epoch, and
// sends the request there once, body and all, whatever the method. The
// next request goes to the new cell directly.
func TestStalePlacementRetry(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		tests := []struct {
			name, method, body string
			readFirst          bool
		}{
			{name: "PUT with a body", method: "PUT", body: "gold"},
			{name: "PUT with a body the cell read", method: "PUT", body: "gold", readFirst: true},
			{name: "POST with a body", method: "POST", body: strings.Repeat("p", 40<<10)},
			{name: "POST with a body the cell read", method: "POST", body: strings.Repeat("p", 40<<10), readFirst: true},
			{name: "POST with a body at the replay limit", method: "POST", body: strings.Repeat("q", replayMaxBytes), readFirst: true},
			{name: "GET", method: "GET"},
			{name: "DELETE", method: "DELETE"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a, b := newFencedCell(t, "cell-a", 2), newFencedCell(t, "cell-b", 2)
				a.readFirst.Store(tt.readFirst)
				mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"}) // epoch 1
				f := &getFeed{memFeed: mem, fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", Epoch: 2}}}
				h := loadedRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), f, "acme")

				resp, body := h.do(t, tt.method, "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, tt.body)
				var e fencedEcho
				if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "cell-b" || json.Unmarshal(body, &e) != nil {
					t.Fatalf("%d from %q: %.200s; want 200 from cell-b", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body)
				}
				if e.Method != tt.method || e.Tenant != "acme" || e.Epoch != 2 || e.Body != tt.body {
					t.Errorf("cell-b received %s for %q at epoch %d with a %d-byte body; want %s for acme at epoch 2 with the %d-byte body", e.Method, e.Tenant, e.Epoch, len(e.Body), tt.method, len(tt.body))
				}
				if a.hits.Load() != 1 || b.hits.Load() != 1 || f.gets.Load() != 1 {
					t.Errorf("hits a=%d b=%d, gets %d; want one each", a.hits.Load(), b.hits.Load(), f.gets.Load())
				}
				if p, _ := h.rt.Directory().Lookup("acme"); p.Epoch != 2 || p.Cell != "cell-b" {
					t.Errorf("index holds %s at epoch %d, want cell-b at 2", p.Cell, p.Epoch)
				}
				// The index is up to date: the next request goes straight
				// to cell-b.
				resp, body = h.do(t, tt.method, "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, tt.body)
				if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "cell-b" || a.hits.Load() != 1 || f.gets.Load() != 1 {
					t.Errorf("second request: %d from %q (%.100s), hits a=%d, gets %d; want 200 from cell-b, no new hit on a, no new read", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body, a.hits.Load(), f.gets.Load())
				}
				if got := metricValue(t, h, `cellfabric_router_stale_placement_total{outcome="retried"}`); got != 1 {
					t.Errorf("retried = %v, want 1", got)
				}
			})
		}
	})
}

// TestStalePlacementPassedOn: when the router finds nothing newer than
// what it sent, cannot read the placement, or the newer placement's cell
// refuses too, the cell's 421 reaches the client as the cell sent it,
// after at most one extra attempt.
func TestStalePlacementPassedOn(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		tests := []struct {
			name      string
			fresh     map[string]router.Tenant
			getErr    error
			fenceB    int64
			body      string
			wantCell  string
			wantHitsB int64
			outcome   string
		}{
			{name: "nothing newer", fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-a", Epoch: 1}}, wantCell: "cell-a", outcome: staleNotNewer},
			{name: "not in the directory", fresh: map[string]router.Tenant{}, wantCell: "cell-a", outcome: staleNotNewer},
			{name: "the feed fails", getErr: errors.New("control API unreachable"), wantCell: "cell-a", outcome: staleFetchFailed},
			{name: "the newer cell refuses too: no second retry", fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", Epoch: 2}}, fenceB: 3, wantCell: "cell-b", wantHitsB: 1, outcome: staleRetried},
			{name: "body over the replay limit", fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", Epoch: 2}}, body: strings.Repeat("x", replayMaxBytes+1), wantCell: "cell-a", outcome: staleNotReplayable},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a, b := newFencedCell(t, "cell-a", 2), newFencedCell(t, "cell-b", tt.fenceB)
				mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"}) // epoch 1
				f := &getFeed{memFeed: mem, fresh: tt.fresh, err: tt.getErr}
				h := loadedRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), f, "acme")

				resp, body := h.do(t, "PUT", "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, tt.body)
				var e struct {
					Reason string `json:"reason"`
					Epoch  int64  `json:"epoch"`
				}
				if resp.StatusCode != 421 || json.Unmarshal(body, &e) != nil || e.Reason != "stale_placement" || resp.Header.Get("X-Cell-ID") != tt.wantCell {
					t.Fatalf("%d from %q: %.200s; want the cell's 421 stale_placement from %s", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body, tt.wantCell)
				}
				if a.hits.Load() != 1 || b.hits.Load() != tt.wantHitsB {
					t.Errorf("hits a=%d b=%d, want 1 and %d", a.hits.Load(), b.hits.Load(), tt.wantHitsB)
				}
				if got := metricValue(t, h, `cellfabric_router_stale_placement_total{outcome="`+tt.outcome+`"}`); got != 1 {
					t.Errorf("%s = %v, want 1", tt.outcome, got)
				}
			})
		}
	})
}

// TestStalePlacementWithoutGet: a feed without Get is polled for changes
// once; a newer placement found there is retried as with Get.
func TestStalePlacementWithoutGet(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newFencedCell(t, "cell-a", 2), newFencedCell(t, "cell-b", 2)
		f := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"}) // epoch 1
		h := loadedRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), f, "acme")
		f.put(router.Tenant{ID: "acme", Cell: "cell-b"}) // epoch 2, in the journal; the next poll is an hour away

		resp, body := h.do(t, "POST", "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, "gold")
		var e fencedEcho
		if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "cell-b" || json.Unmarshal(body, &e) != nil || e.Epoch != 2 || e.Body != "gold" {
			t.Fatalf("%d from %q: %.200s; want 200 from cell-b at epoch 2 with the body", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body)
		}
		if a.hits.Load() != 1 || b.hits.Load() != 1 {
			t.Errorf("hits a=%d b=%d, want one each", a.hits.Load(), b.hits.Load())
		}
	})
}

// TestStalePlacementRefusedByFreshPlacement: the newer placement refuses
// the request itself (a write to a tenant now migrating): its answer is
// given, and the new cell is not asked.
func TestStalePlacementRefusedByFreshPlacement(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newFencedCell(t, "cell-a", 2), newFencedCell(t, "cell-b", 0)
		mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"})
		f := &getFeed{memFeed: mem, fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", State: fabric.TenantMigrating, Epoch: 2}}}
		h := loadedRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), f, "acme")
		resp, body := h.do(t, "PUT", "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, "gold")
		var e router.ErrorBody
		if resp.StatusCode != 503 || json.Unmarshal(body, &e) != nil || e.Reason != router.ReasonTenantReadonly || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%d: %s; want 503 tenant_readonly with Retry-After", resp.StatusCode, body)
		}
		if a.hits.Load() != 1 || b.hits.Load() != 0 {
			t.Errorf("hits a=%d b=%d, want 1 and 0", a.hits.Load(), b.hits.Load())
		}
		if got := metricValue(t, h, `cellfabric_router_stale_placement_total{outcome="refused"}`); got != 1 {
			t.Errorf("refused = %v, want 1", got)
		}
	})
}

// TestMisdirectedPassedOnWhole: a 421 that is not stale_placement (another
// reason, not JSON, or longer than the router reads to find out) reaches
// the client byte for byte, with no second attempt.
func TestMisdirectedPassedOnWhole(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		long := `{"reason":"stale_placement","pad":"` + strings.Repeat("z", router.StaleBodyBytes) + `"}`
		for _, body := range []string{`{"error":"wrong host","reason":"misdirected"}`, "plain text", long, strings.Repeat("y", 100<<10)} {
			t.Run(fmt.Sprintf("%d bytes", len(body)), func(t *testing.T) {
				t.Parallel()
				var hits atomic.Int64
				cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					w.WriteHeader(http.StatusMisdirectedRequest)
					_, _ = io.WriteString(w, body)
				}))
				t.Cleanup(cell.Close)
				other := newFencedCell(t, "cell-b", 0)
				c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
				mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"})
				f := &getFeed{memFeed: mem, fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", Epoch: 5}}}
				h := loadedRouter(t, registry(1, []router.Cell{c, other.cell()}), f, "acme")
				resp, got := h.do(t, "PUT", "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, "gold")
				if resp.StatusCode != 421 || string(got) != body || resp.Header.Get("X-Cell-ID") != "cell-a" {
					t.Errorf("%d from %q with %d bytes (%.60q); want the cell's 421 whole (%d bytes)", resp.StatusCode, resp.Header.Get("X-Cell-ID"), len(got), got, len(body))
				}
				if hits.Load() != 1 || other.hits.Load() != 0 || f.gets.Load() != 0 {
					t.Errorf("hits %d, other %d, gets %d; want 1, 0, 0", hits.Load(), other.hits.Load(), f.gets.Load())
				}
			})
		}
	})
}

// TestReplayBody: a new attempt reads the whole body from its start, what
// the client had not sent yet included; the earlier attempt's reader stops;
// a body over the limit cannot be replayed.
func TestReplayBody(t *testing.T) {
	t.Parallel()
	t.Run("partly read", func(t *testing.T) {
		t.Parallel()
		b, first := newReplayBody(strings.NewReader("hello, world"), -1)
		buf := make([]byte, 5)
		if n, err := first.Read(buf); n != 5 || err != nil || string(buf) != "hello" {
			t.Fatalf("first read %d %v %q", n, err, buf[:n])
		}
		again, ok := b.replay()
		if !ok {
			t.Fatal("not replayable")
		}
		if n, err := first.Read(buf); n != 0 || !errors.Is(err, errSuperseded) {
			t.Errorf("earlier reader after replay: %d, %v; want errSuperseded", n, err)
		}
		all, err := io.ReadAll(again)
		if err != nil || string(all) != "hello, world" {
			t.Errorf("replayed %q, %v; want the whole body", all, err)
		}
		third, ok := b.replay()
		if all, _ := io.ReadAll(third); !ok || string(all) != "hello, world" {
			t.Errorf("second replay %q, %v", all, ok)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		t.Parallel()
		b, first := newReplayBody(strings.NewReader(strings.Repeat("x", replayMaxBytes+1)), -1)
		if n, err := io.Copy(io.Discard, first); n != replayMaxBytes+1 || err != nil {
			t.Fatalf("first attempt read %d, %v", n, err)
		}
		if _, ok := b.replay(); ok {
			t.Error("a body over the limit replayed")
		}
	})
	t.Run("over the limit, unread", func(t *testing.T) {
		t.Parallel()
		b, _ := newReplayBody(strings.NewReader(strings.Repeat("x", replayMaxBytes+1)), -1)
		if _, ok := b.replay(); ok {
			t.Error("a body over the limit replayed")
		}
	})
	t.Run("client fault", func(t *testing.T) {
		t.Parallel()
		b, _ := newReplayBody(io.MultiReader(strings.NewReader("ab"), errReader{}), -1)
		if _, ok := b.replay(); ok {
			t.Error("a body that failed replayed")
		}
	})
	t.Run("declared length", func(t *testing.T) {
		t.Parallel()
		body := strings.Repeat("d", 1000)
		b, first := newReplayBody(strings.NewReader(body), 1000)
		if n, err := io.Copy(io.Discard, first); n != 1000 || err != nil || cap(b.kept) != 1000 {
			t.Fatalf("first attempt read %d, %v; kept cap %d", n, err, cap(b.kept))
		}
		again, ok := b.replay()
		if all, _ := io.ReadAll(again); !ok || string(all) != body {
			t.Errorf("replayed %d bytes, %v", len(all), ok)
		}
	})
	t.Run("declared over the limit", func(t *testing.T) {
		t.Parallel()
		b, first := newReplayBody(strings.NewReader(strings.Repeat("x", replayMaxBytes+1)), replayMaxBytes+1)
		if n, err := io.Copy(io.Discard, first); n != replayMaxBytes+1 || err != nil || b.kept != nil {
			t.Fatalf("first attempt read %d, %v; kept %d bytes", n, err, len(b.kept))
		}
		if _, ok := b.replay(); ok {
			t.Error("a body declared over the limit replayed")
		}
	})
	t.Run("no body", func(t *testing.T) {
		t.Parallel()
		var b *replayBody
		if r, ok := b.replay(); !ok || r != nil {
			t.Errorf("nil body: %v, %v", r, ok)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// TestStalePlacementConcurrent: many writes in flight when the tenant
// moves all land on the new cell, each with at most one extra attempt.
func TestStalePlacementConcurrent(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newFencedCell(t, "cell-a", 2), newFencedCell(t, "cell-b", 2)
		mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"})
		f := &getFeed{memFeed: mem, fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", Epoch: 2}}}
		h := loadedRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), f, "acme")
		const n = 24
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf("value-%d", i)
				req, _ := http.NewRequest("PUT", h.url+"/kv/k", strings.NewReader(body))
				req.Header.Set("X-Tenant-ID", "acme")
				resp, err := h.client.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				defer resp.Body.Close()
				var e fencedEcho
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 200 || e.Cell != "cell-b" || e.Body != body {
					errs <- fmt.Sprintf("%d: %+v, %v", resp.StatusCode, e, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		if b.hits.Load() != n || a.hits.Load() > n {
			t.Errorf("hits a=%d b=%d; want b=%d and a at most %d", a.hits.Load(), b.hits.Load(), n, n)
		}
	})
}
