// Package refcell is the reference cell: the default workload of every
// cellfabric cell (`cellfabric cell`, the container image's entrypoint) and
// the cells `cellfabric local` runs on loopback. It implements the cell
// contract on top of the state port (workload/state), so the same code
// keeps tenant data in DynamoDB, Azure Table Storage, Firestore or the
// embedded store, and answers alike on every cloud:
//
//   - GET /healthz, without a signature (cloud load balancers probe it):
//     200 with the cell's id, cloud, region and the state of its store
//     (pinged, the verdict cached for a second); 503 when the store does not
//     answer or the cell is closed, 200 again once it does;
//   - every other request must carry a valid edge signature
//     (router/edgeauth); unsigned, stale or altered requests get 401;
//   - a tenant-scoped key/value API for the tenant the edge signed: GET /kv/
//     lists keys in byte order (?prefix=, ?limit= up to 1000, ?after= the
//     previous page's "next"), GET or HEAD /kv/{key} reads a value with its
//     ETag, PUT /kv/{key} writes one (201 created, 200 replaced; If-Match
//     and If-None-Match: * make it conditional, 412 when they do not hold),
//     DELETE /kv/{key} removes one (If-Match too). A value is at most
//     state.MaxValueBytes (413 beyond), a key 1–256 of [A-Za-z0-9._~:-].
//     A store that is unavailable gets 503 with Retry-After and nothing is
//     acknowledged. A tenant never sees another tenant's keys: the tenant is
//     taken from the signature, never from the request;
//   - placement fencing (docs/design/moving-tenants.md): the edge sends the
//     placement epoch it routed the request with in X-Tenant-Epoch, covered
//     by its v2 signature (absent, and signature v1, when 0; an epoch
//     header the signature does not cover, or a malformed one, fails the
//     signature check with 401), and the cell passes the verified epoch to
//     the state port with every write. A write whose
//     epoch is below the tenant's fence on this cell, any write while the
//     tenant is fenced for its move, and any request for a tenant that
//     moved away get 421 Misdirected Request with
//     {"error", "reason": "stale_placement", "tenant", "epoch": the cell's
//     fence, "movedTo" when it moved}: nothing was read or written, and the
//     router retries once on a fresh placement;
//   - with a control key (Config.ControlKeys, `cellfabric cell
//     --control-key-file`), the state admin API under
//     /_cellfabric/v1/state/<tenant>/ (workload/state/stateapi: meta,
//     export, changes, import, fence, lock), for the mover: requests are
//     signed with the control key, never the edge key (an edge signature
//     gets 401); without one its paths answer 404;
//   - any other path is answered with a small JSON echo (cell, cloud,
//     region, tenant, method, path), so a request sent through the router
//     shows which cell answered it.
//
// Every response carries X-Cell-ID.
//
// To bring your own image, serve the same contract: verify the edge
// signature with router/edgeauth's Verifier and keep tenant data through
// the state port (workload/state/open.FromEnv reads the store the cell
// components configured), or through your own code against the same
// stores with the permissions workload/state/contract lists.
//
// With Config.Tracing (`cellfabric cell --trace-sample`), every signed
// request gets an OpenTelemetry server span (tenant, operation, store
// adapter) that continues the traceparent the edge sent, and each state
// store call a child span (trace.go); /healthz is not traced.
//
// Every signed request is logged on Config.Logger as one info line with
// the attribute names the router's log lines and the spans use (tenant,
// cell, cloud, region, operation, status, duration_ms, request_id, and the
// trace and span ids when the cell traces; accesslog.go), unless
// Config.AccessLogOff. A refused request is logged without the tenant it
// names, which is unverified.
//
// The package imports the standard library, router/edgeauth, internal/logattr,
// control/directory (to keep control keys apart from edge keys), the state
// port and its admin API (workload/state/stateapi) (the adapters are chosen
// by the caller), internal/tracing and the OpenTelemetry API; never Pulumi.
package refcell
