package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// memFeed is a small tenant directory in memory with a journal, served as
// a DirectoryFeed the way the control API serves one: positions are
// journal offsets, every write raises the tenant's epoch.
type memFeed struct {
	mu       sync.Mutex
	entries  map[string]router.Tenant
	journal  []router.TenantChange
	expired  int   // positions below this are refused as expired
	loadErr  error // Load fails with it while set
	pollErr  error // Changes fails with it while set
	loads    int   // Load calls
	polls    int   // Changes calls
	signal   chan struct{}
	batchLen int
}

func newMemFeed(entries ...router.Tenant) *memFeed {
	f := &memFeed{entries: map[string]router.Tenant{}, signal: make(chan struct{}), batchLen: 2}
	for _, e := range entries {
		f.put(e)
	}
	f.journal = nil // the seed is what Load gives, not changes
	return f
}

// put writes an entry with the next epoch.
func (f *memFeed) put(e router.Tenant) router.Tenant {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.Epoch = f.epochOf(e.ID) + 1
	f.entries[e.ID] = e
	c := e
	f.journal = append(f.journal, router.TenantChange{ID: e.ID, Epoch: e.Epoch, Entry: &c})
	return e
}

func (f *memFeed) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	epoch := f.epochOf(id) + 1
	delete(f.entries, id)
	f.journal = append(f.journal, router.TenantChange{ID: id, Epoch: epoch, Removed: true})
}

// epochOf is the tenant's last epoch, from its entry or its last removal.
func (f *memFeed) epochOf(id string) int64 {
	var epoch int64
	if e, ok := f.entries[id]; ok {
		epoch = e.Epoch
	}
	for _, c := range f.journal {
		if c.ID == id && c.Epoch > epoch {
			epoch = c.Epoch
		}
	}
	return epoch
}

func (f *memFeed) set(fn func(*memFeed)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// called counts a call and wakes whoever waits for one.
func (f *memFeed) called(n *int) {
	*n++
	close(f.signal)
	f.signal = make(chan struct{})
}

func (f *memFeed) Load(ctx context.Context, each func([]router.Tenant) error) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.called(&f.loads)
	if f.loadErr != nil {
		return "", f.loadErr
	}
	var batch []router.Tenant
	for _, e := range f.entries {
		batch = append(batch, e)
		if len(batch) == f.batchLen {
			if err := each(batch); err != nil {
				return "", err
			}
			batch = nil
		}
	}
	if err := each(batch); err != nil {
		return "", err
	}
	return strconv.Itoa(len(f.journal)), nil
}

func (f *memFeed) Changes(ctx context.Context, position string) ([]router.TenantChange, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.called(&f.polls)
	if f.pollErr != nil {
		return nil, position, f.pollErr
	}
	p, err := strconv.Atoi(position)
	if err != nil || p < 0 || p > len(f.journal) {
		return nil, position, fmt.Errorf("bad position %q", position)
	}
	if p < f.expired {
		return nil, position, fmt.Errorf("position %s: %w", position, router.ErrPositionExpired)
	}
	return append([]router.TenantChange(nil), f.journal[p:]...), strconv.Itoa(len(f.journal)), nil
}

var _ DirectoryFeed = (*memFeed)(nil)

// await waits until cond holds, checking after every Load and Changes
// call; it fails the test after 10 s (a guard, not a measurement).
func (f *memFeed) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ok, sig := cond(), f.signal
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-sig:
		case <-deadline:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// nextPolls waits until the router has finished the poll under way and
// one more: every change written before the call has then been applied
// (polls run one after another, and a poll applies its changes before the
// next starts).
func (f *memFeed) nextPolls(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	target := f.polls + 2
	f.mu.Unlock()
	f.await(t, "two polls", func() bool { return f.polls >= target })
}

func withFeed(f *memFeed, more ...func(*Config)) func(*Config) {
	return func(c *Config) {
		c.DirectoryFeed = f
		c.DirectoryPoll = 2 * time.Millisecond
		for _, m := range more {
			m(c)
		}
	}
}

// routesTo sends a request for tenant and checks which cell answered, or,
// with cell "", the refusal's reason.
func routesTo(t *testing.T, h *harness, tenant, cell, reason string) {
	t.Helper()
	resp, body := h.do(t, "GET", "/x", map[string]string{"X-Tenant-ID": tenant}, "")
	if cell != "" {
		if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != cell {
			t.Fatalf("tenant %s: %d from %q, want 200 from %s: %s", tenant, resp.StatusCode, resp.Header.Get("X-Cell-ID"), cell, body)
		}
		return
	}
	var e router.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil || string(e.Reason) != reason {
		t.Fatalf("tenant %s: %d %s, want refusal %s", tenant, resp.StatusCode, body, reason)
	}
}

// TestDirectoryRouting: directory entries route (ahead of the registry's),
// a change made in the feed routes after the next poll, and a removal
// falls back to the registry's seed or to the unknown-tenant policy.
func TestDirectoryRouting(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b, c := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp"), newTestCell(t, "cell-c", "azure")
		reg := registry(1, []router.Cell{a.cell(), b.cell(), c.cell()}, router.Tenant{ID: "seeded", Cell: "cell-a"})
		f := newMemFeed(router.Tenant{ID: "dironly", Cell: "cell-b"}, router.Tenant{ID: "seeded", Cell: "cell-c", Failover: []string{"cell-a"}})
		h := startRouter(t, reg, withFeed(f))
		f.await(t, "the first load", func() bool { return f.loads >= 1 })
		f.nextPolls(t)

		routesTo(t, h, "dironly", "cell-b", "")
		routesTo(t, h, "seeded", "cell-c", "") // the directory wins over the registry
		routesTo(t, h, "newco", "", "unknown_tenant")

		f.put(router.Tenant{ID: "newco", Cell: "cell-a", Failover: []string{"cell-b"}})
		f.nextPolls(t)
		routesTo(t, h, "newco", "cell-a", "")

		f.put(router.Tenant{ID: "newco", Cell: "cell-c"})
		f.remove("seeded")
		f.remove("dironly")
		f.nextPolls(t)
		routesTo(t, h, "newco", "cell-c", "")
		routesTo(t, h, "seeded", "cell-a", "") // back to the registry's seed
		routesTo(t, h, "dironly", "", "unknown_tenant")

		st := h.rt.DirectoryStatus()
		if !st.Enabled || !st.Feed || !st.Loaded || st.Tenants != 1 || st.Applied != 4 || st.Position != "4" || st.LastSync.IsZero() {
			t.Errorf("directory status %+v, want loaded, 1 tenant, 4 changes applied, position 4", st)
		}
		code, body := h.get(t, h.admin+"/admin/route?tenant=newco")
		var ex Explanation
		if code != 200 || json.Unmarshal([]byte(body), &ex) != nil || ex.Source != "directory" || ex.Chosen != "cell-c" || !ex.Known {
			t.Errorf("admin route for a directory tenant: %d %s", code, body)
		}
		code, body = h.get(t, h.admin+"/admin/route?tenant=seeded")
		if code != 200 || json.Unmarshal([]byte(body), &ex) != nil || ex.Source != "registry" || ex.Chosen != "cell-a" {
			t.Errorf("admin route for a registry tenant: %d %s", code, body)
		}
		for _, tt := range []struct {
			series string
			want   float64
		}{
			{`cellfabric_router_directory_tenants`, 1},
			{`cellfabric_router_directory_loaded`, 1},
			{`cellfabric_router_directory_loads_total`, 1},
			{`cellfabric_router_directory_changes_total{result="applied"}`, 4},
			{`cellfabric_router_directory_changes_total{result="invalid"}`, 0},
			{`cellfabric_router_directory_feed_errors_total{op="changes"}`, 0},
		} {
			if got := metricValue(t, h, tt.series); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.series, got, tt.want)
			}
		}
		if age := metricValue(t, h, `cellfabric_router_directory_sync_age_seconds`); age < 0 || age > 5 {
			t.Errorf("sync age %v s while the feed answers every poll", age)
		}
	})
}

// TestDirectoryFeedFailureKeepsRouting: while the feed fails, the last
// placements keep routing and the failure is counted; when it recovers the
// changes made meanwhile arrive.
func TestDirectoryFeedFailureKeepsRouting(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp")
		f := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-b"})
		h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), withFeed(f))
		f.await(t, "the first load", func() bool { return f.loads >= 1 })
		routesTo(t, h, "acme", "cell-b", "")

		f.set(func(f *memFeed) { f.pollErr = errors.New("control API unreachable") })
		f.put(router.Tenant{ID: "acme", Cell: "cell-a"})
		f.put(router.Tenant{ID: "newco", Cell: "cell-a"})
		// The poll under way when pollErr was set may still succeed, and
		// nextPolls returns once the poll after it has started (not
		// finished): twice, so that two failed polls have been counted.
		f.nextPolls(t)
		f.nextPolls(t)
		routesTo(t, h, "acme", "cell-b", "")
		routesTo(t, h, "newco", "", "unknown_tenant")
		if n := metricValue(t, h, `cellfabric_router_directory_feed_errors_total{op="changes"}`); n < 2 {
			t.Errorf("feed errors counted %v, want at least 2", n)
		}

		f.set(func(f *memFeed) { f.pollErr = nil })
		f.nextPolls(t)
		routesTo(t, h, "acme", "cell-a", "")
		routesTo(t, h, "newco", "cell-a", "")
	})
}

// TestDirectoryLoadFailsAtStart: until the first load succeeds the router
// routes the registry's tenants and /readyz waits (or, with a negative
// DirectoryWait, does not); then the directory takes over.
func TestDirectoryLoadFailsAtStart(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		for _, tt := range []struct {
			name      string
			wait      time.Duration
			readyCode int
			readyBody string
		}{
			{"readyz waits", time.Hour, 503, "waiting for the tenant directory's first load\n"},
			{"readyz does not wait", -1, 200, "ready (the tenant directory has not loaded: routing the registry's tenants only)\n"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a, b := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp")
				reg := registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "seeded", Cell: "cell-a"})
				f := newMemFeed(router.Tenant{ID: "seeded", Cell: "cell-b"}, router.Tenant{ID: "dironly", Cell: "cell-b"})
				f.set(func(f *memFeed) { f.loadErr = errors.New("connection refused") })
				h := startRouter(t, reg, withFeed(f, func(c *Config) { c.DirectoryWait = tt.wait }))
				// The feed counts a load when it returns, before the router
				// counts its failure; loads run one after another, so once
				// the third has begun the first two failures are counted.
				f.await(t, "two failed loads", func() bool { return f.loads >= 3 })

				routesTo(t, h, "seeded", "cell-a", "")
				routesTo(t, h, "dironly", "", "unknown_tenant")
				if code, body := h.get(t, h.admin+"/readyz"); code != tt.readyCode || body != tt.readyBody {
					t.Errorf("readyz before the load: %d %q, want %d %q", code, body, tt.readyCode, tt.readyBody)
				}
				if n := metricValue(t, h, `cellfabric_router_directory_feed_errors_total{op="load"}`); n < 2 {
					t.Errorf("load errors counted %v, want at least 2", n)
				}
				if v := metricValue(t, h, `cellfabric_router_directory_loaded`); v != 0 {
					t.Errorf("loaded = %v before any load succeeded", v)
				}

				f.set(func(f *memFeed) { f.loadErr = nil })
				f.await(t, "the directory to load", func() bool { return h.rt.DirectoryStatus().Loaded })
				routesTo(t, h, "seeded", "cell-b", "")
				routesTo(t, h, "dironly", "cell-b", "")
				if code, body := h.get(t, h.admin+"/readyz"); code != 200 || body != "ready\n" {
					t.Errorf("readyz after the load: %d %q", code, body)
				}
			})
		}
	})
}

// TestDirectoryPositionExpired: when the feed no longer reaches back to the
// router's position, the router reads the whole directory again and goes
// on from there.
func TestDirectoryPositionExpired(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp")
		f := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"})
		h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), withFeed(f))
		f.await(t, "the first load", func() bool { return f.loads >= 1 })
		f.set(func(f *memFeed) {
			f.pollErr = errors.New("down") // hold the router at position 0 ...
		})
		f.put(router.Tenant{ID: "acme", Cell: "cell-b"})
		f.put(router.Tenant{ID: "newco", Cell: "cell-b"})
		f.set(func(f *memFeed) { f.pollErr, f.expired = nil, 1 }) // ... which then expires
		f.await(t, "a second load", func() bool { return f.loads >= 2 })
		f.nextPolls(t)
		routesTo(t, h, "acme", "cell-b", "")
		routesTo(t, h, "newco", "cell-b", "")
		if st := h.rt.DirectoryStatus(); st.Position != "2" {
			t.Errorf("position %q after the reload, want 2", st.Position)
		}
	})
}

// TestDirectoryRefusedChange: a change the router cannot hold is counted
// and skipped; the tenant keeps its last placement, the others move on.
func TestDirectoryRefusedChange(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp")
		f := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"})
		h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), withFeed(f))
		f.await(t, "the first load", func() bool { return f.loads >= 1 })
		f.put(router.Tenant{ID: "acme", Cell: "NOT A CELL"})
		f.put(router.Tenant{ID: "newco", Cell: "cell-b"})
		f.nextPolls(t)
		routesTo(t, h, "acme", "cell-a", "")
		routesTo(t, h, "newco", "cell-b", "")
		if n := metricValue(t, h, `cellfabric_router_directory_changes_total{result="invalid"}`); n != 1 {
			t.Errorf("invalid changes %v, want 1", n)
		}
	})
}

// TestPlaceUnknown: with policy place, a tenant in neither the directory
// nor the registry is placed by the hook once (however many requests wait
// for it), recorded in the directory, and routed; a failing hook refuses
// the request; without a hook the tenant is placed by hash, unrecorded.
func TestPlaceUnknown(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp")
		reg := registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "seeded", Cell: "cell-a"})
		reg.UnknownTenants = fabric.PolicyPlace

		t.Run("recorded once", func(t *testing.T) {
			t.Parallel()
			f := newMemFeed()
			var mu sync.Mutex
			calls := 0
			release := make(chan struct{})
			hook := func(ctx context.Context, id string) (router.Tenant, error) {
				mu.Lock()
				calls++
				mu.Unlock()
				<-release
				// Idempotent, like the control API's place.
				var e router.Tenant
				var ok bool
				f.set(func(f *memFeed) { e, ok = f.entries[id] })
				if ok {
					return e, nil
				}
				return f.put(router.Tenant{ID: id, Cell: "cell-b", Failover: []string{"cell-a"}}), nil
			}
			h := startRouter(t, reg, withFeed(f, func(c *Config) { c.PlaceUnknown = hook }))
			const n = 5
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() { defer wg.Done(); routesTo(t, h, "newco", "cell-b", "") }()
			}
			f.await(t, "the other requests to wait for the first one's placement", func() bool {
				return h.rt.placements.waiting.Load() == n-1
			})
			close(release)
			wg.Wait()
			routesTo(t, h, "newco", "cell-b", "")
			routesTo(t, h, "seeded", "cell-a", "") // the registry's tenant: no hook
			mu.Lock()
			defer mu.Unlock()
			if calls != 1 {
				t.Errorf("hook called %d times, want 1", calls)
			}
			if p, ok := h.rt.Directory().Lookup("newco"); !ok || p.Cell != "cell-b" || p.Epoch != 1 {
				t.Errorf("directory holds %+v %v, want newco on cell-b at epoch 1", p, ok)
			}
			if v := metricValue(t, h, `cellfabric_router_directory_placements_total{result="recorded"}`); v != 1 {
				t.Errorf("recorded placements %v, want 1", v)
			}
		})

		for _, tt := range []struct {
			name string
			hook func(ctx context.Context, id string) (router.Tenant, error)
		}{
			{"hook fails", func(context.Context, string) (router.Tenant, error) {
				return router.Tenant{}, errors.New("control API: 500 internal error at http://10.0.0.1/")
			}},
			{"hook answers for another tenant", func(context.Context, string) (router.Tenant, error) {
				return router.Tenant{ID: "other", Cell: "cell-a", Epoch: 1}, nil
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				h := startRouter(t, reg, func(c *Config) { c.PlaceUnknown = tt.hook })
				resp, body := h.do(t, "GET", "/x", map[string]string{"X-Tenant-ID": "newco"}, "")
				var e router.ErrorBody
				if resp.StatusCode != 503 || json.Unmarshal(body, &e) != nil || e.Reason != router.ReasonPlacementFailed || resp.Header.Get("Retry-After") != "5" {
					t.Fatalf("%d %s (Retry-After %q), want 503 placement_failed", resp.StatusCode, body, resp.Header.Get("Retry-After"))
				}
				if strings.Contains(string(body), "10.0.0.1") {
					t.Errorf("the client was shown the hook's error: %s", body)
				}
				if _, ok := h.rt.Directory().Lookup("newco"); ok {
					t.Error("a failed placement was recorded")
				}
				if v := metricValue(t, h, `cellfabric_router_directory_placements_total{result="failed"}`); v != 1 {
					t.Errorf("failed placements %v, want 1", v)
				}
			})
		}

		t.Run("no hook", func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			h := startRouter(t, reg, withFeed(newMemFeed(), func(c *Config) { c.Logger = slogTo(logs) }))
			for range 2 {
				if resp, body := h.do(t, "GET", "/x", map[string]string{"X-Tenant-ID": "newco"}, ""); resp.StatusCode != 200 {
					t.Fatalf("%d %s, want the unknown tenant placed by hash", resp.StatusCode, body)
				}
			}
			if _, ok := h.rt.Directory().Lookup("newco"); ok {
				t.Error("a placement by hash was recorded")
			}
			if v := metricValue(t, h, `cellfabric_router_directory_placements_total{result="unrecorded"}`); v != 2 {
				t.Errorf("unrecorded placements %v, want 2", v)
			}
			if n := strings.Count(logs.String(), "placement was not recorded"); n != 1 {
				t.Errorf("the unrecorded placement was logged %d times, want once:\n%s", n, logs.String())
			}
		})
	})
}

// TestDirectoryMetricsContract: the directory's metrics, their types and
// label names, as dashboards see them.
func TestDirectoryMetricsContract(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	f := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"})
	h := startRouter(t, registry(1, []router.Cell{a.cell()}), withFeed(f))
	f.await(t, "the first load", func() bool { return f.loads >= 1 })
	fams, _ := scrape(t, h, nil)
	for name, labels := range map[string]string{
		"cellfabric_router_directory_tenants":           "",
		"cellfabric_router_directory_loaded":            "",
		"cellfabric_router_directory_sync_age_seconds":  "",
		"cellfabric_router_directory_loads_total":       "",
		"cellfabric_router_directory_changes_total":     "result",
		"cellfabric_router_directory_feed_errors_total": "op",
		"cellfabric_router_directory_placements_total":  "result",
	} {
		fam, ok := fams[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if fam.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
		for _, m := range fam.GetMetric() {
			var names []string
			for _, p := range m.GetLabel() {
				names = append(names, p.GetName())
			}
			if strings.Join(names, ",") != labels {
				t.Errorf("%s labels %v, want %q", name, names, labels)
			}
		}
	}
	// A router without a directory shows only the placements.
	plain := startRouter(t, registry(1, []router.Cell{a.cell()}), nil)
	fams, _ = scrape(t, plain, nil)
	if _, ok := fams["cellfabric_router_directory_tenants"]; ok {
		t.Error("a router without a directory reports directory tenants")
	}
	if _, ok := fams["cellfabric_router_directory_placements_total"]; !ok {
		t.Error("a router without a directory does not report unrecorded placements")
	}
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func slogTo(w *syncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestUnknownTenantMessage: the 404 for a tenant the router does not know
// says where it looked: the registry alone, or, with a tenant directory,
// the directory and the registry; /admin/route says the same.
func TestUnknownTenantMessage(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		reg := registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "seeded", Cell: "cell-a"})
		for _, tt := range []struct {
			name    string
			mutate  func(*Config)
			wantMsg string
		}{
			{"no directory", nil, `tenant "nobody" is not in the registry`},
			{"directory feed", withFeed(newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"})), `tenant "nobody" is not in the tenant directory or the registry`},
			{"placement hook only, policy reject", func(c *Config) {
				c.PlaceUnknown = func(context.Context, string) (router.Tenant, error) { return router.Tenant{}, errors.New("not called") }
			}, `tenant "nobody" is not in the tenant directory or the registry`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				h := startRouter(t, reg, tt.mutate)
				resp, body := h.do(t, "GET", "/x", map[string]string{"X-Tenant-ID": "nobody"}, "")
				var e router.ErrorBody
				if resp.StatusCode != 404 || json.Unmarshal(body, &e) != nil || e.Reason != router.ReasonUnknownTenant || e.Error != tt.wantMsg {
					t.Errorf("%d %s, want 404 unknown_tenant %q", resp.StatusCode, body, tt.wantMsg)
				}
				code, abody := h.get(t, h.admin+"/admin/route?tenant=nobody")
				var ex Explanation
				if code != 200 || json.Unmarshal([]byte(abody), &ex) != nil || ex.Message != tt.wantMsg {
					t.Errorf("admin route: %d %s, want message %q", code, abody, tt.wantMsg)
				}
			})
		}
	})
}
