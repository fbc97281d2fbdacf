package server

// The directory's part of a request's decision (decide.go): the lookup of
// a tenant's entry, and the placement hook's calls for tenants in neither
// the directory nor the registry.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cellfabric/cellfabric/router"
)

// lookup returns the directory's entry for tenant id, if there is a
// directory and it holds one.
func (rt *Router) lookup(id string) (router.Placement, bool) {
	if rt.dir == nil || id == "" {
		return router.Placement{}, false
	}
	return rt.dir.Lookup(id)
}

// placements tracks the calls of Config.PlaceUnknown: one call per tenant
// at a time, however many requests for it arrive meanwhile.
type placements struct {
	mu       sync.Mutex
	calls    map[string]*placeCall
	waiting  atomic.Int32 // requests waiting for another's call
	warnOnce sync.Once

	recorded   atomic.Uint64 // placed by the hook and applied
	failed     atomic.Uint64 // the hook failed, or its answer was refused
	unrecorded atomic.Uint64 // placed by hash, without the hook
}

type placeCall struct {
	done chan struct{}
	t    router.Tenant
	err  error
}

// placeUnknown asks Config.PlaceUnknown to place and record tenant id, and
// applies the answer to the directory. Concurrent requests for the same
// tenant share one call; the call is not cancelled when the request that
// made it goes away (the others may still wait for it) but is bounded by
// UpstreamTimeout.
func (rt *Router) placeUnknown(ctx context.Context, id string) (router.Tenant, error) {
	p := &rt.placements
	p.mu.Lock()
	if c, ok := p.calls[id]; ok {
		p.mu.Unlock()
		p.waiting.Add(1)
		defer p.waiting.Add(-1)
		select {
		case <-c.done:
			return c.t, c.err
		case <-ctx.Done():
			return router.Tenant{}, ctx.Err()
		}
	}
	c := &placeCall{done: make(chan struct{})}
	if p.calls == nil {
		p.calls = map[string]*placeCall{}
	}
	p.calls[id] = c
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.calls, id)
		p.mu.Unlock()
		close(c.done)
	}()

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rt.cfg.UpstreamTimeout)
	defer cancel()
	c.t, c.err = rt.cfg.PlaceUnknown(cctx, id)
	if c.err == nil {
		c.err = rt.record(id, &c.t)
	}
	if c.err != nil {
		p.failed.Add(1)
		return router.Tenant{}, c.err
	}
	p.recorded.Add(1)
	return c.t, nil
}

// record applies a placement the hook returned to the directory.
func (rt *Router) record(id string, t *router.Tenant) error {
	if err := router.CheckEntry(id, t); err != nil {
		return fmt.Errorf("the placement hook answered with an entry the router cannot use: %w", err)
	}
	// Not applied (false, nil) means the directory already holds this
	// epoch or a newer one, from the feed: fine either way.
	if _, err := rt.dir.Apply(router.TenantChange{ID: id, Epoch: t.Epoch, Entry: t}); err != nil {
		return fmt.Errorf("recording the placement in the router's directory: %w", err)
	}
	return nil
}
