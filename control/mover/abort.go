package mover

import (
	"context"
	"errors"
	"fmt"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// rollback undoes a move journaled at j (before its switch): the source
// takes writes again (its fence as before the move), the directory's
// entry is active on the source again (epoch raised), the target's copy
// is marked moved to the source (so it serves nothing of the tenant) and
// both locks are released. left says what the target keeps.
func (r *run) rollback(ctx context.Context, j journal) (left string, err error) {
	// A renewal still in flight finishes before the locks are released.
	r.lockMu.Lock()
	defer r.lockMu.Unlock()
	cur, err := r.m.cfg.Directory.Get(ctx, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("reading tenant %s from the directory: %w", r.o.Tenant, err)
	}
	if cur.Cell == r.o.Target {
		return "", fmt.Errorf("tenant %s: %w (the directory places it on %s at epoch %d): resume the move to finish it", r.o.Tenant, ErrSwitched, cur.Cell, cur.Epoch)
	}
	if !j.Step.Before(StepFence) && !r.srcDown {
		if _, err := r.src.SetFence(ctx, r.o.Tenant, state.FenceState{Fence: j.Fence}); err != nil {
			return "", fmt.Errorf("lifting tenant %s's fence on cell %s: %w", r.o.Tenant, r.srcC, err)
		}
	}
	epoch := cur.Epoch
	if cur.Cell == r.srcC && cur.State == fabric.TenantMigrating {
		back := cur
		back.State = fabric.TenantActive
		stored, err := r.m.cfg.Directory.Put(ctx, back, directory.PutOptions{IfEpoch: cur.Epoch})
		if err != nil {
			return "", fmt.Errorf("setting tenant %s active on cell %s in the directory again: %w", r.o.Tenant, r.srcC, err)
		}
		epoch = stored.Epoch
	}
	r.mu.Lock()
	l := r.lock
	r.mu.Unlock()
	tmeta, terr := r.tgt.Meta(ctx, r.o.Tenant)
	if terr == nil && tmeta.Lock != nil && tmeta.Lock.ID == l.ID {
		fs := state.FenceState{Fence: max(tmeta.Fence, epoch), Moved: true, MovedTo: r.srcC}
		switch {
		case r.standby != nil:
			// A promotion: the standby stays one, fenced for every write.
			fs = state.FenceState{Fence: tmeta.Fence, FenceAll: true}
			left = fmt.Sprintf("cell %s stays the tenant's warm standby (fenced for every write; start the follower again)", r.o.Target)
		case tmeta.Position == 0:
			fs = state.FenceState{Fence: tmeta.Fence} // nothing was copied
		default:
			left = fmt.Sprintf("cell %s keeps a copy of the tenant up to position %d, marked moved to %s (it serves none of it; a later move to %s replaces it)", r.o.Target, tmeta.Position, r.srcC, r.o.Target)
		}
		if _, err := r.tgt.SetFence(ctx, r.o.Tenant, fs); err != nil {
			terr = err
		} else if _, err := r.tgt.Unlock(ctx, r.o.Tenant, l); err != nil {
			terr = err
		} else if err := r.restoreStandby(ctx); err != nil {
			terr = err
		}
	}
	if terr != nil {
		left = fmt.Sprintf("the target cell %s could not be cleaned up (%v): it may keep a partial copy of the tenant, fenced for every write; a later move to %s replaces it", r.o.Target, terr, r.o.Target)
	}
	if r.srcDown {
		r.mu.Lock()
		r.tgtLocked = false
		r.mu.Unlock()
		return left, nil
	}
	if _, err := r.src.Unlock(ctx, r.o.Tenant, l); err != nil && !errors.Is(err, state.ErrLocked) {
		return left, fmt.Errorf("releasing the move lock on cell %s: %w", r.srcC, err)
	}
	r.mu.Lock()
	r.srcLocked, r.tgtLocked = false, false
	r.mu.Unlock()
	return left, nil
}

// AbortResult is what Abort did.
type AbortResult struct {
	Tenant, Source, Target, MoveID string
	// Step is the step the move was journaled at.
	Step Step
	// Left says what the target keeps, "" when nothing.
	Left string
}

// Abort undoes the tenant's unfinished move (the one its source's lock
// journals; target, when not "", must be its target): the tenant is back
// on its source, unchanged. A move that reached its switch cannot be
// aborted (ErrSwitched): resume it.
func (m *Mover) Abort(ctx context.Context, tenant, target string) (AbortResult, error) {
	entry, err := m.cfg.Directory.Get(ctx, tenant)
	if err != nil {
		return AbortResult{}, fmt.Errorf("reading tenant %s from the directory: %w", tenant, err)
	}
	src, err := m.cfg.Cells(entry.Cell)
	if err != nil {
		return AbortResult{}, fmt.Errorf("source cell %s: %w", entry.Cell, err)
	}
	smeta, err := src.Meta(ctx, tenant)
	if err != nil {
		return AbortResult{}, fmt.Errorf("reading tenant %s's meta on cell %s: %w", tenant, entry.Cell, err)
	}
	if smeta.Lock == nil {
		if target != "" {
			if tgt, err := m.cfg.Cells(target); err == nil {
				if tm, err := tgt.Meta(ctx, tenant); err == nil && tm.Lock != nil {
					if j, ok := parseJournal(tm.Lock.Step); ok && !j.Step.Before(StepSwitch) {
						return AbortResult{}, fmt.Errorf("tenant %s: move %s %w: resume it to finish", tenant, tm.Lock.ID, ErrSwitched)
					}
				}
			}
		}
		return AbortResult{}, fmt.Errorf("tenant %s has no move in progress on cell %s: nothing to abort", tenant, entry.Cell)
	}
	l := *smeta.Lock
	j, ok := parseJournal(l.Step)
	if !ok {
		return AbortResult{}, fmt.Errorf("tenant %s's move lock %s on cell %s holds no journal this mover reads (%q): release it by hand", tenant, l.ID, entry.Cell, l.Step)
	}
	if target != "" && l.Target != target {
		return AbortResult{}, fmt.Errorf("tenant %s's move %s goes to cell %s, not %s", tenant, l.ID, l.Target, target)
	}
	if !j.Step.Before(StepSwitch) {
		return AbortResult{}, fmt.Errorf("tenant %s: move %s %w: resume it to finish", tenant, l.ID, ErrSwitched)
	}
	tgt, err := m.cfg.Cells(l.Target)
	if err != nil {
		return AbortResult{}, fmt.Errorf("target cell %s: %w", l.Target, err)
	}
	o := Options{Tenant: tenant, Target: l.Target, MoveID: l.ID}.withDefaults()
	r := &run{m: m, o: o, src: src, tgt: tgt, srcC: entry.Cell, j: j,
		log: m.cfg.Logger.With("tenant", tenant, "move", l.ID, "source", entry.Cell, "target", l.Target),
		res: &Result{}}
	r.lock = state.MoveLock{ID: l.ID, Owner: m.cfg.Owner, Target: l.Target}
	// Take the lock (it is this move's id) so no resumer runs meanwhile.
	r.mu.Lock()
	lk := r.lockNow()
	r.mu.Unlock()
	if _, err := src.Lock(ctx, tenant, lk); err != nil {
		return AbortResult{}, fmt.Errorf("taking move %s's lock of tenant %s to abort it: %w", l.ID, tenant, err)
	}
	r.srcLocked = true
	left, err := r.rollback(ctx, j)
	if err != nil {
		return AbortResult{}, fmt.Errorf("aborting move %s of tenant %s: %w", l.ID, tenant, err)
	}
	r.log.Info("move aborted on request", "step", string(j.Step))
	return AbortResult{Tenant: tenant, Source: entry.Cell, Target: l.Target, MoveID: l.ID, Step: j.Step, Left: left}, nil
}
