package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cellfabric/cellfabric/router"
)

// writeError answers with the refusal's JSON error body (router.ErrorBody)
// and counts it by its reason.
func (rt *Router) writeError(w http.ResponseWriter, st *reqState, r router.Refusal) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Request-ID", st.requestID)
	if r.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(r.RetryAfter))
	}
	w.WriteHeader(r.Status)
	_ = json.NewEncoder(w).Encode(r.Body(st.requestID, st.tenant))
	st.status, st.reason = r.Status, r.Reason
	rt.metrics.reject(string(r.Reason))
}
