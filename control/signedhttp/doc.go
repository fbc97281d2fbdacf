// Package signedhttp is the core of the clients of cellfabric's
// control-key-signed HTTP APIs: the tenant directory's control API
// (control/directory/dirhttp) and the cells' state admin API
// (workload/state/stateapi). It holds what they share — the base URL and
// key, request signing with directory.SignControl, and the retry of
// network errors, 5xx and 429 with jittered backoff or the server's
// Retry-After — and leaves each client its own paths, answers and error
// wording.
//
// It imports net/http, so the Worker (which links control/directory) must
// not import it. Never a Pulumi or cloud SDK.
package signedhttp
