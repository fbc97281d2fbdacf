package statetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// suite carries one Run's harness and the run id that keeps its tenants
// apart from other runs on a shared store.
type suite struct {
	h   Harness
	run string
}

// uniqueRun returns 6 random hex digits.
func uniqueRun() string {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// tenant returns a tenant id unique to this run: name-<run>.
func (s *suite) tenant(name string) string { return name + "-" + s.run }

// open opens a store over a new backend, closed when the test ends.
func (s *suite) open(t *testing.T) state.Store {
	t.Helper()
	st := state.New(s.h.Open(t))
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// ctx returns a context bounded for one test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustPut(t *testing.T, st state.Store, tenant, key string, value []byte) state.Item {
	t.Helper()
	it, _, err := st.Put(ctx(t), tenant, key, value, state.Cond{})
	if err != nil {
		t.Fatalf("put %s/%s: %v", tenant, key, err)
	}
	return it
}

func mustGet(t *testing.T, st state.Store, tenant, key string) state.Item {
	t.Helper()
	it, err := st.Get(ctx(t), tenant, key)
	if err != nil {
		t.Fatalf("get %s/%s: %v", tenant, key, err)
	}
	return it
}

// firstDiff returns the first index at which a and b differ (the shorter
// one's length when one is the other's start).
func firstDiff[T comparable](a, b []T) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// listAll lists every key of the tenant, page by page.
func listAll(t *testing.T, st state.Store, tenant, prefix string, limit int) []string {
	t.Helper()
	var keys []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 100_000 {
			t.Fatal("listing does not end")
		}
		p, err := st.List(ctx(t), tenant, prefix, after, limit)
		if err != nil {
			t.Fatalf("list %s prefix %q after %q: %v", tenant, prefix, after, err)
		}
		keys = append(keys, p.Keys...)
		if p.Next == "" {
			return keys
		}
		if len(p.Keys) != limit {
			t.Fatalf("a page of %d keys (limit %d) has a next cursor", len(p.Keys), limit)
		}
		after = p.Next
	}
}

// state reads a tenant's whole state through the port: key → value.
func snapshot(t *testing.T, st state.Store, tenant string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range listAll(t, st, tenant, "", state.MaxListLimit) {
		it, err := st.Get(ctx(t), tenant, k)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("get %s/%s: %v", tenant, k, err)
		}
		out[k] = string(it.Value)
	}
	return out
}

// seed stores n keys key-00000... through Import (one batch at a time), so
// that large fixtures do not pay the write protocol per key.
func seed(t *testing.T, st state.Store, tenant string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	var batch []state.Record
	for i := range n {
		keys[i] = fmt.Sprintf("key-%05d", i)
		batch = append(batch, state.Record{Key: keys[i], Value: []byte("v" + keys[i]), Seq: uint64(i + 1)})
		if len(batch) == state.MaxImportBatch || i == n-1 {
			if err := st.Import(ctx(t), tenant, batch); err != nil {
				t.Fatalf("seeding %s: %v", tenant, err)
			}
			batch = nil
		}
	}
	return keys
}

// barrier holds the first n GetItem calls for one tenant and key until all
// n have arrived, so that n writers are known to have read the same version
// before any of them orders its write: the race the test wants, on any
// backend however fast.
type barrier struct {
	state.Backend
	tenant, key string
	arrive      chan struct{}
	open        chan struct{}
	n           int
}

func newBarrier(b state.Backend, tenant, key string, n int) *barrier {
	br := &barrier{Backend: b, tenant: tenant, key: key, arrive: make(chan struct{}, n), open: make(chan struct{}), n: n}
	go func() {
		for range n {
			<-br.arrive
		}
		close(br.open)
	}()
	return br
}

func (br *barrier) GetItem(ctx context.Context, tenant, key string) (state.Record, state.Version, bool, error) {
	r, v, ok, err := br.Backend.GetItem(ctx, tenant, key)
	if tenant == br.tenant && key == br.key {
		select {
		case br.arrive <- struct{}{}:
			select {
			case <-br.open:
			case <-time.After(10 * time.Second):
			}
		default: // the first n have passed: later reads go straight through
		}
	}
	return r, v, ok, err
}
