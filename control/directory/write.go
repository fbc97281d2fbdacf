package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Outcome says what a write did.
type Outcome string

// Outcomes of a write.
const (
	OutcomeAdded     Outcome = "added"     // the tenant is new: epoch 1, or one above its epoch when it was removed
	OutcomeUpdated   Outcome = "updated"   // the entry changed; epoch + 1
	OutcomeUnchanged Outcome = "unchanged" // the entry was already so; nothing written, epoch kept
	OutcomeRemoved   Outcome = "removed"   // the tenant left the directory; epoch + 1 in its tombstone
)

// PutOptions make a write conditional.
type PutOptions struct {
	// IfEpoch, when positive, makes the write conditional on the tenant's
	// current epoch being IfEpoch (the epoch the caller read), so a writer
	// with a stale read is refused (ReasonEpochMismatch). Zero: no check.
	IfEpoch int64
	// IfAbsent makes the write conditional on the tenant not being in the
	// directory (ReasonExists otherwise): an add. An add of an entry equal
	// to the stored one succeeds unchanged, so that adds can be retried.
	IfAbsent bool
}

func (o PutOptions) check(id string) error {
	switch {
	case o.IfEpoch < 0:
		return errorf(400, ReasonBadQuery, id, "ifEpoch %d is negative: pass the epoch you read for tenant %q (1 or more)", o.IfEpoch, id)
	case o.IfAbsent && o.IfEpoch > 0:
		return errorf(400, ReasonBadQuery, id, "ifAbsent and ifEpoch both given for tenant %q: give ifAbsent to add it, ifEpoch to change it", id)
	}
	return nil
}

// Put writes tenant t's entry (its Epoch is ignored) and returns the stored
// entry with its epoch. An entry equal to the stored one (same cell,
// failovers, state and residency) is not written again: the write is
// idempotent. The error is an *Error: ReasonInvalidID or ReasonInvalidEntry
// (422), ReasonExists or ReasonEpochMismatch (409), ReasonNoRegistry,
// ReasonStore or ReasonNotStored (503).
func (d *Directory) Put(ctx context.Context, t router.Tenant, opts PutOptions) (router.Tenant, Outcome, error) {
	if err := checkID(t.ID); err != nil {
		return router.Tenant{}, "", err
	}
	if err := opts.check(t.ID); err != nil {
		return router.Tenant{}, "", err
	}
	snap, err := d.snapshot(t.ID)
	if err != nil {
		return router.Tenant{}, "", err
	}
	c := counts{}
	stored, outcome, err := d.write(ctx, snap, t, opts, c)
	d.applyCounts(ctx, c)
	return stored, outcome, err
}

// write is Put with the cell counters' changes added to c rather than
// written (Batch writes them once for the whole batch).
func (d *Directory) write(ctx context.Context, snap *router.Snapshot, t router.Tenant, opts PutOptions, c counts) (router.Tenant, Outcome, error) {
	t = normalize(t)
	defer d.lock(t.ID)()
	prev, found, err := d.get(ctx, t.ID)
	if err != nil {
		return router.Tenant{}, "", err
	}
	if err := checkEntry(snap, &t, prev, found); err != nil {
		return router.Tenant{}, "", err
	}
	switch {
	case opts.IfAbsent && found && SameEntry(prev, t):
		// An add repeated (a retry, an import run again) is not a conflict.
		return prev, OutcomeUnchanged, nil
	case opts.IfAbsent && found:
		return prev, "", errorf(409, ReasonExists, t.ID, "tenant %q is already in the directory (epoch %d, cell %s): change it with set (ifEpoch=%d), or remove it first", t.ID, prev.Epoch, prev.Cell, prev.Epoch)
	case opts.IfEpoch > 0 && !found:
		return router.Tenant{}, "", errorf(409, ReasonEpochMismatch, t.ID, "tenant %q is not in the directory, but the write expected epoch %d: someone removed it; read it again, or add it", t.ID, opts.IfEpoch)
	case opts.IfEpoch > 0 && prev.Epoch != opts.IfEpoch:
		return prev, "", errorf(409, ReasonEpochMismatch, t.ID, "tenant %q is at epoch %d, not %d: it changed since you read it; read it again and retry with ifEpoch=%d", t.ID, prev.Epoch, opts.IfEpoch, prev.Epoch)
	}
	if found && SameEntry(prev, t) {
		return prev, OutcomeUnchanged, nil
	}
	base := prev.Epoch
	if !found {
		if base, err = d.removedEpoch(ctx, t.ID); err != nil {
			return router.Tenant{}, "", err
		}
	}
	t.Epoch = d.nextEpoch(t.ID, base)
	if err := d.commit(ctx, router.TenantChange{ID: t.ID, Epoch: t.Epoch, Entry: &t}); err != nil {
		return router.Tenant{}, "", err
	}
	if !found {
		c.add(t.Cell, 1)
		return t, OutcomeAdded, nil
	}
	if prev.Cell != t.Cell {
		c.add(prev.Cell, -1)
		c.add(t.Cell, 1)
	}
	return t, OutcomeUpdated, nil
}

// Remove removes tenant id from the directory and returns its tombstone
// (the removal's journal record). ifEpoch > 0 makes it conditional on the
// tenant's epoch. The error is an *Error: ReasonNotFound (404),
// ReasonEpochMismatch (409), ReasonStore or ReasonNotStored (503).
func (d *Directory) Remove(ctx context.Context, id string, ifEpoch int64) (router.TenantChange, error) {
	if err := checkID(id); err != nil {
		return router.TenantChange{}, err
	}
	if err := (PutOptions{IfEpoch: ifEpoch}).check(id); err != nil {
		return router.TenantChange{}, err
	}
	c := counts{}
	defer d.applyCounts(ctx, c)
	defer d.lock(id)()
	prev, found, err := d.get(ctx, id)
	if err != nil {
		return router.TenantChange{}, err
	}
	if !found {
		return router.TenantChange{}, errorf(404, ReasonNotFound, id, "tenant %q is not in the directory: nothing to remove (tenants of the stack file are removed from the stack file)", id)
	}
	if ifEpoch > 0 && prev.Epoch != ifEpoch {
		return router.TenantChange{}, errorf(409, ReasonEpochMismatch, id, "tenant %q is at epoch %d, not %d: it changed since you read it; read it again and retry with ifEpoch=%d", id, prev.Epoch, ifEpoch, prev.Epoch)
	}
	ch := router.TenantChange{ID: id, Epoch: d.nextEpoch(id, prev.Epoch), Removed: true}
	if err := d.commit(ctx, ch); err != nil {
		return router.TenantChange{}, err
	}
	c.add(prev.Cell, -1)
	return ch, nil
}

// normalize drops what a stored entry does not keep: the epoch (the
// directory sets it) and an empty failover list.
func normalize(t router.Tenant) router.Tenant {
	t.Epoch = 0
	if len(t.Failover) == 0 {
		t.Failover = nil
	} else {
		t.Failover = slices.Clone(t.Failover)
	}
	return t
}

// SameEntry reports whether writing t would leave the stored entry as it
// is: the same cell, failovers, state (default applied) and residency;
// epochs are not compared. Such a write is not made (OutcomeUnchanged).
func SameEntry(stored, t router.Tenant) bool {
	return stored.Cell == t.Cell && slices.Equal(stored.Failover, t.Failover) &&
		stored.EffectiveState() == t.EffectiveState() && stored.Residency == t.Residency
}

// checkEntry validates an entry about to be written: the registry's rules
// for a tenant and residency (router.Snapshot.CheckTenant), and, for a new
// primary cell, that the cell is not down.
func checkEntry(snap *router.Snapshot, t *router.Tenant, prev router.Tenant, found bool) error {
	var problems []fabric.Problem
	if err := snap.CheckTenant(t); err != nil {
		var ps fabric.Problems
		if !errors.As(err, &ps) {
			return errorf(422, ReasonInvalidEntry, t.ID, "tenant %q: %v", t.ID, err)
		}
		problems = ps.List
	}
	if !found || prev.Cell != t.Cell {
		if c, ok := snap.Cell(t.Cell); ok && c.EffectiveState() == fabric.CellDown {
			problems = append(problems, fabric.Problem{Path: "cell", Msg: fmt.Sprintf("cell %q is down: a new primary must be active or draining; choose another cell", t.Cell)})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return invalidEntry(snap, t.ID, problems)
}

// invalidEntry is the 422 for an entry's problems: one sentence naming the
// tenant, each problem with its field, and the registry's cells when one
// was unknown.
func invalidEntry(snap *router.Snapshot, id string, problems []fabric.Problem) *Error {
	parts := make([]string, 0, len(problems))
	unknown := false
	for i, p := range problems {
		if i == fabric.MaxProblems {
			parts = append(parts, fmt.Sprintf("... and %d more", len(problems)-i))
			break
		}
		parts = append(parts, p.Error())
		unknown = unknown || strings.Contains(p.Msg, "unknown cell")
	}
	msg := fmt.Sprintf("tenant %q is not a valid entry: %s", id, strings.Join(parts, "; "))
	if unknown {
		ids := make([]string, 0, len(snap.Cells()))
		for _, c := range snap.Cells() {
			ids = append(ids, c.ID)
		}
		msg += fmt.Sprintf(" (the registry's cells: %s)", strings.Join(ids, ", "))
	}
	return &Error{Status: 422, Reason: ReasonInvalidEntry, Tenant: id, Msg: msg}
}

// removedEpoch returns the last epoch of tenant id if it was removed (0 if
// it never was).
func (d *Directory) removedEpoch(ctx context.Context, id string) (int64, error) {
	v, found, err := d.kv.Get(ctx, RemovedKey(id))
	if err != nil {
		return 0, storeError(id, "reading the tenant", err)
	}
	if !found {
		return 0, nil
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
	if perr != nil || n < 0 {
		return 0, nil
	}
	return n, nil
}

// nextEpoch is the epoch of the next write to tenant id whose stored epoch
// is stored: one above it, or above an epoch this Directory journaled for
// the tenant without storing its entry (so that no epoch is ever used for
// two different entries by this process).
func (d *Directory) nextEpoch(id string, stored int64) int64 {
	d.clockMu.Lock()
	defer d.clockMu.Unlock()
	if b := d.burned[id]; b > stored {
		stored = b
	}
	return stored + 1
}

// commit writes one change: its journal record first, then the entry (or,
// for a removal, the removed tenant's epoch and the entry's deletion). The record carries the whole entry, so a reader of the
// journal that sees it may apply it even if the entry write then fails; the
// caller is told (ReasonNotStored) and the epoch is not handed out again.
// Once the journal record is written, the entry is written even if ctx is
// cancelled, so that a client going away does not split the pair.
func (d *Directory) commit(ctx context.Context, ch router.TenantChange) error {
	ms := d.begin()
	defer d.end(ms)
	rec, err := json.Marshal(ch)
	if err != nil {
		return AsError(err)
	}
	if err := d.kv.Put(ctx, JournalKey(ms, ch.ID), rec, JournalTTL); err != nil {
		return storeError(ch.ID, "writing the journal record", err)
	}
	ctx = context.WithoutCancel(ctx)
	if ch.Removed {
		err = d.kv.Put(ctx, RemovedKey(ch.ID), []byte(strconv.FormatInt(ch.Epoch, 10)), 0)
		if err == nil {
			err = d.kv.Delete(ctx, TenantKey(ch.ID))
		}
	} else {
		var entry []byte
		if entry, err = json.Marshal(ch.Entry); err == nil {
			err = d.kv.Put(ctx, TenantKey(ch.ID), entry, 0)
		}
	}
	d.clockMu.Lock()
	if err != nil {
		if d.burned[ch.ID] < ch.Epoch {
			d.burned[ch.ID] = ch.Epoch
		}
	} else if d.burned[ch.ID] <= ch.Epoch {
		delete(d.burned, ch.ID)
	}
	d.clockMu.Unlock()
	if err != nil {
		what := "its entry"
		if ch.Removed {
			what = "the deletion of its entry"
		}
		return &Error{Status: 503, Reason: ReasonNotStored, Tenant: ch.ID, RetryAfter: 1, Err: err,
			Msg: fmt.Sprintf("the change to tenant %q was journaled at epoch %d but %s could not be stored (%v): routers that follow the journal may already apply it; retry the same request to finish it", ch.ID, ch.Epoch, what, err)}
	}
	return nil
}
