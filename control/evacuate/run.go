package evacuate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Progress is how far an evacuation is.
type Progress struct {
	// Total is the tenants this run moves (Skipped not counted).
	Total int
	// Moved, Failed and InFlight count this run's moves so far;
	// NotStarted the tenants an interruption left on the source.
	Moved, Failed, InFlight, NotStarted int
	// Skipped counts tenants an earlier run moved.
	Skipped int
	// Elapsed is the time since the moves started.
	Elapsed time.Duration
}

// ETA estimates the time left from the rate so far; 0 when nothing ended
// yet.
func (p Progress) ETA() time.Duration {
	ended := p.Moved + p.Failed + p.NotStarted
	if ended == 0 {
		return 0
	}
	return time.Duration(float64(p.Elapsed) / float64(ended) * float64(p.Total-ended))
}

// Summary is what an evacuation did.
type Summary struct {
	Source string `json:"source"`
	// Planned is the tenants this run set out to move.
	Planned int      `json:"planned"`
	Moved   []Moved  `json:"moved"`
	Failed  []Failed `json:"failed"`
	// Skipped counts tenants an earlier run moved (the checkpoint's).
	Skipped int `json:"skipped"`
	// NotStarted counts tenants left on the source because the evacuation
	// was interrupted before their moves began, or undone when it was
	// (they are planned again by a rerun).
	NotStarted int `json:"notStarted"`
	// Stopped says why the evacuation stopped starting moves (a target
	// degraded, Options.StopWhenTargetsDegrade); "" when it did not.
	Stopped string `json:"stopped,omitempty"`
	// Elapsed is the time of the moves (nanoseconds in JSON).
	Elapsed time.Duration `json:"elapsedNs"`
	// MovesPerSecond is len(Moved) over Elapsed.
	MovesPerSecond float64 `json:"movesPerSecond"`
	// Checkpoint is the checkpoint file left for a rerun; "" when there is
	// none (none given, or removed because everything was moved).
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Moved is a tenant moved.
type Moved struct {
	Tenant string `json:"tenant"`
	Target string `json:"target"`
	MoveID string `json:"moveId"`
	// Resumed is the step a resumed move went on from; "" for a new move.
	Resumed mover.Step `json:"resumed,omitempty"`
	// WriteUnavailable is the move's fence window as this run saw it
	// (nanoseconds in JSON).
	WriteUnavailable time.Duration `json:"writeUnavailableNs"`
	// Elapsed is the move's time (nanoseconds in JSON).
	Elapsed time.Duration `json:"elapsedNs"`
}

// Failed is a tenant not moved, with why and what to do next.
type Failed struct {
	Tenant string `json:"tenant"`
	Target string `json:"target,omitempty"`
	MoveID string `json:"moveId,omitempty"`
	Reason string `json:"reason"`
	// Pending says the move stopped journaled (the tenant may be fenced):
	// a rerun resumes it by MoveID.
	Pending bool `json:"pending,omitempty"`
	// Next says what to do about it.
	Next string `json:"next"`
}

// Run evacuates o.Source: closes it to new tenants, plans a target per
// tenant and moves them, o.Parallel at a time, recording each outcome in
// o.Checkpoint. It returns the summary, and an error only when it could
// not start (bad options, unreadable checkpoint, directory unreachable) or
// write its checkpoint; tenants that failed are in Summary.Failed. When ctx
// ends, no new move starts and the moves in flight stop (before their
// switch they are undone).
func (e *Evacuator) Run(ctx context.Context, o Options) (Summary, error) {
	if err := o.Validate(); err != nil {
		return Summary{}, fmt.Errorf("evacuation options: %w", err)
	}
	o = o.withDefaults()
	cp := newCheckpoint(o.Source)
	if o.Checkpoint != "" {
		var err error
		if cp, _, err = ReadCheckpoint(o.Checkpoint, o.Source); err != nil {
			return Summary{}, err
		}
	}
	release, err := e.takeGuard(ctx, o)
	if err != nil {
		return Summary{}, err
	}
	defer release()
	if _, err := e.cfg.Directory.CloseCell(ctx, o.Source, o.Reason); err != nil {
		return Summary{}, fmt.Errorf("draining cell %s before evacuating it: %w", o.Source, err)
	}
	plan, err := e.Plan(ctx, o, cp)
	if err != nil {
		return Summary{}, err
	}
	f := &checkpointFile{path: o.Checkpoint, cp: cp}
	r := &runner{e: e, o: o, f: f, start: e.cfg.Now(),
		sum: Summary{Source: o.Source, Planned: len(plan.Moves), Skipped: plan.Skipped}}
	r.report()
	work := make(chan Assignment)
	var wg sync.WaitGroup
	for range min(o.Parallel, max(len(plan.Moves), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				r.one(ctx, a)
			}
		}()
	}
	next := 0
feed:
	for ; next < len(plan.Moves); next++ {
		a := plan.Moves[next]
		if r.stoppedBy() != "" {
			break
		}
		if a.Problem != "" {
			r.end(a, Entry{Reason: a.Problem}, nil, false, "open, add or heal a cell in the tenant's residency (or widen --to), then run the evacuation again")
			continue
		}
		select {
		case work <- a:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.NotStarted += len(plan.Moves) - next
	r.sum.Stopped = r.stopped
	r.sum.Elapsed = e.cfg.Now().Sub(r.start)
	if s := r.sum.Elapsed.Seconds(); s > 0 {
		r.sum.MovesPerSecond = float64(len(r.sum.Moved)) / s
	}
	sort.Slice(r.sum.Moved, func(i, j int) bool { return r.sum.Moved[i].Tenant < r.sum.Moved[j].Tenant })
	sort.Slice(r.sum.Failed, func(i, j int) bool { return r.sum.Failed[i].Tenant < r.sum.Failed[j].Tenant })
	if len(r.sum.Failed) == 0 && r.sum.NotStarted == 0 && r.werr == nil {
		if err := f.remove(); err != nil {
			return r.sum, err
		}
	} else {
		r.sum.Checkpoint = o.Checkpoint
	}
	return r.sum, r.werr
}

// runner is an evacuation's moves in progress.
type runner struct {
	e     *Evacuator
	o     Options
	f     *checkpointFile
	start time.Time

	mu       sync.Mutex
	sum      Summary
	inFlight int
	werr     error  // the first checkpoint write that failed
	stopped  string // why no further move starts
}

// one moves one tenant and records the outcome.
func (r *runner) one(ctx context.Context, a Assignment) {
	if ctx.Err() != nil || r.stoppedBy() != "" {
		r.mu.Lock()
		r.sum.NotStarted++
		r.mu.Unlock()
		return
	}
	if r.o.StopWhenTargetsDegrade && r.e.cfg.Health != nil {
		if err := r.e.cfg.Health(ctx, a.Target); err != nil && ctx.Err() == nil {
			r.mu.Lock()
			if r.stopped == "" {
				r.stopped = fmt.Sprintf("target cell %s degraded (%v): no further move started; run the evacuation again once the targets are healthy", a.Target, err)
				r.e.cfg.Logger.Warn("evacuate: a target degraded; stopping", "cell", a.Target, "error", err)
			}
			r.sum.NotStarted++
			r.mu.Unlock()
			r.report()
			return
		}
	}
	if a.Seed != nil {
		if err := r.seed(ctx, *a.Seed); err != nil {
			ent := Entry{Target: a.Target, Reason: err.Error()}
			r.end(a, ent, nil, false, fmt.Sprintf("the tenant is where it was (in the stack file, on %s): check the directory's control API, then run the evacuation again", r.o.Source))
			return
		}
	}
	id := a.MoveID
	if id == "" {
		id = mover.NewMoveID()
	}
	ent := Entry{Target: a.Target, MoveID: id}
	r.mu.Lock()
	r.inFlight++
	r.mu.Unlock()
	if err := r.f.started(a.Tenant, ent); err != nil {
		r.writeFailed(err)
	}
	mo := r.o.Move
	mo.Tenant, mo.Target, mo.MoveID = a.Tenant, a.Target, id
	log := r.e.cfg.Logger.With("tenant", a.Tenant, "cell", a.Target, "move", id)
	res, err := r.e.cfg.Mover.Move(ctx, mo)
	if err != nil && a.MoveID != "" && r.finishedEarlier(ctx, a) {
		// A resumed move that had finished before the stop: the tenant is
		// on its target, nothing is journaled.
		res, err = mover.Result{Tenant: a.Tenant, Target: a.Target, MoveID: id, Resumed: mover.StepDone}, nil
	}
	r.mu.Lock()
	r.inFlight--
	r.mu.Unlock()
	var ab *mover.AbortedError
	var pe *mover.PendingError
	switch {
	case err == nil:
		log.Info("evacuate: tenant moved", "elapsed", res.Elapsed)
		r.end(a, ent, &Moved{Tenant: a.Tenant, Target: a.Target, MoveID: id, Resumed: res.Resumed, WriteUnavailable: res.WriteUnavailable, Elapsed: res.Elapsed}, false, "")
	case errors.As(err, &ab) && ctx.Err() != nil:
		log.Info("evacuate: move interrupted and undone", "error", err)
		r.end(a, ent, nil, true, "")
	case errors.As(err, &pe):
		log.Warn("evacuate: move stopped pending", "error", err)
		ent.Reason, ent.Pending = err.Error(), true
		next := fmt.Sprintf("run the evacuation again to resume move %s (the checkpoint keeps its id), or resume it alone: cellfabric tenants move %s --to %s --move-id %s", id, a.Tenant, a.Target, id)
		if pe.Abortable {
			next += fmt.Sprintf("; or undo it: cellfabric tenants move %s --abort", a.Tenant)
		}
		r.end(a, ent, nil, false, next)
	case errors.As(err, &ab):
		log.Warn("evacuate: move failed and was undone", "error", err)
		ent.Reason = err.Error()
		r.end(a, ent, nil, false, fmt.Sprintf("the tenant is back on %s, unchanged: fix the cause, then run the evacuation again (it retries the tenant), or move it alone with cellfabric tenants move %s --to CELL", r.o.Source, a.Tenant))
	default:
		log.Warn("evacuate: move refused", "error", err)
		ent.Reason = err.Error()
		r.end(a, ent, nil, false, fmt.Sprintf("the tenant is where it was; fix the cause (another move holding it: let it finish, or cellfabric tenants move %s --abort), then run the evacuation again", a.Tenant))
	}
}

// seed adds t, a tenant of the stack file, to the directory as the
// registry places it, unless the directory holds it already (added
// meanwhile, or by an earlier run).
func (r *runner) seed(ctx context.Context, t router.Tenant) error {
	_, perr := r.e.cfg.Directory.Put(ctx, t, directory.PutOptions{IfAbsent: true})
	if perr == nil {
		return nil
	}
	if got, err := r.e.cfg.Directory.Get(ctx, t.ID); err == nil && got.ID == t.ID {
		return nil
	}
	return fmt.Errorf("adding tenant %s of the stack file to the tenant directory before its move: %w", t.ID, perr)
}

// finishedEarlier reports whether a resumed move's tenant is on its
// target, active, with no move holding it: the move finished before the
// run that started it stopped recording it.
func (r *runner) finishedEarlier(ctx context.Context, a Assignment) bool {
	t, err := r.e.cfg.Directory.Get(ctx, a.Tenant)
	return err == nil && t.Cell == a.Target && t.EffectiveState() == fabric.TenantActive
}

// end records a tenant's outcome: moved (m set), undone by an
// interruption (interrupted), or failed (next says what to do).
func (r *runner) end(a Assignment, ent Entry, m *Moved, interrupted bool, next string) {
	failed := m == nil && !interrupted
	if err := r.f.ended(a.Tenant, ent, m != nil, failed); err != nil {
		r.writeFailed(err)
	}
	r.mu.Lock()
	switch {
	case m != nil:
		r.sum.Moved = append(r.sum.Moved, *m)
	case interrupted:
		r.sum.NotStarted++
	default:
		r.sum.Failed = append(r.sum.Failed, Failed{Tenant: a.Tenant, Target: a.Target, MoveID: ent.MoveID, Reason: ent.Reason, Pending: ent.Pending, Next: next})
	}
	r.mu.Unlock()
	r.report()
}

func (r *runner) stoppedBy() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

func (r *runner) writeFailed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.werr == nil {
		r.werr = err
		r.e.cfg.Logger.Error("evacuate: the checkpoint was not written; a rerun may redo or miss moves", "error", err)
	}
}

func (r *runner) report() {
	if r.o.OnProgress == nil {
		return
	}
	r.mu.Lock()
	p := Progress{Total: r.sum.Planned, Moved: len(r.sum.Moved), Failed: len(r.sum.Failed), NotStarted: r.sum.NotStarted, InFlight: r.inFlight,
		Skipped: r.sum.Skipped, Elapsed: r.e.cfg.Now().Sub(r.start)}
	r.mu.Unlock()
	r.o.OnProgress(p)
}
