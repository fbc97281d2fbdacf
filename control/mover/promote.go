package mover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// StandbyState is what a warm standby held when a promotion began: from
// the journal its follower left in its lock on the standby cell.
type StandbyState struct {
	// Position is the source's position up to which the standby holds
	// every record.
	Position uint64 `json:"position"`
	// Stored is the standby's own position (records imported beyond
	// Position, not yet journaled, may be there too).
	Stored uint64 `json:"stored"`
	// CurrentAt is when the standby was last known to hold every write the
	// source had acknowledged; zero when it never was.
	CurrentAt time.Time `json:"currentAt"`
	// Age is the time from CurrentAt to the promotion: the RPO, if the
	// source is gone (nanoseconds in JSON).
	Age time.Duration `json:"ageNs"`
}

func (s StandbyState) String() string {
	if s.CurrentAt.IsZero() {
		return fmt.Sprintf("every record up to the source's position %d (the follower never reached the end of the change feed)", s.Position)
	}
	return fmt.Sprintf("every record up to the source's position %d, current as of %s (%s before now: the measured RPO)", s.Position, s.CurrentAt.UTC().Format(time.RFC3339Nano), s.Age.Round(time.Millisecond))
}

// attachStandby reads the follower's journal in the target's lock for a
// promotion: the target must be a stopped (or expired) standby of the
// source. down, when not nil, is why the source did not answer: the
// promotion goes on without it only with Options.AcceptLoss.
func (r *run) attachStandby(tmeta state.TenantMeta, down error) error {
	l := tmeta.Lock
	if l == nil {
		return fmt.Errorf("cell %s keeps no warm standby of tenant %s (no follower's lock there): move the tenant instead (cellfabric tenants move), or keep a standby there first (cellfabric standby run)", r.o.Target, r.o.Tenant)
	}
	sj, ok := parseStandbyJournal(l.Step)
	switch {
	case !ok:
		return fmt.Errorf("cell %s holds move %s's lock of tenant %s, not a standby follower's: finish or abort that move", r.o.Target, l.ID, r.o.Tenant)
	case sj.From != r.srcC:
		return fmt.Errorf("the standby of tenant %s on cell %s follows cell %s, but the directory places the tenant on %s: it is not a standby of the tenant's cell", r.o.Tenant, r.o.Target, sj.From, r.srcC)
	case !sj.Stopped && l.Expires.After(r.now()):
		return fmt.Errorf("a follower (%s, owner %q) keeps tenant %s's standby on cell %s: stop it (interrupt cellfabric standby run) or wait until its lock expires at %s, then promote", l.ID, l.Owner, r.o.Tenant, r.o.Target, l.Expires.UTC().Format(time.RFC3339))
	}
	lc := *l
	r.standby, r.standbyLock = &sj, &lc
	st := StandbyState{Position: sj.Pos, Stored: tmeta.Position, CurrentAt: sj.At}
	if !sj.At.IsZero() {
		st.Age = r.now().Sub(sj.At)
	}
	r.res.Promoted, r.res.Standby = true, &st
	if down != nil {
		if !r.o.AcceptLoss {
			return &SourceDownError{Tenant: r.o.Tenant, Source: r.srcC, Target: r.o.Target, Standby: st, Err: down}
		}
		r.srcDown, r.res.SourceDown = true, true
		r.log.Warn("promoting without the source: writes it acknowledged after the standby was last current are lost", "standby_position", st.Position, "current_at", st.CurrentAt, "age", st.Age)
	}
	return nil
}

// checkPromote is the check step of a promotion: the target may take the
// tenant, the follower's lock there gives way to the move's, and the
// follow step starts from the follower's position.
func (r *run) checkPromote(ctx context.Context) (string, error) {
	entry, err := r.m.cfg.Directory.Get(ctx, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("reading tenant %s from the directory: %w", r.o.Tenant, err)
	}
	if entry.Cell != r.srcC {
		return "", fmt.Errorf("tenant %s moved to cell %s since the promotion began: run it again", r.o.Tenant, entry.Cell)
	}
	var smeta state.TenantMeta
	if !r.srcDown {
		if smeta, err = r.src.Meta(ctx, r.o.Tenant); err != nil {
			return "", fromSrc(fmt.Errorf("reading tenant %s's meta on its cell %s: %w", r.o.Tenant, r.srcC, err))
		}
	}
	tmeta, err := r.tgt.Meta(ctx, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("reading tenant %s's meta on the target cell %s: %w", r.o.Tenant, r.o.Target, err)
	}
	if l := tmeta.Lock; l != nil && r.standbyLock != nil && l.ID == r.standbyLock.ID {
		if _, err := r.tgt.Unlock(ctx, r.o.Tenant, *l); err != nil && !errors.Is(err, state.ErrLocked) {
			return "", fmt.Errorf("releasing the stopped follower's lock on cell %s: %w", r.o.Target, err)
		}
		tmeta.Lock = nil
	}
	o := r.o
	o.ForceOverwrite = true // the standby's data is the tenant's
	if errs := r.m.problems(ctx, o, entry, smeta, tmeta, r.tgt, r.lock.ID); len(errs) > 0 {
		return "", fmt.Errorf("tenant %s cannot be promoted on cell %s: %w", r.o.Tenant, r.o.Target, errors.Join(errs...))
	}
	if err := r.lockTarget(ctx, tmeta.Fence); err != nil {
		return "", err
	}
	if r.standby != nil {
		r.pos = r.standby.Pos
	}
	if r.srcDown {
		return fmt.Sprintf("standby %s takes tenant %s without its source %s (unreachable): it holds %s", r.o.Target, r.o.Tenant, r.srcC, r.res.Standby), nil
	}
	return fmt.Sprintf("standby %s can take tenant %s (epoch %d); it holds position %d of %d on %s; both cells locked", r.o.Target, r.o.Tenant, entry.Epoch, r.pos, smeta.Position, r.srcC), nil
}

// restoreStandby gives a promotion that was undone its standby back (the
// target is fenced for every write again): the follower's lock, stopped,
// with its journal, so the next follower resumes there. Called with
// lockMu held, after the move's own lock on the target was released.
func (r *run) restoreStandby(ctx context.Context) error {
	if r.standby == nil || r.standbyLock == nil {
		return nil
	}
	j := *r.standby
	j.Stopped = true
	l := *r.standbyLock
	l.Step, l.Expires = j.String(), r.now().Add(r.o.LockTTL)
	_, err := r.tgt.Lock(ctx, r.o.Tenant, l)
	return err
}
