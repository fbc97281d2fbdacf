package mover

import (
	"errors"
	"fmt"
)

// ErrSwitched: the move passed its switch step, so it cannot be aborted;
// resume it to finish.
var ErrSwitched = errors.New("the move has switched the tenant to its target")

// PendingError is a move that stopped without finishing or undoing
// itself: the tenant stays as the journal in its lock says (fenced, when
// Step is fence or later), and the move is to be resumed or aborted.
type PendingError struct {
	Tenant, Target, MoveID string
	// Step is the journaled step to resume from.
	Step Step
	// Fenced reports whether the tenant is fenced (read-only) meanwhile.
	Fenced bool
	// Abortable is false from switch on: only resuming finishes it.
	Abortable bool
	Err       error
}

func (e *PendingError) Error() string {
	what := "the tenant is not fenced (it takes writes on its source)"
	if e.Fenced {
		what = "the tenant stays fenced (read-only) until the move is resumed or aborted"
	}
	next := "resume the move with its id " + e.MoveID
	if e.Abortable {
		next += ", or abort it"
	} else {
		next += " (it switched: it can only roll forward)"
	}
	return fmt.Sprintf("move %s of tenant %s to cell %s stopped at step %s: %v; %s: %s", e.MoveID, e.Tenant, e.Target, e.Step, e.Err, what, next)
}

func (e *PendingError) Unwrap() error { return e.Err }

// AbortedError is a move that failed before its switch and was undone:
// the tenant is back on its source, unchanged.
type AbortedError struct {
	Tenant, Source, Target, MoveID string
	// Step is where the move failed.
	Step Step
	// Left says what the target keeps (a fenced copy), "" when nothing.
	Left string
	Err  error
}

func (e *AbortedError) Error() string {
	s := fmt.Sprintf("move %s of tenant %s to cell %s failed at step %s and was aborted (the tenant is back on cell %s, unchanged): %v", e.MoveID, e.Tenant, e.Target, e.Step, e.Source, e.Err)
	if e.Left != "" {
		s += "; " + e.Left
	}
	return s
}

func (e *AbortedError) Unwrap() error { return e.Err }

// SourceDownError is a promotion that stopped because the source cell is
// unreachable and Options.AcceptLoss was not given: it says what the
// standby holds, so the operator knows what a promotion would lose.
type SourceDownError struct {
	Tenant, Source, Target string
	Standby                StandbyState
	Err                    error
}

func (e *SourceDownError) Error() string {
	return fmt.Sprintf("the source cell %s of tenant %s is unreachable (%v): promoting cell %s now serves what it holds, %s; writes %s acknowledged after that are lost unless it comes back. Bring %s back and promote again (nothing is lost), or accept the loss to promote now", e.Source, e.Tenant, e.Err, e.Target, e.Standby, e.Source, e.Source)
}

func (e *SourceDownError) Unwrap() error { return e.Err }
