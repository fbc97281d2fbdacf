package server

// A cell's 421 stale_placement answer (docs/design/moving-tenants.md):
// the request carried an older placement epoch than the cell holds for
// the tenant, and the cell did nothing. The router reads the tenant's
// placement again from its directory feed, bypassing its index, keeps it
// when newer, and sends the request once more to the fresh placement's
// cell when that placement is newer than the one the request carried
// (router.Attempts.RetryStale); otherwise the cell's 421 goes to the
// client. Both engines call stalePlacement with the answer's status and
// the start of its body.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
)

// Outcomes of a stale_placement answer (router's), the label of
// cellfabric_router_stale_placement_total.
const (
	staleRetried       = router.StaleRetried
	staleNotNewer      = router.StaleNotNewer
	staleFetchFailed   = router.StaleFetchFailed
	staleNotReplayable = router.StaleNotReplayable
	staleRefused       = router.StaleRefused
)

// staleOutcomes lists them, for the metrics (shown at zero).
var staleOutcomes = []string{staleRetried, staleNotNewer, staleFetchFailed, staleNotReplayable, staleRefused}

// staleCounts counts stale_placement answers by outcome.
type staleCounts [5]atomic.Uint64

func (c *staleCounts) add(outcome string) {
	for i, o := range staleOutcomes {
		if o == outcome {
			c[i].Add(1)
			return
		}
	}
}

// stalePlacement handles a cell's answer with status whose body starts
// with body (at most router.StaleBodyBytes+1 bytes read): stale reports
// whether it is a stale_placement refusal at all. When it is, the
// tenant's placement is read again; retry reports that st now holds the
// fresh decision and its attempts and the request is to be sent again;
// refusal, when not nil, is the answer to give instead of the cell's (the
// fresh placement refuses the request, e.g. a write to a tenant now
// migrating). Neither: pass the cell's answer on.
func (rt *Router) stalePlacement(ctx context.Context, st *reqState, method string, status int, body []byte) (stale, retry bool, refusal *router.Refusal) {
	if !router.StalePlacement(status, body) {
		return false, false, nil
	}
	sent := st.decision.Epoch() // before st.given changes: the decision points at it
	cell := ""
	if st.cell != nil {
		cell = st.cell.ID
	}
	log := st.log(rt.cfg.Logger).With(logattr.Cell, cell, "epoch", sent)
	if st.tenant == "" || rt.dirSync == nil {
		rt.metrics.stale.add(staleNotNewer)
		log.Info("cell refused a stale placement; the router has no directory feed to read a newer one from: passing the refusal on")
		return true, false, nil
	}
	if err := rt.dirSync.refetch(ctx, st.tenant); err != nil {
		rt.metrics.stale.add(staleFetchFailed)
		log.Warn("cell refused a stale placement and reading the tenant's placement again failed: passing the refusal on", "error", err)
		return true, false, nil
	}
	p, ok := rt.lookup(st.tenant)
	if !ok || p.Epoch <= sent {
		rt.metrics.stale.add(staleNotNewer)
		log.Info("cell refused a stale placement and the directory holds nothing newer: passing the refusal on")
		return true, false, nil
	}
	snap := rt.cfg.Store.Snapshot()
	if snap == nil {
		rt.metrics.stale.add(staleNotNewer)
		return true, false, nil
	}
	st.placement = p
	st.given = st.placement.Tenant()
	st.decision = snap.DecideFor(router.Request{Method: method, Path: st.path, Tenant: st.tenant}, &st.given, rt.cfg.Health)
	if !st.decision.Forward() {
		rt.metrics.stale.add(staleRefused)
		r := st.decision.Refusal()
		log.Info("cell refused a stale placement and the tenant's newer placement refuses the request", "new_epoch", p.Epoch, "reason", r.Reason)
		return true, false, &r
	}
	next, replayable := st.replay.replay()
	if !st.attempts.RetryStale(&st.decision, sent, replayable) {
		rt.metrics.stale.add(staleNotReplayable)
		log.Info("cell refused a stale placement; the tenant's newer placement is routed from now on, but this request's body is too large to send again: passing the refusal on", "new_epoch", p.Epoch, "kept_bytes", replayMaxBytes)
		return true, false, nil
	}
	st.nextBody = next
	rt.metrics.stale.add(staleRetried)
	log.Info("cell refused a stale placement; sending the request to the tenant's newer placement", "new_epoch", p.Epoch, "new_cell", st.decision.Cell(0).ID)
	return true, true, nil
}

// refetches makes one read of a tenant's entry at a time, however many
// requests met a stale placement of it meanwhile.
type refetches struct {
	mu    sync.Mutex
	calls map[string]*refetchCall
}

type refetchCall struct {
	done chan struct{}
	err  error
}

// refetch reads tenant id's entry from the feed, bypassing the index, and
// applies it when newer: with Get when the feed has it, else by polling
// the feed's changes once from the position the index is at (the regular
// polls apply them again, as not newer). Bounded by UpstreamTimeout; a
// request going away does not cancel a read others wait for.
func (s *dirSync) refetch(ctx context.Context, id string) error {
	r := &s.refetches
	r.mu.Lock()
	if c, ok := r.calls[id]; ok {
		r.mu.Unlock()
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := &refetchCall{done: make(chan struct{})}
	if r.calls == nil {
		r.calls = map[string]*refetchCall{}
	}
	r.calls[id] = c
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.calls, id)
		r.mu.Unlock()
		close(c.done)
	}()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	c.err = s.readAgain(cctx, id)
	return c.err
}

func (s *dirSync) readAgain(ctx context.Context, id string) error {
	if g, ok := s.feed.(DirectoryGetter); ok {
		t, found, err := g.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("reading tenant %q from the directory feed: %w", id, err)
		}
		if !found {
			return nil // nothing newer: the index keeps what it holds
		}
		t.ID = id
		if _, err := s.dir.Apply(router.TenantChange{ID: id, Epoch: t.Epoch, Entry: &t}); err != nil {
			s.invalid.Add(1)
			return fmt.Errorf("the directory feed's entry for tenant %q: %w", id, err)
		}
		return nil
	}
	pos := s.position.Load()
	if pos == nil {
		return errors.New("the directory has not loaded yet: no position to poll from")
	}
	changes, _, err := s.feed.Changes(ctx, *pos)
	if err != nil {
		return fmt.Errorf("polling the directory feed's changes: %w", err)
	}
	s.apply(changes)
	return nil
}

// replayMaxBytes is the most of a request body the router keeps so that
// it can send the body again after a stale_placement answer (any method):
// writes to a moved tenant are retried on its new cell up to this size;
// a longer body gets the cell's 421 (the router's index is up to date by
// then, so the client's own retry goes to the right cell).
const replayMaxBytes = 64 << 10

// replayBody is a request body that can be sent again from its start:
// what attempts read is kept, up to replayMaxBytes. Only the latest
// attempt's reader reads; an earlier attempt's (a transport may still be
// writing it after the cell answered) gets errSuperseded. Kept only when
// the router has a directory feed (only then can it retry a
// stale_placement answer) and the request names a tenant.
type replayBody struct {
	mu   sync.Mutex
	src  io.Reader
	kept []byte
	over bool // more than replayMaxBytes were read: no replay
	eof  bool // src is read to its end
	gen  int
}

var errSuperseded = errors.New("request body superseded by a later attempt")

// newReplayBody returns src as a replayBody and the first attempt's
// reader. size is the body's declared length (-1 or less: unknown): a
// body declared over replayMaxBytes is not kept at all, one declared
// within it is kept in one allocation.
func newReplayBody(src io.Reader, size int64) (*replayBody, *replayReader) {
	b := &replayBody{src: src, gen: 1}
	switch {
	case size > replayMaxBytes:
		b.over = true
	case size > 0:
		b.kept = make([]byte, 0, size)
	}
	return b, &replayReader{b: b, gen: 1}
}

// replay stops every earlier attempt's reader, reads the rest of the
// client's body (the cell refused without reading it all, perhaps), and
// returns a reader of the whole body for one more attempt; ok is false
// when the body is over replayMaxBytes or reading it failed (a client's
// fault, recorded by the trackedBody below). A nil body replays as none.
func (b *replayBody) replay() (r io.ReadCloser, ok bool) {
	if b == nil {
		return nil, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	var chunk [4 << 10]byte
	for !b.eof && !b.over {
		n, err := b.src.Read(chunk[:])
		b.keep(chunk[:n])
		if err == io.EOF {
			b.eof = true
		} else if err != nil {
			return nil, false
		}
	}
	if b.over {
		return nil, false
	}
	return &replayReader{b: b, gen: b.gen}, true
}

// keep adds p, just read from src, to what is kept. Called with mu held.
func (b *replayBody) keep(p []byte) {
	switch {
	case b.over || len(p) == 0:
	case len(b.kept)+len(p) > replayMaxBytes:
		b.over, b.kept = true, nil
	default:
		b.kept = append(b.kept, p...)
	}
}

// replayReader is one attempt's view of a replayBody. Close does nothing:
// the server closes the client's body.
type replayReader struct {
	b   *replayBody
	gen int
	pos int
}

func (r *replayReader) Read(p []byte) (int, error) {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.gen != b.gen {
		return 0, errSuperseded
	}
	if r.pos < len(b.kept) {
		n := copy(p, b.kept[r.pos:])
		r.pos += n
		return n, nil
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.src.Read(p)
	b.keep(p[:n])
	r.pos += n
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (r *replayReader) Close() error { return nil }
