package evacuate

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/internal/movekit"
)

var _ Guard = (*dirhttp.Client)(nil)

// guarded is newEvacuator with the directory's guard, as owner.
func guarded(t *testing.T, k *movekit.Kit, owner string) *Evacuator {
	t.Helper()
	m, err := mover.New(mover.Config{Directory: k.Dir, Registry: k.Registry, Health: k.Health,
		Cells: func(id string) (mover.CellState, error) { return k.CellAPI(id) }})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Directory: k.Dir, Mover: m, Registry: k.Registry, Health: k.Health, Guard: k.Dir, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestWaitUnhealthy: healthy checks never end the wait; once the cell's
// health server answers 503, the wait ends after the cell has been
// unhealthy for the threshold, and reports when it turned.
func TestWaitUnhealthy(t *testing.T) {
	t.Parallel()
	k := startKit(t)
	e := newEvacuator(t, k)
	var healthy, unhealthy atomic.Int64
	type result struct {
		since time.Time
		err   error
	}
	done := make(chan result, 1)
	const threshold = 30 * time.Millisecond
	go func() {
		since, err := e.WaitUnhealthy(context.Background(), "cell-a", threshold, time.Millisecond, func(err error, _ time.Duration) {
			if err == nil {
				healthy.Add(1)
			} else {
				unhealthy.Add(1)
			}
		})
		done <- result{since, err}
	}()
	for healthy.Load() < 10 {
		select {
		case r := <-done:
			t.Fatalf("the wait ended while the cell was healthy: %+v", r)
		case <-time.After(time.Millisecond):
		}
	}
	select {
	case r := <-done:
		t.Fatalf("the wait ended while the cell was healthy: %+v", r)
	default:
	}
	turned := time.Now()
	k.Cells["cell-a"].SetHealthy(false)
	r := <-done
	if r.err != nil || r.since.Before(turned) || time.Since(r.since) < threshold || unhealthy.Load() < 2 {
		t.Fatalf("wait: %+v (turned unhealthy at %s, %d unhealthy checks)", r, turned, unhealthy.Load())
	}

	// A cancelled wait returns the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.WaitUnhealthy(ctx, "cell-b", threshold, time.Millisecond, nil); err == nil {
		t.Error("a cancelled wait returned no error")
	}
}

// TestEvacuationGuard: while another owner holds the guard, an evacuation
// is refused before it drains or moves anything; once released, it runs,
// and releases the guard at its end.
func TestEvacuationGuard(t *testing.T) {
	t.Parallel()
	k := startKit(t)
	seed(t, k)
	ctx := context.Background()
	if _, err := k.Dir.TakeEvacuationGuard(ctx, "other automation", "cell-b", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := guarded(t, k, "trigger on host-1").Run(ctx, Options{Source: "cell-a", Move: moveOptions})
	if err == nil || dirhttp.Reason(err) != directory.ReasonEvacuating || !strings.Contains(err.Error(), `"other automation"`) {
		t.Fatalf("Run while another holds the guard = %v, want it refused naming the holder", err)
	}
	if flags, _ := k.Directory.CellFlags(ctx); len(flags) != 0 || placements(t, k)["t00"] != "cell-a" {
		t.Fatalf("a refused evacuation changed something: flags %v", flags)
	}
	if err := k.Dir.ReleaseEvacuationGuard(ctx, "other automation"); err != nil {
		t.Fatal(err)
	}
	sum, err := guarded(t, k, "trigger on host-1").Run(ctx, Options{Source: "cell-a", Move: moveOptions})
	if err != nil || len(sum.Moved) != 20 {
		t.Fatalf("Run: %d moved, %v", len(sum.Moved), err)
	}
	if _, err := k.Dir.TakeEvacuationGuard(ctx, "next", "cell-b", time.Minute); err != nil {
		t.Errorf("the guard was not released at the end: %v", err)
	}
}

// TestStopWhenTargetsDegrade: a target turning unhealthy mid-evacuation
// stops it from starting further moves; every tenant is either on cell-a,
// serving as before, or moved with all its data.
func TestStopWhenTargetsDegrade(t *testing.T) {
	t.Parallel()
	k := startKit(t)
	seed(t, k)
	var turned atomic.Bool
	sum, err := newEvacuator(t, k).Run(context.Background(), Options{Source: "cell-a", Parallel: 1, Move: moveOptions, StopWhenTargetsDegrade: true,
		OnProgress: func(p Progress) {
			if p.Moved >= 3 && !turned.Swap(true) {
				k.Cells["cell-c"].SetHealthy(false)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.Stopped, "target cell cell-c degraded") || sum.NotStarted == 0 || len(sum.Moved) < 3 || len(sum.Moved) >= 20 || len(sum.Failed) != 0 {
		t.Fatalf("summary: stopped %q, %d moved, %d not started, failed %+v", sum.Stopped, len(sum.Moved), sum.NotStarted, sum.Failed)
	}
	ctx := context.Background()
	left := 0
	for id, cell := range placements(t, k) {
		if cell != "cell-a" {
			if err := k.CheckMoved(ctx, id, "cell-a", cell, seedKeys); err != nil {
				t.Error(err)
			}
			continue
		}
		left++
		it, err := k.Cells["cell-a"].Store.Get(ctx, id, movekit.Key(1))
		if err != nil || string(it.Value) != movekit.Value(id, 1) {
			t.Errorf("tenant %s left on cell-a: %v %q", id, err, it.Value)
		}
	}
	if left != sum.NotStarted {
		t.Errorf("%d tenants left on cell-a, %d not started", left, sum.NotStarted)
	}
}
