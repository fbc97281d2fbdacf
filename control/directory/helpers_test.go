package directory

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testRegistry has cells in two geographies, one draining, one down and
// one without weight.
func testRegistry() *router.Registry {
	cell := func(id, cloud, region, geo string, weight int, state fabric.CellState) router.Cell {
		return router.Cell{ID: id, Cloud: fabric.Cloud(cloud), Region: region, Endpoint: "https://" + id + ".example.com", Weight: weight, State: state, Geo: geo}
	}
	return &router.Registry{
		Version: router.SchemaVersion,
		Epoch:   1,
		Cells: []router.Cell{
			cell("aws-use1", "aws", "us-east-1", "us", 100, fabric.CellActive),
			cell("azure-weu", "azure", "westeurope", "eu", 100, fabric.CellActive),
			cell("gcp-euw1", "gcp", "europe-west1", "eu", 100, fabric.CellActive),
			cell("gcp-usc1", "gcp", "us-central1", "us", 50, fabric.CellActive),
			cell("aws-euc1", "aws", "eu-central-1", "eu", 100, fabric.CellDraining),
			cell("azure-eus", "azure", "eastus", "us", 100, fabric.CellDown),
			cell("gcp-use4", "gcp", "us-east4", "us", 0, fabric.CellActive),
		},
		Tenants:        []router.Tenant{{ID: "seeded", Cell: "aws-use1"}},
		UnknownTenants: fabric.PolicyPlace,
	}
}

func testSnapshot(t testing.TB) *router.Snapshot {
	t.Helper()
	s, err := router.Compile(testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type fixture struct {
	dir   *Directory
	mem   *Memory
	clock *clock
	snap  *router.Snapshot
}

// newFixture is a Directory over a Memory with a test clock. kv, when
// given, wraps the Memory.
func newFixture(t testing.TB, settle time.Duration, wrap func(KV) KV) *fixture {
	t.Helper()
	f := &fixture{clock: newClock(), snap: testSnapshot(t)}
	f.mem = NewMemory(f.clock.Now)
	var kv KV = f.mem
	if wrap != nil {
		kv = wrap(kv)
	}
	d, err := New(Config{KV: kv, Registry: func() *router.Snapshot { return f.snap }, Now: f.clock.Now, Settle: settle})
	if err != nil {
		t.Fatal(err)
	}
	f.dir = d
	return f
}

func (f *fixture) put(t testing.TB, tn router.Tenant) router.Tenant {
	t.Helper()
	stored, _, err := f.dir.Put(context.Background(), tn, PutOptions{})
	if err != nil {
		t.Fatalf("Put(%s): %v", tn.ID, err)
	}
	return stored
}

// journal returns the journal records in the store, in key order.
func (f *fixture) journal(t testing.TB) []string {
	t.Helper()
	keys, _, err := f.mem.List(context.Background(), JournalPrefix, "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// wantError asserts err is an *Error with status and reason whose message
// contains every fragment.
func wantError(t testing.TB, err error, status int, reason string, fragments ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *Error %d %s", err, err, status, reason)
	}
	if e.Status != status || e.Reason != reason {
		t.Fatalf("error %d %s %q, want %d %s", e.Status, e.Reason, e.Msg, status, reason)
	}
	for _, fr := range fragments {
		if !strings.Contains(e.Msg, fr) {
			t.Errorf("message %q does not contain %q", e.Msg, fr)
		}
	}
}

// faultyKV fails the operations fail says to fail.
type faultyKV struct {
	KV
	fail func(op, key string) error
}

func (k faultyKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := k.fail("get", key); err != nil {
		return nil, false, err
	}
	return k.KV.Get(ctx, key)
}

func (k faultyKV) Put(ctx context.Context, key string, v []byte, ttl int) error {
	if err := k.fail("put", key); err != nil {
		return err
	}
	return k.KV.Put(ctx, key, v, ttl)
}

func (k faultyKV) Delete(ctx context.Context, key string) error {
	if err := k.fail("delete", key); err != nil {
		return err
	}
	return k.KV.Delete(ctx, key)
}

func (k faultyKV) List(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	if err := k.fail("list", prefix); err != nil {
		return nil, "", err
	}
	return k.KV.List(ctx, prefix, cursor, limit)
}
