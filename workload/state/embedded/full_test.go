package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// TestMemoryBound: a write that would take the values held past the bound
// fails with state.ErrFull when it is ordered, so the tenant's next writes
// do not trip over it, and is not logged; shrinking and deleting make room
// again; a reopen counts the same bytes.
func TestMemoryBound(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			b, dir := openMode(t, mode == "disk")
			b.mem.limit = 1 << 20
			st := state.New(shared{b})
			val := bytes.Repeat([]byte("v"), 100<<10)
			// The pending copy and the item each hold the value while a
			// write is in flight: nine 100 KiB values fit a MiB, the tenth
			// does not.
			var err10 error
			for i := range 10 {
				_, _, err10 = st.Put(ctx(t), "acme", fmt.Sprintf("k%d", i), val, state.Cond{})
				if i < 9 && err10 != nil {
					t.Fatalf("put %d: %v", i, err10)
				}
			}
			if !errors.Is(err10, state.ErrFull) {
				t.Fatalf("put past the bound: %v, want ErrFull", err10)
			}
			// The refused write was never ordered: nothing is left pending
			// for the tenant's next write to trip over.
			if m, _, _, err := b.GetMeta(ctx(t), "acme"); err != nil || m.Pending != nil || m.Seq != 9 {
				pending := "nothing"
				if m.Pending != nil {
					pending = fmt.Sprintf("key %s at %d", m.Pending.Key, m.Pending.Seq)
				}
				t.Fatalf("meta after the refused write: seq %d, %s pending (%v); want seq 9 and nothing pending", m.Seq, pending, err)
			}
			if p, err := st.Position(ctx(t), "acme"); err != nil || p != 9 {
				t.Errorf("position after the refused write: %d %v", p, err)
			}
			before := b.Stats()
			// An item written on its own (as Import does) is bounded too.
			if _, err := b.PutItem(ctx(t), "acme", state.Record{Key: "big", Value: bytes.Repeat(val, 2), Seq: 99}, state.NoVersion); !errors.Is(err, state.ErrFull) {
				t.Errorf("item past the bound: %v, want ErrFull", err)
			}
			if after := b.Stats(); after != before {
				t.Errorf("a refused write changed the store: %+v, then %+v", before, after)
			}
			// Overwriting with a smaller value, and deleting, make room.
			if _, _, err := st.Put(ctx(t), "acme", "k0", []byte("small"), state.Cond{}); err != nil {
				t.Fatalf("shrinking a value at the bound: %v", err)
			}
			if err := st.Delete(ctx(t), "acme", "k1", state.Cond{}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.Put(ctx(t), "acme", "k9", val, state.Cond{}); err != nil {
				t.Fatalf("put after making room: %v", err)
			}
			if mode == "disk" {
				held := b.Stats().Bytes
				if err := b.Close(); err != nil {
					t.Fatal(err)
				}
				if got := mustOpen(t, dir).Stats().Bytes; got != held {
					t.Errorf("after a reopen the store counts %d bytes, before %d", got, held)
				}
			}
		})
	}
}
