package mover

import (
	"context"
	"errors"
	"fmt"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/state"
)

// problems lists why tenant entry cannot move to target now, given its
// meta on the source and the target: what the check step refuses and a
// dry run reports. moveID is the move asking (its own locks are fine).
func (m *Mover) problems(ctx context.Context, o Options, entry router.Tenant, smeta, tmeta state.TenantMeta, tgt CellState, moveID string) []error {
	var errs []error
	var cell *router.Cell
	for i := range m.cfg.Registry.Cells {
		if m.cfg.Registry.Cells[i].ID == o.Target {
			cell = &m.cfg.Registry.Cells[i]
		}
	}
	switch {
	case cell == nil:
		errs = append(errs, fmt.Errorf("target cell %s is not in the registry: name one of its cells", o.Target))
	case cell.EffectiveState() != fabric.CellActive:
		errs = append(errs, fmt.Errorf("target cell %s is %s in the registry: move tenants only to an active cell", o.Target, cell.EffectiveState()))
	case entry.Residency != "" && cell.Geo != entry.Residency:
		errs = append(errs, fmt.Errorf("target cell %s is in geo %q, but tenant %s must stay in %q: pick a cell in %q", o.Target, cell.Geo, o.Tenant, entry.Residency, entry.Residency))
	}
	if entry.Cell == o.Target {
		errs = append(errs, fmt.Errorf("tenant %s is on cell %s already", o.Tenant, o.Target))
	}
	if st := entry.EffectiveState(); st != fabric.TenantActive {
		errs = append(errs, fmt.Errorf("tenant %s is %s in the directory (epoch %d), not active: finish or abort the move that set it (cellfabric tenants move %s --abort), or set it active", o.Tenant, st, entry.Epoch, o.Tenant))
	}
	if m.cfg.Health != nil {
		if err := m.cfg.Health(ctx, o.Target); err != nil {
			errs = append(errs, fmt.Errorf("target cell %s is not healthy: %w", o.Target, err))
		}
	}
	switch {
	case smeta.Moved:
		errs = append(errs, fmt.Errorf("the source cell %s says tenant %s moved to %s at epoch %d, but the directory places it there: fix the directory entry first", entry.Cell, o.Tenant, smeta.MovedTo, smeta.Fence))
	case smeta.FenceAll:
		errs = append(errs, fmt.Errorf("tenant %s is fenced for every write on cell %s without a move journal: lift the fence first", o.Tenant, entry.Cell))
	}
	if l := tmeta.Lock; l != nil && l.ID != moveID && l.Expires.After(m.cfg.Now()) {
		err := fmt.Errorf("target cell %s: %w", o.Target, &state.LockedError{Tenant: o.Tenant, ID: moveID, Holder: l})
		if _, ok := parseStandbyJournal(l.Step); ok {
			err = fmt.Errorf("%w; cell %s keeps a warm standby of the tenant: promote it instead (stop its follower, then cellfabric tenants promote %s --to %s)", err, o.Target, o.Tenant, o.Target)
		}
		errs = append(errs, err)
	}
	ours := tmeta.Lock != nil && tmeta.Lock.ID == moveID
	if !tmeta.Moved && !ours && tmeta.Position > 0 && !o.ForceOverwrite {
		n, err := countKeys(ctx, tgt, o.Tenant)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("counting tenant %s's keys on the target cell %s: %w", o.Tenant, o.Target, err))
		case n > 0:
			errs = append(errs, fmt.Errorf("target cell %s holds %d live keys of tenant %s that no move left there: move them away or pass force-overwrite to replace them", o.Target, n, o.Tenant))
		}
	}
	return errs
}

// countKeys counts the tenant's live keys on a cell.
func countKeys(ctx context.Context, c CellState, tenant string) (int, error) {
	n := 0
	_, err := c.Export(ctx, tenant, func(state.Record) error { n++; return nil })
	return n, err
}

// check is step 1: the target may take the tenant, and both cells are
// locked for the move (the target refuses every write until the switch).
func (r *run) check(ctx context.Context) (string, error) {
	if r.o.Promote {
		return r.checkPromote(ctx)
	}
	entry, err := r.m.cfg.Directory.Get(ctx, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("reading tenant %s from the directory: %w", r.o.Tenant, err)
	}
	if entry.Cell != r.srcC {
		return "", fmt.Errorf("tenant %s moved to cell %s since the move began: run it again", r.o.Tenant, entry.Cell)
	}
	smeta, err := r.src.Meta(ctx, r.o.Tenant)
	if err != nil {
		return "", fromSrc(fmt.Errorf("reading tenant %s's meta on its cell %s: %w", r.o.Tenant, r.srcC, err))
	}
	tmeta, err := r.tgt.Meta(ctx, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("reading tenant %s's meta on the target cell %s: %w", r.o.Tenant, r.o.Target, err)
	}
	if errs := r.m.problems(ctx, r.o, entry, smeta, tmeta, r.tgt, r.lock.ID); len(errs) > 0 {
		return "", fmt.Errorf("tenant %s cannot move to cell %s: %w", r.o.Tenant, r.o.Target, errors.Join(errs...))
	}
	if err := r.lockTarget(ctx, tmeta.Fence); err != nil {
		return "", err
	}
	return fmt.Sprintf("target %s can take tenant %s (epoch %d, position %d on %s); both cells locked, target fenced until the switch", r.o.Target, r.o.Tenant, entry.Epoch, smeta.Position, r.srcC), nil
}

// lockTarget locks the tenant on the target with the move's lock and
// fences every write there until the switch, keeping the target's fence
// (the check of a move and of a promotion both end with it).
func (r *run) lockTarget(ctx context.Context, fence int64) error {
	r.mu.Lock()
	l := r.lockNow()
	r.mu.Unlock()
	if _, err := r.tgt.Lock(ctx, r.o.Tenant, l); err != nil {
		return fmt.Errorf("locking tenant %s on the target cell %s: %w", r.o.Tenant, r.o.Target, err)
	}
	r.mu.Lock()
	r.tgtLocked = true
	r.mu.Unlock()
	if _, err := r.tgt.SetFence(ctx, r.o.Tenant, state.FenceState{Fence: fence, FenceAll: true}); err != nil {
		return fmt.Errorf("fencing tenant %s on the target cell %s until the switch: %w", r.o.Tenant, r.o.Target, err)
	}
	return nil
}
