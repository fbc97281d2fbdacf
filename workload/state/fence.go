package state

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/cellfabric/cellfabric/fabric"
)

// Errors of fencing and move locks. Each reaches callers wrapped in a typed
// error (StaleEpochError, MovedError, LockedError) that errors.As reads.
var (
	// ErrStaleEpoch: a write carried a placement epoch older than the
	// tenant's fence here, or the tenant is fenced for every write while
	// it moves. Nothing was written; the caller's placement is stale.
	ErrStaleEpoch = errors.New("stale placement epoch")
	// ErrMoved: the tenant left this store for another cell; its data is
	// served there. Nothing was read or written.
	ErrMoved = errors.New("tenant moved to another cell")
	// ErrLocked: another move holds the tenant's move lock (or, for Renew
	// and Unlock, the caller does not hold it).
	ErrLocked = errors.New("tenant locked by another move")
)

const (
	// MaxLockField is the longest a move lock's ID, Owner, Target or Step
	// may be, in bytes.
	MaxLockField = 256
	// MaxLockLifetime is the furthest in the future a move lock may
	// expire: a mover renews its lock at every step, so a lock that
	// outlives a crashed mover by more than this is a mistake.
	MaxLockLifetime = 24 * time.Hour
)

// FenceState is what a store enforces for one tenant's writes: set by the
// mover (SetFence), kept in the tenant's meta record by every adapter. The
// zero value: no fence (a write with no epoch is accepted).
type FenceState struct {
	// Fence is the lowest placement epoch a write must carry (Cond.Epoch)
	// to be accepted. 0: none.
	Fence int64 `json:"fence"`
	// FenceAll refuses every write, whatever its epoch, while the tenant
	// is being moved; reads go on.
	FenceAll bool `json:"fenceAll,omitempty"`
	// Moved marks a tenant that left this store for the cell MovedTo at
	// epoch Fence: Get, List, Put and Delete are refused with ErrMoved.
	// Export, Changes, Position, Meta and Import keep working for the
	// mover (it verifies the source after the switch).
	Moved bool `json:"moved,omitempty"`
	// MovedTo is the cell the tenant moved to; required with Moved, empty
	// otherwise.
	MovedTo string `json:"movedTo,omitempty"`
}

// Validate returns what is wrong with f, or nil.
func (f FenceState) Validate() error {
	var errs []error
	if f.Fence < 0 {
		errs = append(errs, fmt.Errorf("%w: fence %d is negative: use 0 for no fence", ErrInvalid, f.Fence))
	}
	switch {
	case f.Moved && !fabric.ValidCellID(f.MovedTo):
		errs = append(errs, fmt.Errorf("%w: movedTo %q is not a cell id (%s): a moved tenant names the cell it moved to", ErrInvalid, f.MovedTo, fabric.CellIDRule))
	case !f.Moved && f.MovedTo != "":
		errs = append(errs, fmt.Errorf("%w: movedTo %q is set on a tenant that has not moved: set moved too, or clear movedTo", ErrInvalid, f.MovedTo))
	}
	return errors.Join(errs...)
}

// MoveLock is the lock of a move in progress, kept in the source's meta
// record: of two movers of one tenant, exactly one holds it. The mover
// journals its progress in Step and renews the lock at each step; once
// Expires has passed another mover may take it over.
type MoveLock struct {
	// ID names the move; the holder renews and releases the lock with it.
	// Required.
	ID string `json:"id"`
	// Owner says who runs the move (host and process), for people.
	Owner string `json:"owner,omitempty"`
	// Target is the cell the tenant is moving to.
	Target string `json:"target,omitempty"`
	// Step is the move's last journaled step.
	Step string `json:"step,omitempty"`
	// Expires is when the lock lapses unless renewed. Required, and in
	// the future when the lock is taken or renewed.
	Expires time.Time `json:"expires"`
}

// Validate returns what is wrong with l, or nil. now is the store's clock.
func (l MoveLock) Validate(now time.Time) error {
	var errs []error
	if l.ID == "" {
		errs = append(errs, fmt.Errorf("%w: the move lock has no id", ErrInvalid))
	}
	for _, f := range []struct{ name, v string }{{"id", l.ID}, {"owner", l.Owner}, {"target", l.Target}, {"step", l.Step}} {
		if len(f.v) > MaxLockField {
			errs = append(errs, fmt.Errorf("%w: the move lock's %s is %d bytes, over the %d byte limit", ErrInvalid, f.name, len(f.v), MaxLockField))
		} else if !printable(f.v) {
			errs = append(errs, fmt.Errorf("%w: the move lock's %s %q is not printable UTF-8", ErrInvalid, f.name, f.v))
		}
	}
	switch {
	case !l.Expires.After(now):
		errs = append(errs, fmt.Errorf("%w: the move lock expires at %s, not after now (%s): give it a lifetime", ErrInvalid, l.Expires.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano)))
	case l.Expires.After(now.Add(MaxLockLifetime)):
		errs = append(errs, fmt.Errorf("%w: the move lock expires at %s, more than %s from now: renew it at each step instead", ErrInvalid, l.Expires.UTC().Format(time.RFC3339Nano), MaxLockLifetime))
	}
	return errors.Join(errs...)
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// TenantMeta is what Store.Meta reports of a tenant: its fence, its move
// lock and its position.
type TenantMeta struct {
	FenceState
	// Lock is the move lock, nil when none is held. An expired lock is
	// reported until it is taken over or released.
	Lock *MoveLock `json:"lock,omitempty"`
	// Position is the tenant's last sequence number.
	Position uint64 `json:"position"`
}

// StaleEpochError is the refusal of a write whose epoch is below the
// tenant's fence, or of any write while FenceAll is set. errors.Is(err,
// ErrStaleEpoch) holds.
type StaleEpochError struct {
	Tenant string
	// Epoch is the epoch the write carried (0: none).
	Epoch int64
	// Fence and All are the tenant's fence here.
	Fence int64
	All   bool
}

func (e *StaleEpochError) Error() string {
	if e.All {
		return fmt.Sprintf("%s: tenant %s is fenced for every write while it moves (fence %d); retry once the move is done", ErrStaleEpoch, e.Tenant, e.Fence)
	}
	return fmt.Sprintf("%s: tenant %s takes writes at placement epoch %d or later here, this one carried %d; fetch the tenant's placement again", ErrStaleEpoch, e.Tenant, e.Fence, e.Epoch)
}

func (e *StaleEpochError) Unwrap() error { return ErrStaleEpoch }

// MovedError is the refusal of a read or write of a tenant that moved to
// another cell. errors.Is(err, ErrMoved) holds.
type MovedError struct {
	Tenant string
	// MovedTo is the cell the tenant moved to, at epoch Fence.
	MovedTo string
	Fence   int64
}

func (e *MovedError) Error() string {
	return fmt.Sprintf("%s: tenant %s moved to cell %s at placement epoch %d; fetch the tenant's placement again", ErrMoved, e.Tenant, e.MovedTo, e.Fence)
}

func (e *MovedError) Unwrap() error { return ErrMoved }

// LockedError is the refusal of Lock while another move holds the lock, or
// of Renew and Unlock by a move that does not hold it. errors.Is(err,
// ErrLocked) holds.
type LockedError struct {
	Tenant string
	// ID is the move that asked.
	ID string
	// Holder is the lock held, nil when none is.
	Holder *MoveLock
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("%s: tenant %s has no move lock, so move %s does not hold it (it expired and was released?); take it again", ErrLocked, e.Tenant, e.ID)
	}
	return fmt.Sprintf("%s: tenant %s is locked by move %s (owner %q, step %q, expires %s), not %s; wait for it to finish or expire", ErrLocked, e.Tenant, e.Holder.ID, e.Holder.Owner, e.Holder.Step, e.Holder.Expires.UTC().Format(time.RFC3339), e.ID)
}

func (e *LockedError) Unwrap() error { return ErrLocked }
