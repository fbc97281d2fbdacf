package refcell

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestKVTenantIsolation(t *testing.T) {
	t.Parallel()
	_, srv := testCell(t, Config{})
	s := signer(t, testKey, nil)
	put := func(tenant, key, val string) int {
		return send(t, srv.URL, "PUT", "/kv/"+key, tenant, []byte(val), s, nil).status
	}
	if st := put("acme", "plan", "gold"); st != http.StatusCreated {
		t.Fatalf("first PUT: %d", st)
	}
	if st := put("acme", "plan", "platinum"); st != http.StatusOK {
		t.Fatalf("second PUT: %d", st)
	}
	if st := put("globex", "plan", "bronze"); st != http.StatusCreated {
		t.Fatalf("globex PUT of the same key: %d, want 201 (its own namespace)", st)
	}
	put("acme", "seats", "40")

	r := send(t, srv.URL, "GET", "/kv/plan", "acme", nil, s, nil)
	if r.status != 200 || string(r.body) != "platinum" || r.header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("acme GET plan: %d %q %v", r.status, r.body, r.header)
	}
	if r := send(t, srv.URL, "GET", "/kv/plan", "globex", nil, s, nil); string(r.body) != "bronze" {
		t.Errorf("globex GET plan: %q, want its own value", r.body)
	}
	if r := send(t, srv.URL, "GET", "/kv/seats", "globex", nil, s, nil); r.status != http.StatusNotFound {
		t.Errorf("globex reads acme's key: %d %q", r.status, r.body)
	}
	if r := send(t, srv.URL, "DELETE", "/kv/seats", "globex", nil, s, nil); r.status != http.StatusNotFound {
		t.Errorf("globex deletes acme's key: %d", r.status)
	}
	// A client header naming another tenant is covered by the signature:
	// the cell answers 401 rather than serve acme's data to globex.
	r = send(t, srv.URL, "GET", "/kv/seats", "globex", nil, s, func(r *http.Request) { r.Header.Set("X-Tenant-ID", "acme") })
	if r.status != http.StatusUnauthorized {
		t.Errorf("tenant header swapped: %d", r.status)
	}
	var l listBody
	send(t, srv.URL, "GET", "/kv/", "acme", nil, s, nil).json(t, &l)
	if l.Tenant != "acme" || !slices.Equal(l.Keys, []string{"plan", "seats"}) || l.Truncated {
		t.Errorf("acme list: %+v", l)
	}
	send(t, srv.URL, "GET", "/kv/", "globex", nil, s, nil).json(t, &l)
	if !slices.Equal(l.Keys, []string{"plan"}) {
		t.Errorf("globex list: %+v", l)
	}
	send(t, srv.URL, "GET", "/kv/", "initech", nil, s, nil).json(t, &l)
	if len(l.Keys) != 0 || l.Keys == nil {
		t.Errorf("empty tenant list: %+v (want an empty array)", l)
	}
	if r := send(t, srv.URL, "DELETE", "/kv/seats", "acme", nil, s, nil); r.status != http.StatusNoContent {
		t.Errorf("acme DELETE: %d", r.status)
	}
	if r := send(t, srv.URL, "GET", "/kv/seats", "acme", nil, s, nil); r.status != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", r.status)
	}
}

func TestKVBadRequests(t *testing.T) {
	t.Parallel()
	_, srv := testCell(t, Config{})
	s := signer(t, testKey, nil)
	tests := []struct {
		name, method, path, tenant string
		body                       []byte
		status                     int
		msg                        string
	}{
		{"no tenant", "GET", "/kv/a", "", nil, 400, "per tenant"},
		{"no tenant on the list", "GET", "/kv/", "", nil, 400, "per tenant"},
		{"bad character", "PUT", "/kv/a%20b", "acme", []byte("x"), 400, "character"},
		{"slash in key", "PUT", "/kv/a/b", "acme", []byte("x"), 400, "character"},
		{"dot dot", "GET", "/kv/..", "acme", nil, 400, "not keys"},
		{"key too long", "GET", "/kv/" + strings.Repeat("k", MaxKeyBytes+1), "acme", nil, 400, "byte limit"},
		{"value too large", "PUT", "/kv/big", "acme", make([]byte, MaxValueBytes+1), 413, "byte limit"},
		{"method on a key", "POST", "/kv/a", "acme", nil, 405, "GET, HEAD, PUT or DELETE"},
		{"method on the list", "DELETE", "/kv/", "acme", nil, 405, "lists keys"},
		{"bad limit", "GET", "/kv/?limit=0", "acme", nil, 400, "limit"},
		{"huge limit", "GET", "/kv/?limit=999999", "acme", nil, 400, "limit"},
		{"missing key", "GET", "/kv/nothing", "acme", nil, 404, "no key"},
		{"missing key delete", "DELETE", "/kv/nothing", "acme", nil, 404, "no key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := send(t, srv.URL, tt.method, tt.path, tt.tenant, tt.body, s, nil)
			if r.status != tt.status || !bytes.Contains(r.body, []byte(tt.msg)) {
				t.Errorf("%s %s: %d %s, want %d with %q", tt.method, tt.path, r.status, r.body, tt.status, tt.msg)
			}
		})
	}
}

func TestKVListPrefixAndLimit(t *testing.T) {
	t.Parallel()
	_, srv := testCell(t, Config{})
	s := signer(t, testKey, nil)
	for i := range 5 {
		send(t, srv.URL, "PUT", fmt.Sprintf("/kv/user:%d", i), "acme", []byte("v"), s, nil)
	}
	send(t, srv.URL, "PUT", "/kv/order:1", "acme", []byte("v"), s, nil)
	var l listBody
	send(t, srv.URL, "GET", "/kv/?prefix=user:&limit=3", "acme", nil, s, nil).json(t, &l)
	if !slices.Equal(l.Keys, []string{"user:0", "user:1", "user:2"}) || !l.Truncated {
		t.Errorf("prefix+limit list: %+v", l)
	}
	send(t, srv.URL, "GET", "/kv/?prefix=order", "acme", nil, s, nil).json(t, &l)
	if !slices.Equal(l.Keys, []string{"order:1"}) || l.Truncated {
		t.Errorf("prefix list: %+v", l)
	}
}

func TestKVLimits(t *testing.T) {
	t.Parallel()
	c, srv := testCell(t, Config{})
	s := signer(t, testKey, nil)
	for i := range MaxKeysPerTenant {
		if _, err := c.store.put("acme", fmt.Sprintf("k%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	r := send(t, srv.URL, "PUT", "/kv/one-more", "acme", []byte("x"), s, nil)
	if r.status != http.StatusInsufficientStorage || !bytes.Contains(r.body, []byte("delete keys")) {
		t.Errorf("PUT beyond the key limit: %d %s", r.status, r.body)
	}
	// Overwriting an existing key is still allowed, and other tenants are
	// not affected.
	if r := send(t, srv.URL, "PUT", "/kv/k1", "acme", []byte("x"), s, nil); r.status != 200 {
		t.Errorf("overwrite at the limit: %d %s", r.status, r.body)
	}
	if r := send(t, srv.URL, "PUT", "/kv/k1", "globex", []byte("x"), s, nil); r.status != 201 {
		t.Errorf("other tenant at acme's limit: %d %s", r.status, r.body)
	}
}

func TestKVStoreFailureTurnsUnhealthy(t *testing.T) {
	t.Parallel()
	c, srv := testCell(t, Config{DataDir: t.TempDir()})
	s := signer(t, testKey, nil)
	if r := send(t, srv.URL, "PUT", "/kv/a", "acme", []byte("1"), s, nil); r.status != 201 {
		t.Fatalf("PUT: %d", r.status)
	}
	// Pull the file out from under the store: the next append fails.
	c.store.mu.Lock()
	c.store.file.Close()
	c.store.mu.Unlock()
	if r := send(t, srv.URL, "PUT", "/kv/b", "acme", []byte("2"), s, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("PUT on a failed store: %d %s", r.status, r.body)
	}
	r := send(t, srv.URL, "GET", "/healthz", "", nil, nil, nil)
	var h healthBody
	r.json(t, &h)
	if r.status != http.StatusServiceUnavailable || h.Store.OK || !strings.Contains(h.Store.Error, "restart") {
		t.Errorf("healthz on a failed store: %d %+v", r.status, h)
	}
	// Reads of acknowledged data still work.
	if r := send(t, srv.URL, "GET", "/kv/a", "acme", nil, s, nil); r.status != 200 || string(r.body) != "1" {
		t.Errorf("GET on a failed store: %d %q", r.status, r.body)
	}
}
