// Package server is the router as an HTTP server: the proxy that sends each
// request to its tenant's cell, and the operations surface around it.
//
// The tenant (proxy) listener runs on one of three engines (Config.Engine,
// `cellfabric route --engine`; DefaultEngine picks per OS): EngineEvLoop,
// the default on Linux, serves it from gnet event loops, one per core,
// that parse, decide and forward on their own connections to the cells
// (evloop*.go; https cells through a TLS bridge, evloop_tls.go, and slow
// clients through a goroutine that reads the cell at their pace,
// evloop_lane.go); EngineFastHTTP, the default elsewhere, with
// valyala/fasthttp and a fasthttp.HostClient per cell (fast.go,
// fast_upstream.go); EngineNetHTTP with net/http and
// httputil.ReverseProxy (router.go, transport.go). All take the same
// steps through the same code: admit (method, header and body limits),
// decide (tenant resolution and the decision: the one function every data
// path calls), attemptFailed/attemptAnswered (health, metrics, retry
// budget, logs) and the same answers; the tests of bad input, client
// faults, smuggling, failover and proxying run on each (eachEngine). The
// event loop costs well under half, fasthttp about half, of net/http's CPU
// per request (BENCHMARKS.md); both speak HTTP/1.1 only to cells, do not
// proxy protocol upgrades (WebSocket) or trailers, and fasthttp does not
// notice a client that leaves while its request waits for a cell (the
// answer is dropped when written). EngineNetHTTP is the one for upgrades
// and trailers (engine.go says what each engine does not do).
//
// Per request (decide.go, for every engine): a request id (X-Request-ID,
// kept when the client sent a sane one), header and body limits, tenant
// resolution (router/tenant), the decision (with the health tracker of
// router/health: the tenant directory's entry through
// router.Snapshot.DecideFor, else the registry's through
// router.Snapshot.Decide, else the unknown-tenant policy), then, on
// net/http, httputil.ReverseProxy with Rewrite and a BufferPool, on
// fasthttp the cell's HostClient, on the event loop a connection of the
// loop's own pool. Each engine tries the decision's cells
// in order under the forwarding policy of the router core
// (router.Attempts, the same code the edge Worker runs): the next healthy cell is tried when the connection
// failed before the request was sent, or, for idempotent methods without a
// body, when the cell answered 502, 503 or 504 (or the connection broke
// before any answer, which is what a gateway would report as 502; a
// connection or TLS handshake that timed out sent nothing and is tried on
// the next cell, a cell that took too long to answer is not retried) — at most MaxAttempts tries, and, on the server, within a
// retry budget (a share of the requests of the current second). The
// refusals, their reasons and their JSON error body are the core's too
// (router.Refusal, router.ErrorBody). Every forwarded request is
// signed with router/edgeauth, with the placement epoch of the directory
// entry it was decided on (router.Decision.Epoch, X-Tenant-Epoch, v2) or
// without one for a tenant of the registry (v1); a client's X-Tenant-ID,
// X-Tenant-Epoch and signature never reach the cell. Responses carry X-Cell-ID,
// X-Processed-By-Cloud and X-Request-ID, and the cell's Content-Type or,
// when it sent none, none: no engine adds a default or sniffs the body. With tracing off (Config.Tracing
// nil, the default) W3C traceparent/tracestate pass through untouched; with
// it on (trace.go) each request gets an OpenTelemetry server span, each
// attempt a client span whose traceparent replaces the client's on the way
// to the cell, and an incoming traceparent is continued only with
// Config.TraceTrustIncoming. With the path mode of tenant resolution the
// "/t/{tenant}" prefix is stripped before forwarding.
//
// The tenant directory (Config.DirectoryFeed, directory.go) is a
// router.Directory loaded from the feed when Serve starts and then kept in
// step by polling the feed's changes every DirectoryPoll; a change costs
// O(1), never a reload. A feed that fails (at start or later) never stops
// routing: the registry's tenants route until the first load, the last
// placements after; the router retries with backoff, logs, and counts it.
// With the policy place, Config.PlaceUnknown records a new tenant's
// placement at its first request (placement.go).
//
// A cell that holds a newer placement epoch for the tenant than the
// request carried answers 421 with reason stale_placement, having done
// nothing (stale.go; docs/design/moving-tenants.md). With a directory
// feed the router then reads that tenant's entry again, bypassing its
// index (DirectoryGetter.Get, or one poll of the feed's changes), keeps it
// when newer, and, when it is newer than what the request carried, sends
// the request once more to the new placement's cell
// (router.Attempts.RetryStale): any method, since the cell refused before
// doing anything, never more than one extra attempt, and not counted
// against the retry budget. Bodies are streamed to the cell, not buffered,
// so for this retry the router keeps what it sends of a body up to 64 KiB
// (only with a feed, only for requests naming a tenant); a longer body, a
// feed with nothing newer or failing, or a second 421 passes the cell's
// answer on. If the newer placement refuses the request (a write to a
// tenant now migrating), its refusal is the answer.
//
// Passive health (router/health Tracker.Observe) hears of each attempt once:
// a failure when the cell could not be reached or the connection broke
// before its answer, otherwise the answer's status and latency at its
// headers. Errors that are the client's never count against a cell, are
// never retried and are answered as the client's: a request body that is
// malformed or ends early (400 bad_request_body), is over MaxBodyBytes (413
// body_too_large) or arrives too slowly for ReadTimeout (408
// client_timeout), and a client that goes away (499 client_closed, written
// although it rarely arrives, so that a connection still able to carry
// bytes never carries an implicit 200). The body wrapper records its own
// read error apart from the transport's, and the transport checks it first.
// A client that goes away while an answer streams back aborts that answer
// only: health was observed at its headers.
//
// A cell's answer that breaks off after its head went to the client (the
// cell reset its connection, a read failed, UpstreamIdleTimeout) never
// reaches the client as whole, on any engine (cutanswer.go): a chunked
// answer lacks its last chunk, one with a Content-Length its last bytes,
// and an unframed one (to an HTTP/1.0 client, an answer without a length,
// whose end is the connection's close) ends with a reset of the client's
// connection (TCP RST) instead of a clean close. net/http would close it
// cleanly once ReverseProxy aborts the handler, so that engine takes the
// connection over to reset it. The request counts at the status of the
// answer's head, as health heard of it there.
//
// The admin listener (Router.AdminHandler) serves /healthz, /readyz (ready
// only with a valid registry, not while draining, and, with a directory
// feed, not before the directory's first load until DirectoryWait has
// passed), /metrics (served by
// the Prometheus client library from a per-Router registry: the router's
// counters, kept as plain atomics on the request path and read by a custom
// collector at scrape time, plus the Go runtime's go_* and the process's
// process_* metrics), the read-only admin API (GET
// /admin/registry, /admin/cells, /admin/route?tenant=T, /admin/directory),
// only when Config.AdminWrites is set, POST /admin/cells/{id}/{down|up|auto},
// and only when Config.Pprof is set, Go's profiles under /debug/pprof/ (they
// expose the program's internals: keep the admin listener private).
// Router.Serve runs both listeners with server limits and drains in-flight
// requests on shutdown, for up to ShutdownTimeout; then it closes what is
// left (client connections and the cell connections their answers hold),
// so that nothing of the router outlives its return.
//
// Errors the router answers itself are JSON: {"error", "reason",
// "requestId"}; reasons are stable and label the rejected-requests metric.
//
// It imports the standard library, the router packages, internal/tracing,
// internal/logattr (the log attribute names it shares with the cells),
// the OpenTelemetry API, the Prometheus client library and
// valyala/fasthttp; never a Pulumi or cloud SDK.
package server
