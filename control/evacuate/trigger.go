package evacuate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
)

// Guard is the directory's evacuation guard (e/lock): at most one
// evacuation at a time. *dirhttp.Client satisfies it. The directory's KV
// has no compare-and-swap, so it keeps automation (the --when-unhealthy
// trigger) from starting an evacuation while another runs; it does not
// settle two operators starting at the same instant.
type Guard interface {
	TakeEvacuationGuard(ctx context.Context, owner, cell string, ttl time.Duration) (directory.EvacuationGuard, error)
	ReleaseEvacuationGuard(ctx context.Context, owner string) error
}

// GuardTTL is how long the guard lasts unless renewed; Run renews it
// every GuardTTL/3 and releases it at the end. A crashed evacuation's
// guard lapses after it (a rerun by the same owner takes it at once).
const GuardTTL = 2 * time.Minute

// takeGuard takes the guard for o.Source and keeps it renewed until the
// returned release is called.
func (e *Evacuator) takeGuard(ctx context.Context, o Options) (release func(), err error) {
	g := e.cfg.Guard
	if g == nil {
		return func() {}, nil
	}
	if _, err := g.TakeEvacuationGuard(ctx, e.cfg.Owner, o.Source, GuardTTL); err != nil {
		return nil, fmt.Errorf("taking the evacuation guard (one evacuation at a time): %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(GuardTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				if _, err := g.TakeEvacuationGuard(rctx, e.cfg.Owner, o.Source, GuardTTL); err != nil && rctx.Err() == nil {
					e.cfg.Logger.Warn("evacuate: renewing the evacuation guard failed", "cell", o.Source, "error", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer rcancel()
		if err := g.ReleaseEvacuationGuard(rctx, e.cfg.Owner); err != nil {
			e.cfg.Logger.Warn("evacuate: releasing the evacuation guard failed; it lapses by itself", "error", err, "ttl", GuardTTL)
		}
	}, nil
}

// WaitUnhealthy returns once cell has failed every health check
// (Config.Health, every `every`) for at least d, with the time of the
// first failing check of that run: a passing check starts the count
// again. onCheck, when set, sees each check's result and how long the
// cell has been unhealthy. It returns ctx's error when ctx ends first.
func (e *Evacuator) WaitUnhealthy(ctx context.Context, cell string, d, every time.Duration, onCheck func(err error, unhealthyFor time.Duration)) (time.Time, error) {
	if e.cfg.Health == nil {
		return time.Time{}, errors.New("waiting for an unhealthy cell needs a health check (Config.Health)")
	}
	if d < 0 || every <= 0 {
		return time.Time{}, fmt.Errorf("unhealthy for %s, checked every %s: give a duration ≥ 0 and a positive interval", d, every)
	}
	var since time.Time
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		err := e.cfg.Health(ctx, cell)
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		now := e.cfg.Now()
		var dur time.Duration
		if err == nil {
			since = time.Time{}
		} else {
			if since.IsZero() {
				since = now
			}
			dur = now.Sub(since)
		}
		if onCheck != nil {
			onCheck(err, dur)
		}
		if err != nil && dur >= d {
			return since, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-t.C:
		}
	}
}
