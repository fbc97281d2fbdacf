//go:build !(js && wasm)

package main

// Runtime test of the Worker's two paths (fast.go): which one a request
// takes, read from the isolate's counts (memStatsReport.Paths), and that
// the fast path's request and answer are what the slow path's are.

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/router"
)

// paths reads the Worker's counts of requests by path.
func (e *edgeEnv) paths() map[string]uint64 {
	e.t.Helper()
	m, err := e.rt.MemStats(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return m.Paths
}

// TestRuntimeFastPath: a warm request (registry cached, the tenant's
// directory entry cached) is answered on the fast path, signed and with
// the same headers as the slow path's; a directory miss, a body, and a
// tenant not seen yet take the slow path; a fast-path request whose cell
// is gone is finished by Go on the failover cell.
func TestRuntimeFastPath(t *testing.T) {
	t.Parallel()
	a := startEchoCell(t, "cell-a", "aws")
	b := startEchoCell(t, "cell-b", "gcp")
	reg := registry(t, 1, []*cell{a, b},
		router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}},
		router.Tenant{ID: "globex", Cell: "cell-b"},
	)
	env := startEdge(t, envOptions{config: `{"cacheSeconds":300}`, registry: reg, key: testKey, memStats: true})

	const clientTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	warm := map[string]string{
		"X-Tenant-ID": "acme", "X-Request-ID": "req-fast-1", "traceparent": clientTrace, "tracestate": "vendor=1",
		"X-Cellfabric-Signature": "forged", "X-Tenant-Epoch": "99", "CF-Connecting-IP": "192.0.2.7",
	}
	tests := []struct {
		name   string
		method string
		header map[string]string
		body   string
		before func()
		cell   string
		path   string // the path the request takes
	}{
		{name: "first request: registry and directory read", method: "GET", header: tenantHeader("acme"), cell: "cell-a", path: pathSlow},
		{name: "warm request", method: "GET", header: warm, cell: "cell-a", path: pathFast},
		{name: "tenant not cached yet", method: "GET", header: tenantHeader("globex"), cell: "cell-b", path: pathSlow},
		{name: "warm tenant, cached now", method: "GET", header: tenantHeader("globex"), cell: "cell-b", path: pathFast},
		{name: "request with a body", method: "POST", header: tenantHeader("acme"), body: "a body", cell: "cell-a", path: pathSlow},
		{name: "warm request, cell gone: failover by Go", method: "GET", header: warm, before: a.stop, cell: "cell-b", path: pathResumed},
	}
	for _, tt := range tests { // in order: each step warms the next
		if tt.before != nil {
			tt.before()
		}
		before := env.paths()
		r := env.do(tt.method, "/orders?x=1", tt.header, tt.body)
		if r.status != 200 || r.header.Get("X-Cell-ID") != tt.cell {
			t.Fatalf("%s: %d from %q, want 200 from %s: %s", tt.name, r.status, r.header.Get("X-Cell-ID"), tt.cell, r.body)
		}
		want := maps.Clone(before)
		want[tt.path]++
		if got := env.paths(); !maps.Equal(got, want) {
			t.Errorf("%s: paths %v, want %v (one more %s)", tt.name, got, want, tt.path)
		}
		if tt.header["X-Request-ID"] == "" {
			continue
		}
		// The answer and what the cell saw, as on the slow path.
		if r.header.Get("X-Request-ID") != "req-fast-1" || r.header.Get("X-Processed-By-Cloud") == "" {
			t.Errorf("%s: answer headers %v", tt.name, r.header)
		}
		m := r.json(t)
		hs, _ := m["headers"].(map[string]any)
		first := func(name string) string {
			if v, ok := hs[name].([]any); ok && len(v) > 0 {
				s, _ := v[0].(string)
				return s
			}
			return ""
		}
		if m["tenant"] != "acme" || m["path"] != "/orders?x=1" {
			t.Errorf("%s: the cell verified tenant %v, path %v", tt.name, m["tenant"], m["path"])
		}
		tp := first("Traceparent")
		if tp == "" || tp == clientTrace || first("Tracestate") != "" {
			t.Errorf("%s: the cell got traceparent %q, tracestate %q: want the Worker's own and none", tt.name, tp, first("Tracestate"))
		}
		if first("X-Tenant-Epoch") != "" || first("X-Forwarded-For") != "192.0.2.7" || first("X-Request-Id") != "req-fast-1" || first("X-Forwarded-Host") == "" || first("X-Forwarded-Proto") != "http" {
			t.Errorf("%s: the cell got headers %v", tt.name, hs)
		}
	}
}

// TestRuntimeFastPathHandsOver: a warm request on the fast path whose cell
// does not give an answer to pass on is finished by Go as the slow path
// would: a 421 stale_placement retried on the tenant's newer placement, a
// retryable status retried on the failover cell, a timeout answered 504.
func TestRuntimeFastPathHandsOver(t *testing.T) {
	t.Parallel()
	t.Run("stale placement retried", func(t *testing.T) {
		t.Parallel()
		env, a, b := staleEnv(t) // acme cached on cell-a at epoch 1
		env.dir.Set("t/acme", entryAt("acme", "cell-b", 2, ""))
		a.fence.Store(2)
		before := env.paths()
		r := env.do("GET", "/kv/color", tenantHeader("acme"), "")
		if r.status != 200 || r.header.Get("X-Cell-ID") != "cell-b" {
			t.Fatalf("GET: %d from %q, want 200 from cell-b: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
		}
		if as, bs := a.requests(), b.requests(); len(as) != 1 || len(bs) != 1 || bs[0].got.Epoch != 2 {
			t.Fatalf("cell-a got %d requests, cell-b %d; want one each, cell-b's at epoch 2", len(as), len(bs))
		}
		if got := env.paths()[pathResumed] - before[pathResumed]; got != 1 {
			t.Errorf("%d requests resumed by Go, want 1", got)
		}
		if got := env.staleCounts()[staleRetried]; got != 1 {
			t.Errorf("the Worker counts %d retried stale placements, want 1", got)
		}
	})
	t.Run("retryable status, then timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		flaky := serveCell(t, "cell-a", "aws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/unavailable":
				w.WriteHeader(http.StatusServiceUnavailable)
			case "/no-headers":
				select {
				case <-release:
				case <-r.Context().Done():
				}
			default:
				w.WriteHeader(http.StatusOK)
			}
		}))
		good := startEchoCell(t, "cell-b", "gcp")
		env := startEdge(t, envOptions{config: `{"cacheSeconds":300,"upstreamTimeoutMs":300}`, key: testKey, memStats: true,
			registry: registry(t, 1, []*cell{flaky, good}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}})})
		if r := env.do("GET", "/", tenantHeader("acme"), ""); r.status != 200 || r.header.Get("X-Cell-ID") != "cell-a" {
			t.Fatalf("warm-up: %d from %q", r.status, r.header.Get("X-Cell-ID"))
		}
		tests := []struct {
			name, path string
			status     int
			cell       string
			reason     string
		}{
			{name: "503 retried on the failover cell", path: "/unavailable", status: 200, cell: "cell-b"},
			{name: "no headers in time", path: "/no-headers", status: 504, reason: "upstream_timeout"},
		}
		for _, tt := range tests {
			before := env.paths()
			r := env.do("GET", tt.path, tenantHeader("acme"), "")
			if r.status != tt.status || r.header.Get("X-Cell-ID") != tt.cell {
				t.Fatalf("%s: %d from %q, want %d from %q: %s", tt.name, r.status, r.header.Get("X-Cell-ID"), tt.status, tt.cell, r.body)
			}
			if tt.reason != "" {
				if m := r.json(t); m["reason"] != tt.reason {
					t.Errorf("%s: body %v, want reason %s", tt.name, m, tt.reason)
				}
			}
			if got := env.paths()[pathResumed] - before[pathResumed]; got != 1 {
				t.Errorf("%s: %d requests resumed by Go, want 1", tt.name, got)
			}
		}
	})
}

// TestRuntimeFastPathAnalytics: a request answered on the fast path writes
// its one data point, as the slow path's does.
func TestRuntimeFastPathAnalytics(t *testing.T) {
	t.Parallel()
	a := startEchoCell(t, "cell-a", "aws")
	sink, err := workerd.NewAnalytics()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	env := startEdge(t, envOptions{config: `{"cacheSeconds":300}`, key: testKey, memStats: true, analytics: sink,
		registry: registry(t, 1, []*cell{a}, router.Tenant{ID: "acme", Cell: "cell-a"})})
	for i, path := range []string{pathSlow, pathFast} {
		before := env.paths()[path]
		if r := env.do("GET", "/x", tenantHeader("acme"), ""); r.status != 200 {
			t.Fatalf("request %d: %d: %s", i, r.status, r.body)
		}
		if got := env.paths()[path] - before; got != 1 {
			t.Fatalf("request %d took another path than %s", i, path)
		}
		eventually(t, 10*time.Second, "the data point of request "+strconv.Itoa(i), func() bool { return len(sink.Bodies()) > i })
	}
	got, err := sink.DataPoints()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d data points for 2 requests: %+v", len(got), got)
	}
	want := []string{"cell-a", "aws", "2xx", "200", ""}
	for i, p := range got {
		if !slices.Equal(p.Blobs, want) || p.Index != "cell-a" || len(p.Doubles) < 2 || p.Doubles[0] < 0 || p.Doubles[1] != 1 {
			t.Errorf("data point %d: %+v, want blobs %q, index cell-a, a latency and 1 attempt", i, p, want)
		}
	}
}

// TestRuntimeFastPathConcurrent: warm requests in flight together on the
// fast path, some passed on by the shim and some finished by Go, each get
// their own answer (request id, cell), and the Worker holds no state for
// any of them once all have ended, a request whose client went away
// included.
func TestRuntimeFastPathConcurrent(t *testing.T) {
	t.Parallel()
	seen := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Request-ID", r.Header.Get("X-Request-ID"))
	}
	flaky := serveCell(t, "cell-a", "aws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen(w, r)
		switch r.URL.Path {
		case "/unavailable":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/hang":
			<-r.Context().Done()
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	good := serveCell(t, "cell-b", "gcp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen(w, r) }))
	env := startEdge(t, envOptions{config: `{"cacheSeconds":300,"directoryNegativeSeconds":300,"upstreamTimeoutMs":1500}`, key: testKey, memStats: true,
		registry: registry(t, 1, []*cell{flaky, good}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}})})
	if r := env.do("GET", "/", tenantHeader("acme"), ""); r.status != 200 {
		t.Fatalf("warm-up: %d: %s", r.status, r.body)
	}
	before := env.paths()

	// A client that goes away while its cell has not answered.
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", env.rt.URL+"/hang", nil)
	req.Header.Set("X-Tenant-ID", "acme")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request to a cell that does not answer got %d before its client gave up", resp.StatusCode)
	}

	const n = 40
	errs := make(chan error, n)
	for i := range n {
		go func() {
			path, cellID := "/ok", "cell-a"
			if i%2 == 1 {
				path, cellID = "/unavailable", "cell-b"
			}
			id := "req-" + strconv.Itoa(i)
			r, err := http.NewRequest("GET", env.rt.URL+path, nil)
			if err != nil {
				errs <- err
				return
			}
			r.Header.Set("X-Tenant-ID", "acme")
			r.Header.Set("X-Request-ID", id)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != cellID || resp.Header.Get("X-Request-ID") != id || resp.Header.Get("X-Seen-Request-ID") != id {
				errs <- fmt.Errorf("%s %s: %d from %q, request id %q (the cell saw %q); want 200 from %s, %s", path, id, resp.StatusCode,
					resp.Header.Get("X-Cell-ID"), resp.Header.Get("X-Request-ID"), resp.Header.Get("X-Seen-Request-ID"), cellID, id)
				return
			}
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// The abandoned request ends when its attempt times out.
	eventually(t, 10*time.Second, "the Worker holding no fast-path request", func() bool {
		m, err := env.rt.MemStats(t.Context())
		return err == nil && m.FastPending == 0 && m.Paths[pathResumed]-before[pathResumed] == n/2+1
	})
	if got := env.paths(); got[pathFast]-before[pathFast] != n/2 || got[pathSlow] != before[pathSlow] {
		t.Errorf("paths %v after %v: want %d more fast, %d more resumed, no slow", got, before, n/2, n/2+1)
	}
}

// TestRuntimeFastPathAnswersAsSlow: for each kind of answer a cell gives
// (a retryable status with no cell left, a 421 that is no stale_placement,
// a body-less 204, a HEAD, a cell that is gone), the client gets the same
// status, headers and body from the fast path (the tenant warm) as from
// the slow path (its first request), and the cell sees the same headers.
func TestRuntimeFastPathAnswersAsSlow(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// What the cell saw, besides what changes per request (signature
		// time, trace context).
		w.Header().Set("X-Seen", strings.Join([]string{r.Method, r.Host, r.URL.RequestURI(), r.Header.Get("X-Request-ID"), r.Header.Get("X-Forwarded-For"),
			r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Tenant-ID"), r.Header.Get("X-Tenant-Epoch"),
			r.Header.Get("Tracestate"), r.Header.Get("X-Client")}, "|"))
		switch r.URL.Path {
		case "/unavailable":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "down for now")
		case "/misdirected":
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = io.WriteString(w, `{"reason":"not_stale"}`)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			_, _ = io.WriteString(w, "hello")
		}
	})
	a := serveCell(t, "cell-a", "aws", h)
	gone := serveCell(t, "cell-d", "aws", h)
	gone.stop()
	tests := []struct {
		name, method, path, cell string
	}{
		{name: "retryable status, no cell left", method: "GET", path: "/unavailable?q=1", cell: "cell-a"},
		{name: "421 that is no stale placement", method: "GET", path: "/misdirected", cell: "cell-a"},
		{name: "204", method: "DELETE", path: "/empty", cell: "cell-a"},
		{name: "HEAD", method: "HEAD", path: "/page", cell: "cell-a"},
		{name: "GET", method: "GET", path: "/page%2Fx?a=%20b", cell: "cell-a"},
		{name: "cell gone", method: "GET", path: "/page", cell: "cell-d"},
	}
	var tenants []router.Tenant
	for i, tt := range tests {
		tenants = append(tenants, router.Tenant{ID: "t" + strconv.Itoa(i), Cell: tt.cell})
	}
	env := startEdge(t, envOptions{config: `{"cacheSeconds":300,"directoryNegativeSeconds":300}`, key: testKey, memStats: true, registry: registry(t, 1, []*cell{a, gone}, tenants...)})
	for i, tt := range tests {
		header := map[string]string{"X-Tenant-ID": tenants[i].ID, "X-Request-ID": "req-" + strconv.Itoa(i), "CF-Connecting-IP": "192.0.2.7",
			"X-Forwarded-Host": "forged.example", "X-Tenant-Epoch": "9", "tracestate": "v=1", "X-Client": "kept"}
		var got [2]response
		for j, path := range []string{pathSlow, pathFast} {
			before := env.paths()
			got[j] = env.do(tt.method, tt.path, header, "")
			if env.paths()[path] == before[path] && !(path == pathFast && env.paths()[pathResumed] > before[pathResumed]) {
				t.Fatalf("%s: request %d did not take the %s path (paths %v, before %v)", tt.name, j, path, env.paths(), before)
			}
			got[j].header.Del("Date")
		}
		slow, fast := got[0], got[1]
		if slow.status != fast.status || !maps.EqualFunc(slow.header, fast.header, slices.Equal) || string(slow.body) != string(fast.body) {
			t.Errorf("%s:\nslow %d %v %q\nfast %d %v %q", tt.name, slow.status, slow.header, slow.body, fast.status, fast.header, fast.body)
		}
	}
}
