// Package stateapi is a cell's state admin API over HTTP: the Handler the
// reference cell (workload/refcell) serves under BasePath when it is given
// a control key, and the Client the mover (cellfabric tenants move) uses
// to copy a tenant between cells, follow its change feed, fence it and
// hold its move lock (docs/design/moving-tenants.md).
//
// Endpoints, under BasePath/<tenant>:
//
//	GET    /meta                   the tenant's fence, move lock and position (state.TenantMeta)
//	GET    /export                 NDJSON: every live record, then {"position":P}
//	GET    /changes?since=P&limit=N NDJSON: the change feed after P, then {"position":next}
//	POST   /import                 NDJSON records; {"imported":n,"position":P}
//	PUT    /fence                  state.FenceState; the tenant's meta
//	POST   /lock                   state.MoveLock; the tenant's meta, or 409 locked
//	POST   /lock/renew             state.MoveLock; the tenant's meta, or 409 locked
//	DELETE /lock?id=ID             the tenant's meta, or 409 locked
//
// A record travels as {"key","value" (base64),"seq","deleted"}. A stream
// that fails after it began ends with {"error": ...} instead of the
// position line, so a reader never mistakes a cut stream for a whole one.
//
// Every request is signed with the control key, never the edge key: the
// signature and the body hash in the query are control/directory's
// (SignControl, VerifyControl) over router/edgeauth, so an unsigned,
// altered or edge-signed request gets 401 and changes nothing. Refusals
// carry control/directory's error body ({"error","reason","tenant"}, and
// "holder" for 409 locked).
//
// In a deployment the cells admit only the edge: NewEdgeClient reaches a
// cell's API through the edge Worker, at EdgePath(cell) on the Worker's
// URL, which verifies the control key and forwards the call to the cell
// signed anew (cmd/edgeworker, cellstate.go).
//
// Plane: the API is control-plane-facing but served by each cell, over its
// own store; a cell whose mover is down keeps serving, and a fenced tenant
// stays fenced until a mover lifts the fence.
//
// The package imports the standard library, router/edgeauth,
// control/directory (request verification, error bodies),
// control/signedhttp (the client's signing and retries, shared with the
// directory's client) and workload/state; never a cloud SDK or Pulumi.
package stateapi
