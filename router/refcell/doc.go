// Package refcell is the reference cell: the default workload of every
// cellfabric cell (`cellfabric cell`, the container image's entrypoint) and
// the cells `cellfabric local` runs on loopback. It implements the cell
// contract:
//
//   - GET /healthz, without a signature (cloud load balancers probe it):
//     200 with the cell's id, cloud, region and the state of its store; 503
//     when the store has failed or the cell is closed;
//   - every other request must carry a valid edge signature
//     (router/edgeauth); unsigned, stale or altered requests get 401;
//   - a tenant-scoped key/value API on an embedded store, for the tenant the
//     edge signed: GET /kv/ lists keys (?prefix=, ?limit=), GET or HEAD
//     /kv/{key} reads a value, PUT /kv/{key} writes one, DELETE /kv/{key}
//     removes it. A tenant never sees another tenant's keys: the tenant is
//     taken from the signature, never from the request;
//   - any other path is answered with a small JSON echo (cell, cloud,
//     region, tenant, method, path), so a request sent through the router
//     shows which cell answered it.
//
// Every response carries X-Cell-ID.
//
// # The embedded store
//
// The store keeps every value in memory. With Config.DataDir set it is also
// an append-only log, DataDir/kv.log: a file header, then one record per
// write (length, CRC-32C, then put or delete with tenant, key and value).
// A write is appended and fsync'd before it is acknowledged, and only then
// applied in memory. Opening the store replays the log. A torn last record
// (a crash in the middle of an append) is cut off; damage anywhere else
// refuses to open, so acknowledged data is never dropped silently. When the
// log has grown to more than twice the live data (and past CompactMinBytes)
// it is rewritten: the live entries go to kv.log.tmp, which is fsync'd and
// renamed over kv.log, and the directory is fsync'd, so a crash leaves
// either the old log or the new one. After a failed write or fsync the store
// refuses writes and /healthz reports 503 until the cell is restarted: the
// state of the file is then unknown. One process should use a DataDir at a
// time.
//
// The package imports the standard library and router/edgeauth only, and
// builds for GOOS=js GOARCH=wasm (no signals, no syscalls beyond package os).
package refcell
