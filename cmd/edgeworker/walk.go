package main

import (
	"context"
	"errors"
	"net/url"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// A request's way through the Worker, in three steps that both of its
// paths share (fast.go):
//
//  1. prepare: registry and health (cached), tenant, its directory entry
//     (cached), decision. With cachedOnly it gives up, having changed
//     nothing, wherever it would have to wait for KV.
//  2. next: the next cell to try, the attempt to it prepared and signed.
//  3. settle: what the cell answered (or how the attempt failed) decides
//     whether the request is over or goes on to the next cell.

// walk is one request between its decision and its answer.
type walk struct {
	e   *edge
	in  inbound
	u   *url.URL
	res result
	// done is set when res is the request's answer.
	done bool

	snap   *router.Snapshot
	req    router.Request
	health router.HealthView
	tenant tenant.Result
	target url.URL
	// d is the decision; cur the one being walked: d, or after a
	// stale_placement answer the tenant's newer placement, fresh
	// (stale.go).
	d, fresh router.Decision
	cur      *router.Decision
	att      router.Attempts
	// up sends the attempts; nil until the walk forwards.
	up upstream
}

// errNotCached is prepare's answer with cachedOnly when the request needs
// a KV read first.
var errNotCached = errors.New("the request needs a KV read")

// serve routes one request: registry and health (cached), tenant, its
// directory entry (cached), decision, then the decision's cells in turn
// until one gives an answer to pass on.
func (e *edge) serve(in inbound, up upstream) result {
	w, _ := e.prepare(in, false)
	if w.done {
		return w.res
	}
	w.forward(up)
	return w.res
}

// prepare makes the request's decision. The walk it returns is done when
// the request is refused. With cachedOnly it returns errNotCached, with
// nothing changed, when the registry or health is due for a read or the
// tenant's directory entry is not fresh in the cache (or the tenant is to
// be placed), or when the request has a body (kept or streamed by the
// slow path, upstream.Keep): it then never waits, and decides from the
// one reading of the directory cache that let it in (cachedTenant).
func (e *edge) prepare(in inbound, cachedOnly bool) (*walk, error) {
	w := &walk{e: e, in: in, res: result{RequestID: router.RequestID(in.Header.Get("X-Request-ID"))}}
	u, err := in.parsed, error(nil)
	if u == nil {
		u, err = url.Parse(in.URL)
	}
	if err != nil || u.Host == "" {
		return w.refuse(router.Refusal{Status: statusBadRequest, Reason: "bad_request", Msg: "the request URL cannot be parsed"}), nil
	}
	w.u = u
	if cachedOnly {
		if e.due() {
			return nil, errNotCached
		}
	} else {
		e.refresh()
	}
	snap := e.store.Snapshot()
	if snap == nil {
		return w.refuse(router.NoRegistry("edge")), nil
	}
	t, err := e.resolver.Resolve(context.Background(), tenant.Facts{Host: u.Host, Path: u.Path, RawPath: u.RawPath, Header: in.Header})
	if err != nil {
		var te *tenant.Error
		if !errors.As(err, &te) {
			te = &tenant.Error{Status: statusBadRequest, Reason: "bad_request", Msg: err.Error()}
		}
		return w.refuse(router.Refusal{Status: te.Status, Reason: router.Reason(te.Reason), Msg: te.Msg}), nil
	}
	// entry is the tenant's directory entry as the cache alone has it,
	// with cachedOnly: decided from as it is, whatever the clock does
	// meanwhile.
	var entry *router.Tenant
	if cachedOnly {
		ok := !in.HasBody
		if ok && t.Tenant != "" {
			entry, ok = e.cachedTenant(t.Tenant, snap)
		}
		if !ok {
			return nil, errNotCached
		}
	}
	w.res.Tenant = t.Tenant
	w.snap, w.tenant = snap, t
	w.health = e.healthView()
	w.req = router.Request{Method: in.Method, Path: t.Path, Tenant: t.Tenant, Rand: e.rand()}
	var (
		d       router.Decision
		refusal *router.Refusal
	)
	if cachedOnly && t.Tenant != "" {
		d, refusal = e.decideFor(snap, w.req, w.health, entry, true)
	} else {
		d, refusal = e.decide(snap, w.req, w.health)
	}
	if refusal != nil {
		return w.refuse(*refusal), nil
	}
	if !d.Forward() {
		return w.refuse(d.Refusal()), nil
	}
	w.d = d
	w.cur = &w.d
	w.target = url.URL{Path: t.Path, RawPath: t.RawPath, RawQuery: u.RawQuery, ForceQuery: u.ForceQuery} // "/a?" is not "/a": kept as sent
	w.att = w.d.Attempts(w.health, in.Method, in.HasBody, e.cfg.MaxAttempts)
	w.res.Traceparent = e.traceparent()
	return w, nil
}

// refuse ends the walk with r.
func (w *walk) refuse(r router.Refusal) *walk {
	w.res.Refusal, w.done = &r, true
	return w
}

// forward keeps the request body when it has one (so that a
// stale_placement answer can be retried, stale.go) and tries the
// decision's cells in turn until the walk is done.
func (w *walk) forward(up upstream) {
	w.up = up
	if w.in.HasBody && w.tenant.Tenant != "" {
		if err := up.Keep(); err != nil {
			w.e.logger.Info("request failed by its client", "reason", router.ReasonBadRequestBody, "tenant", w.tenant.Tenant, "request_id", w.res.RequestID, "error", err)
			w.refuse(router.BadRequestBody(""))
			return
		}
	}
	w.rest()
}

// rest tries the cells left until the walk is done.
func (w *walk) rest() {
	for a := w.next(); a != nil; a = w.next() {
		rep, err := w.up.Send(a)
		w.settle(a, rep, err)
	}
}

// next returns the attempt to the next cell, nil when the walk is done:
// no cell is left, or the last attempt's answer ended it.
func (w *walk) next() *attempt {
	if w.done {
		return nil
	}
	for cell := w.att.Next(); cell != nil; cell = w.att.Next() {
		w.res.Attempts = w.att.Tried()
		a, err := w.e.attempt(cell, w.in.Method, w.target, w.tenant.Tenant, w.cur.Epoch(), w.res.RequestID, w.u)
		a.Traceparent = w.res.Traceparent
		if err == nil {
			return &a
		}
		w.e.logger.Error("skipping a cell whose endpoint does not parse", "cell", cell.ID, "error", err)
		if !w.att.Failed(router.FailNotSent, false) {
			break
		}
	}
	w.res.Attempts = w.att.Tried()
	w.refuse(w.att.Refusal())
	return nil
}

// passes reports whether a cell's answer with status ends the walk as it
// is: it is neither retried on the next cell nor a 421 to look into.
func (w *walk) passes(status int) bool {
	return status != router.StatusMisdirected && !w.att.RetryStatus(status)
}

// settle takes how attempt a ended: the cell's reply, or err when none
// came. The walk is then done, or goes on to the next cell.
func (w *walk) settle(a *attempt, rep reply, err error) {
	e, cell, tenantID, reqID := w.e, a.Cell, w.tenant.Tenant, w.res.RequestID
	if err != nil && errors.Is(err, errClientBody) {
		w.att.Failed(router.FailClient, true)
		e.logger.Info("request failed by its client", "reason", router.ReasonBadRequestBody, "cell", cell.ID, "tenant", tenantID, "request_id", reqID, "error", err)
		w.refuse(router.BadRequestBody(""))
		return
	}
	if err != nil {
		e.logger.Warn("cell request failed", "cell", cell.ID, "cloud", cell.Cloud, "tenant", tenantID, "request_id", reqID, "error", err)
		// fetch does not tell whether the request reached the cell:
		// a failure is taken as broken on the way.
		f := router.FailBroken
		if errors.Is(err, errTimeout) {
			f = router.FailTimeout
		}
		if !w.att.Failed(f, w.in.HasBody) {
			w.res.Attempts = w.att.Tried()
			w.refuse(w.att.Refusal())
		}
		return
	}
	status := rep.Status()
	if w.att.RetryStatus(status) {
		e.logger.Info("retrying on the next cell", "cell", cell.ID, "status", status, "tenant", tenantID, "request_id", reqID)
		rep.Discard()
		return
	}
	if status == router.StatusMisdirected {
		s := staleCase{snap: w.snap, req: w.req, health: w.health, sent: w.cur, fresh: &w.fresh, att: &w.att, up: w.up, cell: cell, requestID: reqID}
		retry, refusal := e.stalePlacement(&s, rep)
		if refusal != nil {
			w.res.Attempts = w.att.Tried()
			w.refuse(*refusal)
			return
		}
		if retry {
			w.cur = &w.fresh
			return
		}
	}
	w.res.Reply, w.res.Cell, w.done = rep, cell, true
}
