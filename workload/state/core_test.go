package state_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// countingBackend counts the core's reads of meta records.
type countingBackend struct {
	state.Backend
	metaReads atomic.Int64
}

func (b *countingBackend) GetMeta(ctx context.Context, tenant string) (state.Meta, state.Version, bool, error) {
	b.metaReads.Add(1)
	return b.Backend.GetMeta(ctx, tenant)
}

// TestCompletingAPendingWriteReadsTheMetaRecordOnce: a reader that finds a
// write pending (its writer crashed after ordering it) stores it and clears
// it from the meta record; the clear's own version is the record's, so the
// core does not read the record back, and the write that follows orders
// itself on that version.
func TestCompletingAPendingWriteReadsTheMetaRecordOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		op   func(st state.Store) (uint64, error)
		want uint64 // the position after the op
	}{
		{"Position", func(st state.Store) (uint64, error) { return st.Position(ctx, "acme") }, 2},
		{"Put", func(st state.Store) (uint64, error) {
			it, _, err := st.Put(ctx, "acme", "other", []byte("x"), state.Cond{})
			return it.Seq, err
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := &countingBackend{Backend: embedded.New()}
			st := state.New(b)
			t.Cleanup(func() { _ = st.Close() })
			if _, _, err := st.Put(ctx, "acme", "k", []byte("first"), state.Cond{}); err != nil {
				t.Fatal(err)
			}
			_, mv, _, err := b.GetMeta(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			// Order a write and crash before storing it.
			p := state.Record{Key: "k", Value: []byte("ordered"), Seq: 2}
			if _, err := b.PutMeta(ctx, "acme", state.Meta{Seq: 2, Pending: &p}, mv); err != nil {
				t.Fatal(err)
			}
			b.metaReads.Store(0)
			got, err := tc.op(st)
			if err != nil || got != tc.want {
				t.Fatalf("%s after a crashed write: %d (%v), want %d", tc.name, got, err, tc.want)
			}
			if n := b.metaReads.Load(); n != 1 {
				t.Errorf("%s read the meta record %d times, want once", tc.name, n)
			}
			if it, err := st.Get(ctx, "acme", "k"); err != nil || string(it.Value) != "ordered" || it.Seq != 2 {
				t.Errorf("the crashed write was not completed: %q at %d (%v)", it.Value, it.Seq, err)
			}
			if m, _, _, err := b.GetMeta(ctx, "acme"); err != nil || m.Pending != nil || m.Seq != tc.want {
				t.Errorf("meta record after %s: %+v (%v), want seq %d and nothing pending", tc.name, m, err, tc.want)
			}
		})
	}
}
