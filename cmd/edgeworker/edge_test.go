//go:build !(js && wasm)

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

func TestNewEdgeRefusesBadBindings(t *testing.T) {
	t.Parallel()
	secret := string(unitKey.Secret)
	tests := []struct {
		name string
		b    bindings
		kv   directory.KV
		dir  directory.KV
		want []string
	}{
		{name: "no key", b: bindings{}, kv: newFakeKV(), dir: newFakeKV(), want: []string{"EDGE_KEY secret binding is missing"}},
		{name: "short key", b: bindings{Key: "short"}, kv: newFakeKV(), dir: newFakeKV(), want: []string{"EDGE_KEY and EDGE_KEY_ID", "at least 16"}},
		{name: "bad key id", b: bindings{Key: secret, KeyID: "bad id!"}, kv: newFakeKV(), dir: newFakeKV(), want: []string{"EDGE_KEY_ID"}},
		{name: "bad config", b: bindings{Key: secret, Config: `{"maxAttempts":0,"cacheSeconds":99999}`}, kv: newFakeKV(), dir: newFakeKV(), want: []string{"CONFIG binding", "cacheSeconds"}},
		{name: "config not JSON", b: bindings{Key: secret, Config: `cache=1`}, kv: newFakeKV(), dir: newFakeKV(), want: []string{"CONFIG binding", "not a config document"}},
		{name: "no KV", b: bindings{Key: secret}, dir: newFakeKV(), want: []string{"REGISTRY KV namespace binding is missing"}},
		{name: "no directory", b: bindings{Key: secret}, kv: newFakeKV(), want: []string{"DIRECTORY KV namespace binding is missing"}},
		{name: "everything at once", b: bindings{Config: `{"tenantModes":["jwt"]}`}, want: []string{"EDGE_KEY", "jwt", "REGISTRY", "DIRECTORY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := newEdge(tt.b, tt.kv, tt.dir, time.Now, nil)
			if err == nil {
				t.Fatal("newEdge accepted bad bindings")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
			if tt.b.Key != "" && strings.Contains(err.Error(), tt.b.Key) {
				t.Errorf("error contains the secret: %v", err)
			}
		})
	}
	e, err := newEdge(bindings{Key: secret}, newFakeKV(), newFakeKV(), time.Now, nil)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if e.signer.KeyID() != edgeauth.DefaultKeyID || e.cfg.MaxAttempts != edgeconf.DefaultMaxAttempts {
		t.Errorf("defaults: key id %q, max attempts %d", e.signer.KeyID(), e.cfg.MaxAttempts)
	}
}

func freshHealth(t *testing.T, at time.Time, cells map[string]bool) []byte {
	t.Helper()
	data, err := edgeconf.Health{Version: edgeconf.HealthVersion, CheckedAt: at, Epoch: 1, Cells: cells}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		config   string
		method   string
		tenant   string
		hasBody  bool
		health   map[string]bool
		answers  map[string]any
		attempts []string
		status   int    // the reply's status (from the cell) or the refusal's
		reason   string // refusal reason; "" when a cell answered
		cell     string // the cell that answered
		retry    int    // Retry-After of a refusal
	}{
		{name: "primary answers", method: "GET", tenant: "acme", attempts: []string{"cell-a"}, status: 200, cell: "cell-a"},
		{name: "read retried after a failed fetch", method: "GET", tenant: "acme", answers: map[string]any{"cell-a": errRefused}, attempts: []string{"cell-a", "cell-b"}, status: 200, cell: "cell-b"},
		{name: "read retried after 503", method: "GET", tenant: "acme", answers: map[string]any{"cell-a": 503}, attempts: []string{"cell-a", "cell-b"}, status: 200, cell: "cell-b"},
		{name: "502 then 504 then c", method: "HEAD", tenant: "acme", answers: map[string]any{"cell-a": 502, "cell-b": 504}, attempts: []string{"cell-a", "cell-b", "cell-c"}, status: 200, cell: "cell-c"},
		{name: "last candidate's 503 passes through", method: "GET", tenant: "acme", answers: map[string]any{"cell-a": 503, "cell-b": 503, "cell-c": 503}, attempts: []string{"cell-a", "cell-b", "cell-c"}, status: 503, cell: "cell-c"},
		{name: "max attempts", config: `{"maxAttempts":2}`, method: "GET", tenant: "acme", answers: map[string]any{"cell-a": 503, "cell-b": 503}, attempts: []string{"cell-a", "cell-b"}, status: 503, cell: "cell-b"},
		{name: "one attempt disables retries", config: `{"maxAttempts":1}`, method: "GET", tenant: "acme", answers: map[string]any{"cell-a": errRefused}, attempts: []string{"cell-a"}, status: 502, reason: "upstream_unavailable"},
		{name: "500 is not retried", method: "GET", tenant: "acme", answers: map[string]any{"cell-a": 500}, attempts: []string{"cell-a"}, status: 500, cell: "cell-a"},
		{name: "timeout is not retried", method: "GET", tenant: "acme", answers: map[string]any{"cell-a": errTimeout}, attempts: []string{"cell-a"}, status: 504, reason: "upstream_timeout"},
		{name: "write not retried after a failed fetch", method: "POST", tenant: "acme", hasBody: true, answers: map[string]any{"cell-a": errRefused}, attempts: []string{"cell-a"}, status: 502, reason: "upstream_unavailable"},
		{name: "write gets the cell's 503", method: "POST", tenant: "acme", answers: map[string]any{"cell-a": 503}, attempts: []string{"cell-a"}, status: 503, cell: "cell-a"},
		{name: "idempotent without body retried", method: "PUT", tenant: "acme", answers: map[string]any{"cell-a": 503}, attempts: []string{"cell-a", "cell-b"}, status: 200, cell: "cell-b"},
		{name: "idempotent with body not retried", method: "PUT", tenant: "acme", hasBody: true, answers: map[string]any{"cell-a": errRefused}, attempts: []string{"cell-a"}, status: 502, reason: "upstream_unavailable"},
		{name: "client body failure is the client's, not retried", method: "PUT", tenant: "acme", hasBody: true, answers: map[string]any{"cell-a": fmt.Errorf("%w: Network connection lost.", errClientBody)}, attempts: []string{"cell-a"}, status: 400, reason: "bad_request_body"},
		{name: "client body failure on a write", method: "POST", tenant: "solo", hasBody: true, answers: map[string]any{"cell-a": fmt.Errorf("%w: aborted", errClientBody)}, attempts: []string{"cell-a"}, status: 400, reason: "bad_request_body"},
		{name: "no failover cell", method: "GET", tenant: "solo", answers: map[string]any{"cell-a": errRefused}, attempts: []string{"cell-a"}, status: 502, reason: "upstream_unavailable"},
		{name: "unhealthy primary skipped", method: "POST", tenant: "acme", health: map[string]bool{"cell-a": false}, attempts: []string{"cell-b"}, status: 200, cell: "cell-b"},
		{name: "unhealthy failover skipped on retry", method: "GET", tenant: "acme", health: map[string]bool{"cell-b": false}, answers: map[string]any{"cell-a": errRefused}, attempts: []string{"cell-a", "cell-c"}, status: 200, cell: "cell-c"},
		{name: "every cell unhealthy", method: "GET", tenant: "solo", health: map[string]bool{"cell-a": false}, status: 503, reason: "no_healthy_cell"},
		{name: "migrating write", method: "PUT", tenant: "hooli", status: 503, reason: "tenant_readonly", retry: 30},
		{name: "migrating read", method: "GET", tenant: "hooli", attempts: []string{"cell-b"}, status: 200, cell: "cell-b"},
		{name: "unknown tenant", method: "GET", tenant: "nobody", status: 404, reason: "unknown_tenant"},
		{name: "no tenant", method: "GET", status: 400, reason: "no_tenant"},
		{name: "malformed tenant", method: "GET", tenant: "No Way", status: 400, reason: "bad_header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, kv, clk := newTestEdge(t, tt.config)
			if tt.health != nil {
				kv.set("health", freshHealth(t, clk.now(), tt.health))
			}
			up := &fakeUpstream{answers: tt.answers}
			h := headers{}
			if tt.tenant != "" {
				h["X-Tenant-Id"] = tt.tenant
			}
			res := e.serve(inbound{Method: tt.method, URL: "https://edge.example/x", Header: h, HasBody: tt.hasBody}, up)
			if !slices.Equal(up.cells(), tt.attempts) {
				t.Errorf("attempts %v, want %v", up.cells(), tt.attempts)
			}
			if res.Attempts != len(tt.attempts) {
				t.Errorf("result counts %d attempts, want %d", res.Attempts, len(tt.attempts))
			}
			if tt.reason != "" {
				if res.Refusal == nil {
					t.Fatalf("forwarded to %v, want refusal %s", res.Cell, tt.reason)
				}
				if res.Refusal.Status != tt.status || string(res.Refusal.Reason) != tt.reason || res.Refusal.RetryAfter != tt.retry || res.Refusal.Msg == "" {
					t.Errorf("refusal %+v, want %d %s retry %d", *res.Refusal, tt.status, tt.reason, tt.retry)
				}
				return
			}
			if res.Refusal != nil {
				t.Fatalf("refused %+v, want cell %s", *res.Refusal, tt.cell)
			}
			if res.Cell.ID != tt.cell || res.Reply.Status() != tt.status {
				t.Errorf("cell %s status %d, want %s %d", res.Cell.ID, res.Reply.Status(), tt.cell, tt.status)
			}
			for i, r := range up.replies {
				if last := i == len(up.replies)-1; r.discarded == last {
					t.Errorf("reply %d discarded=%v: only replies that are not passed on are discarded", i, r.discarded)
				}
			}
		})
	}
}

// Every attempt is signed for exactly the URL it is sent to, as the cell
// parses it, and carries the request's id and forwarding headers.
func TestAttemptsAreSignedForTheirURL(t *testing.T) {
	t.Parallel()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{unitKey}, edgeauth.VerifierOptions{Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, url string
		header            headers
		wantURL, tenant   string
	}{
		{"plain", "GET", "https://edge.example/orders?x=1", headers{"X-Tenant-Id": "acme"}, "https://a.cells.example/orders?x=1", "acme"},
		{"escapes kept", "DELETE", "https://edge.example/a%2Fb/caf%C3%A9;v=1?q=a%20b&r", headers{"X-Tenant-Id": "acme"}, "https://a.cells.example/a%2Fb/caf%C3%A9;v=1?q=a%20b&r", "acme"},
		{"empty query kept", "GET", "https://edge.example/orders?", headers{"X-Tenant-Id": "acme"}, "https://a.cells.example/orders?", "acme"},
		{"path mode strips", "GET", "https://edge.example/t/hooli/v1/items", headers{}, "https://b.cells.example:8443/v1/items", "hooli"},
		{"path mode root", "GET", "https://edge.example/t/hooli", headers{}, "https://b.cells.example:8443/", "hooli"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _, _ := newTestEdge(t, `{"tenantModes":["header","path"]}`)
			e.signer, _ = edgeauth.NewSigner(unitKey, newClock().now)
			tt.header["X-Request-Id"] = "abc-1"
			up := &fakeUpstream{}
			res := e.serve(inbound{Method: tt.method, URL: tt.url, Header: tt.header}, up)
			if res.Refusal != nil || len(up.attempts) != 1 {
				t.Fatalf("refusal %+v attempts %d", res.Refusal, len(up.attempts))
			}
			a := up.attempts[0]
			if a.URL != tt.wantURL || a.Tenant != tt.tenant || a.RequestID != "abc-1" || a.ForwardedHost != "edge.example" || a.ForwardedProto != "https" {
				t.Fatalf("attempt %+v", a)
			}
			if got, err := cellVerifies(v, tt.method, a); err != nil || got != tt.tenant {
				t.Fatalf("cell verifies %q, %v; want tenant %q", got, err, tt.tenant)
			}
		})
	}
}

// cellVerifies checks an attempt as its cell would and returns the tenant
// it was signed for.
func cellVerifies(v *edgeauth.Verifier, method string, a attempt) (string, error) {
	got, err := cellChecks(v, method, a)
	return got.Tenant, err
}

// cellChecks checks an attempt as its cell would: the request target the
// fetch sends, parsed from the wire, with the attempt's headers.
func cellChecks(v *edgeauth.Verifier, method string, a attempt) (edgeauth.Verified, error) {
	u, err := url.Parse(a.URL)
	if err != nil {
		return edgeauth.Verified{}, err
	}
	req, err := http.NewRequest(method, "http://placeholder"+u.RequestURI(), nil)
	if err != nil {
		return edgeauth.Verified{}, err
	}
	req.Host = u.Host
	req.Header.Set(edgeauth.SignatureHeader, a.Signature)
	if a.Tenant != "" {
		req.Header.Set(edgeauth.TenantHeader, a.Tenant)
	}
	if a.Epoch > 0 {
		req.Header.Set(edgeauth.EpochHeader, strconv.FormatInt(a.Epoch, 10))
	}
	return v.Check(req)
}

func TestRefusalBody(t *testing.T) {
	t.Parallel()
	body := refusalBody(&router.Refusal{Status: 404, Reason: router.ReasonUnknownTenant, Msg: "tenant \"x\" is not in the registry"}, "r1", "x")
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil || m["error"] == "" || m["reason"] != "unknown_tenant" || m["requestId"] != "r1" || m["tenant"] != "x" {
		t.Fatalf("error body %s (%v)", body, err)
	}
}
