//go:build !(js && wasm)

package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// unitControlKey is the control key of the unit tests.
var unitControlKey = edgeauth.Key{ID: "c1", Secret: []byte("unit-test-control-secret-0123456789")}

// newControlEdge is newTestEdge with the control key bound.
func newControlEdge(t *testing.T) (*edge, *clock) {
	t.Helper()
	kv := newFakeKV()
	kv.set("registry", unitRegistry(t, 1))
	clk := newClock()
	e, err := newEdge(bindings{Key: string(unitKey.Secret), KeyID: unitKey.ID, ControlKey: string(unitControlKey.Secret), ControlKeyID: unitControlKey.ID}, kv, newFakeKV(), clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.rand = func() uint64 { return 42 }
	return e, clk
}

// signedControl is a control request signed with key at now, as dirhttp's
// client signs it.
func signedControl(t *testing.T, key edgeauth.Key, now time.Time, method, path string, q url.Values, body []byte) controlRequest {
	t.Helper()
	s, err := edgeauth.NewSigner(key, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	path = directory.BasePath + path
	header, raw := directory.SignControl(s, method, "edge.example", path, q, body)
	u, err := url.Parse("https://edge.example" + path + "?" + raw)
	if err != nil {
		t.Fatal(err)
	}
	return controlRequest{Method: method, URL: u, Signature: header, Body: body}
}

// errorReason returns the reason of a control API refusal.
func errorReason(t *testing.T, r directory.Response) string {
	t.Helper()
	var eb directory.ErrorBody
	if err := json.Unmarshal(r.Body, &eb); err != nil {
		t.Fatalf("answer %d is not an error body: %s", r.Status, r.Body)
	}
	return eb.Reason
}

func TestIsControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want bool
	}{
		{url: "https://edge.example/_cellfabric/v1/directory", want: true},
		{url: "https://edge.example/_cellfabric/v1/directory/tenants/acme", want: true},
		{url: "https://acme.edge.example/_cellfabric/v1/directory/batch?mode=upsert", want: true},
		{url: "https://edge.example/_cellfabric%2Fv1/directory/tenants", want: true},
		{url: "https://edge.example/_cellfabric/v1/directoryx", want: false},
		{url: "https://edge.example/_cellfabric/v1/", want: false},
		{url: "https://edge.example/kv/_cellfabric/v1/directory", want: false},
		{url: "https://edge.example/", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := isControl(u); got != tt.want {
				t.Fatalf("isControl = %v, want %v", got, tt.want)
			}
		})
	}
}

// Without a usable control key the Worker serves no control API, and says
// why; it still routes.
func TestControlOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		key, keyID   string
		status       int
		reason, says string
	}{
		{name: "no key bound", status: 404, reason: ReasonControlNotConfigured, says: "not configured"},
		{name: "the edge key", key: string(unitKey.Secret), keyID: "c1", status: 500, reason: ReasonControlMisconfigured, says: "same secret as edge key"},
		{name: "too short", key: "short", keyID: "c1", status: 500, reason: ReasonControlMisconfigured, says: "at least 16"},
		{name: "bad key id", key: string(unitControlKey.Secret), keyID: "no spaces", status: 500, reason: ReasonControlMisconfigured, says: "key id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kv := newFakeKV()
			kv.set("registry", unitRegistry(t, 1))
			clk := newClock()
			e, err := newEdge(bindings{Key: string(unitKey.Secret), KeyID: unitKey.ID, ControlKey: tt.key, ControlKeyID: tt.keyID}, kv, newFakeKV(), clk.now, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := e.serveControl(signedControl(t, unitControlKey, clk.now(), "GET", "/tenants/acme", nil, nil))
			if r.Status != tt.status || errorReason(t, r) != tt.reason || !strings.Contains(string(r.Body), tt.says) {
				t.Fatalf("answer %d %s, want %d %s saying %q", r.Status, r.Body, tt.status, tt.reason, tt.says)
			}
			if strings.Contains(string(r.Body), tt.key) && tt.key != "" {
				t.Fatal("the answer contains the key's secret")
			}
			if got := route(t, e, "acme"); got != "cell-a" {
				t.Fatalf("acme routed to %s", got)
			}
		})
	}
}

// Control requests that fail verification get 401 and write nothing.
func TestControlRefusesUnverified(t *testing.T) {
	t.Parallel()
	body := []byte(`{"cell":"cell-b"}`)
	forged := edgeauth.Key{ID: unitControlKey.ID, Secret: []byte("not-the-control-secret-0123456789")}
	tests := []struct {
		name   string
		req    func(t *testing.T, now time.Time) controlRequest
		reason string
	}{
		{name: "unsigned", reason: directory.AuthUnsigned, req: func(t *testing.T, now time.Time) controlRequest {
			r := signedControl(t, unitControlKey, now, "PUT", "/tenants/newco", nil, body)
			r.Signature = ""
			return r
		}},
		{name: "forged", reason: directory.AuthBadSignature, req: func(t *testing.T, now time.Time) controlRequest {
			return signedControl(t, forged, now, "PUT", "/tenants/newco", nil, body)
		}},
		{name: "edge key", reason: directory.AuthUnknownKey, req: func(t *testing.T, now time.Time) controlRequest {
			return signedControl(t, unitKey, now, "PUT", "/tenants/newco", nil, body)
		}},
		{name: "expired", reason: directory.AuthExpired, req: func(t *testing.T, now time.Time) controlRequest {
			return signedControl(t, unitControlKey, now.Add(-5*time.Minute), "PUT", "/tenants/newco", nil, body)
		}},
		{name: "body mismatch", reason: directory.AuthBodyMismatch, req: func(t *testing.T, now time.Time) controlRequest {
			r := signedControl(t, unitControlKey, now, "PUT", "/tenants/newco", nil, body)
			r.Body = []byte(`{"cell":"cell-c"}`)
			return r
		}},
		{name: "other host", reason: directory.AuthBadSignature, req: func(t *testing.T, now time.Time) controlRequest {
			r := signedControl(t, unitControlKey, now, "PUT", "/tenants/newco", nil, body)
			r.URL.Host = "other.example"
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, clk := newControlEdge(t)
			r := e.serveControl(tt.req(t, clk.now()))
			if r.Status != 401 || errorReason(t, r) != tt.reason {
				t.Fatalf("answer %d %s, want 401 %s", r.Status, r.Body, tt.reason)
			}
			if n := len(dirOf(e).puts); n != 0 {
				t.Fatalf("%d directory keys written", n)
			}
		})
	}
}

// A write through the control API is seen by the isolate that served it
// at once: a tenant it had cached as absent routes to its new cell, a
// changed tenant to its new cell, a removed one is unknown again — within
// the cache times, without reading the directory again.
func TestControlWriteSeenAtOnce(t *testing.T) {
	t.Parallel()
	e, clk := newControlEdge(t)
	dir := dirOf(e)
	if got := route(t, e, "newco"); got != string(router.ReasonUnknownTenant) {
		t.Fatalf("before: newco routed to %s", got)
	}
	do := func(method, path string, q url.Values, body string) directory.Response {
		t.Helper()
		r := e.serveControl(signedControl(t, unitControlKey, clk.now(), method, path, q, []byte(body)))
		if r.Status != 200 {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r
	}
	// routeCached routes id and checks that it did not read the
	// directory to do so: the write put what it stored in the cache.
	routeCached := func(id, want string) {
		t.Helper()
		reads := dir.count(directory.TenantKey(id))
		if got := route(t, e, id); got != want {
			t.Fatalf("%s routed to %s, want %s", id, got, want)
		}
		if dir.count(directory.TenantKey(id)) != reads {
			t.Fatalf("routing %s read the directory: the write did not update the cache", id)
		}
	}
	do("PUT", "/tenants/newco", url.Values{"ifAbsent": {"1"}}, `{"cell":"cell-c"}`)
	routeCached("newco", "cell-c")
	do("PUT", "/tenants/newco", url.Values{"ifEpoch": {"1"}}, `{"cell":"cell-b"}`)
	routeCached("newco", "cell-b")
	do("POST", "/tenants/placed/place", nil, "")
	stored, ok := dir.value(directory.TenantKey("placed"))
	if !ok {
		t.Fatal("placed is not in the directory")
	}
	var placed router.Tenant
	if err := json.Unmarshal(stored, &placed); err != nil {
		t.Fatal(err)
	}
	routeCached("placed", placed.Cell)
	do("DELETE", "/tenants/newco", nil, "")
	routeCached("newco", string(router.ReasonUnknownTenant))
	// A batch: the tenants it changes are dropped from the cache (globex
	// was cached as absent) and read again.
	if got := route(t, e, "globex"); got != string(router.ReasonUnknownTenant) {
		t.Fatalf("before the batch: globex routed to %s", got)
	}
	r := do("POST", "/batch", nil, `{"entries":[{"id":"globex","cell":"cell-b"},{"id":"initech","cell":"cell-c"}]}`)
	if !strings.Contains(string(r.Body), `"outcome":"added"`) {
		t.Fatalf("batch answer %s", r.Body)
	}
	if got := route(t, e, "globex"); got != "cell-b" {
		t.Fatalf("after the batch: globex routed to %s, want cell-b", got)
	}
}

// The isolate's read of a tenant under way when the control API writes
// it is not cached over the write.
func TestControlWriteBeatsAReadUnderWay(t *testing.T) {
	t.Parallel()
	e, clk := newControlEdge(t)
	dir := dirOf(e)
	e.refresh()
	release := dir.holdGets()
	read := make(chan *router.Tenant, 1)
	go func() {
		t, _ := e.readTenant("newco", e.store.Snapshot())
		read <- t
	}()
	dir.waitForGet()
	// The read sees newco absent (its value is read after the gate, so
	// hide the write from it by writing the entry only to the cache).
	e.dir.set("newco", &router.Tenant{ID: "newco", Cell: "cell-c", Epoch: 1}, clk.now().Add(time.Minute))
	dir.letGetsThrough()
	release()
	if got := <-read; got != nil {
		t.Fatalf("the read found %+v", got)
	}
	if c, hit := e.dir.get("newco", clk.now()); !hit || c.Tenant == nil || c.Tenant.Cell != "cell-c" {
		t.Fatalf("cache holds %+v (hit %v) after the read, want the written entry", c.Tenant, hit)
	}
}

// The Worker serves batches of at most maxControlBatch entries, what
// Workers KV's operations per invocation fit, and refuses a larger one
// before writing anything; a listing page is cut to maxControlPage.
func TestControlFitsWorkersKV(t *testing.T) {
	t.Parallel()
	e, clk := newControlEdge(t)
	e.refresh()
	limit := maxControlBatch(e.store.Snapshot())
	if got := directory.BatchKVOps(limit, len(e.store.Snapshot().Cells())) + controlReservedOps; got > kvOpsPerInvocation {
		t.Fatalf("a batch of %d costs %d KV operations, over %d", limit, got, kvOpsPerInvocation)
	}
	batch := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`{"entries":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":"b%d","cell":"cell-a"}`, i)
		}
		b.WriteString("]}")
		return []byte(b.String())
	}
	r := e.serveControl(signedControl(t, unitControlKey, clk.now(), "POST", "/batch", nil, batch(limit+1)))
	if r.Status != 400 || errorReason(t, r) != directory.ReasonBatchTooLarge || !strings.Contains(string(r.Body), "batches of "+strconv.Itoa(limit)) {
		t.Fatalf("a batch of %d: %d %s, want 400 batch_too_large naming %d", limit+1, r.Status, r.Body, limit)
	}
	if n := len(dirOf(e).puts); n != 0 {
		t.Fatalf("the refused batch wrote %d keys", n)
	}
	r = e.serveControl(signedControl(t, unitControlKey, clk.now(), "POST", "/batch", nil, batch(limit)))
	if r.Status != 200 {
		t.Fatalf("a batch of %d: %d %s", limit, r.Status, r.Body)
	}
	for _, tt := range []struct{ asked, want string }{{"", strconv.Itoa(maxControlPage)}, {"5000", strconv.Itoa(maxControlPage)}, {"10", "10"}, {"x", "x"}} {
		q := url.Values{}
		if tt.asked != "" {
			q.Set("limit", tt.asked)
		}
		if e.fitControl("GET", directory.BasePath+"/tenants", q, nil) != nil || q.Get("limit") != tt.want {
			t.Fatalf("limit %q became %q, want %q", tt.asked, q.Get("limit"), tt.want)
		}
	}
}

func TestListedValue(t *testing.T) {
	t.Parallel()
	entry := `{"id":"acme","cell":"cell-a","failover":["cell-b","cell-c"],"epoch":3}`
	tests := []struct {
		name  string
		value []byte
		fits  bool
	}{
		{name: "entry", value: []byte(entry), fits: true},
		{name: "journal record", value: []byte(`{"id":"acme","epoch":3,"entry":` + entry + `}`), fits: true},
		{name: "empty", value: []byte{}, fits: true},
		{name: "just fits", value: []byte(strings.Repeat("x", maxMetadataBytes-len(`{"v":""}`))), fits: true},
		{name: "one byte over", value: []byte(strings.Repeat("x", maxMetadataBytes-len(`{"v":""}`)+1))},
		{name: "escaping makes it too long", value: []byte(strings.Repeat(`"`, 600))},
		{name: "not UTF-8", value: []byte{0xff, 0xfe}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := listedValue(tt.value)
			if ok != tt.fits || (ok && got != string(tt.value)) {
				t.Fatalf("listedValue = %q, %v; want it to fit: %v", got, ok, tt.fits)
			}
		})
	}
}
