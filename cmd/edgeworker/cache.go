package main

import (
	"context"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// readStuck is how long a KV read may be in flight before another request
// starts its own: a request whose client went away may never finish its
// read, and must not stop the isolate from refreshing.
const readStuck = 10 * time.Second

// readState is when a KV key was last read, and whether a read is under way.
type readState struct {
	at        time.Time // end of the last read, successful or not; zero: never
	busySince time.Time // start of the read under way; zero: none
}

// claim decides whether the caller reads the key now: when forced, when the
// isolate holds no copy, or when the last read is older than the cache time
// and no other request is reading it already (that request will refresh the
// copy; this one serves the cached one meanwhile). A caller that claims must
// call done.
func (e *edge) claim(st *readState, have, force bool) bool {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !force && have && !e.wanted(st, now) {
		return false
	}
	st.busySince = now
	return true
}

// wanted reports whether a key held in the isolate is due for a read at
// now: its last read is older than the cache time and no other request is
// reading it. e.mu must be held.
func (e *edge) wanted(st *readState, now time.Time) bool {
	if !st.at.IsZero() && now.Sub(st.at) < e.cfg.Cache() {
		return false
	}
	return st.busySince.IsZero() || now.Sub(st.busySince) >= readStuck
}

// due reports whether refresh would read the registry or the health
// document now, without claiming either read.
func (e *edge) due() bool {
	if e.store.Snapshot() == nil {
		return true
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wanted(&e.reg, now) || e.wanted(&e.hlt, now)
}

// done records the end of a read.
func (e *edge) done(st *readState) {
	now := e.now()
	e.mu.Lock()
	st.at, st.busySince = now, time.Time{}
	e.mu.Unlock()
}

// refresh reads the registry and the health document from KV when their
// cached copies are due, both at once.
func (e *edge) refresh() {
	regDue := e.claim(&e.reg, e.store.Snapshot() != nil, false)
	// Health is never worth waiting for: until a first read completes,
	// every cell counts as healthy.
	hltDue := e.claim(&e.hlt, true, false)
	switch {
	case regDue && hltDue:
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			e.readHealth()
		}()
		e.readRegistry()
		<-finished
	case regDue:
		e.readRegistry()
	case hltDue:
		e.readHealth()
	}
}

// readRegistry reads the registry from KV and offers it to the store, which
// refuses anything but a valid, newer document. When KV fails or holds no
// registry the last good one keeps serving.
func (e *edge) readRegistry() {
	data, found, err := e.kv.Get(context.Background(), edgeconf.RegistryKey)
	e.done(&e.reg)
	switch {
	case err != nil:
		e.logger.Warn("reading the registry from KV failed; serving the last good registry", "key", edgeconf.RegistryKey, "epoch", e.epoch(), "error", err)
	case !found:
		e.logger.Warn("KV holds no registry; serving the last good registry (pulumi up writes it)", "key", edgeconf.RegistryKey, "epoch", e.epoch())
	default:
		_ = e.store.Update(data, "kv:"+edgeconf.RegistryKey) // the store logs a refusal
	}
}

// readHealth reads the health document from KV. A document that does not
// parse is ignored and the last good one kept; a missing one (before the
// cron's first run) means every cell is healthy.
func (e *edge) readHealth() {
	data, found, err := e.kv.Get(context.Background(), edgeconf.HealthKey)
	e.done(&e.hlt)
	if err != nil {
		e.logger.Warn("reading cell health from KV failed; using the last health document", "key", edgeconf.HealthKey, "error", err)
		return
	}
	if !found {
		e.mu.Lock()
		e.health, e.hasHlth = edgeconf.Health{}, false
		e.mu.Unlock()
		return
	}
	h, err := edgeconf.ParseHealth(data)
	if err != nil {
		e.logger.Warn("ignoring the health document in KV; using the last good one", "key", edgeconf.HealthKey, "error", err)
		return
	}
	if !h.Fresh(e.now(), e.cfg.HealthMaxAge()) {
		e.logger.Warn("the health document in KV is stale: every cell counts as healthy until the cron writes a new one", "checked_at", h.CheckedAt, "max_age", e.cfg.HealthMaxAge())
	}
	e.mu.Lock()
	e.health, e.hasHlth = h, true
	e.mu.Unlock()
}

// healthView returns the health the decision uses: the cells of the last
// good health document while it is fresh, else every cell healthy.
func (e *edge) healthView() router.HealthMap {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.hasHlth || !e.health.Fresh(now, e.cfg.HealthMaxAge()) {
		return nil
	}
	return router.HealthMap(e.health.Cells)
}

// epoch returns the epoch being served, 0 when none.
func (e *edge) epoch() int64 {
	if s := e.store.Snapshot(); s != nil {
		return s.Epoch()
	}
	return 0
}
