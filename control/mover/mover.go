package mover

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// Mover moves tenants between cells. It is safe for concurrent use; two
// moves of one tenant exclude each other through the tenant's move lock.
type Mover struct {
	cfg Config
	// crashAt, in tests, stops a move as a killed mover would (no undo,
	// locks kept) once the step it names is journaled.
	crashAt func(Step) bool
}

// errCrashed is how a test's crashAt stops a move.
var errCrashed = errors.New("mover stopped (test crash)")

// New validates cfg and returns a Mover.
func New(cfg Config) (*Mover, error) {
	var errs []error
	if cfg.Directory == nil {
		errs = append(errs, errors.New("directory: required"))
	}
	if cfg.Cells == nil {
		errs = append(errs, errors.New("cells: required (how to reach each cell's state API)"))
	}
	if cfg.Registry == nil {
		errs = append(errs, errors.New("registry: required (the cells a tenant may move to)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mover: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		cfg.Owner = "cellfabric mover"
	}
	return &Mover{cfg: cfg}, nil
}

// Result is what a move did.
type Result struct {
	Tenant string `json:"tenant"`
	Source string `json:"source"`
	Target string `json:"target"`
	MoveID string `json:"moveId"`
	// Resumed is the journaled step the move resumed from; "" for a new
	// move.
	Resumed Step `json:"resumed,omitempty"`
	// KeysCopied is how many live keys the copy step exported.
	KeysCopied int `json:"keysCopied"`
	// Followed is how many change-feed records follow and drain applied.
	Followed int `json:"followed"`
	// Reconciled is how many keys the target held that the source does
	// not, removed by the copy step (left by an earlier move).
	Reconciled int `json:"reconciled"`
	// Position is the source's position at the fence: every write the
	// source acknowledged is at or below it.
	Position uint64 `json:"position"`
	// LagAtFence is how many records the target was behind the source
	// when the source was fenced: what the drain step applied.
	LagAtFence int `json:"lagAtFence"`
	// WriteUnavailable is the time from the fence (directory migrating) to
	// the switch (directory active on the target, target unfenced), as
	// this run saw it (a resumed move's window began in the run that
	// stopped); in JSON, nanoseconds.
	WriteUnavailable time.Duration `json:"writeUnavailableNs"`
	// Epoch is the tenant's placement epoch on the target.
	Epoch  int64  `json:"epoch"`
	Verify Verify `json:"verify"`
	// Promoted is set for a promotion of a warm standby (Options.Promote).
	Promoted bool `json:"promoted,omitempty"`
	// SourceDown is set when the promotion went ahead without the source
	// (Options.AcceptLoss): the target serves what the standby held, and
	// the source was neither fenced nor told.
	SourceDown bool `json:"sourceDown,omitempty"`
	// Standby is what the promoted standby held when the promotion began
	// (nil for a move).
	Standby *StandbyState `json:"standby,omitempty"`
	// Steps are the steps run, with their durations.
	Steps []StepTiming `json:"steps"`
	// Elapsed is the whole move's time (nanoseconds in JSON).
	Elapsed time.Duration `json:"elapsedNs"`
}

// StepTiming is one step's duration.
type StepTiming struct {
	Step     Step          `json:"step"`
	Duration time.Duration `json:"durationNs"`
	Detail   string        `json:"detail"`
}

// Verify is the verify step's result.
type Verify struct {
	// Keys and SHA256 are the count and checksum of the source's export
	// at Result.Position; Match reports that the target's were the same
	// (checked with both fenced, before the switch).
	Keys   int    `json:"keys"`
	SHA256 string `json:"sha256"`
	Match  bool   `json:"match"`
	// Checked is false when the move resumed after the switch, so the
	// comparison was made by an earlier run (or, if it crashed during the
	// switch, after the comparison).
	Checked bool `json:"checked"`
	// RouterCell is the cell that answered a read through the router
	// (Options.ReadThrough); "" when not done.
	RouterCell string `json:"routerCell,omitempty"`
}

// run is one move in progress.
type run struct {
	m    *Mover
	o    Options
	log  *slog.Logger
	src  CellState
	tgt  CellState
	srcC string
	res  *Result

	// lockMu serialises the renewals of the move locks with their
	// releases, so a renewal in flight never meets a lock that was just
	// released (and takes the release for a lost lock).
	lockMu sync.Mutex

	mu        sync.Mutex
	j         journal
	lock      state.MoveLock
	srcLocked bool
	tgtLocked bool

	// srcDown: a promotion without its source (Options.AcceptLoss); no
	// call goes to the source.
	srcDown bool
	// standby is the follower's journal a promotion found on the target,
	// standbyLock its lock (nil for a move).
	standby     *standbyJournal
	standbyLock *state.MoveLock

	start    time.Time
	pos      uint64 // the source position the target holds everything up to
	fenceAt  time.Time
	fencePos uint64
	sample   string // a key of the tenant, for the read through the router
}

// NewMoveID returns a random move id. A caller that must remember a move
// before it starts (an evacuation's checkpoint) takes one and passes it as
// Options.MoveID: with no lock of that id held, the move starts anew under
// it.
func NewMoveID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "mv-" + hex.EncodeToString(b[:])
}

// now returns the mover's time.
func (r *run) now() time.Time { return r.m.cfg.Now() }

// lockNow is the lock with the journal and a fresh expiry. Called with mu
// held.
func (r *run) lockNow() state.MoveLock {
	l := r.lock
	l.Step = r.j.String()
	l.Expires = r.now().Add(r.o.LockTTL)
	return l
}

// renew writes the journal into both locks and extends them.
func (r *run) renew(ctx context.Context) error {
	r.lockMu.Lock()
	defer r.lockMu.Unlock()
	r.mu.Lock()
	l := r.lockNow()
	srcLocked, tgtLocked := r.srcLocked, r.tgtLocked
	r.mu.Unlock()
	if srcLocked {
		if _, err := r.src.Renew(ctx, r.o.Tenant, l); err != nil {
			return fromSrc(fmt.Errorf("renewing the move lock on the source cell %s: %w", r.srcC, err))
		}
	}
	if tgtLocked {
		if _, err := r.tgt.Renew(ctx, r.o.Tenant, l); err != nil {
			return fmt.Errorf("renewing the move lock on the target cell %s: %w", r.o.Target, err)
		}
	}
	return nil
}

// renewer renews the locks every LockTTL/3 until ctx ends; when a lock is
// lost (taken over after it expired) it cancels the move.
func (r *run) renewer(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(r.o.LockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.renew(ctx); err != nil && ctx.Err() == nil {
				if errors.Is(err, state.ErrLocked) {
					cancel(err)
					return
				}
				r.log.Warn("renewing the move lock failed; retrying", "error", err)
			}
		}
	}
}

// step journals s, runs fn and reports it.
func (r *run) step(ctx context.Context, s Step, fn func(ctx context.Context) (string, error)) error {
	r.mu.Lock()
	prev := r.j.Step
	r.j.Step = s
	r.mu.Unlock()
	if err := r.renew(ctx); err != nil {
		// The journal still says prev: so does the error.
		r.mu.Lock()
		r.j.Step = prev
		r.mu.Unlock()
		return err
	}
	if r.m.crashAt != nil && r.m.crashAt(s) {
		return errCrashed
	}
	began := r.now()
	r.event(s, false, "")
	r.log.Info("move step", "step", string(s))
	detail, err := fn(ctx)
	if err != nil {
		r.log.Warn("move step failed", "step", string(s), "error", err)
		return err
	}
	d := r.now().Sub(began)
	r.res.Steps = append(r.res.Steps, StepTiming{Step: s, Duration: d, Detail: detail})
	r.event(s, true, detail)
	r.log.Info("move step done", "step", string(s), "duration", d, "detail", detail)
	return nil
}

func (r *run) event(s Step, done bool, detail string) {
	if r.m.cfg.OnStep != nil {
		r.m.cfg.OnStep(Event{Tenant: r.o.Tenant, MoveID: r.lock.ID, Step: s, Done: done, Elapsed: r.now().Sub(r.start), Detail: detail})
	}
}
