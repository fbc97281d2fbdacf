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
	refusalHeaders(w.Header().Set, st, r)
	w.WriteHeader(r.Status)
	_ = json.NewEncoder(w).Encode(r.Body(st.requestID, st.tenant))
	st.status, st.reason = r.Status, r.Reason
	rt.metrics.reject(string(r.Reason))
}

// refusalHeaders sets, through set, the headers of every engine's error
// answer: a JSON body not to be sniffed or cached, the request id, and
// Retry-After when the refusal has one.
func refusalHeaders(set func(key, value string), st *reqState, r router.Refusal) {
	set("Content-Type", "application/json")
	set("X-Content-Type-Options", "nosniff")
	set("Cache-Control", "no-store")
	set("X-Request-ID", st.requestID)
	if r.RetryAfter > 0 {
		set("Retry-After", strconv.Itoa(r.RetryAfter))
	}
}
