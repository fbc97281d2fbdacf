package directory

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

// countingKV counts the operations made on the KV it wraps. It hides
// Memory's ListValues, as a Workers KV binding has none.
type countingKV struct {
	KV
	ops *atomic.Int64
}

func (k countingKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	k.ops.Add(1)
	return k.KV.Get(ctx, key)
}

func (k countingKV) Put(ctx context.Context, key string, v []byte, ttl int) error {
	k.ops.Add(1)
	return k.KV.Put(ctx, key, v, ttl)
}

func (k countingKV) Delete(ctx context.Context, key string) error {
	k.ops.Add(1)
	return k.KV.Delete(ctx, key)
}

func (k countingKV) List(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	k.ops.Add(1)
	return k.KV.List(ctx, prefix, cursor, limit)
}

// A batch costs at most BatchKVOps store operations, whatever its
// entries do: new tenants (the dearest), tenants moved between cells,
// tenants removed before and added again, entries already so.
func TestBatchKVOps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cells := []string{"aws-use1", "azure-weu", "gcp-euw1", "gcp-usc1"}
	entries := func(n int, prefix string, shift int) []router.Tenant {
		out := make([]router.Tenant, n)
		for i := range out {
			out[i] = router.Tenant{ID: fmt.Sprintf("%s%d", prefix, i), Cell: cells[(i+shift)%len(cells)]}
		}
		return out
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		batch []router.Tenant
		exact bool // the batch costs exactly EntryWriteKVOps per entry and CounterKVOps per cell it uses
	}{
		{name: "new tenants", batch: entries(250, "n", 0), exact: true},
		{name: "one new tenant", batch: entries(1, "n", 0), exact: true},
		{name: "moved tenants", setup: func(t *testing.T, f *fixture) {
			if _, err := f.dir.Batch(ctx, entries(100, "m", 0), ModeUpsert); err != nil {
				t.Fatal(err)
			}
		}, batch: entries(100, "m", 1)},
		{name: "removed and added again", setup: func(t *testing.T, f *fixture) {
			if _, err := f.dir.Batch(ctx, entries(20, "r", 0), ModeUpsert); err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				if _, err := f.dir.Remove(ctx, fmt.Sprintf("r%d", i), 0); err != nil {
					t.Fatal(err)
				}
			}
		}, batch: entries(20, "r", 2)},
		{name: "already so", setup: func(t *testing.T, f *fixture) {
			if _, err := f.dir.Batch(ctx, entries(30, "s", 0), ModeUpsert); err != nil {
				t.Fatal(err)
			}
		}, batch: entries(30, "s", 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ops atomic.Int64
			f := newFixture(t, 0, func(kv KV) KV { return countingKV{KV: kv, ops: &ops} })
			if tt.setup != nil {
				tt.setup(t, f)
			}
			ops.Store(0)
			results, err := f.dir.Batch(ctx, tt.batch, ModeUpsert)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if !r.OK() {
					t.Fatalf("entry %s refused: %s", r.ID, r.Error)
				}
			}
			bound := BatchKVOps(len(tt.batch), len(f.snap.Cells()))
			got := int(ops.Load())
			if got > bound {
				t.Fatalf("a batch of %d cost %d store operations; BatchKVOps says at most %d", len(tt.batch), got, bound)
			}
			if want := len(tt.batch)*EntryWriteKVOps + min(len(tt.batch), len(cells))*CounterKVOps; tt.exact && got != want {
				t.Fatalf("a batch of %d new tenants cost %d store operations, want %d", len(tt.batch), got, want)
			}
		})
	}
}

func TestMaxBatchWithin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ops, cells int
		want       int
	}{
		{name: "Workers KV, 4 cells, 2 reserved", ops: 998, cells: 4, want: 247},
		{name: "no cells", ops: 1000, cells: 0, want: 250},
		{name: "roomy", ops: 1 << 20, cells: 4, want: MaxBatch},
		{name: "too many cells", ops: 1000, cells: 600, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := MaxBatchWithin(tt.ops, tt.cells)
			if got != tt.want {
				t.Fatalf("MaxBatchWithin(%d, %d) = %d, want %d", tt.ops, tt.cells, got, tt.want)
			}
			if got > 1 && BatchKVOps(got, tt.cells) > tt.ops {
				t.Fatalf("a batch of %d costs %d, over %d", got, BatchKVOps(got, tt.cells), tt.ops)
			}
		})
	}
}
