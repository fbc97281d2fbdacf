// Package directory is the tenant directory's core: tenant → placement
// (primary cell, failovers, residency, state, placement epoch) as runtime
// data in a key/value store, written through one API and read one tenant at
// a time or as a stream of changes.
//
// # Plane
//
// Control plane. The directory's writes (this package's Put, Place,
// Remove, Batch and the HTTP API over them) are the control plane: while
// they fail — the store is down, the API is unreachable, a write is
// refused — nothing that was stored is lost, and requests keep being
// routed: the Worker and the server router keep the placements they hold
// (isolate cache, in-memory index, the registry's tenants as seed) and
// serve them; only new placements and changes wait. Reads by the data plane
// (Get, List, Changes) never wait on a write.
//
// # Store
//
// The source of truth is a KV: Workers KV (one namespace, binding
// DIRECTORY) at the edge, Memory in tests and `cellfabric local` (File when
// local keeps its data). Keys, one per tenant so that no value grows with
// the tenant count:
//
//	t/<tenant id>                          the entry: router.Tenant as JSON
//	j/<unix minute, 10>/<unix ms, 13>-<id> journal record: router.TenantChange as JSON, TTL 24 h
//	n/<cell id>                            approximate count of tenants whose primary is the cell
//	r/<tenant id>                          a removed tenant's last epoch, so that adding it again continues from it
//
// Every write raises the tenant's epoch by one and writes its journal
// record before its entry, so a reader that follows the journal never
// misses a change that a reader of entries can see. Writers and readers
// order a tenant's changes by epoch only. Workers KV is eventually
// consistent (about 60 s between locations) and has no compare-and-swap:
// conditional writes (ifEpoch, ifAbsent) are check-then-put, and the
// journal is read only Settle after it is written (Changes).
//
// # API
//
// Serve is the control API (base path BasePath) as a function of plain
// structs, so that the Worker serves it without net/http; dirhttp adapts it
// to net/http and holds the client. Requests are authenticated with a
// control key, separate from the edge key (SignControl, VerifyControl,
// CheckKeysDiffer).
//
// # Imports
//
// The standard library (never net/http: the Worker links this package and
// is built without it, see `go list -tags cellfabric_nonethttp -deps`),
// fabric, router and router/edgeauth. Never a Pulumi or cloud SDK.
package directory
