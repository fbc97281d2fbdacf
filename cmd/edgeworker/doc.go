// Command edgeworker is the cellfabric router as a Cloudflare Worker: built
// with GOOS=js GOARCH=wasm and wrapped in a service-worker script (Go's
// wasm_exec.js and a small shim, see components/edge/bundle), it runs the
// same router packages as the router server at Cloudflare's edge.
//
// Per request, the Worker
//
//   - reads the registry document from Workers KV (edgeconf.RegistryKey)
//     and keeps it in the isolate for Config.CacheSeconds; every read goes
//     through router.Store, so a value that is missing, unreadable, invalid
//     or older than the one served is refused and the last good registry
//     keeps serving, as it does when KV fails;
//   - reads the cells' health the same way (edgeconf.HealthKey), ignoring a
//     document older than Config.HealthMaxAgeSeconds;
//   - resolves the tenant (router/tenant) and looks it up in the tenant
//     directory (the DIRECTORY KV namespace, key t/<tenant>), one tenant at
//     a time, through a bounded LRU cache in the isolate
//     (Config.DirectoryCacheEntries): entries found live
//     Config.CacheSeconds, a tenant the directory lacks
//     Config.DirectoryNegativeSeconds, and concurrent misses for one tenant
//     share one read. A tenant the directory places is decided with
//     router.Snapshot.DecideFor; one it lacks falls back to the registry's
//     tenants (the seed, router.Snapshot.Decide), and one in neither to the
//     unknown-tenant policy (placeUnknown): with reject 404, with place the
//     tenant is placed and recorded in the directory by the directory core
//     (control/directory's RecordAtRequest over the DIRECTORY binding)
//     before it is forwarded, or 503 placement_failed when that fails
//     (place.go); a tenant recorded so keeps its cells in every isolate,
//     whatever the registry becomes. When the directory cannot be read, an
//     expired cached entry serves, else the seed, else 503
//     directory_unavailable, never 404. See directory.go;
//   - forwards with fetch, signed with router/edgeauth using the key in the
//     EDGE_KEY secret binding, with X-Tenant-ID, X-Request-ID and the
//     X-Forwarded-* headers set, and a traceparent of its own in place of
//     the client's, which starts the request's trace (trace.go). The
//     signature covers the placement epoch of the decision (its directory
//     entry's): with a positive epoch it is v2 and X-Tenant-Epoch carries
//     the epoch; a tenant of the registry and a shared route are signed v1
//     without it. A client's X-Tenant-ID, X-Tenant-Epoch and signature are
//     dropped before forwarding;
//   - on a cell's 421 with reason stale_placement (router.StalePlacement on
//     at most 4 KiB of its body: the request carried an older epoch than
//     the cell holds), reads the tenant's directory entry again past the
//     isolate's cache, keeps it when newer, and when its epoch is higher
//     than the one sent sends the request once more, any method, to the
//     newer placement's cell (router.Attempts.RetryStale), as the router
//     server does; otherwise the 421 goes to the client as it came. A
//     tenant request's body is read ahead, up to 64 KiB, so that it can be
//     sent again; a longer one is streamed and its 421 passed on. Each case
//     is logged, and counted in the isolate's memory report. See stale.go;
//   - tries the decision's next healthy cell when the fetch fails or the cell
//     answers 502, 503 or 504, for idempotent methods without a body, up to
//     Config.MaxAttempts cells; a cell that does not send its response
//     headers within Config.UpstreamTimeoutMillis gets 504 and no retry. This
//     is the router core's forwarding policy (router.Attempts), the very
//     code the router server runs, with its refusals and error body;
//   - answers 400 bad_request_body, never retried and never blamed on the
//     cell, when the client's request body fails while it is forwarded (a
//     malformed chunked encoding, a body cut short, a client gone). In
//     workerd fetch then fails exactly as when a cell drops the connection,
//     so the shim passes the body on through a stream of its own that
//     records a failure of the client's side and aborts the fetch (see
//     shim.js: erroring the stream instead would end a chunked upload
//     cleanly, and the cell would store a truncated body);
//   - adds X-Cell-ID, X-Processed-By-Cloud and X-Request-ID to the response,
//     and answers the requests it cannot forward itself with the server's
//     JSON error body ({"error", "reason", "requestId", "tenant"}).
//
// A warm request without a body, one whose decision the isolate's caches
// make alone, takes the fast path: one synchronous call into Go returns
// the first attempt's URL and signed headers, the shim makes the fetch and
// passes the response on, and Go goes on with the request only when the
// attempt fails or its answer is to be retried or looked into (a 421).
// Every other request is served by Go throughout. Both run the same walk
// (walk.go); see fast.go.
//
// The shim starts the program at the script's global scope, when the
// isolate starts, so that Go's start is not part of the first request;
// main only registers the handlers there, and the first event reads the
// bindings (handlers.setUp). How the shim deals with what the global scope
// forbids (random values, timers) is described in shim.js.
//
// A request under directory.BasePath (/_cellfabric/v1/directory), on any
// host, is the tenant directory's control API and never reaches a cell: it
// is verified with the control key (the CONTROL_KEY and CONTROL_KEY_ID
// bindings; an unsigned, forged, expired or body-mismatched request, or one
// signed with the edge key, gets 401 and writes nothing), then answered by
// control/directory's Serve over the DIRECTORY binding, validated against
// the registry the isolate holds. A write updates the isolate's cache at
// once (the stored entry of a put or place, the absence of a removed
// tenant, a batch's tenants dropped). Workers KV allows 1,000 operations
// per invocation, so batches are capped at what fits
// (directory.MaxBatchWithin; 400 batch_too_large beyond) and listing pages
// at 997 entries, and the KV adapter copies each value it puts into the
// key's metadata so that a listing returns values with keys (kvmeta.go). Without a control key bound the answer is 404
// control_api_not_configured; with an unusable one 500
// control_api_misconfigured. See control.go.
//
// A request under /_cellfabric/v1/cells/<cell>/state/ is the mover's route
// to a cell's state admin API (deployments, whose cells admit only the
// edge): verified with the control key like the control API, then
// forwarded to the cell's /_cellfabric/v1/state/ signed anew with the
// control key, its answer streamed back. See cellstate.go.
//
// On its Cron Trigger the Worker probes every cell's health URL (at most
// Config.ProbeTimeoutMillis each, all at once) and writes the result to KV as
// an edgeconf.Health document: a Worker has no background goroutines, so
// health is shared between isolates through KV.
//
// The logic lives in files without build constraints (edge.go, cache.go,
// directory.go, dircache.go, direntry.go, place.go, writer.go, control.go,
// cellstate.go, kvmeta.go, forward.go, stale.go, probe.go, reply.go, memstats.go), behind small interfaces for KV and fetch,
// and is tested with plain Go tests; js_*.go bind it to the Worker runtime
// with syscall/js. runtime_test.go runs the built Worker in workerd with
// reference cells on loopback.
//
// The Worker build uses the cellfabric_nonethttp tag so that router/edgeauth
// leaves out its net/http helpers: this program must not import net/http
// (it would double the wasm). Token verification is not linked at all: it
// lives in router/tenant/jwt, which only the server imports.
//
// No lock is held across a fetch or a KV read, because the runtime ties
// every I/O object to the request that created it. A request waits for
// another in two places only, a directory read of the same tenant and a
// directory write (placement at a request or a control API write: one
// request of the isolate writes at a time, because the directory core holds
// its locks across KV calls, writer.go): js_wait.go
// returns the waiting request to its own I/O context (and keeps it alive
// with a timer) before it goes on.
package main
