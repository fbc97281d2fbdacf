package main

import (
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
	// parsed is URL parsed, when the caller parsed it already; nil: the
	// Worker parses URL.
	parsed *url.URL
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
