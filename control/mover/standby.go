package mover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/ctxtime"
	"github.com/cellfabric/cellfabric/workload/state"
)

// Defaults of StandbyOptions.
const (
	DefaultStandbyPause          = 20 * time.Millisecond
	DefaultStandbyLockTTL        = 15 * time.Second
	DefaultStandbyJournalEvery   = time.Second
	DefaultStandbyDirectoryEvery = 2 * time.Second
	DefaultStandbyMinBackoff     = 50 * time.Millisecond
	DefaultStandbyMaxBackoff     = 2 * time.Second
)

// ErrPlacementChanged: the directory no longer places the tenant on the
// primary cell the standby follows (it was moved or promoted), so the
// follower stopped. Start it again to follow the new primary.
var ErrPlacementChanged = errors.New("the directory no longer places the tenant on the cell the standby follows")

// ErrNoStandbyCell: no standby cell was named and the tenant's directory
// entry lists no failover cell to take as one.
var ErrNoStandbyCell = errors.New("no standby cell: the tenant has no failover cell in the directory")

// StandbyOptions are one warm-standby follower's.
type StandbyOptions struct {
	// Tenant is the tenant to keep a standby copy of. Required.
	Tenant string
	// Standby is the cell that keeps the copy. Zero: the first failover
	// cell of the tenant's directory entry.
	Standby string
	// Primary is the cell the follower expects the directory to place the
	// tenant on; it refuses to start otherwise. Zero: whatever the
	// directory says.
	Primary string
	// ImportBatch and ImportParallel are as in Options. Zero: their
	// defaults.
	ImportBatch, ImportParallel int
	// Pause is the wait between two reads of an empty change feed. Zero:
	// DefaultStandbyPause.
	Pause time.Duration
	// LockTTL is the lifetime of the lock the follower holds on the
	// standby cell (it renews it every JournalEvery). A follower that
	// crashed is replaced once it expires. Zero: DefaultStandbyLockTTL.
	LockTTL time.Duration
	// JournalEvery is how often the follower writes its position into its
	// lock (what a restarted follower resumes from). Zero:
	// DefaultStandbyJournalEvery.
	JournalEvery time.Duration
	// DirectoryEvery is how often the follower checks that the directory
	// still places the tenant on its primary. Zero:
	// DefaultStandbyDirectoryEvery.
	DirectoryEvery time.Duration
	// MinBackoff and MaxBackoff bound the waits between retries while a
	// cell is unreachable. Zero: DefaultStandbyMinBackoff and
	// DefaultStandbyMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// ForceOverwrite lets the follower replace data the standby cell holds
	// for the tenant that is no standby copy. Zero: such a cell is refused.
	ForceOverwrite bool
}

func (o StandbyOptions) withDefaults() StandbyOptions {
	orDefault(&o.Pause, DefaultStandbyPause)
	orDefault(&o.LockTTL, DefaultStandbyLockTTL)
	orDefault(&o.JournalEvery, DefaultStandbyJournalEvery)
	orDefault(&o.DirectoryEvery, DefaultStandbyDirectoryEvery)
	orDefault(&o.MinBackoff, DefaultStandbyMinBackoff)
	orDefault(&o.MaxBackoff, DefaultStandbyMaxBackoff)
	orDefault(&o.ImportBatch, DefaultImportBatch)
	orDefault(&o.ImportParallel, DefaultImportParallel)
	return o
}

// Validate reports every problem with o at once.
func (o StandbyOptions) Validate() error {
	var errs []error
	if o.Tenant == "" {
		errs = append(errs, errors.New("tenant: required"))
	}
	errs = append(errs, importProblems(o.ImportBatch, o.ImportParallel, o.LockTTL)...)
	if o.JournalEvery > 0 && o.LockTTL > 0 && o.JournalEvery >= o.LockTTL {
		errs = append(errs, fmt.Errorf("journal interval: %s is not under the lock ttl %s: the lock would lapse between renewals", o.JournalEvery, o.LockTTL))
	}
	return errors.Join(errs...)
}

// Lag is how far a standby is behind its primary.
type Lag struct {
	Tenant, Primary, Standby string
	// Applied is the primary's position up to which the standby holds
	// every record.
	Applied uint64
	// Records is how many records the primary had, when last seen, beyond
	// Applied.
	Records uint64
	// CurrentAt is when the standby was last known to hold every write the
	// primary had acknowledged: the start of the last read of the change
	// feed that reached its end, once applied. Zero: not yet.
	CurrentAt time.Time
	// Age is the time since CurrentAt when Lag was taken: the writes a
	// failover to the standby would lose are at most those acknowledged in
	// it (the RPO).
	Age time.Duration
	// Retrying says what the follower is retrying ("" when it is not).
	Retrying string
}

// Follower keeps one tenant's warm standby: it applies the change feed
// of the tenant's primary cell to the standby cell, which holds the
// tenant fenced for every write. Create it with Mover.Follower; Run it.
type Follower struct {
	m                *Mover
	o                StandbyOptions
	primary, standby string
	log              *slog.Logger
	r                *run

	mu sync.Mutex
	// locked: the follower took its lock on the standby.
	locked bool
	lock   state.MoveLock
	j      standbyJournal
	lag    Lag
}

// Follower checks that the directory places o.Tenant on a primary that
// is not the standby cell and returns a Follower for it.
func (m *Mover) Follower(ctx context.Context, o StandbyOptions) (*Follower, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("standby options: %w", err)
	}
	o = o.withDefaults()
	entry, err := m.cfg.Directory.Get(ctx, o.Tenant)
	if err != nil {
		return nil, fmt.Errorf("reading tenant %s from the directory: %w", o.Tenant, err)
	}
	standby := o.Standby
	if standby == "" {
		if len(entry.Failover) == 0 {
			return nil, fmt.Errorf("tenant %s: %w: name the standby cell", o.Tenant, ErrNoStandbyCell)
		}
		standby = entry.Failover[0]
	}
	var errs []error
	if o.Primary != "" && o.Primary != entry.Cell {
		errs = append(errs, fmt.Errorf("the directory places tenant %s on cell %s, not %s: follow %s, or fix the directory entry", o.Tenant, entry.Cell, o.Primary, entry.Cell))
	}
	if standby == entry.Cell {
		errs = append(errs, fmt.Errorf("cell %s is tenant %s's primary: a standby must be another cell", standby, o.Tenant))
	}
	if st := entry.EffectiveState(); st != fabric.TenantActive && st != fabric.TenantMigrating {
		errs = append(errs, fmt.Errorf("tenant %s is %s in the directory: a standby follows an active tenant", o.Tenant, st))
	}
	if cell := m.registryCell(standby); cell == nil {
		errs = append(errs, fmt.Errorf("standby cell %s is not in the registry: name one of its cells", standby))
	} else if entry.Residency != "" && cell.Geo != entry.Residency {
		errs = append(errs, fmt.Errorf("standby cell %s is in geo %q, but tenant %s must stay in %q: pick a cell in %q", standby, cell.Geo, o.Tenant, entry.Residency, entry.Residency))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	src, err := m.cfg.Cells(entry.Cell)
	if err != nil {
		return nil, fmt.Errorf("primary cell %s: %w", entry.Cell, err)
	}
	tgt, err := m.cfg.Cells(standby)
	if err != nil {
		return nil, fmt.Errorf("standby cell %s: %w", standby, err)
	}
	log := m.cfg.Logger.With("tenant", o.Tenant, "primary", entry.Cell, "standby", standby)
	mo := Options{Tenant: o.Tenant, Target: standby, ImportBatch: o.ImportBatch, ImportParallel: o.ImportParallel}
	f := &Follower{m: m, o: o, primary: entry.Cell, standby: standby, log: log,
		r: &run{m: m, o: mo, src: src, tgt: tgt, srcC: entry.Cell, log: log, res: &Result{}}}
	f.lag = Lag{Tenant: o.Tenant, Primary: entry.Cell, Standby: standby}
	return f, nil
}

// Primary and Standby are the cells the follower works between.
func (f *Follower) Primary() string { return f.primary }
func (f *Follower) Standby() string { return f.standby }

// Lag returns the standby's lag now.
func (f *Follower) Lag() Lag {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.lag
	if !l.CurrentAt.IsZero() {
		l.Age = f.m.cfg.Now().Sub(l.CurrentAt)
	}
	return l
}

func (f *Follower) setRetrying(what string) {
	f.mu.Lock()
	prev := f.lag.Retrying
	f.lag.Retrying = what
	f.mu.Unlock()
	if prev != "" && what == "" {
		f.log.Info("standby: following again", "after", prev)
	}
}

// stopError is a reason the follower stops instead of retrying.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

func stop(err error) error { return &stopError{err} }

// Run follows until ctx ends (it then returns nil, its position
// journaled and its lock marked stopped) or something it must not retry
// happens: the directory places the tenant elsewhere
// (ErrPlacementChanged), another follower or a move took the standby's
// lock (state.ErrLocked), or the standby cell holds other data for the
// tenant. An unreachable primary or standby is retried with backoff,
// logged; meanwhile the standby's data ages (Lag).
func (f *Follower) Run(ctx context.Context) error {
	err := f.retry(ctx, "attaching to the standby cell", f.attach)
	if err == nil {
		err = f.loop(ctx)
	}
	var se *stopError
	if ctx.Err() != nil && !errors.As(err, &se) {
		f.stopClean()
		f.log.Info("standby follower stopped", "position", f.Lag().Applied)
		return nil
	}
	if errors.As(err, &se) {
		err = se.err
	}
	f.log.Error("standby follower stopped", "error", err)
	return err
}

// retry runs fn until it succeeds, fails with a stopError or ctx ends,
// waiting between attempts with a doubling backoff.
func (f *Follower) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	wait := f.o.MinBackoff
	for {
		err := fn(ctx)
		if err == nil {
			f.setRetrying("")
			return nil
		}
		var se *stopError
		if errors.As(err, &se) || ctx.Err() != nil {
			return err
		}
		f.setRetrying(what)
		f.log.Warn("standby: "+what+" failed; retrying", "side", side(err), "in", wait, "error", err)
		if err := ctxtime.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, f.o.MaxBackoff)
	}
}

// side names the cell an error came from, for the log.
func side(err error) string {
	var se *sourceError
	if errors.As(err, &se) {
		return "primary"
	}
	return "standby"
}
