package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// inbound is what the Worker needs to know about an incoming request.
type inbound struct {
	Method string
	// URL is the absolute request URL (Request.url).
	URL string
	// Header reads the request headers.
	Header tenant.Headers
	// HasBody is true when the request has a body (Request.body != null).
	HasBody bool
}

// attempt is one try of one cell: everything the fetch needs besides the
// incoming request's own headers and body.
type attempt struct {
	Cell *router.Cell
	// URL is the cell's URL for the request: its endpoint, the forwarded
	// path and the query.
	URL string
	// Tenant goes into X-Tenant-ID ("" removes the header).
	Tenant string
	// Epoch is the placement epoch of the decision the attempt is made
	// on: it goes into X-Tenant-Epoch when positive (absent otherwise)
	// and is covered by the signature (edgeauth v2; v1 when 0).
	Epoch int64
	// Signature goes into X-Cellfabric-Signature.
	Signature string
	// RequestID goes into X-Request-ID.
	RequestID string
	// ForwardedHost and ForwardedProto go into X-Forwarded-Host and
	// X-Forwarded-Proto.
	ForwardedHost, ForwardedProto string
	// Timeout bounds the wait for the response headers.
	Timeout time.Duration
	// Traceparent goes into traceparent, in place of the client's (whose
	// tracestate is removed): the Worker's span in the request's trace
	// (trace.go).
	Traceparent string
}

// upstream sends attempts: fetch in the Worker, a fake in tests.
type upstream interface {
	// Send forwards the request to a.Cell. It returns the cell's response,
	// or an error when none came: errTimeout when a.Timeout passed first,
	// an error wrapping errClientBody when the client's request body failed
	// while it was being forwarded. After Keep, every Send sends the whole
	// body again when Replayable.
	Send(a *attempt) (reply, error)
	// Keep reads the start of the request body before the first attempt,
	// up to replayMaxBytes, so that a body that fits can be sent again
	// after a cell's stale_placement answer (stale.go). It returns an error
	// wrapping errClientBody when the client's body fails meanwhile. A body
	// that does not fit is forwarded as it comes, from what was read on.
	Keep() error
	// Replayable reports whether Send can send the request as it was once
	// more: it has no body, or Keep held all of it.
	Replayable() bool
}

// reply is a cell's response, left in the runtime: its body is never
// copied into Go, but for the start of a 421 (Peek).
type reply interface {
	Status() int
	// Discard releases a response that will not be passed on.
	Discard()
	// Peek returns the start of the body, at least max+1 bytes of it when
	// it is that long, and whether it read the whole body (it ended within
	// max bytes, without error). The reply is passed on as it was, body
	// and all.
	Peek(max int) (head []byte, whole bool)
}

// errTimeout is returned by upstream.Send when the cell did not send its
// response headers in time.
var errTimeout = errors.New("the cell did not answer in time")

// errClientBody is wrapped in the error of upstream.Send when the client's
// request body failed while it was being forwarded (a malformed chunked
// encoding, a body cut short, a client gone). In workerd fetch then fails
// exactly as when the cell drops the connection ("Network connection
// lost."), so the Worker watches the body itself (jsUpstream, shim.js) to
// tell the two apart. It is the client's fault: answered 400, never retried,
// never reported as the cell's failure.
var errClientBody = errors.New("the client's request body failed")

// result is how a request ends: a cell's reply, or a refusal.
type result struct {
	RequestID string
	Tenant    string
	// Reply and Cell are the answer and the cell that gave it.
	Reply reply
	Cell  *router.Cell
	// Refusal is set when the Worker answers itself.
	Refusal *router.Refusal
	// Attempts counts the cells tried.
	Attempts int
	// Traceparent is what the cells were sent ("" when none was tried).
	Traceparent string
}

// serve routes one request: registry and health (cached), tenant, its
// directory entry (cached), decision, then the decision's cells in turn until one gives an answer to pass on.
func (e *edge) serve(in inbound, up upstream) result {
	res := result{RequestID: router.RequestID(in.Header.Get("X-Request-ID"))}
	refuse := func(r router.Refusal) result { res.Refusal = &r; return res }
	u, err := url.Parse(in.URL)
	if err != nil || u.Host == "" {
		return refuse(router.Refusal{Status: statusBadRequest, Reason: "bad_request", Msg: "the request URL cannot be parsed"})
	}
	e.refresh()
	snap := e.store.Snapshot()
	if snap == nil {
		return refuse(router.NoRegistry("edge"))
	}
	t, err := e.resolver.Resolve(context.Background(), tenant.Facts{Host: u.Host, Path: u.Path, RawPath: u.RawPath, Header: in.Header})
	if err != nil {
		var te *tenant.Error
		if !errors.As(err, &te) {
			te = &tenant.Error{Status: statusBadRequest, Reason: "bad_request", Msg: err.Error()}
		}
		return refuse(router.Refusal{Status: te.Status, Reason: router.Reason(te.Reason), Msg: te.Msg})
	}
	res.Tenant = t.Tenant
	health := e.healthView()
	req := router.Request{Method: in.Method, Path: t.Path, Tenant: t.Tenant, Rand: e.rand()}
	d, refusal := e.decide(snap, req, health)
	if refusal != nil {
		return refuse(*refusal)
	}
	if !d.Forward() {
		return refuse(d.Refusal())
	}

	target := url.URL{Path: t.Path, RawPath: t.RawPath, RawQuery: u.RawQuery}
	if in.HasBody && t.Tenant != "" {
		// Kept, so that a stale_placement answer can be retried (stale.go).
		if err := up.Keep(); err != nil {
			e.logger.Info("request failed by its client", "reason", router.ReasonBadRequestBody, "tenant", t.Tenant, "request_id", res.RequestID, "error", err)
			return refuse(router.BadRequestBody(""))
		}
	}
	// cur is the decision being walked: d, or after a stale_placement
	// answer the tenant's newer placement (stale.go).
	cur, fresh := &d, router.Decision{}
	att := d.Attempts(health, in.Method, in.HasBody, e.cfg.MaxAttempts)
	res.Traceparent = e.traceparent()
	for cell := att.Next(); cell != nil; cell = att.Next() {
		res.Attempts = att.Tried()
		a, err := e.attempt(cell, in.Method, target, t.Tenant, cur.Epoch(), res.RequestID, u)
		a.Traceparent = res.Traceparent
		if err != nil {
			e.logger.Error("skipping a cell whose endpoint does not parse", "cell", cell.ID, "error", err)
			if !att.Failed(router.FailNotSent, false) {
				break
			}
			continue
		}
		rep, err := up.Send(&a)
		if err != nil && errors.Is(err, errClientBody) {
			att.Failed(router.FailClient, true)
			e.logger.Info("request failed by its client", "reason", router.ReasonBadRequestBody, "cell", cell.ID, "tenant", t.Tenant, "request_id", res.RequestID, "error", err)
			return refuse(router.BadRequestBody(""))
		}
		if err != nil {
			e.logger.Warn("cell request failed", "cell", cell.ID, "cloud", cell.Cloud, "tenant", t.Tenant, "request_id", res.RequestID, "error", err)
			// fetch does not tell whether the request reached the cell:
			// a failure is taken as broken on the way.
			f := router.FailBroken
			if errors.Is(err, errTimeout) {
				f = router.FailTimeout
			}
			if !att.Failed(f, in.HasBody) {
				break
			}
			continue
		}
		if att.RetryStatus(rep.Status()) {
			e.logger.Info("retrying on the next cell", "cell", cell.ID, "status", rep.Status(), "tenant", t.Tenant, "request_id", res.RequestID)
			rep.Discard()
			continue
		}
		if rep.Status() == router.StatusMisdirected {
			s := staleCase{snap: snap, req: req, health: health, sent: cur, fresh: &fresh, att: &att, up: up, cell: cell, requestID: res.RequestID}
			retry, refusal := e.stalePlacement(&s, rep)
			if refusal != nil {
				res.Attempts = att.Tried()
				return refuse(*refusal)
			}
			if retry {
				cur = &fresh
				continue
			}
		}
		res.Reply, res.Cell = rep, cell
		return res
	}
	res.Attempts = att.Tried()
	return refuse(att.Refusal())
}

// attempt prepares and signs the request for one cell. The signature
// covers exactly the URL the fetch is given (its host, escaped path and
// query), the tenant and the decision's placement epoch: v2 with a
// positive epoch (a tenant of the directory), v1 with none (a tenant of
// the registry, a shared route).
func (e *edge) attempt(cell *router.Cell, method string, target url.URL, tenantID string, epoch int64, reqID string, in *url.URL) (attempt, error) {
	ep, err := url.Parse(cell.Endpoint)
	if err != nil {
		return attempt{}, fmt.Errorf("cell %s endpoint: %w", cell.ID, err)
	}
	target.Scheme, target.Host = ep.Scheme, ep.Host
	return attempt{
		Cell:           cell,
		URL:            target.String(),
		Tenant:         tenantID,
		Epoch:          max(epoch, 0),
		Signature:      e.signer.Sign(edgeauth.Message{Method: method, Host: target.Host, Path: target.EscapedPath(), Query: target.RawQuery, Tenant: tenantID, Epoch: epoch}),
		RequestID:      reqID,
		ForwardedHost:  in.Host,
		ForwardedProto: in.Scheme,
		Timeout:        e.cfg.UpstreamTimeout(),
	}, nil
}
