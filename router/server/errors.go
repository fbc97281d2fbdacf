package server

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Reasons the router answers a request itself, beyond router.Reason and
// tenant.Error reasons. Stable: they label cellfabric_router_rejected_total.
//
// The client's faults (ReasonBodyTooLarge, ReasonBadRequestBody,
// ReasonClientTimeout, ReasonClientGone) never count against a cell: no
// passive-health failure, no upstream error, no retry on another cell.
const (
	// ReasonNoRegistry: 503, the router has no valid registry yet.
	ReasonNoRegistry = "no_registry"
	// ReasonHeaderTooLarge: 431, the request headers are over MaxHeaderBytes.
	ReasonHeaderTooLarge = "header_too_large"
	// ReasonBodyTooLarge: 413, the request body is over MaxBodyBytes, by its
	// Content-Length or while it was being read.
	ReasonBodyTooLarge = "body_too_large"
	// ReasonUpstreamFailed: 502, no cell could be reached.
	ReasonUpstreamFailed = "upstream_unavailable"
	// ReasonUpstreamTimeout: 504, the cell did not send its response headers
	// within UpstreamTimeout.
	ReasonUpstreamTimeout = "upstream_timeout"
	// ReasonClientGone: 499, the client closed or reset its connection
	// before the answer. The status is written anyway (it rarely arrives),
	// so that a connection that can still carry bytes never carries a 200.
	ReasonClientGone = "client_closed"
	// ReasonMethodNotAllowed: 405, CONNECT.
	ReasonMethodNotAllowed = "method_not_allowed"
	// ReasonBadRequestBody: 400, the request body could not be read because
	// it is malformed (a bad chunked encoding) or ended early (shorter than
	// its Content-Length, or a chunked body without its last chunk, as
	// when a client aborts an upload).
	ReasonBadRequestBody = "bad_request_body"
	// ReasonClientTimeout: 408, the client sent its body too slowly: the
	// listener's ReadTimeout passed while the router was reading it.
	ReasonClientTimeout = "client_timeout"
)

// errorBody is the JSON of an error the router answers itself.
type errorBody struct {
	Error     string `json:"error"`
	Reason    string `json:"reason"`
	RequestID string `json:"requestId"`
	Tenant    string `json:"tenant,omitempty"`
}

// writeError answers with a JSON error and counts it.
func (rt *Router) writeError(w http.ResponseWriter, st *reqState, status int, reason, msg string, retryAfter int) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Request-ID", st.requestID)
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg, Reason: reason, RequestID: st.requestID, Tenant: st.tenant})
	st.status = status
	rt.metrics.reject(reason)
}
