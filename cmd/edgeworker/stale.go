package main

// A cell's 421 stale_placement answer (docs/design/moving-tenants.md): the
// request carried an older placement epoch than the cell holds for the
// tenant, or the tenant moved away from the cell, and the cell did nothing.
// The Worker does what the router server does (router/server/stale.go):
// it reads the tenant's entry again from the directory's KV namespace,
// bypassing the isolate's cache and any read of it under way (a KV get
// without cacheTtl, as every read of the Worker is), keeps it in the cache
// when it is newer, and sends the request once more, to the fresh
// placement's cell, when that placement's epoch is higher than the one the
// request carried (router.Attempts.RetryStale). Otherwise the cell's 421
// goes to the client as it came. Workers KV itself may still answer from
// its edge cache for up to 60 s after a write made elsewhere (its default
// cacheTtl, the least a get can ask for is 30 s): then the Worker finds
// nothing newer and passes the 421 on, and the client's retry finds the
// move once KV has it.
//
// Every outcome is logged with the tenant, cell and epoch, and counted by
// outcome in the isolate (memStatsReport.StalePlacements; the Worker has no
// metrics endpoint).
//
// Any method may go again, since the cell refused before acting, but only
// with its body: a request body is kept before the first attempt when it
// fits in replayMaxBytes (upstream.Keep); a longer one gets the cell's 421
// (the isolate's cache holds the newer placement by then, so the client's
// own retry goes to the right cell).

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// replayMaxBytes is the most of a request body the Worker keeps so that it
// can send it again after a stale_placement answer, as the router server
// does.
const replayMaxBytes = 64 << 10

// Outcomes of a stale_placement answer, the keys of memStatsReport's
// StalePlacements: the router server's (router's), and one of the
// Worker's own.
const (
	staleRetried       = router.StaleRetried
	staleNotNewer      = router.StaleNotNewer
	staleFetchFailed   = router.StaleFetchFailed
	staleNotReplayable = router.StaleNotReplayable
	staleRefused       = router.StaleRefused
	staleAgain         = "stale_again" // the 421 passed on: the retry's cell refused too
)

// staleOutcomes lists the outcomes, in the order of staleCounts.
var staleOutcomes = [...]string{staleRetried, staleNotNewer, staleFetchFailed, staleNotReplayable, staleRefused, staleAgain}

// staleCounts counts the isolate's stale_placement answers by outcome.
type staleCounts [len(staleOutcomes)]atomic.Uint64

func (c *staleCounts) add(outcome string) {
	for i, o := range staleOutcomes {
		if o == outcome {
			c[i].Add(1)
			return
		}
	}
}

// report returns the counts by outcome, every outcome present.
func (c *staleCounts) report() map[string]uint64 {
	m := make(map[string]uint64, len(staleOutcomes))
	for i, o := range staleOutcomes {
		m[o] = c[i].Load()
	}
	return m
}

// staleCase is one request's walk at the moment a cell answered 421.
type staleCase struct {
	snap   *router.Snapshot
	req    router.Request
	health router.HealthView
	// sent is the decision the refused attempt was made on; fresh is where
	// the tenant's newer placement's decision goes for the retry (sent
	// already, when the retry was made).
	sent, fresh *router.Decision
	att         *router.Attempts
	up          upstream
	// cell is the cell that answered.
	cell      *router.Cell
	requestID string
}

// stalePlacement handles a cell's 421 answer rep. retry reports that
// *s.fresh holds the tenant's newer placement, s.att walks it, and rep was
// discarded: the request is to be sent again. refusal, when not nil, is
// the answer to give instead of the cell's (the newer placement refuses
// the request, e.g. a write to a tenant now migrating); rep was discarded.
// Neither: pass rep on (Peek left it whole).
func (e *edge) stalePlacement(s *staleCase, rep reply) (retry bool, refusal *router.Refusal) {
	head, whole := rep.Peek(router.StaleBodyBytes)
	if !whole || !router.StalePlacement(rep.Status(), head) {
		return false, nil
	}
	sent := s.sent.Epoch()
	// The log's fields, then the message's own.
	log := func(warn bool, msg string, args ...any) {
		args = append([]any{"tenant", s.req.Tenant, "cell", s.cell.ID, "epoch", sent, "request_id", s.requestID}, args...)
		if warn {
			e.logger.Warn(msg, args...)
		} else {
			e.logger.Info(msg, args...)
		}
	}
	if s.req.Tenant == "" {
		e.stale.add(staleNotNewer)
		log(false, "cell refused a stale placement of a request without a tenant: passing the refusal on")
		return false, nil
	}
	t, err := e.refetchTenant(s.req.Tenant, s.snap)
	if err != nil {
		e.stale.add(staleFetchFailed)
		log(true, "cell refused a stale placement and reading the tenant's entry again failed: passing the refusal on", "error", err)
		return false, nil
	}
	if t == nil || t.Epoch <= sent {
		e.stale.add(staleNotNewer)
		log(false, "cell refused a stale placement and the directory holds nothing newer: passing the refusal on")
		return false, nil
	}
	next := s.snap.DecideFor(s.req, t, s.health)
	if !next.Forward() {
		e.stale.add(staleRefused)
		r := next.Refusal()
		log(false, "cell refused a stale placement and the tenant's newer placement refuses the request", "new_epoch", t.Epoch, "reason", r.Reason)
		rep.Discard()
		return false, &r
	}
	if s.sent == s.fresh {
		// The retry was made and its cell refused as well: the request
		// goes no further (RetryStale would say so), and the decision the
		// walk points at stays as it is.
		e.stale.add(staleAgain)
		log(false, "the cell of the tenant's newer placement refused a stale placement too: passing the refusal on", "new_epoch", t.Epoch)
		return false, nil
	}
	*s.fresh = next
	if !s.att.RetryStale(s.fresh, sent, s.up.Replayable()) {
		e.stale.add(staleNotReplayable)
		log(false, "cell refused a stale placement; the tenant's newer placement is routed from now on, but this request's body is too large to send again: passing the refusal on", "new_epoch", t.Epoch, "kept_bytes", replayMaxBytes)
		return false, nil
	}
	rep.Discard()
	e.stale.add(staleRetried)
	log(false, "cell refused a stale placement; sending the request to the tenant's newer placement", "new_epoch", t.Epoch, "new_cell", s.fresh.Cell(0).ID)
	return true, nil
}

// refetchTenant reads tenant id's entry from the directory again, past the
// isolate's cache and any read of it under way (those may predate the
// move), and caches it when it is newer than the entry the cache holds. It
// returns the newest placement the isolate knows of afterwards: nil when
// neither the directory nor the cache holds one. A malformed value is an
// error (and not cached).
func (e *edge) refetchTenant(id string, snap *router.Snapshot) (*router.Tenant, error) {
	key := edgeconf.DirectoryTenantKey(id)
	data, found, err := e.dirKV.Get(context.Background(), key)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	if !found {
		return e.dir.holding(id), nil
	}
	t, err := decodeEntry(id, data)
	if err != nil {
		return nil, fmt.Errorf("the entry at %s: %w", key, err)
	}
	intern(t, snap)
	return e.dir.putNewer(t, e.now().Add(e.cfg.Cache())), nil
}
