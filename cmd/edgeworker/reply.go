package main

import (
	"encoding/json"
)

// Reasons the Worker answers a request itself, beyond router.Reason and
// tenant.Error reasons. They are the router server's values (router/server
// Reason*; a test keeps them equal), so dashboards read both alike.
const (
	ReasonNoRegistry      = "no_registry"
	ReasonUpstreamFailed  = "upstream_unavailable"
	ReasonUpstreamTimeout = "upstream_timeout"
	// ReasonBadRequestBody: the client's request body failed while it was
	// being forwarded (malformed, or cut short); the client's fault, not
	// the cell's.
	ReasonBadRequestBody = "bad_request_body"
	// ReasonMisconfigured is the Worker's own: its bindings are missing or
	// invalid, so it forwards nothing.
	ReasonMisconfigured = "worker_misconfigured"
)

// HTTP statuses the Worker answers with (no net/http in the Worker build).
const (
	statusBadRequest         = 400
	statusInternalError      = 500
	statusBadGateway         = 502
	statusServiceUnavailable = 503
	statusGatewayTimeout     = 504
)

// noRegistryRetryAfter is the Retry-After sent while the Worker has no
// registry (the router server's value).
const noRegistryRetryAfter = 5

// refusal is an answer the Worker gives itself instead of forwarding.
type refusal struct {
	Status     int
	Reason     string
	Msg        string
	RetryAfter int
}

// errorBody is the JSON of a refusal: the router server's shape.
type errorBody struct {
	Error     string `json:"error"`
	Reason    string `json:"reason"`
	RequestID string `json:"requestId"`
	Tenant    string `json:"tenant,omitempty"`
}

// body returns the refusal's JSON body.
func (r *refusal) body(requestID, tenant string) []byte {
	b, _ := json.Marshal(errorBody{Error: r.Msg, Reason: r.Reason, RequestID: requestID, Tenant: tenant})
	return append(b, '\n')
}

// idempotent reports whether a request with this method may be sent twice.
func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// retryableStatus reports whether a cell's answer means "try another cell".
func retryableStatus(code int) bool {
	return code == statusBadGateway || code == statusServiceUnavailable || code == statusGatewayTimeout
}
