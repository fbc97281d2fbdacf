package mover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// undoTimeout bounds the undo of a failed move, which runs even when the
// move's context was cancelled (Ctrl-C aborts the move).
const undoTimeout = time.Minute

// Move moves the tenant o.Tenant to the cell o.Target, or resumes the
// move the tenant's lock journals. It returns what it did, or:
//   - an error wrapping state.ErrLocked (a *state.LockedError naming the
//     holder) when another move holds the tenant;
//   - an *AbortedError when the move failed before its switch and was
//     undone (the tenant is back on its source, unchanged);
//   - a *PendingError when it stopped and could not finish or undo itself
//     (the source is down after the fence, or it failed after the switch):
//     resume it with Options.MoveID, or Abort it.
func (m *Mover) Move(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, fmt.Errorf("move options: %w", err)
	}
	o = o.withDefaults()
	r, prev, err := m.prepare(ctx, o)
	if err != nil {
		return Result{}, err
	}
	r.start = r.now()
	if prev != nil {
		r.res.Resumed = prev.Step
		r.log.Info("resuming a move", "step", string(prev.Step))
	}
	mctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	err = r.lockSource(mctx, prev)
	if err == nil {
		go r.renewer(mctx, cancel)
		switch {
		case prev == nil || prev.Step.Before(StepFence):
			err = r.fromCheck(mctx)
		case prev.Step.Before(StepSwitch):
			err = r.fromFence(mctx)
		default:
			err = r.fromSwitch(mctx)
		}
	}
	if cause := context.Cause(mctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	cancel(nil)
	r.res.Elapsed = r.now().Sub(r.start)
	if err == nil {
		return *r.res, nil
	}
	return *r.res, r.failed(ctx, err)
}

// failed decides what a failed move leaves: undone before the switch,
// pending (fenced, journaled) when the source is gone after the fence or
// the move passed its switch.
func (r *run) failed(ctx context.Context, err error) error {
	r.mu.Lock()
	j := r.j
	locked := r.srcLocked
	r.mu.Unlock()
	pending := func(err error) error {
		return &PendingError{Tenant: r.o.Tenant, Target: r.o.Target, MoveID: r.lock.ID, Step: j.Step,
			Fenced: !j.Step.Before(StepFence), Abortable: j.Step.Before(StepSwitch), Err: err}
	}
	switch {
	case errors.Is(err, state.ErrLocked) && !locked:
		return err // another move holds the tenant: nothing of ours to undo
	case errors.Is(err, errCrashed):
		return pending(err)
	case !j.Step.Before(StepSwitch):
		return pending(err)
	case !j.Step.Before(StepFence) && ctx.Err() == nil && isSourceDown(err):
		return pending(fmt.Errorf("the source cell %s is unreachable after the fence: %w", r.srcC, err))
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	left, uerr := r.rollback(uctx, j)
	if uerr != nil {
		r.log.Error("undoing the failed move failed", "error", uerr, "cause", err)
		return pending(fmt.Errorf("%w; undoing it failed too: %w", err, uerr))
	}
	r.log.Info("move aborted: the tenant is back on its source", "step", string(j.Step), "cause", err)
	return &AbortedError{Tenant: r.o.Tenant, Source: r.srcC, Target: r.o.Target, MoveID: r.lock.ID, Step: j.Step, Left: left, Err: err}
}

// sourceError marks a failure to reach the source cell.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// fromSrc marks err, from a call to the source, as the source's.
func fromSrc(err error) error {
	if err == nil {
		return nil
	}
	return &sourceError{err}
}

func isSourceDown(err error) bool {
	var se *sourceError
	return errors.As(err, &se) && errors.Is(err, state.ErrUnavailable)
}

// prepare finds the move's source, id and journal.
func (m *Mover) prepare(ctx context.Context, o Options) (*run, *journal, error) {
	entry, err := m.cfg.Directory.Get(ctx, o.Tenant)
	if err != nil {
		return nil, nil, fmt.Errorf("reading tenant %s from the directory: %w", o.Tenant, err)
	}
	tgt, err := m.cfg.Cells(o.Target)
	if err != nil {
		return nil, nil, fmt.Errorf("target cell %s: %w", o.Target, err)
	}
	tmeta, err := tgt.Meta(ctx, o.Tenant)
	if err != nil {
		return nil, nil, fmt.Errorf("reading tenant %s's meta on the target cell %s: %w", o.Tenant, o.Target, err)
	}
	now := m.cfg.Now()
	// A journal of a move to this target that this run may take: its id
	// was given, or its lock expired (a crashed mover).
	take := func(l *state.MoveLock) (*journal, string) {
		if l == nil {
			return nil, ""
		}
		j, ok := parseJournal(l.Step)
		if !ok || l.Target != o.Target {
			return nil, ""
		}
		if l.ID == o.MoveID || (o.MoveID == "" && !l.Expires.After(now)) {
			return &j, l.ID
		}
		return nil, ""
	}
	srcID := entry.Cell
	var prev *journal
	id := o.MoveID
	if entry.Cell == o.Target {
		// Switched already: the journal is in the target's lock too.
		if j, lid := take(tmeta.Lock); j != nil && !j.Step.Before(StepSwitch) {
			prev, id, srcID = j, lid, j.From
		} else {
			return nil, nil, fmt.Errorf("tenant %s is on cell %s already (epoch %d): nothing to move", o.Tenant, o.Target, entry.Epoch)
		}
	}
	src, err := m.cfg.Cells(srcID)
	if err != nil {
		return nil, nil, fmt.Errorf("source cell %s: %w", srcID, err)
	}
	smeta, err := src.Meta(ctx, o.Tenant)
	var down error
	if err != nil {
		if !o.Promote || prev != nil || !errors.Is(err, state.ErrUnavailable) {
			return nil, nil, fmt.Errorf("reading tenant %s's meta on its cell %s: %w", o.Tenant, srcID, err)
		}
		down = err // a promotion may go on without it (AcceptLoss)
	}
	if l := smeta.Lock; prev == nil && l != nil {
		if j, lid := take(l); j != nil {
			prev, id = j, lid
		} else if j, ok := parseJournal(l.Step); ok && l.Target != o.Target && (l.ID == o.MoveID || !l.Expires.After(now)) {
			return nil, nil, fmt.Errorf("tenant %s has an unfinished move %s to cell %s at step %s: resume it with that target, or abort it", o.Tenant, l.ID, l.Target, j.Step)
		}
	}
	if id == "" {
		id = NewMoveID()
	}
	if prev != nil && prev.From != srcID {
		return nil, nil, fmt.Errorf("move %s of tenant %s journals source cell %s, but the directory places the tenant on %s: the directory changed during the move; fix the entry (cellfabric tenants set) before resuming", id, o.Tenant, prev.From, srcID)
	}
	r := &run{m: m, o: o, src: src, tgt: tgt, srcC: srcID,
		log: m.cfg.Logger.With("tenant", o.Tenant, "move", id, "source", srcID, "target", o.Target),
		res: &Result{Tenant: o.Tenant, Source: srcID, Target: o.Target, MoveID: id}}
	r.lock = state.MoveLock{ID: id, Owner: m.cfg.Owner, Target: o.Target}
	if prev != nil {
		r.j = *prev
	} else {
		r.j = journal{Step: StepCheck, Epoch: entry.Epoch, Fence: smeta.Fence, From: srcID}
	}
	if o.Promote && prev == nil {
		if err := r.attachStandby(tmeta, down); err != nil {
			return nil, nil, err
		}
	}
	return r, prev, nil
}

// lockSource takes the move lock on the source (and, when resuming past
// check, on the target).
func (r *run) lockSource(ctx context.Context, prev *journal) error {
	if r.srcDown {
		return nil // a promotion without its source: the target's lock journals it
	}
	r.mu.Lock()
	l := r.lockNow()
	r.mu.Unlock()
	if _, err := r.src.Lock(ctx, r.o.Tenant, l); err != nil {
		return fmt.Errorf("locking tenant %s on its cell %s: %w", r.o.Tenant, r.srcC, err)
	}
	r.mu.Lock()
	r.srcLocked = true
	r.mu.Unlock()
	if prev != nil && StepCheck.Before(prev.Step) {
		if _, err := r.tgt.Lock(ctx, r.o.Tenant, l); err != nil {
			return fmt.Errorf("locking tenant %s on the target cell %s: %w", r.o.Tenant, r.o.Target, err)
		}
		r.mu.Lock()
		r.tgtLocked = true
		r.mu.Unlock()
	}
	return nil
}

// fromCheck runs the whole runbook.
//
// A promotion skips copy (the standby has the data); one without its
// source (srcDown) goes from check straight to switch.
func (r *run) fromCheck(ctx context.Context) error {
	type stepFn struct {
		step Step
		fn   func(context.Context) (string, error)
	}
	steps := []stepFn{{StepCheck, r.check}, {StepCopy, r.copy}, {StepFollow, r.follow}}
	switch {
	case r.srcDown:
		steps = []stepFn{{StepCheck, r.check}}
	case r.o.Promote:
		steps = []stepFn{{StepCheck, r.check}, {StepFollow, r.follow}}
	}
	for _, s := range steps {
		if err := r.step(ctx, s.step, s.fn); err != nil {
			return err
		}
	}
	if r.srcDown {
		return r.fromSwitch(ctx)
	}
	return r.fromFenceOn(ctx, false)
}

// fromFence resumes a move journaled at fence or drain: the source is
// fenced again (or still), the target gets a whole copy of it, and the
// move goes on.
func (r *run) fromFence(ctx context.Context) error {
	return r.fromFenceOn(ctx, true)
}

func (r *run) fromFenceOn(ctx context.Context, recopy bool) error {
	if err := r.step(ctx, StepFence, r.fence); err != nil {
		return err
	}
	drain := r.drain
	if recopy {
		drain = func(ctx context.Context) (string, error) {
			if _, err := r.copy(ctx); err != nil {
				return "", err
			}
			return r.drain(ctx)
		}
	}
	if err := r.step(ctx, StepDrain, drain); err != nil {
		return err
	}
	return r.fromSwitch(ctx)
}

// fromSwitch rolls the move forward from its switch.
func (r *run) fromSwitch(ctx context.Context) error {
	for _, s := range []struct {
		step Step
		fn   func(context.Context) (string, error)
	}{{StepSwitch, r.switchOver}, {StepVerify, r.verify}, {StepDone, r.done}} {
		if err := r.step(ctx, s.step, s.fn); err != nil {
			return err
		}
	}
	return nil
}
