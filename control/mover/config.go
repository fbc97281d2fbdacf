package mover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/state"
)

// Directory is the tenant directory as the mover uses it.
// *dirhttp.Client satisfies it.
type Directory interface {
	Get(ctx context.Context, id string) (router.Tenant, error)
	Put(ctx context.Context, t router.Tenant, opts directory.PutOptions) (router.Tenant, error)
}

// CellState is one cell's state admin API. *stateapi.Client satisfies it.
type CellState interface {
	Meta(ctx context.Context, tenant string) (state.TenantMeta, error)
	SetFence(ctx context.Context, tenant string, f state.FenceState) (state.TenantMeta, error)
	Lock(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error)
	Renew(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error)
	Unlock(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error)
	Export(ctx context.Context, tenant string, fn func(state.Record) error) (uint64, error)
	Changes(ctx context.Context, tenant string, since uint64, limit int) ([]state.Record, uint64, error)
	Import(ctx context.Context, tenant string, recs []state.Record) (uint64, error)
}

// Config is what a Mover works with.
type Config struct {
	// Directory is the tenant directory. Required.
	Directory Directory
	// Cells returns the state admin API of a cell by id. Required.
	Cells func(cell string) (CellState, error)
	// Registry is the registry the routers serve: the target must be one
	// of its cells, not down, in the tenant's residency. Required.
	Registry *router.Registry
	// Health checks that a cell answers (its /healthz). Nil: only the
	// registry's cell state is checked.
	Health func(ctx context.Context, cell string) error
	// Owner names who runs the moves (host and process), in the locks.
	// Zero: "cellfabric mover".
	Owner string
	// Logger receives a line per step. Zero: discard.
	Logger *slog.Logger
	// OnStep is called as each step starts and ends (the CLI prints it).
	// Nil: not called.
	OnStep func(Event)
	// Now is the mover's clock, for lock expiries and timings. Zero:
	// time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultLagThreshold   = 100
	DefaultFollowDeadline = 30 * time.Second
	DefaultImportBatch    = state.MaxImportBatch
	DefaultImportParallel = 4
	DefaultLockTTL        = 30 * time.Second
)

// Options are one move's.
type Options struct {
	// Tenant is the tenant to move. Required.
	Tenant string
	// Target is the cell to move it to. Required.
	Target string
	// MoveID resumes the move with this id (its journal is in the lock),
	// even while its lock has not expired. Zero: a new id, which takes over
	// an expired lock of a move to the same target and resumes it.
	MoveID string
	// LagThreshold is how many records behind the source the follow step
	// may be when it fences: it fences once one read of the change feed
	// brings at most this many. Zero: DefaultLagThreshold.
	LagThreshold uint64
	// FollowDeadline bounds the follow step. When the lag is still over
	// LagThreshold at it (the target imports slower than the source takes
	// writes), the move is aborted, so that the write-unavailable window
	// stays short, unless FenceAtDeadline. Zero: DefaultFollowDeadline.
	FollowDeadline time.Duration
	// FenceAtDeadline fences the tenant at FollowDeadline whatever the
	// lag: the move goes through, and writes wait for the drain of the
	// whole lag. Zero: the move is aborted at the deadline instead.
	FenceAtDeadline bool
	// ImportBatch is how many records one import carries (at most
	// state.MaxImportBatch). Zero: DefaultImportBatch.
	ImportBatch int
	// ImportParallel is how many imports the copy step runs at once. Zero:
	// DefaultImportParallel.
	ImportParallel int
	// LockTTL is the move lock's lifetime; it is renewed at every step and
	// every LockTTL/3. Zero: DefaultLockTTL.
	LockTTL time.Duration
	// ForceOverwrite lets the move replace data the target holds for the
	// tenant that no earlier move left there. Zero: such a target is
	// refused.
	ForceOverwrite bool
	// ReadThrough, when set, reads key of tenant through the router after
	// the switch and returns the cell that answered (X-Cell-ID); verify
	// wants the target. Nil: not done.
	ReadThrough func(ctx context.Context, tenant, key string) (cell string, err error)
	// Promote makes the move a promotion of the tenant's warm standby on
	// Target (kept by a Follower, which must have stopped): no copy, the
	// follow step reads the source's change feed from the position the
	// follower journaled, then fence, drain, switch, verify and done as a
	// move. Zero: a move (copy first).
	Promote bool
	// AcceptLoss lets a promotion go ahead while the source cell is
	// unreachable: the tenant is switched to what the standby holds
	// (writes the source acknowledged after the standby was last current
	// are lost, and the source is not told). Zero: such a promotion stops
	// with a *SourceDownError saying what would be lost.
	AcceptLoss bool
}

func (o Options) withDefaults() Options {
	if o.LagThreshold == 0 {
		o.LagThreshold = DefaultLagThreshold
	}
	orDefault(&o.FollowDeadline, DefaultFollowDeadline)
	orDefault(&o.ImportBatch, DefaultImportBatch)
	orDefault(&o.ImportParallel, DefaultImportParallel)
	orDefault(&o.LockTTL, DefaultLockTTL)
	return o
}

// orDefault sets *p to v when it is zero or negative (unset).
func orDefault[T int | time.Duration](p *T, v T) {
	if *p <= 0 {
		*p = v
	}
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Tenant == "" {
		errs = append(errs, errors.New("tenant: required"))
	}
	if o.Target == "" {
		errs = append(errs, errors.New("target: required (the cell to move the tenant to)"))
	}
	errs = append(errs, importProblems(o.ImportBatch, o.ImportParallel, o.LockTTL)...)
	if o.AcceptLoss && !o.Promote {
		errs = append(errs, errors.New("accept loss: only a promotion of a warm standby may lose writes; a move copies everything"))
	}
	if o.Promote && o.ForceOverwrite {
		errs = append(errs, errors.New("force overwrite: a promotion keeps the standby's data; it overwrites nothing"))
	}
	return errors.Join(errs...)
}

// importProblems are the rules Options and StandbyOptions share: the
// import batch and parallelism, and the lock's ttl.
func importProblems(batch, parallel int, lockTTL time.Duration) []error {
	var errs []error
	if batch > state.MaxImportBatch {
		errs = append(errs, fmt.Errorf("import batch: %d is over the %d records an import takes", batch, state.MaxImportBatch))
	}
	if batch < 0 || parallel < 0 {
		errs = append(errs, errors.New("import batch and parallelism: must not be negative (0 for the defaults)"))
	}
	if lockTTL > state.MaxLockLifetime {
		errs = append(errs, fmt.Errorf("lock ttl: %s is over %s", lockTTL, state.MaxLockLifetime))
	}
	return errs
}

// Event is a step starting (Done false) or ending.
type Event struct {
	Tenant, MoveID string
	Step           Step
	Done           bool
	// Elapsed is the time since the move started.
	Elapsed time.Duration
	// Detail says what the step did (when Done) or will do.
	Detail string
}
