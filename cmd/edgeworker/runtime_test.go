//go:build !(js && wasm)

package main

// The runtime tests run the built Worker (script + wasm) in workerd, with the
// registry in its KV binding and reference cells on loopback behind it.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

func TestRuntimeRouting(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	e := startEchoCell(t, "cell-e", "azure")
	reg := registry(t, 1, []*cell{a, b, e},
		router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}},
		router.Tenant{ID: "globex", Cell: "cell-b"},
		router.Tenant{ID: "initech", Cell: "cell-e"},
		router.Tenant{ID: "hooli", Cell: "cell-a", State: fabric.TenantMigrating},
	)
	env := startEdge(t, envOptions{
		config:   `{"tenantModes":["host","header","path"],"hostPattern":"{tenant}.edge.test","cacheSeconds":30}`,
		registry: reg, key: testKey,
	})

	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		status     int
		cell       string // X-Cell-ID; "" when the edge answers itself
		cloud      string
		reason     string         // reason of the edge's JSON error
		body       map[string]any // fields of the JSON body
		retryAfter string
	}{
		{name: "header mode", method: "GET", path: "/orders?x=1", header: map[string]string{"X-Tenant-ID": "acme"},
			status: 200, cell: "cell-a", cloud: "aws", body: map[string]any{"cell": "cell-a", "tenant": "acme", "path": "/orders", "query": "x=1"}},
		{name: "host mode", method: "GET", path: "/orders", header: map[string]string{"Host": "globex.edge.test"},
			status: 200, cell: "cell-b", cloud: "gcp", body: map[string]any{"cell": "cell-b", "tenant": "globex"}},
		{name: "path mode strips the prefix", method: "GET", path: "/t/acme/orders/7", status: 200, cell: "cell-a", cloud: "aws",
			body: map[string]any{"tenant": "acme", "path": "/orders/7"}},
		{name: "unknown tenant", method: "GET", path: "/", header: map[string]string{"X-Tenant-ID": "nobody"},
			status: 404, reason: "unknown_tenant", body: map[string]any{"tenant": "nobody"}},
		{name: "no tenant", method: "GET", path: "/", status: 400, reason: "no_tenant"},
		{name: "malformed tenant", method: "GET", path: "/", header: map[string]string{"X-Tenant-ID": "Not A Tenant"}, status: 400, reason: "bad_header"},
		{name: "migrating tenant write", method: "PUT", path: "/kv/x", header: map[string]string{"X-Tenant-ID": "hooli"},
			status: 503, reason: "tenant_readonly", retryAfter: "30"},
		{name: "migrating tenant read", method: "GET", path: "/x", header: map[string]string{"X-Tenant-ID": "hooli"},
			status: 200, cell: "cell-a", cloud: "aws"},
		{name: "escaped path and query are signed as sent", method: "GET", path: "/a%2Fb/caf%C3%A9/x;y=1?q=a%20b&r=%C3%BC&s", header: map[string]string{"X-Tenant-ID": "acme"},
			status: 200, cell: "cell-a", cloud: "aws", body: map[string]any{"tenant": "acme", "path": "/a/b/café/x;y=1", "query": "q=a%20b&r=%C3%BC&s"}},
		{name: "a cell's own error passes through", method: "GET", path: "/kv/missing", header: map[string]string{"X-Tenant-ID": "globex"},
			status: 404, cell: "cell-b", cloud: "gcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := send(t, tt.method, env.rt.URL+tt.path, tt.header, "")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if got := r.header.Get("X-Cell-ID"); got != tt.cell {
				t.Errorf("X-Cell-ID %q, want %q", got, tt.cell)
			}
			if got := r.header.Get("X-Processed-By-Cloud"); got != tt.cloud {
				t.Errorf("X-Processed-By-Cloud %q, want %q", got, tt.cloud)
			}
			if r.header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID")
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if tt.reason == "" && tt.body == nil {
				return
			}
			m := r.json(t)
			if tt.reason != "" {
				if m["reason"] != tt.reason || m["requestId"] != r.header.Get("X-Request-ID") || m["error"] == "" {
					t.Errorf("error body %v, want reason %q and the request id", m, tt.reason)
				}
				if r.header.Get("Content-Type") != "application/json" {
					t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
				}
			}
			for k, v := range tt.body {
				if m[k] != v {
					t.Errorf("body %s = %v, want %v (%s)", k, m[k], v, r.body)
				}
			}
		})
	}

	t.Run("headers the cell sees", func(t *testing.T) {
		t.Parallel()
		const trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		// The host names initech; a client-sent tenant and signature must
		// not reach the cell.
		r := env.do("GET", "/inspect?q=1", map[string]string{
			"Host": "initech.edge.test", "X-Tenant-ID": "acme", "X-Cellfabric-Signature": "v1,kid=k1,ts=1,sig=AAAA",
			"traceparent": trace, "tracestate": "client=1", "X-Request-ID": "req-123",
		}, "")
		if r.status != 200 || r.header.Get("X-Cell-ID") != "cell-e" || r.header.Get("X-Processed-By-Cloud") != "azure" {
			t.Fatalf("status %d cell %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
		}
		if got := r.header.Get("X-Request-ID"); got != "req-123" {
			t.Errorf("response X-Request-ID %q, want the client's", got)
		}
		m := r.json(t)
		if m["tenant"] != "initech" || m["path"] != "/inspect?q=1" {
			t.Errorf("cell saw tenant %v path %v", m["tenant"], m["path"])
		}
		hs, _ := m["headers"].(map[string]any)
		// The Worker starts the trace: its own traceparent, a new trace id,
		// and no client tracestate.
		tp, _ := hs["Traceparent"].([]any)
		if len(tp) != 1 || !traceparentRE.MatchString(tp[0].(string)) || strings.Contains(tp[0].(string), trace[3:35]) {
			t.Errorf("cell saw traceparent %v, want the Worker's own in a new trace (not %s)", hs["Traceparent"], trace)
		}
		if ts, ok := hs["Tracestate"]; ok {
			t.Errorf("cell saw the client's tracestate %v", ts)
		}
		want := map[string]string{"X-Request-Id": "req-123", "X-Tenant-Id": "initech",
			"X-Forwarded-Host": "initech.edge.test", "X-Forwarded-Proto": "http"}
		for k, v := range want {
			vals, _ := hs[k].([]any)
			if len(vals) != 1 || vals[0] != v {
				t.Errorf("cell saw %s = %v, want [%s]", k, hs[k], v)
			}
		}
		sig, _ := hs["X-Cellfabric-Signature"].([]any)
		if len(sig) != 1 || strings.Contains(sig[0].(string), "sig=AAAA") {
			t.Errorf("cell saw signature %v, want only the edge's", sig)
		}
	})

	t.Run("bodies pass both ways", func(t *testing.T) {
		t.Parallel()
		h := map[string]string{"X-Tenant-ID": "globex", "Content-Type": "text/plain"}
		if r := env.do("PUT", "/kv/color", h, "blue"); r.status != 201 && r.status != 204 && r.status != 200 {
			t.Fatalf("PUT: status %d: %s", r.status, r.body)
		}
		r := env.do("GET", "/kv/color", h, "")
		if r.status != 200 || string(r.body) != "blue" || r.header.Get("X-Cell-ID") != "cell-b" {
			t.Fatalf("GET: status %d cell %q body %q", r.status, r.header.Get("X-Cell-ID"), r.body)
		}
	})

	t.Run("the cell refuses what the edge did not sign", func(t *testing.T) {
		t.Parallel()
		good, err := edgeauth.NewSigner(testKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		forger, err := edgeauth.NewSigner(otherKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		direct := func(s *edgeauth.Signer, signedFor, claim string) int {
			req, err := http.NewRequest("GET", a.url+"/orders", nil)
			if err != nil {
				t.Fatal(err)
			}
			if s != nil {
				s.SignRequest(req, signedFor)
				req.Header.Set(edgeauth.TenantHeader, claim)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		before := a.rc.Rejected()
		if got := direct(good, "acme", "acme"); got != 200 {
			t.Fatalf("correctly signed direct request: %d, want 200", got)
		}
		for name, got := range map[string]int{
			"unsigned":        direct(nil, "", ""),
			"forged key":      direct(forger, "acme", "acme"),
			"tenant swapped":  direct(good, "acme", "globex"),
			"no tenant match": direct(good, "", "acme"),
		} {
			if got != 401 {
				t.Errorf("%s: status %d, want 401", name, got)
			}
		}
		if n := a.rc.Rejected() - before; n != 4 {
			t.Errorf("cell rejected %d requests, want 4", n)
		}
	})
}

func TestRuntimeFailover(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	c := startCell(t, "cell-c", "azure")
	reg := registry(t, 1, []*cell{a, b, c},
		router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}},
		router.Tenant{ID: "solo", Cell: "cell-a"},
		router.Tenant{ID: "tyrell", Cell: "cell-c", Failover: []string{"cell-b"}},
	)
	env := startEdge(t, envOptions{config: `{"cacheSeconds":1}`, registry: reg, key: testKey})
	hdr := func(tenant string) map[string]string { return map[string]string{"X-Tenant-ID": tenant} }
	expect := func(r response, status int, cell, reason string) {
		t.Helper()
		if r.status != status || r.header.Get("X-Cell-ID") != cell {
			t.Fatalf("status %d cell %q, want %d %q: %s", r.status, r.header.Get("X-Cell-ID"), status, cell, r.body)
		}
		if reason != "" {
			if got := r.json(t)["reason"]; got != reason {
				t.Fatalf("reason %v, want %s", got, reason)
			}
		}
	}

	expect(env.do("GET", "/", hdr("acme"), ""), 200, "cell-a", "")

	// A cell answering 503: reads go to the failover cell, writes get the
	// cell's own answer.
	if err := c.rc.Close(); err != nil {
		t.Fatal(err)
	}
	expect(env.do("GET", "/", hdr("tyrell"), ""), 200, "cell-b", "")
	expect(env.do("POST", "/", hdr("tyrell"), "x"), 503, "cell-c", "")

	// A cell that is gone, before any health probe: reads are retried on
	// the failover cell; a write is not retried; a tenant without a
	// failover cell gets 502.
	a.stop()
	expect(env.do("GET", "/", hdr("acme"), ""), 200, "cell-b", "")
	expect(env.do("HEAD", "/", hdr("acme"), ""), 200, "cell-b", "")
	expect(env.do("POST", "/", hdr("acme"), "x"), 502, "", "upstream_unavailable")
	expect(env.do("GET", "/", hdr("solo"), ""), 502, "", "upstream_unavailable")

	// The cron probes the cells and writes their health to KV.
	if err := env.rt.Scheduled(context.Background()); err != nil {
		t.Fatal(err)
	}
	data, ok := env.kv.Get(edgeconf.HealthKey)
	if !ok {
		t.Fatal("the cron wrote no health document")
	}
	h, err := edgeconf.ParseHealth(data)
	if err != nil {
		t.Fatalf("health document: %v\n%s", err, data)
	}
	if want := map[string]bool{"cell-a": false, "cell-b": true, "cell-c": false}; len(h.Cells) != 3 || h.Cells["cell-a"] || !h.Cells["cell-b"] || h.Cells["cell-c"] || h.Epoch != 1 {
		t.Fatalf("health cells %v epoch %d, want %v epoch 1", h.Cells, h.Epoch, want)
	}
	if h.Probes["cell-a"].Error == "" || h.Probes["cell-c"].Status != 503 || h.Probes["cell-b"].Status != 200 {
		t.Errorf("probe details %+v", h.Probes)
	}

	// Once the Worker has read the health map, writes go to the failover
	// cell too, and a tenant whose only cell is down gets 503.
	eventually(t, 10*time.Second, "writes for acme failing over to b", func() bool {
		return env.do("POST", "/", hdr("acme"), "x").header.Get("X-Cell-ID") == "cell-b"
	})
	expect(env.do("GET", "/", hdr("solo"), ""), 503, "", "no_healthy_cell")
	expect(env.do("POST", "/", hdr("tyrell"), "x"), 200, "cell-b", "")

	// All cells down.
	b.stop()
	if err := env.rt.Scheduled(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "acme answered 503 with every cell down", func() bool {
		r := env.do("GET", "/", hdr("acme"), "")
		return r.status == 503 && r.json(t)["reason"] == "no_healthy_cell"
	})
}

func TestRuntimeRegistryCache(t *testing.T) {
	t.Parallel()
	const cache = 2 * time.Second
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	env := startEdge(t, envOptions{config: `{"cacheSeconds":2}`, registry: registry(t, 1, []*cell{a, b}, router.Tenant{ID: "acme", Cell: "cell-a"}), key: testKey})
	hdr := map[string]string{"X-Tenant-ID": "acme"}
	if r := env.do("GET", "/", hdr, ""); r.header.Get("X-Cell-ID") != "cell-a" {
		t.Fatalf("first request: status %d cell %q", r.status, r.header.Get("X-Cell-ID"))
	}
	read := env.kv.LastRead(edgeconf.RegistryKey)
	reads := env.kv.Reads(edgeconf.RegistryKey)
	if read.IsZero() {
		t.Fatal("the Worker did not read the registry from KV")
	}

	// Move acme to b.
	env.kv.Set(edgeconf.RegistryKey, registry(t, 2, []*cell{a, b}, router.Tenant{ID: "acme", Cell: "cell-b"}))

	cachedAnswers := 0
	for {
		sent := time.Now()
		r := env.do("GET", "/", hdr, "")
		switch r.header.Get("X-Cell-ID") {
		case "cell-a":
			if sent.Before(read.Add(cache - 500*time.Millisecond)) {
				cachedAnswers++
				if n := env.kv.Reads(edgeconf.RegistryKey); n != reads {
					t.Fatalf("the Worker read KV %d more times within the cache time", n-reads)
				}
			}
		case "cell-b":
			if sent.Before(read.Add(cache - 500*time.Millisecond)) {
				t.Fatalf("the new registry was served %v after the last KV read, before the cache time of %v", sent.Sub(read), cache)
			}
			if cachedAnswers < 3 {
				t.Fatalf("only %d answers within the cache time; the test proves nothing", cachedAnswers)
			}
			return
		default:
			t.Fatalf("status %d cell %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
		}
		if time.Since(read) > cache+10*time.Second {
			t.Fatal("the new registry was not picked up within 10 s after the cache time")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRuntimeKeepsLastGoodRegistry(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	cells := []*cell{a, b}
	env := startEdge(t, envOptions{config: `{"cacheSeconds":1}`, key: testKey})
	hdr := map[string]string{"X-Tenant-ID": "acme"}

	// Nothing in KV yet.
	r := env.do("GET", "/", hdr, "")
	if r.status != 503 || r.json(t)["reason"] != "no_registry" || r.header.Get("Retry-After") != "5" {
		t.Fatalf("without a registry: status %d: %s", r.status, r.body)
	}
	env.kv.Set(edgeconf.RegistryKey, registry(t, 5, cells, router.Tenant{ID: "acme", Cell: "cell-a"}))
	eventually(t, 5*time.Second, "the first registry picked up", func() bool {
		return env.do("GET", "/", hdr, "").header.Get("X-Cell-ID") == "cell-a"
	})

	bad := []struct {
		name  string
		apply func()
	}{
		{"not JSON", func() { env.kv.Set(edgeconf.RegistryKey, []byte(`{"version":1,"epoch":`)) }},
		{"invalid registry", func() {
			env.kv.Set(edgeconf.RegistryKey, []byte(`{"version":1,"epoch":9,"cells":[{"id":"cell-b","cloud":"gcp","region":"r","endpoint":"`+b.url+`"}],"tenants":[{"id":"acme","cell":"zzz"}]}`))
		}},
		{"older epoch", func() {
			env.kv.Set(edgeconf.RegistryKey, registry(t, 4, cells, router.Tenant{ID: "acme", Cell: "cell-b"}))
		}},
		{"KV failing", func() { env.kv.Fail(edgeconf.RegistryKey, 500) }},
		{"key deleted", func() { env.kv.Fail(edgeconf.RegistryKey, 0); env.kv.Delete(edgeconf.RegistryKey) }},
	}
	for _, tt := range bad {
		before := env.kv.Reads(edgeconf.RegistryKey)
		tt.apply()
		// Wait until the Worker has read the bad value, then check it still
		// routes with the last good registry.
		eventually(t, 5*time.Second, tt.name+": the Worker reading KV again", func() bool {
			r := env.do("GET", "/", hdr, "")
			if r.header.Get("X-Cell-ID") != "cell-a" {
				t.Fatalf("%s: status %d cell %q, want the last good registry's cell a: %s", tt.name, r.status, r.header.Get("X-Cell-ID"), r.body)
			}
			return env.kv.Reads(edgeconf.RegistryKey) > before
		})
		if r := env.do("GET", "/", hdr, ""); r.header.Get("X-Cell-ID") != "cell-a" {
			t.Fatalf("%s: after the read: status %d cell %q: %s", tt.name, r.status, r.header.Get("X-Cell-ID"), r.body)
		}
	}

	// A good, newer registry still gets through.
	env.kv.Set(edgeconf.RegistryKey, registry(t, 6, cells, router.Tenant{ID: "acme", Cell: "cell-b"}))
	eventually(t, 5*time.Second, "the newer registry picked up", func() bool {
		return env.do("GET", "/", hdr, "").header.Get("X-Cell-ID") == "cell-b"
	})
}
