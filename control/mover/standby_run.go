package mover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/internal/ctxtime"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/state"
)

// registryCell returns the registry's cell id, nil when it has none.
func (m *Mover) registryCell(id string) *router.Cell {
	for i := range m.cfg.Registry.Cells {
		if m.cfg.Registry.Cells[i].ID == id {
			return &m.cfg.Registry.Cells[i]
		}
	}
	return nil
}

// attach takes the follower's lock on the standby cell, fences the tenant
// there for every write and seeds it: from its own journaled position
// when an earlier follower of the same primary left one, otherwise with
// a copy of the primary's export.
func (f *Follower) attach(ctx context.Context) error {
	r := f.r
	tmeta, err := r.tgt.Meta(ctx, f.o.Tenant)
	if err != nil {
		return fmt.Errorf("reading tenant %s's meta on the standby cell %s: %w", f.o.Tenant, f.standby, err)
	}
	now := f.m.cfg.Now()
	id := "sb-" + strings.TrimPrefix(NewMoveID(), "mv-")
	var resume *standbyJournal
	if l := tmeta.Lock; l != nil {
		sj, ok := parseStandbyJournal(l.Step)
		switch {
		case ok && (sj.Stopped || !l.Expires.After(now)):
			id = l.ID // the lock of a follower that stopped or died: ours now
			if sj.From == f.primary {
				resume = &sj
			}
		case ok:
			return fmt.Errorf("another follower (%s, owner %q) holds tenant %s's standby on cell %s until %s: stop it, or wait for its lock to expire", l.ID, l.Owner, f.o.Tenant, f.standby, l.Expires.UTC().Format(time.RFC3339))
		default:
			return stop(fmt.Errorf("cell %s holds move %s's lock of tenant %s (step %q): finish or abort that move before keeping a standby there", f.standby, l.ID, f.o.Tenant, l.Step))
		}
	} else if !tmeta.Moved && !tmeta.FenceAll && tmeta.Position > 0 && !f.o.ForceOverwrite {
		// A copy marked moved, or fenced for every write, is one a move
		// or a follower left (edge writes cannot make it): re-seeded.
		n, err := countKeys(ctx, r.tgt, f.o.Tenant)
		if err != nil {
			return fmt.Errorf("counting tenant %s's keys on the standby cell %s: %w", f.o.Tenant, f.standby, err)
		}
		if n > 0 {
			return stop(fmt.Errorf("standby cell %s holds %d live keys of tenant %s that are no standby copy: move them away, or force-overwrite to replace them", f.standby, n, f.o.Tenant))
		}
	}
	j := standbyJournal{From: f.primary}
	if resume != nil {
		j = *resume
		j.Stopped = false
	}
	f.mu.Lock()
	f.j = j
	f.lock = state.MoveLock{ID: id, Owner: f.m.cfg.Owner + " (standby follower)", Target: f.standby, Step: j.String(), Expires: now.Add(f.o.LockTTL)}
	l := f.lock
	f.mu.Unlock()
	if _, err := r.tgt.Lock(ctx, f.o.Tenant, l); err != nil {
		if errors.Is(err, state.ErrLocked) {
			return err // a follower or a move got there first; retried
		}
		return fmt.Errorf("locking tenant %s on the standby cell %s: %w", f.o.Tenant, f.standby, err)
	}
	f.mu.Lock()
	f.locked = true
	f.mu.Unlock()
	if _, err := r.tgt.SetFence(ctx, f.o.Tenant, state.FenceState{Fence: tmeta.Fence, FenceAll: true}); err != nil {
		return fmt.Errorf("fencing tenant %s for every write on the standby cell %s: %w", f.o.Tenant, f.standby, err)
	}
	if resume != nil {
		r.pos = resume.Pos
		f.mu.Lock()
		f.lag.Applied, f.lag.CurrentAt = resume.Pos, resume.At
		f.mu.Unlock()
		f.log.Info("standby resumed from its journal", "position", resume.Pos, "current_at", resume.At)
		return nil
	}
	began := f.m.cfg.Now()
	// The lock is renewed while the copy runs (a large tenant's copy may
	// outlast it); its journal says position 0 until the copy is done.
	cctx, cancel := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(f.o.JournalEvery)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-t.C:
				if err := f.journal(cctx, false); err != nil && cctx.Err() == nil {
					f.log.Warn("standby: renewing the lock during the copy failed", "error", err)
				}
			}
		}
	}()
	_, err = r.copy(ctx)
	cancel()
	<-renewed
	if err != nil {
		return fmt.Errorf("seeding the standby: %w", err)
	}
	f.applied(r.pos, r.pos, began)
	f.log.Info("standby seeded from the primary's export", "keys", r.res.KeysCopied, "position", r.pos)
	return f.journal(ctx, false)
}

// applied records that the standby holds every record up to pos of a
// primary at primaryPos; at, when not zero, is a time before which the
// primary had acknowledged nothing beyond pos.
func (f *Follower) applied(pos, primaryPos uint64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lag.Applied = pos
	f.lag.Records = 0
	if primaryPos > pos {
		f.lag.Records = primaryPos - pos
	}
	if !at.IsZero() {
		f.lag.CurrentAt = at
	}
	f.j.Pos = pos
	if !at.IsZero() {
		f.j.At = at
	}
}

// journal writes the follower's position into its lock and extends it.
// The write is not abandoned when ctx ends: a renewal the follower gave up
// on would still reach the cell and could land after the stop's journal
// (stopClean), marking a stopped follower's lock running again, and a
// promotion would then wait for the lock to expire. So each journal write
// finishes (or times out, journalTimeout) before the next is sent.
func (f *Follower) journal(ctx context.Context, stopped bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	f.mu.Lock()
	f.j.Stopped = stopped
	f.lock.Step = f.j.String()
	f.lock.Expires = f.m.cfg.Now().Add(f.o.LockTTL)
	l := f.lock
	f.mu.Unlock()
	if _, err := f.r.tgt.Renew(ctx, f.o.Tenant, l); err != nil {
		if errors.Is(err, state.ErrLocked) {
			return stop(fmt.Errorf("the standby's lock on cell %s was taken (a promotion, a move or another follower): %w", f.standby, err))
		}
		return fmt.Errorf("journaling the standby's position on cell %s: %w", f.standby, err)
	}
	return nil
}

// journalTimeout bounds one journal write (a standby cell that does not
// answer holds a stopping follower this long at most).
const journalTimeout = 5 * time.Second

// stopClean journals the position with the lock marked stopped, so the
// next follower or a promotion takes it at once.
func (f *Follower) stopClean() {
	f.mu.Lock()
	locked := f.locked
	f.mu.Unlock()
	if !locked {
		return // it never took the lock: nothing to journal
	}
	if err := f.journal(context.Background(), true); err != nil {
		f.log.Warn("standby: journaling the position at stop failed; the next follower waits for the lock to expire", "error", err)
	}
}

// checkPlacement stops the follower when the directory places the tenant
// elsewhere than its primary. A directory it cannot read is logged: the
// standby is fenced, so following on is safe.
func (f *Follower) checkPlacement(ctx context.Context) error {
	entry, err := f.m.cfg.Directory.Get(ctx, f.o.Tenant)
	if err != nil {
		f.log.Warn("standby: reading the directory failed; following on", "error", err)
		return nil
	}
	if entry.Cell != f.primary {
		return stop(fmt.Errorf("tenant %s: %w: it is on cell %s at epoch %d now, not %s; start the follower again to follow %s", f.o.Tenant, ErrPlacementChanged, entry.Cell, entry.Epoch, f.primary, entry.Cell))
	}
	return nil
}

// loop applies the primary's change feed until ctx ends or the follower
// must stop.
func (f *Follower) loop(ctx context.Context) error {
	lastJournal, lastDir := f.m.cfg.Now(), time.Time{}
	return f.retry(ctx, "following the primary's change feed", func(ctx context.Context) error {
		for {
			now := f.m.cfg.Now()
			if now.Sub(lastDir) >= f.o.DirectoryEvery {
				if err := f.checkPlacement(ctx); err != nil {
					return err
				}
				lastDir = now
			}
			if now.Sub(lastJournal) >= f.o.JournalEvery {
				if err := f.journal(ctx, false); err != nil {
					return err
				}
				lastJournal = now
			}
			began := f.m.cfg.Now()
			n, err := f.r.catchUp(ctx)
			if err != nil {
				return err
			}
			if n < state.MaxChangesLimit {
				// The read reached the feed's end: every write acknowledged
				// before it began is applied now.
				f.applied(f.r.pos, f.r.pos, began)
				f.setRetrying("")
				if n == 0 {
					if err := ctxtime.Sleep(ctx, f.o.Pause); err != nil {
						return err
					}
				}
				continue
			}
			top := f.r.pos
			if m, err := f.r.src.Meta(ctx, f.o.Tenant); err == nil {
				top = m.Position
			}
			f.applied(f.r.pos, top, time.Time{})
		}
	})
}
