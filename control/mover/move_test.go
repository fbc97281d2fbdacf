package mover

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// TestMoveZeroLoss: 32 writers write the tenant through the router while
// it moves from cell-a (embedded, memory) to cell-b (embedded, disk):
// every acknowledged write is on cell-b with its value and seq, cell-a
// accepted nothing after the switch, the target answers reads through the
// router, and writes go on there.
func TestMoveZeroLoss(t *testing.T) {
	k := newKit(t)
	k.seed(300)
	l := k.startLoad(32)
	waitFor(t, "writes before the move", func() bool { return l.acked.Load() >= 200 })
	var steps []Step
	res, err := k.mover(func(e Event) {
		if e.Done {
			steps = append(steps, e.Step)
		}
	}).Move(context.Background(), k.options())
	if err != nil {
		l.finish()
		t.Fatal(err)
	}
	waitFor(t, "writes acknowledged by the target", func() bool { return l.cellAcks("cell-b") >= 200 })
	l.finish()
	for _, s := range res.Steps {
		t.Logf("%-7s %8s %s", s.Step, s.Duration.Round(time.Millisecond), s.Detail)
	}
	t.Logf("write-unavailable %s, lag at fence %d", res.WriteUnavailable, res.LagAtFence)

	if len(steps) != len(Steps) {
		t.Errorf("steps done %v, want %v", steps, Steps)
	}
	if !res.Verify.Match || res.Verify.RouterCell != "cell-b" || res.Verify.Keys < 300 {
		t.Errorf("verify %+v: want a match and a read answered by cell-b", res.Verify)
	}
	if res.Epoch != 3 || res.KeysCopied < 300 || res.Position == 0 {
		t.Errorf("result %+v: want epoch 3, at least 300 keys copied, a position", res)
	}
	l.checkZeroLoss(t, "cell-b", "cell-a", res.Position)
	entry, err := k.dir.Get(context.Background(), tenantID)
	if err != nil || entry.Cell != "cell-b" || entry.EffectiveState() != fabric.TenantActive || entry.Epoch != 3 {
		t.Errorf("directory entry %+v (%v): want cell-b, active, epoch 3", entry, err)
	}
	for _, c := range []string{"cell-a", "cell-b"} {
		m, err := k.cells[c].Store.Meta(context.Background(), tenantID)
		if err != nil || m.Lock != nil {
			t.Errorf("%s: meta %+v (%v): want the lock released", c, m, err)
		}
	}
	m, _ := k.cells["cell-a"].Store.Meta(context.Background(), tenantID)
	if !m.Moved || m.MovedTo != "cell-b" || m.Fence != 3 {
		t.Errorf("source meta %+v: want moved to cell-b at fence 3", m.FenceState)
	}
	if _, err := k.cells["cell-a"].Store.Get(context.Background(), tenantID, "seed-1"); !errors.Is(err, state.ErrMoved) {
		t.Errorf("a read on the old cell: %v, want ErrMoved", err)
	}
}

// TestMoveStaleRouter: a router that polls the directory once an hour
// still holds the tenant's old placement after the move; its write goes
// to the old cell, which refuses it (421), and the router's retry with
// the fresh placement lands on the new cell.
func TestMoveStaleRouter(t *testing.T) {
	k := newKit(t)
	k.seed(20)
	stale, rt := k.startRouterServer(time.Hour) // loads the directory once: the old placement
	if _, err := k.mover(nil).Move(context.Background(), k.options()); err != nil {
		t.Fatal(err)
	}
	before, _ := k.cells["cell-a"].Store.Position(context.Background(), tenantID)
	status, cell, seq, err := k.put(stale, "after-switch", "x")
	if err != nil || status != 201 || cell != "cell-b" {
		t.Fatalf("write through the stale router: %d from %q (%v), want 201 from cell-b", status, cell, err)
	}
	rec := httptest.NewRecorder()
	rt.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := `cellfabric_router_stale_placement_total{outcome="retried"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("the stale router's metrics lack %s: its write did not go through the old cell's 421", want)
	}
	after, _ := k.cells["cell-a"].Store.Position(context.Background(), tenantID)
	if after != before {
		t.Errorf("the old cell's position moved from %d to %d: it accepted a write after the switch", before, after)
	}
	it, err := k.cells["cell-b"].Store.Get(context.Background(), tenantID, "after-switch")
	if err != nil || string(it.Value) != "x" || it.Seq != seq {
		t.Errorf("on cell-b: %+v (%v), want x at seq %d", it, err, seq)
	}
}

// TestTwoMovers: while one move holds the tenant, a second stops at once
// with state.ErrLocked naming the holder, and changes nothing; the first
// finishes.
func TestTwoMovers(t *testing.T) {
	k := newKit(t)
	k.seed(50)
	inFollow, release := make(chan string), make(chan struct{})
	first := k.mover(func(e Event) {
		if e.Step == StepFollow && !e.Done {
			inFollow <- e.MoveID
			<-release
		}
	})
	done := make(chan error, 1)
	go func() { _, err := first.Move(context.Background(), k.options()); done <- err }()
	holder := <-inFollow
	before, _ := k.dir.Get(context.Background(), tenantID)
	_, err := k.mover(nil).Move(context.Background(), k.options())
	le, ok := errorsAs[*state.LockedError](err)
	if !errors.Is(err, state.ErrLocked) || !ok || le.Holder == nil || le.Holder.ID != holder {
		t.Errorf("second mover: %v, want ErrLocked naming %s", err, holder)
	}
	after, _ := k.dir.Get(context.Background(), tenantID)
	if after.Epoch != before.Epoch || after.Cell != "cell-a" {
		t.Errorf("the second mover changed the directory: %+v → %+v", before, after)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("first mover: %v", err)
	}
	if e, _ := k.dir.Get(context.Background(), tenantID); e.Cell != "cell-b" {
		t.Errorf("after the first move the tenant is on %s, want cell-b", e.Cell)
	}
}

// TestMoveTargetKilledMidCopy: the target dies as the copy starts; the
// move aborts, the tenant is back on its source, unfenced and unlocked,
// with every acknowledged write there.
func TestMoveTargetKilledMidCopy(t *testing.T) {
	k := newKit(t)
	k.seed(300)
	l := k.startLoad(32)
	waitFor(t, "writes before the move", func() bool { return l.acked.Load() >= 100 })
	before, _ := k.dir.Get(context.Background(), tenantID)
	_, err := k.mover(func(e Event) {
		if e.Step == StepCopy && !e.Done {
			k.cells["cell-b"].Kill()
		}
	}).Move(context.Background(), k.options())
	ae, ok := errorsAs[*AbortedError](err)
	if !ok || ae.Step != StepCopy || !strings.Contains(ae.Left, "cell-b") {
		l.finish()
		t.Fatalf("move: %v, want an abort at copy that says what cell-b keeps", err)
	}
	n := l.acked.Load()
	waitFor(t, "writes after the abort", func() bool { return l.acked.Load() >= n+100 })
	l.finish()
	after, _ := k.dir.Get(context.Background(), tenantID)
	if after.Cell != "cell-a" || after.EffectiveState() != fabric.TenantActive || after.Epoch != before.Epoch {
		t.Errorf("directory %+v, want unchanged %+v (the move never fenced)", after, before)
	}
	m, _ := k.cells["cell-a"].Store.Meta(context.Background(), tenantID)
	if m.FenceAll || m.Moved || m.Lock != nil {
		t.Errorf("source meta %+v: want unfenced and unlocked", m)
	}
	if l.cellAcks("cell-b") != 0 {
		t.Errorf("cell-b acknowledged %d writes", l.cellAcks("cell-b"))
	}
	l.checkZeroLoss(t, "cell-a", "", 0)
}

// TestMoveSourceKilledAfterFence: the source dies once fenced; the move
// stops with the tenant fenced and an error that says to resume it by id.
// Resumed once the source is back, it completes without losing a write.
func TestMoveSourceKilledAfterFence(t *testing.T) {
	k := newKit(t)
	k.seed(300)
	l := k.startLoad(32)
	waitFor(t, "writes before the move", func() bool { return l.acked.Load() >= 100 })
	_, err := k.mover(func(e Event) {
		if e.Step == StepDrain && !e.Done {
			k.cells["cell-a"].Kill()
		}
	}).Move(context.Background(), k.options())
	pe, ok := errorsAs[*PendingError](err)
	if !ok || pe.Step != StepDrain || !pe.Fenced || !pe.Abortable || !strings.Contains(err.Error(), pe.MoveID) || !strings.Contains(err.Error(), "resume") {
		l.finish()
		t.Fatalf("move: %v, want a pending move at drain, fenced, naming its id and saying to resume", err)
	}
	if e, _ := k.dir.Get(context.Background(), tenantID); e.State != fabric.TenantMigrating || e.Cell != "cell-a" {
		t.Errorf("directory %+v: want cell-a, migrating (fenced)", e)
	}
	if err := k.cells["cell-a"].Restart(); err != nil {
		t.Fatal(err)
	}
	o := k.options()
	o.MoveID = pe.MoveID
	res, err := k.mover(nil).Move(context.Background(), o)
	if err != nil {
		l.finish()
		t.Fatalf("resume: %v", err)
	}
	if res.Resumed != StepDrain {
		t.Errorf("resumed from %q, want drain", res.Resumed)
	}
	waitFor(t, "writes acknowledged by the target", func() bool { return l.cellAcks("cell-b") >= 100 })
	l.finish()
	l.checkZeroLoss(t, "cell-b", "cell-a", res.Position)
}

// TestMoveFollowDeadline: when the target does not catch up by the
// follow deadline the move is aborted before any fence (the tenant never
// stops taking writes); with FenceAtDeadline it fences anyway and
// completes without losing a write.
func TestMoveFollowDeadline(t *testing.T) {
	k := newKit(t)
	k.seed(50)
	l := k.startLoad(32)
	defer l.finish()
	waitFor(t, "writes before the move", func() bool { return l.acked.Load() >= 100 })
	o := k.options()
	o.LagThreshold, o.FollowDeadline = 1, 100*time.Millisecond
	// Two writes land between every two reads of the feed, so each read
	// brings more than the threshold and the target never catches up,
	// however slowly the writers run (under -race they can leave a read
	// nearly empty). (0 would mean the default threshold, 100 records.)
	busy := func(cell string, c CellState) CellState {
		if cell != "cell-a" {
			return c
		}
		return busyFeed{c, k.cells["cell-a"].Store}
	}
	_, err := k.moverOver(nil, busy).Move(context.Background(), o)
	ae, ok := errorsAs[*AbortedError](err)
	if !ok || ae.Step != StepFollow || !strings.Contains(err.Error(), "does not catch up") {
		t.Fatalf("move: %v, want an abort at follow saying the target does not catch up", err)
	}
	if e, _ := k.dir.Get(context.Background(), tenantID); e.Cell != "cell-a" || e.Epoch != 1 {
		t.Errorf("directory %+v: want unchanged (cell-a, epoch 1)", e)
	}
	o.FenceAtDeadline = true
	res, err := k.mover(nil).Move(context.Background(), o)
	if err != nil {
		t.Fatalf("move fencing at the deadline: %v", err)
	}
	waitFor(t, "writes acknowledged by the target", func() bool { return l.cellAcks("cell-b") >= 100 })
	l.finish()
	l.checkZeroLoss(t, "cell-b", "cell-a", res.Position)
}

// TestMoveCancelledAborts: a move whose context ends before its switch
// (Ctrl-C) is undone, not left fenced: the tenant is back on its source,
// taking writes.
func TestMoveCancelledAborts(t *testing.T) {
	k := newKit(t)
	k.seed(50)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := k.mover(func(e Event) {
		if e.Step == StepDrain && !e.Done {
			cancel()
		}
	}).Move(ctx, k.options())
	ae, ok := errorsAs[*AbortedError](err)
	if !ok || ae.Step != StepDrain || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled move: %v, want an abort at drain caused by the cancellation", err)
	}
	e, _ := k.dir.Get(context.Background(), tenantID)
	m, _ := k.cells["cell-a"].Store.Meta(context.Background(), tenantID)
	if e.Cell != "cell-a" || e.EffectiveState() != fabric.TenantActive || m.FenceAll || m.Lock != nil {
		t.Errorf("after the cancelled move: directory %+v, source meta %+v; want active on cell-a, unfenced, unlocked", e, m)
	}
	// The router reads the undone placement at its next directory poll;
	// until then it answers writes 503 (migrating).
	var status int
	var cell string
	waitFor(t, "a write through the router after the cancelled move", func() bool {
		var err error
		status, cell, _, err = k.put(k.router, "after-cancel", "z")
		return err == nil && status != http.StatusServiceUnavailable
	})
	if status != 201 || cell != "cell-a" {
		t.Errorf("write after the cancelled move: %d from %s", status, cell)
	}
}

// busyFeed is a source whose feed always has new records: each read of
// it first writes two keys straight into the store.
type busyFeed struct {
	CellState
	store state.Store
}

func (c busyFeed) Changes(ctx context.Context, tenant string, since uint64, limit int) ([]state.Record, uint64, error) {
	for _, key := range []string{"busy-1", "busy-2"} {
		if _, _, err := c.store.Put(ctx, tenant, key, []byte("x"), state.Cond{}); err != nil {
			return nil, 0, err
		}
	}
	return c.CellState.Changes(ctx, tenant, since, limit)
}
