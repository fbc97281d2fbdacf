package main

import (
	"context"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// The Worker's read side of the tenant directory. Per request with a
// tenant, after the registry is at hand:
//
//  1. the isolate's cache (dirCache) answers when it holds a fresh entry:
//     the tenant's placement, or that the directory has none;
//  2. otherwise one KV read of DirectoryTenantKey(tenant), shared by every
//     request of the isolate that misses on the same tenant meanwhile
//     (flight), caches the placement for CacheSeconds or its absence for
//     DirectoryNegativeSeconds. A value that does not decode is logged and
//     treated as absent, and not cached;
//  3. a placement is decided with Snapshot.DecideFor; a tenant the
//     directory does not hold falls back to the registry's tenants (the
//     seed, Snapshot.Decide), and a tenant in neither to placeUnknown.
//
// When the KV read fails, the last entry read (even expired) answers; without
// one the registry's seed does; a tenant in neither gets 503
// directory_unavailable, never 404: a failed read says nothing about
// whether the tenant exists. The whole directory is never loaded.

// flight is one KV read of a tenant's entry that other requests of the
// isolate wait for instead of reading the same key.
type flight struct {
	done    chan struct{} // closed when the read ended
	started time.Time
	// Set before done is closed.
	tenant *router.Tenant
	err    error
}

// decide chooses where a request goes: the directory's placement of its
// tenant when it holds one, else the registry's. It returns a refusal of
// its own only when the directory cannot be read and nothing else knows
// the tenant.
func (e *edge) decide(snap *router.Snapshot, req router.Request, h router.HealthView) (router.Decision, *router.Refusal) {
	if req.Tenant == "" {
		return snap.Decide(req, h), nil
	}
	t, known := e.lookupTenant(req.Tenant, snap)
	return e.decideFor(snap, req, h, t, known)
}

// decideFor is decide once the tenant's directory entry is looked up: t
// is its placement (nil when the directory holds none), known is false
// when the directory could not be read and nothing is cached.
func (e *edge) decideFor(snap *router.Snapshot, req router.Request, h router.HealthView, t *router.Tenant, known bool) (router.Decision, *router.Refusal) {
	switch {
	case t != nil:
		return snap.DecideFor(req, t, h), nil
	case snap.Lists(req.Tenant):
		return snap.Decide(req, h), nil
	case !known:
		r := router.DirectoryUnavailable(req.Tenant)
		return router.Decision{}, &r
	}
	return e.placeUnknown(snap, req, h)
}

// cachedTenant returns what the isolate's cache alone says of tenant id
// for decideFor: its placement (nil when the directory holds none), and
// ok when that is enough to decide: the entry (or the absence) is cached
// and fresh, and a tenant in neither the directory nor the registry is not
// to be placed (placeUnknown writes to the directory). The caller decides
// with this one reading of the cache: an entry that expires meanwhile must
// not send it to KV.
func (e *edge) cachedTenant(id string, snap *router.Snapshot) (t *router.Tenant, ok bool) {
	c, hit := e.dir.get(id, e.now())
	if !hit || !c.Fresh {
		return nil, false
	}
	return c.Tenant, c.Tenant != nil || snap.Lists(id) || snap.Policy() != fabric.PolicyPlace
}

// lookupTenant returns the directory's placement of tenant id (nil when it
// holds none) and whether that is known: false when the directory could
// not be read and the cache holds nothing for id.
func (e *edge) lookupTenant(id string, snap *router.Snapshot) (*router.Tenant, bool) {
	c, hit := e.dir.get(id, e.now())
	if hit && c.Fresh {
		return c.Tenant, true
	}
	t, err := e.readTenant(id, snap)
	if err == nil {
		return t, true
	}
	if hit {
		e.logger.Warn("reading the tenant directory failed; serving the last entry read", "tenant", id, "found", c.Tenant != nil, "error", err)
		return c.Tenant, true
	}
	e.logger.Warn("reading the tenant directory failed and no entry is cached", "tenant", id, "error", err)
	return nil, false
}

// readTenant reads tenant id's entry, or waits for the read another request
// of the isolate has under way (unless that one seems stuck: its client may
// be gone and its read never end; a waiter gives up after readStuck too).
// The wait goes through e.wait, which in the Worker returns the waiting
// request to its own I/O context.
func (e *edge) readTenant(id string, snap *router.Snapshot) (*router.Tenant, error) {
	now := e.now()
	e.mu.Lock()
	if f := e.flights[id]; f != nil && now.Sub(f.started) < readStuck {
		e.mu.Unlock()
		if e.wait(f.done) {
			return f.tenant, f.err
		}
		// That read seems stuck: read alone.
		return e.fetchTenant(id, snap)
	}
	f := &flight{done: make(chan struct{}), started: now}
	e.flights[id] = f
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.flights[id] == f {
			delete(e.flights, id)
		}
		e.mu.Unlock()
		close(f.done)
	}()
	f.tenant, f.err = e.fetchTenant(id, snap)
	return f.tenant, f.err
}

// fetchTenant reads tenant id's entry from the directory and caches the
// outcome: the placement, or its absence (unless the isolate wrote to the
// directory meanwhile: the outcome may predate that write). A KV failure is returned and
// nothing is cached; a value that does not decode is logged and counts as
// absent, uncached, so that the next request reads it again.
func (e *edge) fetchTenant(id string, snap *router.Snapshot) (*router.Tenant, error) {
	key := edgeconf.DirectoryTenantKey(id)
	gen := e.dir.generation()
	data, found, err := e.dirKV.Get(context.Background(), key)
	if err != nil {
		return nil, err
	}
	now := e.now()
	if !found {
		e.dir.putIf(gen, strings.Clone(id), nil, now.Add(e.cfg.DirectoryNegative()))
		return nil, nil
	}
	t, err := decodeEntry(id, data)
	if err != nil {
		e.logger.Error("ignoring a malformed tenant directory entry: the tenant counts as absent from the directory until it is fixed", "tenant", id, "key", key, "error", err)
		return nil, nil
	}
	intern(t, snap)
	e.dir.putIf(gen, t.ID, t, now.Add(e.cfg.Cache()))
	return t, nil
}

// waitChannel is how a request waits for another request's read outside
// the Worker: on the channel, until it is closed.
func waitChannel(done <-chan struct{}) bool {
	<-done
	return true
}
