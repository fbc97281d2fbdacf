package router

import (
	"encoding/json"
	"fmt"
)

// The forwarding policy: which of a decision's cells a request goes to, in
// which order, when a failed or refused attempt may go on to the next cell
// (or, after a cell's stale_placement answer, to the tenant's newer
// placement), and what the router answers when none gave an answer. The router server
// (router/server) and the edge Worker (cmd/edgeworker) both follow it; they
// only supply the I/O and, on the server, a retry budget.

// Reasons a router answers a request itself beyond the decision's own
// (ReasonNoTenant and the others in decide.go). Values are stable: they
// appear in error bodies, logs and metric labels, the same at the edge and
// on the server.
const (
	// ReasonNoRegistry: 503, the router has no valid registry yet.
	ReasonNoRegistry Reason = "no_registry"
	// ReasonUpstreamFailed: 502, no cell could be reached.
	ReasonUpstreamFailed Reason = "upstream_unavailable"
	// ReasonUpstreamTimeout: 504, the cell did not send its response headers
	// in time.
	ReasonUpstreamTimeout Reason = "upstream_timeout"
	// ReasonBadRequestBody: 400, the request body could not be read: it is
	// malformed (a bad chunked encoding) or ended early (shorter than its
	// Content-Length, or a chunked body without its last chunk, as when a
	// client aborts an upload).
	ReasonBadRequestBody Reason = "bad_request_body"
	// ReasonBodyTooLarge: 413, the request body is over the size limit.
	ReasonBodyTooLarge Reason = "body_too_large"
	// ReasonClientTimeout: 408, the client sent its body too slowly.
	ReasonClientTimeout Reason = "client_timeout"
	// ReasonClientGone: 499, the client closed or reset its connection
	// before the answer.
	ReasonClientGone Reason = "client_closed"
	// ReasonHeaderTooLarge: 431, the request headers are over the limit.
	ReasonHeaderTooLarge Reason = "header_too_large"
	// ReasonMethodNotAllowed: 405, a method the router does not proxy
	// (CONNECT).
	ReasonMethodNotAllowed Reason = "method_not_allowed"
	// ReasonDirectoryUnavailable: 503 with Retry-After, the tenant
	// directory could not be read, the router holds nothing for the tenant
	// (no cached entry, not in the registry's seed) and so cannot tell where
	// it lives. Never answered 404: a failed read is not an absent tenant.
	ReasonDirectoryUnavailable Reason = "directory_unavailable"
	// ReasonPlacementFailed: 503, the tenant is in neither the tenant
	// directory nor the registry, the policy is place, and recording its
	// placement failed (the control plane could not be reached or refused).
	ReasonPlacementFailed Reason = "placement_failed"
)

// Reasons lists every reason a router answers with, the decision's and the
// policy's, so that metrics can show each at zero from the start.
var Reasons = []Reason{
	ReasonNoTenant, ReasonUnknownTenant, ReasonTenantReadonly, ReasonNoHealthyCell,
	ReasonNoRegistry, ReasonUpstreamFailed, ReasonUpstreamTimeout, ReasonBadRequestBody, ReasonBodyTooLarge,
	ReasonClientTimeout, ReasonClientGone, ReasonHeaderTooLarge, ReasonMethodNotAllowed, ReasonDirectoryUnavailable, ReasonPlacementFailed,
}

// HTTP statuses of the policy's answers (spelled out so that the core does
// not pull net/http into the Worker).
const (
	statusBadGateway     = 502
	statusGatewayTimeout = 504
	// StatusClientClosed is the status logged and counted for a request
	// whose client went away before the answer (nginx's 499).
	StatusClientClosed = 499
	// NoRegistryRetryAfter is the Retry-After, in seconds, sent while a
	// router has no registry.
	NoRegistryRetryAfter = 5
	// DirectoryRetryAfter is the Retry-After, in seconds, sent with
	// ReasonDirectoryUnavailable.
	DirectoryRetryAfter = 5
)

// A cell's answer that the routers act on (docs/design/moving-tenants.md):
// 421 Misdirected Request with a JSON body whose "reason" is
// stale_placement says the request carried an older placement epoch than
// the cell holds for the tenant (or the tenant moved away from the cell),
// and that the cell did nothing.
const (
	// StatusMisdirected is 421 Misdirected Request.
	StatusMisdirected = 421
	// ReasonStalePlacement is the reason of a cell's 421. It is the cell's
	// answer, never one a router makes itself: a router that finds no newer
	// placement passes the cell's answer on.
	ReasonStalePlacement Reason = "stale_placement"
	// StaleBodyBytes is how much of a 421 answer's body a router reads to
	// find its reason; a longer body is not a stale_placement answer.
	StaleBodyBytes = 4 << 10
)

// StalePlacement reports whether a cell's answer with status and body (its
// first StaleBodyBytes at most) is a stale_placement refusal.
func StalePlacement(status int, body []byte) bool {
	if status != StatusMisdirected || len(body) == 0 || len(body) > StaleBodyBytes {
		return false
	}
	var b struct {
		Reason Reason `json:"reason"`
	}
	return json.Unmarshal(body, &b) == nil && b.Reason == ReasonStalePlacement
}

// What a router did with a cell's stale_placement answer: the outcomes
// both routers log and count (the router server's label of
// cellfabric_router_stale_placement_total, the Worker's keys of
// StalePlacements in its isolate report).
const (
	// StaleRetried: the request was sent again to the newer placement's
	// cell (Attempts.RetryStale).
	StaleRetried = "retried"
	// StaleNotNewer: the 421 was passed on: no newer placement.
	StaleNotNewer = "no_newer_placement"
	// StaleFetchFailed: the 421 was passed on: reading the placement
	// again failed.
	StaleFetchFailed = "refetch_failed"
	// StaleNotReplayable: the 421 was passed on: the request's body was
	// not kept to send again.
	StaleNotReplayable = "body_not_replayable"
	// StaleRefused: the newer placement refuses the request; its
	// refusal is the answer.
	StaleRefused = "refused"
)

// Refusal is an answer a router gives itself instead of a cell's.
type Refusal struct {
	// Status is the HTTP status.
	Status int
	// Reason is stable, for logs and metric labels.
	Reason Reason
	// Msg explains the refusal to the client.
	Msg string
	// RetryAfter is the Retry-After in seconds, or 0.
	RetryAfter int
}

// ErrorBody is the JSON body of a Refusal, the same at the edge and on the
// server.
type ErrorBody struct {
	Error     string `json:"error"`
	Reason    Reason `json:"reason"`
	RequestID string `json:"requestId"`
	Tenant    string `json:"tenant,omitempty"`
}

// Body returns the refusal's JSON error body for one request.
func (r Refusal) Body(requestID, tenant string) ErrorBody {
	return ErrorBody{Error: r.Msg, Reason: r.Reason, RequestID: requestID, Tenant: tenant}
}

// Refusal returns the decision's answer when it forwards nothing.
func (d Decision) Refusal() Refusal {
	return Refusal{Status: d.Status, Reason: d.Reason, Msg: d.Message(), RetryAfter: d.RetryAfter}
}

// NoRegistry is the answer while a router has no valid registry.
func NoRegistry(who string) Refusal {
	return Refusal{Status: statusUnavailable, Reason: ReasonNoRegistry, Msg: "the " + who + " has no valid registry yet", RetryAfter: NoRegistryRetryAfter}
}

// DirectoryUnavailable is the answer for a tenant the router could not look
// up in the tenant directory and holds nothing about.
func DirectoryUnavailable(tenant string) Refusal {
	return Refusal{Status: statusUnavailable, Reason: ReasonDirectoryUnavailable, RetryAfter: DirectoryRetryAfter,
		Msg: fmt.Sprintf("the tenant directory could not be read and the router holds no placement for tenant %q; retry after %d seconds", tenant, DirectoryRetryAfter)}
}

// PlacementFailedRetryAfter is the Retry-After, in seconds, sent with the
// 503 that answers a request whose tenant could not be placed.
const PlacementFailedRetryAfter = 5

// PlacementFailed is the answer when a tenant that is in neither the
// directory nor the registry could not be placed and recorded. The cause
// is for the router's log, not for the client.
func PlacementFailed(tenant string) Refusal {
	return Refusal{Status: statusUnavailable, Reason: ReasonPlacementFailed, RetryAfter: PlacementFailedRetryAfter,
		Msg: fmt.Sprintf("tenant %q is not in the tenant directory and recording a placement for it failed just now; retry shortly, or add the tenant (cellfabric tenants add)", tenant)}
}

// BadRequestBody is the answer to a request whose body could not be read.
// detail says how it failed ("" when unknown).
func BadRequestBody(detail string) Refusal {
	msg := "the request body could not be read: it is malformed or ended early (shorter than its Content-Length, or a chunked body without its last chunk); send the whole body"
	if detail != "" {
		msg = "the request body could not be read (" + detail + "): it is malformed or ended early; check its Transfer-Encoding and Content-Length and send the whole body"
	}
	return Refusal{Status: statusBadRequest, Reason: ReasonBadRequestBody, Msg: msg}
}

// Failure is how an attempt that got no response from a cell failed.
type Failure uint8

// Failures.
const (
	// FailNotSent: the request never reached the cell (the connection
	// could not be made, or not in time, or the transport gave up before
	// writing it).
	FailNotSent Failure = iota + 1
	// FailBroken: the connection broke after the request was sent, or
	// while it was, before any response.
	FailBroken
	// FailTimeout: the cell did not send its response headers in time.
	FailTimeout
	// FailClient: the client's own fault (its body could not be read, it
	// went away). Never the cell's.
	FailClient
)

// CountsAgainstCell reports whether a failure is evidence that the cell is
// unhealthy (passive health). A client's fault never is.
func (f Failure) CountsAgainstCell() bool { return f != FailClient }

// Idempotent reports whether a request with this method may be sent twice
// (RFC 9110 §9.2.2).
func Idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// RetryableStatus reports whether a cell's answer says "try another cell":
// the gateway errors a cell's own load balancer gives when the workload is
// down or overloaded.
func RetryableStatus(code int) bool {
	return code == statusBadGateway || code == statusUnavailable || code == statusGatewayTimeout
}

// Attempts walks one decision's cells for one request under the policy.
// Make one with Decision.Attempts; it is a value and allocates nothing.
type Attempts struct {
	d       *Decision
	health  HealthView
	max     int
	hasBody bool
	method  string
	next    int // index of the next candidate to consider
	tried   int
	last    *Cell
	fail    Failure
	stale   bool // the stale-placement retry was made
}

// Attempts starts the walk of d's cells for a request with method and,
// when hasBody, a body. At most maxAttempts cells are tried (at least
// one). h tells which later candidates are still healthy at the time of the
// retry; nil: all.
func (d *Decision) Attempts(h HealthView, method string, hasBody bool, maxAttempts int) Attempts {
	if h == nil {
		h = AllHealthy{}
	}
	return Attempts{d: d, health: h, max: max(maxAttempts, 1), hasBody: hasBody, method: method}
}

// Next returns the next cell to try, or nil when the attempts are used up or
// no candidate is left. The first cell is the decision's choice; later ones
// are skipped while the health view says they are unhealthy.
func (a *Attempts) Next() *Cell {
	if a.tried >= a.max {
		return nil
	}
	for a.next < a.d.Len() {
		i := a.next
		a.next++
		c := a.d.Cell(i)
		if i > 0 && !a.health.Healthy(c.ID) {
			continue
		}
		a.tried++
		a.last, a.fail = c, 0
		return c
	}
	return nil
}

// Tried is how many cells were tried.
func (a *Attempts) Tried() int { return a.tried }

// Last is the cell of the latest attempt, or nil.
func (a *Attempts) Last() *Cell { return a.last }

// Failed records that the latest attempt failed as f and reports whether
// the request may go on to the next cell. bodyRead says whether any of the
// request body was consumed (then it cannot be sent again). Timeouts
// waiting for the answer are never retried (the cell may still be working
// on the request; a connection or TLS handshake that timed out is
// FailNotSent, the request never having reached the cell), nor are a
// client's faults; a request that never reached its cell always may be,
// unless its body was read; one that broke on the way only when it is
// idempotent and has no body (what a gateway's 502 would have said).
func (a *Attempts) Failed(f Failure, bodyRead bool) bool {
	a.fail = f
	switch f {
	case FailTimeout, FailClient:
		return false
	case FailNotSent:
		if a.hasBody && bodyRead {
			return false
		}
	default:
		if !Idempotent(a.method) || a.hasBody {
			return false
		}
	}
	return a.hasNext()
}

// RetryStatus reports whether the latest attempt's answer, with this status,
// is to be dropped for the next cell: a gateway error from an idempotent
// request without a body, when another healthy cell is left to try.
func (a *Attempts) RetryStatus(code int) bool {
	return RetryableStatus(code) && Idempotent(a.method) && !a.hasBody && a.hasNext()
}

// RetryStale reports whether, after a cell answered stale_placement
// (StalePlacement) to a request sent on a placement of epoch sent, the
// request goes once more, to fresh: the decision on the tenant's placement
// fetched again, bypassing every cache. Only when fresh forwards and its
// epoch is higher than sent (otherwise the router has nothing newer and
// passes the 421 on), only when the request can be sent again as it was
// (replayable: no body, or one the router kept), and only once per
// request. The cell refused before doing anything, so any method may go
// again. The walk then continues on fresh alone, with one attempt at its
// first cell whatever is left of maxAttempts: a request makes at most one
// attempt more than it would have without the move, and a second
// stale_placement is passed on.
func (a *Attempts) RetryStale(fresh *Decision, sent int64, replayable bool) bool {
	if a.stale || !replayable || !fresh.Forward() || fresh.Epoch() <= sent {
		return false
	}
	a.stale = true
	a.d, a.next, a.max = fresh, 0, a.tried+1
	return true
}

// hasNext reports whether a retry could go anywhere.
func (a *Attempts) hasNext() bool {
	if a.tried >= a.max {
		return false
	}
	for j := a.next; j < a.d.Len(); j++ {
		if a.health.Healthy(a.d.Cell(j).ID) {
			return true
		}
	}
	return false
}

// Refusal is the answer when no attempt gave a response to pass on.
func (a *Attempts) Refusal() Refusal {
	if a.fail == FailTimeout {
		return Refusal{Status: statusGatewayTimeout, Reason: ReasonUpstreamTimeout, Msg: "the tenant's cell did not answer in time"}
	}
	msg := "no cell could take the request"
	if a.last != nil {
		msg = "cell " + a.last.ID + " could not be reached and no other healthy cell could take the request"
	}
	return Refusal{Status: statusBadGateway, Reason: ReasonUpstreamFailed, Msg: msg}
}
