package main

import (
	"encoding/json"

	"github.com/cellfabric/cellfabric/router"
)

// Reasons that are the Worker's own; every other answer the Worker gives
// itself is the router core's forwarding policy (router.Refusal, its
// reasons and its error body), the same as the router server's.
const (
	// ReasonMisconfigured: the Worker's bindings are missing or invalid,
	// so it forwards nothing (500).
	ReasonMisconfigured router.Reason = "worker_misconfigured"
	// ReasonWorkerError: the Worker failed while handling the request
	// (500).
	ReasonWorkerError router.Reason = "worker_error"
)

// HTTP statuses the Worker answers with itself (no net/http in the Worker
// build).
const (
	statusBadRequest    = 400
	statusInternalError = 500
)

// refusalBody returns the JSON error body of a refusal, newline-terminated.
func refusalBody(r *router.Refusal, requestID, tenant string) []byte {
	b, _ := json.Marshal(r.Body(requestID, tenant))
	return append(b, '\n')
}
