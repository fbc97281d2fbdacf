package server

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Reasons the router answers a request itself, beyond router.Reason and
// tenant.Error reasons. Stable: they label cellfabric_router_rejected_total.
const (
	ReasonNoRegistry       = "no_registry"
	ReasonHeaderTooLarge   = "header_too_large"
	ReasonBodyTooLarge     = "body_too_large"
	ReasonUpstreamFailed   = "upstream_unavailable"
	ReasonUpstreamTimeout  = "upstream_timeout"
	ReasonClientGone       = "client_closed"
	ReasonMethodNotAllowed = "method_not_allowed"
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
