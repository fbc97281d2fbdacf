package mover

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// promoteOptions are the kit's move options as a promotion onto cell-b.
func (k *kit) promoteOptions() Options {
	o := k.options()
	o.Promote = true
	return o
}

// TestPromoteZeroLoss: 32 writers write the tenant through the router
// while a follower keeps cell-b; the follower stops and cell-b is
// promoted with the source up: nothing is copied, every acknowledged
// write is on cell-b, cell-a accepted nothing after the switch and
// refuses the tenant as moved, and writes go on on cell-b.
func TestPromoteZeroLoss(t *testing.T) {
	k := newKit(t)
	k.seed(300)
	l := k.startLoad(32)
	f, stop := k.follower(standbyOptions())
	waitFor(t, "the standby seeded", func() bool { return f.Lag().Applied > 0 })
	seeded := l.acked.Load()
	waitFor(t, "writes while following", func() bool { return l.acked.Load() >= seeded+500 })
	if err := stop(); err != nil {
		l.finish()
		t.Fatal(err)
	}
	var steps []Step
	res, err := k.mover(func(e Event) {
		if e.Done {
			steps = append(steps, e.Step)
		}
	}).Move(context.Background(), k.promoteOptions())
	if err != nil {
		l.finish()
		t.Fatal(err)
	}
	waitFor(t, "writes acknowledged by the promoted cell", func() bool { return l.cellAcks("cell-b") >= 200 })
	l.finish()
	for _, s := range res.Steps {
		t.Logf("%-7s %s", s.Step, s.Detail)
	}
	if slices.Contains(steps, StepCopy) || !slices.Contains(steps, StepFollow) || !slices.Contains(steps, StepDrain) {
		t.Errorf("steps %v: want no copy, a follow of the tail and a drain", steps)
	}
	if !res.Promoted || res.SourceDown || res.KeysCopied != 0 || res.Standby == nil || res.Standby.Position == 0 {
		t.Errorf("result %+v: want a promotion from the standby's position, nothing copied", res)
	}
	if !res.Verify.Match || res.Verify.RouterCell != "cell-b" {
		t.Errorf("verify %+v: want a match and a read answered by cell-b", res.Verify)
	}
	l.checkZeroLoss(t, "cell-b", "cell-a", res.Position)
	if _, _, err := k.cells["cell-a"].Store.Put(context.Background(), tenantID, "late", []byte("x"), state.Cond{Epoch: res.Epoch}); !errors.Is(err, state.ErrMoved) {
		t.Errorf("a write on the old cell after the promotion: %v, want ErrMoved", err)
	}
	entry, err := k.dir.Get(context.Background(), tenantID)
	if err != nil || entry.Cell != "cell-b" || entry.EffectiveState() != fabric.TenantActive || entry.Epoch != res.Epoch {
		t.Errorf("directory %+v (%v): want cell-b, active, epoch %d", entry, err, res.Epoch)
	}
}

// stoppedStandby seeds the tenant with 100 keys on cell-a, keeps a
// standby of it on cell-b until it is current, stops its follower and
// returns the position the standby holds.
func (k *kit) stoppedStandby() uint64 {
	k.t.Helper()
	k.seed(100)
	f, stop := k.follower(standbyOptions())
	pos := k.waitCurrent(f)
	if err := stop(); err != nil {
		k.t.Fatal(err)
	}
	return pos
}

// TestPromoteSourceDown: with the source killed, a promotion stops with
// a SourceDownError saying what the standby holds and changes nothing;
// with AcceptLoss it switches the tenant to the standby, which serves
// its data (reads and writes through the router), and the writes the
// standby never saw are the ones lost.
func TestPromoteSourceDown(t *testing.T) {
	k := newKit(t)
	pos := k.stoppedStandby()
	for i := range 10 { // acknowledged by the primary, never seen by the standby
		if _, _, err := k.cells["cell-a"].Store.Put(context.Background(), tenantID, "lost-"+strconv.Itoa(i), []byte("v"), state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	k.cells["cell-a"].Kill()

	_, err := k.mover(nil).Move(context.Background(), k.promoteOptions())
	sd, ok := errorsAs[*SourceDownError](err)
	if !ok || sd.Standby.Position != pos || sd.Standby.CurrentAt.IsZero() || !strings.Contains(err.Error(), "accept the loss") {
		t.Fatalf("promotion without accept-loss: %v, want a SourceDownError at position %d with a time, saying to accept the loss", err, pos)
	}
	if e, _ := k.dir.Get(context.Background(), tenantID); e.Cell != "cell-a" || e.Epoch != 1 {
		t.Errorf("directory after the refusal %+v: want it unchanged (cell-a, epoch 1)", e)
	}

	o := k.promoteOptions()
	o.AcceptLoss = true
	res, err := k.mover(nil).Move(context.Background(), o)
	if err != nil {
		t.Fatalf("promotion with accept-loss: %v", err)
	}
	if !res.SourceDown || !res.Promoted || res.Standby == nil || res.Standby.Position != pos || res.Verify.RouterCell != "cell-b" {
		t.Errorf("result %+v: want a promotion without the source from position %d, read through the router from cell-b", res, pos)
	}
	entry, err := k.dir.Get(context.Background(), tenantID)
	if err != nil || entry.Cell != "cell-b" || entry.EffectiveState() != fabric.TenantActive || entry.Epoch != 2 {
		t.Errorf("directory %+v (%v): want cell-b, active, epoch 2", entry, err)
	}
	sb := k.cells["cell-b"].Store
	if it, err := sb.Get(context.Background(), tenantID, "seed-7"); err != nil || string(it.Value) != "v7" {
		t.Errorf("seed-7 on the promoted cell: %+v (%v), want v7", it, err)
	}
	if _, err := sb.Get(context.Background(), tenantID, "lost-0"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("lost-0 on the promoted cell: %v, want it absent (the standby never saw it)", err)
	}
	status, cell, _, err := k.put(k.router, "after-promotion", "x")
	if err != nil || status != 201 || cell != "cell-b" {
		t.Errorf("a write through the router after the promotion: %d from %q (%v), want 201 from cell-b", status, cell, err)
	}
	if m, err := sb.Meta(context.Background(), tenantID); err != nil || m.Lock != nil || m.FenceAll {
		t.Errorf("promoted cell's meta %+v (%v): want unlocked and unfenced", m, err)
	}
}

// TestPromoteRefuses: a promotion needs a stopped standby of the
// tenant's cell on the target; it changes nothing otherwise.
func TestPromoteRefuses(t *testing.T) {
	k := newKit(t)
	k.seed(10)
	if _, err := k.mover(nil).Move(context.Background(), k.promoteOptions()); err == nil || !strings.Contains(err.Error(), "keeps no warm standby") {
		t.Errorf("promotion without a standby: %v, want a refusal naming the missing standby", err)
	}
	f, _ := k.follower(standbyOptions())
	k.waitCurrent(f)
	if _, err := k.mover(nil).Move(context.Background(), k.promoteOptions()); err == nil || !strings.Contains(err.Error(), "stop it") {
		t.Errorf("promotion while the follower runs: %v, want a refusal saying to stop it", err)
	}
	if e, _ := k.dir.Get(context.Background(), tenantID); e.Cell != "cell-a" || e.Epoch != 1 {
		t.Errorf("directory %+v: want it unchanged", e)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"accept loss without promote", Options{Tenant: tenantID, Target: "cell-b", AcceptLoss: true}, "accept loss"},
		{"promote with force overwrite", Options{Tenant: tenantID, Target: "cell-b", Promote: true, ForceOverwrite: true}, "force overwrite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestPromoteAbortKeepsStandby: a promotion that fails before its switch
// leaves the standby a standby (fenced, its follower's journal back in
// its lock), and a follower started again resumes there without a copy.
func TestPromoteAbortKeepsStandby(t *testing.T) {
	k := newKit(t)
	pos := k.stoppedStandby()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := k.mover(func(e Event) {
		if e.Step == StepFollow && !e.Done {
			cancel()
		}
	}).Move(ctx, k.promoteOptions())
	if _, ok := errorsAs[*AbortedError](err); !ok {
		t.Fatalf("cancelled promotion: %v, want it aborted", err)
	}
	m, err := k.cells["cell-b"].Store.Meta(context.Background(), tenantID)
	if err != nil || !m.FenceAll || m.Moved || m.Lock == nil {
		t.Fatalf("standby meta after the abort %+v (%v): want fenced for every write with the follower's lock", m, err)
	}
	if j, ok := parseStandbyJournal(m.Lock.Step); !ok || j.Pos != pos || !j.Stopped {
		t.Errorf("journal %q: want the follower's, stopped at %d", m.Lock.Step, pos)
	}
	f2, stop2 := k.follower(standbyOptions())
	k.waitCurrent(f2)
	_ = stop2() // its results are the follower's own until it has stopped
	if f2.r.res.KeysCopied != 0 {
		t.Errorf("the follower after the abort copied %d keys, want it to resume", f2.r.res.KeysCopied)
	}
}

// TestMoveIntoStandbyRefused: a move (not a promotion) into a cell that
// keeps a running follower's standby is refused, saying to promote it.
func TestMoveIntoStandbyRefused(t *testing.T) {
	k := newKit(t)
	k.seed(10)
	f, _ := k.follower(standbyOptions())
	k.waitCurrent(f)
	_, err := k.mover(nil).Move(context.Background(), k.options())
	if !errors.Is(err, state.ErrLocked) || !strings.Contains(err.Error(), "promote it instead") {
		t.Errorf("move into the standby: %v, want ErrLocked saying to promote it", err)
	}
	if e, _ := k.dir.Get(context.Background(), tenantID); e.Cell != "cell-a" {
		t.Errorf("directory %+v: want it unchanged", e)
	}
}
