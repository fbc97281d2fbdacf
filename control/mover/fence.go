package mover

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/ctxtime"
	"github.com/cellfabric/cellfabric/workload/state"
)

// fence is step 4: the directory says migrating (epoch e+1, routers
// answer writes 503) and the source refuses every write; the position
// the source returns bounds every write it acknowledged.
func (r *run) fence(ctx context.Context) (string, error) {
	cur, err := r.m.cfg.Directory.Get(ctx, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("reading tenant %s from the directory: %w", r.o.Tenant, err)
	}
	r.fenceAt = r.now()
	switch {
	case cur.Cell == r.srcC && cur.State == fabric.TenantMigrating:
		// Fenced by an earlier run of this move.
	case cur.Cell == r.srcC && cur.EffectiveState() == fabric.TenantActive && cur.Epoch == r.j.Epoch:
		next := cur
		next.State = fabric.TenantMigrating
		if _, err := r.m.cfg.Directory.Put(ctx, next, directory.PutOptions{IfEpoch: cur.Epoch}); err != nil {
			return "", fmt.Errorf("setting tenant %s migrating in the directory: %w", r.o.Tenant, err)
		}
	default:
		return "", fmt.Errorf("tenant %s's directory entry changed during the move (cell %s, state %s, epoch %d; the move began at epoch %d on %s): abort the move and start again", r.o.Tenant, cur.Cell, cur.EffectiveState(), cur.Epoch, r.j.Epoch, r.srcC)
	}
	meta, err := r.src.SetFence(ctx, r.o.Tenant, state.FenceState{Fence: r.j.Fence, FenceAll: true})
	if err != nil {
		return "", fromSrc(fmt.Errorf("fencing tenant %s on cell %s: %w", r.o.Tenant, r.srcC, err))
	}
	r.fencePos = meta.Position
	r.res.Position = meta.Position
	return fmt.Sprintf("directory migrating, source fenced at position %d (the target is at %d)", meta.Position, r.pos), nil
}

// drain is step 5: the rest of the change feed up to the fence's
// position, then the source's and the target's exports compared (both
// are fenced: neither changes).
func (r *run) drain(ctx context.Context) (string, error) {
	applied := 0
	defer func() { r.res.LagAtFence = applied }()
	for r.pos < r.fencePos {
		n, err := r.catchUp(ctx)
		if err != nil {
			return "", err
		}
		applied += n
		if n == 0 && r.pos < r.fencePos {
			if err := ctxtime.Sleep(ctx, followPause); err != nil {
				return "", err
			}
		}
	}
	src, err := checksum(ctx, r.src, r.o.Tenant)
	if err != nil {
		return "", fromSrc(fmt.Errorf("checksumming tenant %s on cell %s: %w", r.o.Tenant, r.srcC, err))
	}
	tgt, err := checksum(ctx, r.tgt, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("checksumming tenant %s on the target cell %s: %w", r.o.Tenant, r.o.Target, err)
	}
	r.res.Verify = Verify{Keys: src.keys, SHA256: src.hex(), Match: src == tgt, Checked: true}
	if src != tgt {
		return "", fmt.Errorf("tenant %s's data differs after the drain: source %s has %d keys (sha256 %s), target %s has %d (sha256 %s)", r.o.Tenant, r.srcC, src.keys, src.hex(), r.o.Target, tgt.keys, tgt.hex())
	}
	if r.sample == "" {
		r.sample = src.first
	}
	return fmt.Sprintf("%d changes applied up to position %d; %d keys, sha256 %s on both cells", applied, r.fencePos, src.keys, src.hex()[:16]), nil
}

// switchOver is step 6: the target takes writes at epoch e+2, the
// directory places the tenant there (active, epoch e+2), the source
// refuses the tenant as moved. From here the move only rolls forward.
func (r *run) switchOver(ctx context.Context) (string, error) {
	cur, err := r.m.cfg.Directory.Get(ctx, r.o.Tenant)
	if err != nil {
		return "", fmt.Errorf("reading tenant %s from the directory: %w", r.o.Tenant, err)
	}
	epoch := cur.Epoch
	switch {
	case cur.Cell == r.o.Target:
		// Switched by an earlier run of this move.
		if _, err := r.tgt.SetFence(ctx, r.o.Tenant, state.FenceState{Fence: epoch}); err != nil {
			return "", fmt.Errorf("unfencing tenant %s on the target cell %s at epoch %d: %w", r.o.Tenant, r.o.Target, epoch, err)
		}
	case cur.Cell == r.srcC && (cur.State == fabric.TenantMigrating || r.srcDown && cur.EffectiveState() == fabric.TenantActive):
		epoch = cur.Epoch + 1
		// Unfenced first, at the epoch no router holds yet: no write
		// reaches the target before the directory names it.
		if _, err := r.tgt.SetFence(ctx, r.o.Tenant, state.FenceState{Fence: epoch}); err != nil {
			return "", fmt.Errorf("unfencing tenant %s on the target cell %s at epoch %d: %w", r.o.Tenant, r.o.Target, epoch, err)
		}
		next := cur
		next.Cell = r.o.Target
		next.State = fabric.TenantActive
		next.Failover = slices.DeleteFunc(slices.Clone(cur.Failover), func(c string) bool { return c == r.o.Target })
		stored, err := r.m.cfg.Directory.Put(ctx, next, directory.PutOptions{IfEpoch: cur.Epoch})
		if err != nil {
			return "", fmt.Errorf("switching tenant %s to cell %s in the directory: %w", r.o.Tenant, r.o.Target, err)
		}
		epoch = stored.Epoch
	default:
		return "", fmt.Errorf("tenant %s's directory entry changed during the move (cell %s, state %s, epoch %d): set it to cell %s, state migrating, then resume", r.o.Tenant, cur.Cell, cur.EffectiveState(), cur.Epoch, r.srcC)
	}
	if !r.fenceAt.IsZero() {
		r.res.WriteUnavailable = r.now().Sub(r.fenceAt)
	}
	r.res.Epoch = epoch
	if r.srcDown {
		return fmt.Sprintf("directory: tenant on %s at epoch %d; target unfenced; the source %s is unreachable and was not told (it keeps its fence %d)", r.o.Target, epoch, r.srcC, r.j.Fence), nil
	}
	if _, err := r.src.SetFence(ctx, r.o.Tenant, state.FenceState{Fence: epoch, Moved: true, MovedTo: r.o.Target}); err != nil {
		return "", fromSrc(fmt.Errorf("marking tenant %s moved on cell %s: %w", r.o.Tenant, r.srcC, err))
	}
	return fmt.Sprintf("directory: tenant on %s at epoch %d; target unfenced; source refuses the tenant as moved", r.o.Target, epoch), nil
}

// The read through the router is tried readThroughAttempts times, the
// n-th wait n×readThroughPause: about 2 s in all.
const (
	readThroughAttempts = 8
	readThroughPause    = 75 * time.Millisecond
)

// verify is step 7: the source refuses the tenant as moved to the
// target, and a read through the router is answered by the target.
func (r *run) verify(ctx context.Context) (string, error) {
	if r.srcDown {
		return r.readThrough(ctx, "the source is unreachable: not checked there")
	}
	meta, err := r.src.Meta(ctx, r.o.Tenant)
	if err != nil {
		return "", fromSrc(fmt.Errorf("reading tenant %s's meta on cell %s: %w", r.o.Tenant, r.srcC, err))
	}
	if !meta.Moved || meta.MovedTo != r.o.Target {
		return "", fmt.Errorf("cell %s does not refuse tenant %s as moved to %s (moved %t, to %q): resume the move", r.srcC, r.o.Tenant, r.o.Target, meta.Moved, meta.MovedTo)
	}
	detail := "source refuses the tenant as moved"
	if r.res.Verify.Checked {
		detail += fmt.Sprintf("; %d keys matched by count and sha256 before the switch", r.res.Verify.Keys)
	} else {
		detail += "; the data was compared before the switch by an earlier run"
	}
	return r.readThrough(ctx, detail)
}

// readThrough reads a key of the tenant through the router
// (Options.ReadThrough) and wants the target to answer; detail is what
// verify found so far.
func (r *run) readThrough(ctx context.Context, detail string) (string, error) {
	if r.o.ReadThrough != nil {
		key := r.sample
		if key == "" {
			key = "cellfabric-move-check"
		}
		// Routers learn of the switch within their directory poll: a few
		// tries, spaced out.
		var cell string
		var err error
		for attempt := 1; ; attempt++ {
			cell, err = r.o.ReadThrough(ctx, r.o.Tenant, key)
			if (err == nil && cell == r.o.Target) || attempt == readThroughAttempts {
				break
			}
			if err := ctxtime.Sleep(ctx, time.Duration(attempt)*readThroughPause); err != nil {
				return "", err
			}
		}
		if err != nil {
			return "", fmt.Errorf("reading tenant %s's key %s through the router: %w", r.o.Tenant, key, err)
		}
		r.res.Verify.RouterCell = cell
		if cell != r.o.Target {
			return "", fmt.Errorf("a read of tenant %s through the router was answered by cell %s, not %s: the routers have not taken the switch; resume the move to check again", r.o.Tenant, cell, r.o.Target)
		}
		detail += "; a read through the router was answered by " + cell
	}
	return detail, nil
}

// done is step 8: both locks released.
func (r *run) done(ctx context.Context) (string, error) {
	r.lockMu.Lock()
	defer r.lockMu.Unlock()
	r.mu.Lock()
	l := r.lock
	r.mu.Unlock()
	if _, err := r.tgt.Unlock(ctx, r.o.Tenant, l); err != nil {
		return "", fmt.Errorf("releasing the move lock on the target cell %s: %w", r.o.Target, err)
	}
	r.mu.Lock()
	r.tgtLocked = false
	srcLocked := r.srcLocked
	r.mu.Unlock()
	if !srcLocked && r.srcDown {
		return "lock released on the target (the source is unreachable)", nil
	}
	if _, err := r.src.Unlock(ctx, r.o.Tenant, l); err != nil {
		return "", fromSrc(fmt.Errorf("releasing the move lock on cell %s: %w", r.srcC, err))
	}
	r.mu.Lock()
	r.srcLocked = false
	r.mu.Unlock()
	return "locks released", nil
}
