package server

// The router's tenant directory: loaded once from its feed, then kept in
// step by polling the feed's changes. The feed failing never stops routing:
// the last placements held keep serving, and until the first load the
// registry's tenants do.

import (
	"context"
	"errors"
	"log/slog"
	mrand "math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
)

// DirectoryFeed is where the router's tenant directory comes from.
type DirectoryFeed interface {
	// Load reads the whole directory, passing its entries to each in
	// batches, and returns the position to read changes from (the journal's
	// position when the reading started, so that no change made while it
	// ran is missed). If each returns an error, Load stops and returns it.
	Load(ctx context.Context, each func([]router.Tenant) error) (position string, err error)
	// Changes returns the changes after position, oldest first, and the
	// position to ask from next (unchanged when there is nothing new). An
	// error wrapping router.ErrPositionExpired makes the router Load again.
	Changes(ctx context.Context, position string) ([]router.TenantChange, string, error)
}

// DirectoryGetter is a DirectoryFeed that can also read one tenant's
// entry at once, ahead of the changes: the router asks it when a cell
// answers that the placement a request was sent on is stale (421
// stale_placement, stale.go). found is false when the directory has no
// entry for the tenant. control/directory.Directory and dirhttp.Feed
// implement it; with a feed that does not, the router polls the feed's
// changes once instead.
type DirectoryGetter interface {
	Get(ctx context.Context, id string) (t router.Tenant, found bool, err error)
}

// Directory defaults.
const (
	// DefaultDirectoryPoll is how often the router asks its feed for
	// changes.
	DefaultDirectoryPoll = time.Second
	// DefaultDirectoryWait is how long /readyz waits for the first load of
	// the directory.
	DefaultDirectoryWait = 10 * time.Second
	// MaxDirectoryBackoff caps the wait between attempts while the feed
	// fails (when DirectoryPoll is longer, DirectoryPoll is the cap).
	MaxDirectoryBackoff = 30 * time.Second
	// directoryCatchUp is the most polls made back to back while each
	// brings changes (the feed answers a page at a time) before the router
	// waits for the next tick.
	directoryCatchUp = 100
)

// dirSync keeps a router.Directory in step with a DirectoryFeed.
type dirSync struct {
	feed    DirectoryFeed
	dir     *router.Directory
	poll    time.Duration
	backoff time.Duration // the most to wait between failed attempts
	wait    time.Duration // readiness wait; negative: none
	timeout time.Duration // bounds a refetch of one tenant (UpstreamTimeout)
	created time.Time
	logger  *slog.Logger

	loaded   atomic.Bool
	lastSync atomic.Int64 // unix nanoseconds of the last successful load or poll; 0: none
	position atomic.Pointer[string]
	loads    atomic.Uint64
	applied  atomic.Uint64
	stale    atomic.Uint64
	invalid  atomic.Uint64
	loadErrs atomic.Uint64
	pollErrs atomic.Uint64
	skipped  atomic.Uint64 // entries a load left out

	refetches refetches // one tenant's entry read again, after a stale placement
}

func newDirSync(cfg Config, dir *router.Directory) *dirSync {
	return &dirSync{
		feed: cfg.DirectoryFeed, dir: dir, poll: cfg.DirectoryPoll, wait: cfg.DirectoryWait,
		backoff: max(MaxDirectoryBackoff, cfg.DirectoryPoll), created: time.Now(), logger: cfg.Logger,
		timeout: cfg.UpstreamTimeout,
	}
}

// run loads the directory, then follows its changes, until ctx is done.
// When the feed says the position expired it loads again.
func (s *dirSync) run(ctx context.Context) {
	for {
		pos, ok := s.load(ctx)
		if !ok {
			return
		}
		if !s.follow(ctx, pos) {
			return
		}
	}
}

// load loads the whole directory, retrying with backoff until it succeeds
// (ok) or ctx is done.
func (s *dirSync) load(ctx context.Context) (string, bool) {
	delay := s.poll
	for attempt := 1; ; attempt++ {
		var pos string
		res, err := s.dir.Load(func(add func([]router.Tenant) error) error {
			var err error
			pos, err = s.feed.Load(ctx, add)
			return err
		})
		if ctx.Err() != nil {
			return "", false
		}
		if err == nil {
			s.loaded.Store(true)
			s.loads.Add(1)
			s.skipped.Add(uint64(res.Skipped))
			s.synced(pos)
			s.logger.Info("tenant directory loaded", "tenants", res.Tenants, "position", pos, "attempt", attempt)
			if res.Skipped > 0 {
				s.logger.Warn("tenant directory entries left out: the router cannot hold them", "skipped", res.Skipped, "first", res.FirstSkipped)
			}
			return pos, true
		}
		s.loadErrs.Add(1)
		serving := "routing with the registry's tenants only until it loads"
		if s.loaded.Load() {
			serving = "the placements loaded before keep serving"
		}
		s.logger.Warn("tenant directory load failed; "+serving, "attempt", attempt, "retry_in", delay.String(), "error", err)
		if !sleep(ctx, jitter(delay)) {
			return "", false
		}
		delay = min(2*delay, s.backoff)
	}
}

// follow polls the feed for changes from pos and applies them until ctx is
// done (false) or the position expires (true: load again).
func (s *dirSync) follow(ctx context.Context, pos string) bool {
	delay := s.poll
	failures := 0
	var lastLog time.Time
	for {
		if !sleep(ctx, jitter(delay)) {
			return false
		}
		for round := 1; ; round++ {
			changes, next, err := s.feed.Changes(ctx, pos)
			if ctx.Err() != nil {
				return false
			}
			if errors.Is(err, router.ErrPositionExpired) {
				s.pollErrs.Add(1)
				s.logger.Warn("tenant directory position expired; loading the whole directory again (the placements held keep serving meanwhile)", "position", pos, "error", err)
				return true
			}
			if err != nil {
				s.pollErrs.Add(1)
				failures++
				if failures == 1 || time.Since(lastLog) >= time.Minute {
					s.logger.Warn("tenant directory feed failed; the placements held keep serving", "failures", failures, "position", pos, "retry_in", delay.String(), "error", err)
					lastLog = time.Now()
				}
				delay = min(2*delay, s.backoff)
				break
			}
			if failures > 0 {
				s.logger.Info("tenant directory feed recovered", "failures", failures)
				failures = 0
			}
			delay = s.poll
			s.apply(changes)
			pos = next
			s.synced(pos)
			if len(changes) == 0 || round == directoryCatchUp {
				break
			}
		}
	}
}

// apply applies polled changes one by one; one that cannot be applied is
// logged and skipped.
func (s *dirSync) apply(changes []router.TenantChange) {
	for _, c := range changes {
		applied, err := s.dir.Apply(c)
		switch {
		case err != nil:
			s.invalid.Add(1)
			s.logger.Warn("tenant directory change refused; the router keeps what it held for the tenant", logattr.Tenant, c.ID, "epoch", c.Epoch, "error", err)
		case applied:
			s.applied.Add(1)
		default:
			s.stale.Add(1)
		}
	}
}

func (s *dirSync) synced(pos string) {
	s.position.Store(&pos)
	s.lastSync.Store(time.Now().UnixNano())
}

// ready reports whether /readyz should say ready as far as the directory
// is concerned: once it has loaded, or once DirectoryWait has passed since
// the router was made (then it routes the registry's tenants only).
func (s *dirSync) ready() bool {
	return s.loaded.Load() || s.wait < 0 || time.Since(s.created) >= s.wait
}

// age returns the time since the last successful load or poll, or since
// the router was made when there was none.
func (s *dirSync) age() time.Duration {
	if t := s.lastSync.Load(); t != 0 {
		return time.Since(time.Unix(0, t))
	}
	return time.Since(s.created)
}

// sleep waits d or until ctx is done (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jitter takes up to a tenth off d, so that many routers do not poll in
// step; never more than d, so that a change is seen within DirectoryPoll
// (plus the poll's own time).
func jitter(d time.Duration) time.Duration {
	if d < 10 {
		return d
	}
	return d - time.Duration(mrand.Int64N(int64(d/10)))
}

// DirectoryStatus is the answer of GET /admin/directory: what the router's
// tenant directory holds and how its feed is doing.
type DirectoryStatus struct {
	// Enabled is false when the router has no directory (no feed and no
	// placement hook).
	Enabled bool `json:"enabled"`
	// Feed says whether a feed is configured.
	Feed bool `json:"feed"`
	// Loaded is true once the whole directory was read from the feed.
	Loaded bool `json:"loaded"`
	// Tenants is the number of tenants held.
	Tenants int `json:"tenants"`
	// Position is where the next poll reads changes from.
	Position string `json:"position"`
	// LastSync is when the last load or poll succeeded (zero: never).
	LastSync time.Time `json:"lastSync,omitzero"`
	// Applied, Stale and Invalid count polled changes: applied, ignored
	// as not newer than what was held, and refused.
	Applied uint64 `json:"applied"`
	Stale   uint64 `json:"stale"`
	Invalid uint64 `json:"invalid"`
	// LoadErrors and PollErrors count failed loads and polls.
	LoadErrors uint64 `json:"loadErrors"`
	PollErrors uint64 `json:"pollErrors"`
}

// DirectoryStatus returns the state of the router's tenant directory.
func (rt *Router) DirectoryStatus() DirectoryStatus {
	if rt.dir == nil {
		return DirectoryStatus{}
	}
	st := DirectoryStatus{Enabled: true, Tenants: rt.dir.Len()}
	if s := rt.dirSync; s != nil {
		st.Feed, st.Loaded = true, s.loaded.Load()
		if p := s.position.Load(); p != nil {
			st.Position = *p
		}
		if t := s.lastSync.Load(); t != 0 {
			st.LastSync = time.Unix(0, t).UTC()
		}
		st.Applied, st.Stale, st.Invalid = s.applied.Load(), s.stale.Load(), s.invalid.Load()
		st.LoadErrors, st.PollErrors = s.loadErrs.Load(), s.pollErrs.Load()
	}
	return st
}
