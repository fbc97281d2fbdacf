package health

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// closedURL is a loopback URL nobody listens on: port 1 (tcpmux), which no
// test binds and the kernel never hands out as an ephemeral port. A port
// taken from a listener that is then closed can be handed to another
// test's server running in parallel, which then answers for the "dead"
// cell (seen under -race: a 404 from a closed port).
func closedURL(t *testing.T) string {
	t.Helper()
	return "http://127.0.0.1:1"
}

func snapshot(t *testing.T, epoch int64, cells ...router.Cell) *router.Snapshot {
	t.Helper()
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: epoch, Cells: cells, Tenants: []router.Tenant{}}
	s, err := router.Compile(reg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rc(id, endpoint, health string) router.Cell {
	return router.Cell{ID: id, Cloud: "aws", Region: "r", Endpoint: endpoint, HealthURL: health, Weight: 100}
}

// waitFor polls cond every 5ms for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestActiveChecks(t *testing.T) {
	t.Parallel()
	var status atomic.Int32
	status.Store(200)
	var probes atomic.Int32
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probes.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer live.Close()
	dead := closedURL(t)
	tr := New(Config{Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond})
	tr.Sync(snapshot(t, 1, rc("live", live.URL, live.URL+"/healthz"), rc("dead", dead, dead+"/healthz"), rc("unprobed", dead, "")))
	if !tr.Healthy("dead") {
		t.Fatal("cells must start healthy")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr.Start(ctx)
	waitFor(t, "dead cell unhealthy", func() bool { return !tr.Healthy("dead") })
	if !tr.Healthy("live") || !tr.Healthy("unprobed") {
		t.Fatal("live or unprobed cell marked unhealthy")
	}
	// The live cell starts failing its checks, then recovers.
	status.Store(503)
	waitFor(t, "failing cell unhealthy", func() bool { return !tr.Healthy("live") })
	st := statusOf(tr, "live")
	if st.LastError != "status 503" || st.ActiveHealthy {
		t.Errorf("status %+v", st)
	}
	status.Store(200)
	waitFor(t, "recovered cell healthy", func() bool { return tr.Healthy("live") })
	if tr.Changes() < 3 {
		t.Errorf("%d changes counted, want at least 3", tr.Changes())
	}
	// Removing the cell stops its checks.
	tr.Sync(snapshot(t, 2, rc("other", dead, "")))
	time.Sleep(30 * time.Millisecond)
	n := probes.Load()
	time.Sleep(100 * time.Millisecond)
	if probes.Load() != n {
		t.Errorf("removed cell still probed")
	}
	if !tr.Healthy("live") {
		t.Error("a cell the tracker does not know must count as healthy")
	}
}

func TestExpectStatus(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer srv.Close()
	tr := New(Config{Interval: 10 * time.Millisecond, ExpectStatus: 204})
	tr.Sync(snapshot(t, 1, rc("cell-a", srv.URL, srv.URL)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr.Start(ctx)
	waitFor(t, "200 treated as failure when 204 is expected", func() bool { return !tr.Healthy("cell-a") })
}

func statusOf(tr *Tracker, id string) Status {
	for _, s := range tr.Status() {
		if s.Cell == id {
			return s
		}
	}
	return Status{}
}

func TestPassiveEjection(t *testing.T) {
	t.Parallel()
	tr := New(Config{ConsecutiveFailures: 3, BaseEjection: 300 * time.Millisecond, MaxEjection: 10 * time.Second, MaxEjectedShare: 0.5})
	tr.Sync(snapshot(t, 1, rc("cell-a", "http://a", ""), rc("cell-b", "http://b", ""), rc("cell-c", "http://c", ""), rc("cell-d", "http://d", "")))
	tr.Observe("cell-a", true, 0)
	tr.Observe("cell-a", true, 0)
	tr.Observe("cell-a", false, time.Millisecond) // a success resets the run
	tr.Observe("cell-a", true, 0)
	tr.Observe("cell-a", true, 0)
	if !tr.Healthy("cell-a") {
		t.Fatal("ejected without 3 failures in a row")
	}
	tr.Observe("cell-a", true, 0)
	if tr.Healthy("cell-a") {
		t.Fatal("not ejected after 3 failures in a row")
	}
	first := statusOf(tr, "cell-a")
	if !first.Ejected || first.Ejections != 1 {
		t.Fatalf("status %+v", first)
	}
	if d := time.Until(first.EjectedUntil); d <= 0 || d > 300*time.Millisecond {
		t.Errorf("first ejection lasts %s, want ≤ 300ms", d)
	}
	// At most half of the 4 cells: b is ejected, c is not.
	for _, id := range []string{"cell-b", "cell-c"} {
		for i := 0; i < 3; i++ {
			tr.Observe(id, true, 0)
		}
	}
	if tr.Healthy("cell-b") || !tr.Healthy("cell-c") {
		t.Errorf("share limit: b healthy %v, c healthy %v; want only b ejected", tr.Healthy("cell-b"), tr.Healthy("cell-c"))
	}
	if tr.Ejections() != 2 {
		t.Errorf("%d ejections counted, want 2", tr.Ejections())
	}
	// Health state survives a reload for cells that remain.
	tr.Sync(snapshot(t, 2, rc("cell-a", "http://a", ""), rc("cell-b", "http://b", ""), rc("cell-c", "http://c", ""), rc("cell-e", "http://e", "")))
	if tr.Healthy("cell-a") || !tr.Healthy("cell-e") {
		t.Errorf("after reload: a healthy %v (want false), new e healthy %v (want true)", tr.Healthy("cell-a"), tr.Healthy("cell-e"))
	}
	// The ejection ends; the next one is twice as long.
	waitFor(t, "ejection over", func() bool { return tr.Healthy("cell-a") })
	for i := 0; i < 3; i++ {
		tr.Observe("cell-a", true, 0)
	}
	second := statusOf(tr, "cell-a")
	if d := time.Until(second.EjectedUntil); second.Ejections != 2 || d <= 300*time.Millisecond || d > 600*time.Millisecond {
		t.Errorf("second ejection: %d ejections, lasts %s; want 2 and (300ms, 600ms]", second.Ejections, d)
	}
}

func TestOverrideAndLatency(t *testing.T) {
	t.Parallel()
	tr := New(Config{LatencyWeight: 0.5})
	tr.Sync(snapshot(t, 1, rc("cell-a", "http://a", ""), rc("cell-b", "http://b", "")))
	if err := tr.SetOverride("cell-a", OverrideDown); err != nil {
		t.Fatal(err)
	}
	if tr.Healthy("cell-a") || statusOf(tr, "cell-a").Override != "down" {
		t.Error("override down ignored")
	}
	if err := tr.SetOverride("cell-a", OverrideNone); err != nil || !tr.Healthy("cell-a") {
		t.Errorf("override none: %v healthy %v", err, tr.Healthy("cell-a"))
	}
	for i := 0; i < 10; i++ {
		tr.Observe("cell-b", true, 0)
	}
	tr.SetOverride("cell-b", OverrideUp)
	if !tr.Healthy("cell-b") {
		t.Error("override up ignored")
	}
	if err := tr.SetOverride("zz", OverrideDown); err == nil {
		t.Error("override of an unknown cell accepted")
	}
	// Override survives a reload.
	tr.SetOverride("cell-a", OverrideDown)
	tr.Sync(snapshot(t, 2, rc("cell-a", "http://a", ""), rc("cell-b", "http://b", "")))
	if tr.Healthy("cell-a") {
		t.Error("override lost on reload")
	}
	tr.Observe("cell-a", false, 100*time.Millisecond)
	tr.Observe("cell-a", false, 200*time.Millisecond)
	if got := tr.Latency("cell-a"); got != 150*time.Millisecond {
		t.Errorf("EWMA = %s, want 150ms", got)
	}
	if tr.Latency("nobody") != 0 {
		t.Error("latency of unknown cell")
	}
}

// TestRootCAs: the default client trusts RootCAs for an https health URL
// (a cell behind a private CA: healthy) and the system's roots without
// them (the same cell fails its checks on its certificate).
func TestRootCAs(t *testing.T) {
	t.Parallel()
	var probes atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { probes.Add(1) }))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	trusted := New(Config{Interval: 10 * time.Millisecond, UnhealthyThreshold: 1, RootCAs: roots})
	trusted.Sync(snapshot(t, 1, rc("cell-a", srv.URL, srv.URL+"/healthz")))
	untrusted := New(Config{Interval: 10 * time.Millisecond, UnhealthyThreshold: 1})
	untrusted.Sync(snapshot(t, 1, rc("cell-a", srv.URL, srv.URL+"/healthz")))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trusted.Start(ctx)
	untrusted.Start(ctx)
	waitFor(t, "checks through the trusted roots", func() bool { return probes.Load() >= 3 })
	if st := statusOf(trusted, "cell-a"); !trusted.Healthy("cell-a") || st.LastError != "" {
		t.Errorf("a cell whose certificate RootCAs holds: healthy %v, %+v", trusted.Healthy("cell-a"), st)
	}
	waitFor(t, "the untrusted checks failing", func() bool { return !untrusted.Healthy("cell-a") })
	if st := statusOf(untrusted, "cell-a"); !strings.Contains(st.LastError, "certificate") {
		t.Errorf("checks without RootCAs failed with %q, want a certificate error", st.LastError)
	}
}
