package refcell

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
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

// TestKVConditionalWrites: ETags on reads and writes, If-Match and
// If-None-Match, 412 when they do not hold.
func TestKVConditionalWrites(t *testing.T) {
	t.Parallel()
	_, srv := testCell(t, Config{})
	s := signer(t, testKey, nil)
	hdr := func(k, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(k, v) } }
	r := send(t, srv.URL, "PUT", "/kv/doc", "acme", []byte("v1"), s, hdr("If-None-Match", "*"))
	tag1 := r.header.Get("ETag")
	if r.status != 201 || tag1 == "" {
		t.Fatalf("create with If-None-Match: %d %q %s", r.status, tag1, r.body)
	}
	if r := send(t, srv.URL, "PUT", "/kv/doc", "acme", []byte("x"), s, hdr("If-None-Match", "*")); r.status != http.StatusPreconditionFailed {
		t.Errorf("If-None-Match on an existing key: %d %s", r.status, r.body)
	}
	r = send(t, srv.URL, "PUT", "/kv/doc", "acme", []byte("v2"), s, hdr("If-Match", tag1))
	tag2 := r.header.Get("ETag")
	if r.status != 200 || tag2 == "" || tag2 == tag1 {
		t.Fatalf("If-Match current: %d %q", r.status, tag2)
	}
	if r := send(t, srv.URL, "PUT", "/kv/doc", "acme", []byte("lost"), s, hdr("If-Match", tag1)); r.status != http.StatusPreconditionFailed || !bytes.Contains(r.body, []byte("ETag")) {
		t.Errorf("If-Match stale: %d %s", r.status, r.body)
	}
	if r := send(t, srv.URL, "GET", "/kv/doc", "acme", nil, s, nil); string(r.body) != "v2" || r.header.Get("ETag") != tag2 {
		t.Errorf("GET after a lost race: %q %q", r.body, r.header.Get("ETag"))
	}
	if r := send(t, srv.URL, "DELETE", "/kv/doc", "acme", nil, s, hdr("If-Match", tag1)); r.status != http.StatusPreconditionFailed {
		t.Errorf("DELETE If-Match stale: %d", r.status)
	}
	if r := send(t, srv.URL, "DELETE", "/kv/doc", "acme", nil, s, hdr("If-Match", tag2)); r.status != http.StatusNoContent {
		t.Errorf("DELETE If-Match current: %d %s", r.status, r.body)
	}
}

// TestKVPagination: ?after= follows "next" through every key once.
func TestKVPagination(t *testing.T) {
	t.Parallel()
	_, srv := testCell(t, Config{})
	s := signer(t, testKey, nil)
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("k%02d", i)
		want = append(want, k)
		send(t, srv.URL, "PUT", "/kv/"+k, "acme", []byte("v"), s, nil)
	}
	var got []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		var l listBody
		send(t, srv.URL, "GET", "/kv/?limit=7&after="+after, "acme", nil, s, nil).json(t, &l)
		got = append(got, l.Keys...)
		if !l.Truncated {
			break
		}
		after = l.Next
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged list %v, want %v", got, want)
	}
}

// failingStore is a state port whose backing store cannot be reached until
// it is told otherwise.
type failingStore struct {
	state.Store
	down atomic.Bool
}

func (f *failingStore) Put(ctx context.Context, tenant, key string, v []byte, c state.Cond) (state.Item, bool, error) {
	if f.down.Load() {
		return state.Item{}, false, fmt.Errorf("writing: %w: connection refused", state.ErrUnavailable)
	}
	return f.Store.Put(ctx, tenant, key, v, c)
}

func (f *failingStore) Ping(ctx context.Context) error {
	if f.down.Load() {
		return fmt.Errorf("%w: connection refused", state.ErrUnavailable)
	}
	return f.Store.Ping(ctx)
}

// TestKVStoreUnavailable: a store that cannot be reached answers 503 with
// Retry-After, /healthz reports it, and the cell recovers without a
// restart once it answers again.
func TestKVStoreUnavailable(t *testing.T) {
	t.Parallel()
	fs := &failingStore{Store: state.New(embedded.New())}
	_, srv := testCell(t, Config{Store: fs, StoreKind: "embedded"})
	s := signer(t, testKey, nil)
	fs.down.Store(true)
	r := send(t, srv.URL, "PUT", "/kv/b", "acme", []byte("2"), s, nil)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || !bytes.Contains(r.body, []byte("not acknowledged")) {
		t.Errorf("PUT on an unavailable store: %d %v %s", r.status, r.header, r.body)
	}
	r = send(t, srv.URL, "GET", "/healthz", "", nil, nil, nil)
	var h healthBody
	r.json(t, &h)
	if r.status != http.StatusServiceUnavailable || h.Store.OK || !strings.Contains(h.Store.Error, "connection refused") {
		t.Errorf("healthz on an unavailable store: %d %+v", r.status, h)
	}
	fs.down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r := send(t, srv.URL, "GET", "/healthz", "", nil, nil, nil); r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("healthz did not recover")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := send(t, srv.URL, "PUT", "/kv/b", "acme", []byte("2"), s, nil); r.status != 201 {
		t.Errorf("PUT after recovery: %d %s", r.status, r.body)
	}
}
