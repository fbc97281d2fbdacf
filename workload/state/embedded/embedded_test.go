package embedded

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	b := New()
	t.Cleanup(func() { b.Close() })
	statetest.Run(t, statetest.Harness{
		Open: func(*testing.T) state.Backend { return shared{b} },
	})
}

// TestConformanceDurable runs the suite over a data directory, then
// reopens the directory and checks that everything the suite wrote (every
// tenant's meta record, items and tombstones) was replayed.
func TestConformanceDurable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run after the suite's parallel subtests have finished.
	t.Cleanup(func() {
		want := dump(b)
		checkLive(t, "after the suite", b)
		if err := b.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		again, err := Open(dir, quiet)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer again.Close()
		if len(want) < 10 {
			t.Fatalf("the suite left %d tenants: nothing to compare", len(want))
		}
		sameContent(t, "after the suite and a reopen", dump(again), want)
		checkLive(t, "after the suite and a reopen", again)
	})
	statetest.Run(t, statetest.Harness{
		Open: func(*testing.T) state.Backend { return shared{b} },
	})
}
