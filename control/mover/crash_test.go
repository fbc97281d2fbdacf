package mover

import (
	"context"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// TestMoveCrashAtEachStep: the mover dies once each step is journaled
// (no undo, locks kept); the tenant is then unfenced on its source
// (before fence) or fenced (from fence on), never writable on two cells;
// a new mover resumes the move by its id and it completes with no
// acknowledged write lost and none accepted by the old cell after the
// switch.
func TestMoveCrashAtEachStep(t *testing.T) {
	for _, step := range Steps {
		t.Run(string(step), func(t *testing.T) {
			k := newKit(t)
			k.seed(50)
			l := k.startLoad(32)
			defer l.finish()
			waitFor(t, "writes before the move", func() bool { return l.acked.Load() >= 100 })
			m := k.mover(nil)
			m.crashAt = func(s Step) bool { return s == step }
			_, err := m.Move(context.Background(), k.options())
			pe, ok := errorsAs[*PendingError](err)
			if !ok || pe.Step != step {
				t.Fatalf("crashed move: %v, want a pending move at %s", err, step)
			}
			src, _ := k.cells["cell-a"].Store.Meta(context.Background(), tenantID)
			tgt, _ := k.cells["cell-b"].Store.Meta(context.Background(), tenantID)
			entry, _ := k.dir.Get(context.Background(), tenantID)
			if src.Lock == nil || src.Lock.ID != pe.MoveID {
				t.Errorf("source lock %+v: want move %s's, journaled", src.Lock, pe.MoveID)
			}
			writableA := !src.Moved && !src.FenceAll && entry.Cell == "cell-a"
			writableB := !tgt.Moved && !tgt.FenceAll && entry.Cell == "cell-b" && entry.EffectiveState() == fabric.TenantActive
			if writableA && writableB {
				t.Errorf("the tenant is writable on both cells: source %+v, target %+v, entry %+v", src.FenceState, tgt.FenceState, entry)
			}
			if step.Before(StepFence) && !writableA {
				t.Errorf("crashed at %s, before the fence: the source should take writes (%+v, entry %+v)", step, src.FenceState, entry)
			}
			n := l.acked.Load()
			if step.Before(StepFence) {
				waitFor(t, "writes while the mover is down", func() bool { return l.acked.Load() >= n+50 })
			}
			o := k.options()
			o.MoveID = pe.MoveID
			res, err := k.mover(nil).Move(context.Background(), o)
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			if res.Resumed != step {
				t.Errorf("resumed from %q, want %s", res.Resumed, step)
			}
			waitFor(t, "writes acknowledged by the target", func() bool { return l.cellAcks("cell-b") >= 100 })
			l.finish()
			pos := res.Position
			if pos == 0 { // resumed after the switch: the source's final position
				m, _ := k.cells["cell-a"].Store.Meta(context.Background(), tenantID)
				pos = m.Position
			}
			l.checkZeroLoss(t, "cell-b", "cell-a", pos)
			if e, _ := k.dir.Get(context.Background(), tenantID); e.Cell != "cell-b" || e.EffectiveState() != fabric.TenantActive {
				t.Errorf("directory %+v: want cell-b, active", e)
			}
		})
	}
}

// TestMoveTakesOverExpiredLock: a mover that died leaves its lock to
// expire; a new mover without the id takes the expired lock over and
// resumes from its journal.
func TestMoveTakesOverExpiredLock(t *testing.T) {
	k := newKit(t)
	k.seed(50)
	m := k.mover(nil)
	m.crashAt = func(s Step) bool { return s == StepDrain }
	o := k.options()
	o.LockTTL = 300 * time.Millisecond
	_, err := m.Move(context.Background(), o)
	pe, ok := errorsAs[*PendingError](err)
	if !ok {
		t.Fatalf("crashed move: %v", err)
	}
	time.Sleep(400 * time.Millisecond) // the lock's lifetime, not an assertion
	res, err := k.mover(nil).Move(context.Background(), k.options())
	if err != nil {
		t.Fatalf("second mover: %v", err)
	}
	if res.MoveID != pe.MoveID || res.Resumed != StepDrain {
		t.Errorf("second mover ran move %s from %q, want %s resumed from drain", res.MoveID, res.Resumed, pe.MoveID)
	}
}

// slowLocks is a cell on a slow network: a renewal reaches the store d
// after the call, a release answers d after it took effect; so the
// background renewal is often in flight while the move releases its
// locks. A delayed renewal gets its expiry stamped when it is sent (ttl
// from then), so the test's delays never make a renewal's expiry look
// past to the store.
type slowLocks struct {
	CellState
	d, ttl time.Duration
}

func (c slowLocks) Renew(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error) {
	time.Sleep(c.d)
	l.Expires = time.Now().Add(c.ttl)
	return c.CellState.Renew(ctx, tenant, l)
}

func (c slowLocks) Unlock(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error) {
	defer time.Sleep(c.d)
	return c.CellState.Unlock(ctx, tenant, l)
}

// TestMoveRenewalMeetsRelease: the background renewal of the move locks
// runs alongside every step, including the release of the locks at the
// end; a renewal in flight must never take the move's own release for a
// lost lock (the move would stop at its last step, the tenant fenced).
// The renewals are slow and frequent so one is in flight at the release.
func TestMoveRenewalMeetsRelease(t *testing.T) {
	for i := range 3 {
		k := newKit(t)
		k.seed(20)
		o := k.options()
		o.LockTTL = 300 * time.Millisecond // a renewal every 100 ms, each taking 2 × 60 ms: back to back
		m := k.moverOver(nil, func(_ string, c CellState) CellState { return slowLocks{c, 60 * time.Millisecond, o.LockTTL} })
		if _, err := m.Move(context.Background(), o); err != nil {
			t.Fatalf("move %d: %v", i, err)
		}
		if e, _ := k.dir.Get(context.Background(), tenantID); e.Cell != "cell-b" || e.EffectiveState() != fabric.TenantActive {
			t.Fatalf("move %d: directory %+v, want cell-b, active", i, e)
		}
	}
}
