// Package bench holds the programs behind BENCHMARKS.md; run.sh drives them.
// Nothing here is imported by cellfabric itself.
//
//   - upstream: the one HTTP server every proxy forwards to;
//   - bareproxy: a bare httputil.ReverseProxy, the baseline;
//   - loadgen: an open-loop load generator that sends requests at a fixed
//     rate and reports latency percentiles measured from each request's
//     scheduled send time (so a stalled server cannot hide its stalls);
//   - reloads: failed requests while the router takes 100 registry reloads
//     under load;
//   - deadcell: how long the router keeps choosing a cell after it dies;
//   - clientfaults: 1,000 malformed requests (broken chunked bodies, bodies
//     shorter than their Content-Length or over the limit, resets in the
//     middle of a body) mixed into normal load: no cell may leave rotation
//     and no normal request may fail; its test runs the same in go test;
//   - memlat: what one dependent random memory load costs per working-set
//     size, the floor under a decision for a tenant that is not in cache;
//   - kvwriter: writers that write one tenant's keys through a router
//     (cellfabric local's) until stopped, then read every key back with
//     internal/verifier: the load of the local move walkthrough, and its
//     zero-loss check;
//   - moves: the write-unavailable window of moving a 10,000-key tenant
//     between two reference cells under 32 writers (control/mover), with a
//     zero-loss check of every acknowledged write;
//   - standby: a warm standby's RPO under 32 writers (control/mover's
//     Follower), reported and measured from the writers' acknowledgements,
//     with a zero-loss check of the standby after it catches up;
//   - evacuate: a cell evacuation (control/evacuate) of 1,000 tenants ×
//     100 keys from an in-memory cell to two disk-backed cells, with the
//     moves/s, the fence windows and a check of every key;
//   - otlpsink: the OpenTelemetry Collector's OTLP/HTTP receiver counting
//     the spans it gets, for trace.sh, which measures the router's CPU per
//     request with tracing off, at 1% and at 100%.
//
// The programs listen on loopback only. They import the standard library,
// the router packages, (otlpsink) the collector's receiver, (kvwriter)
// internal/verifier, (moves, standby) the mover and bench/internal/moverig
// (internal/movekit's cells and directory with a router in front), and
// (evacuate) control/evacuate and internal/movekit.
package bench
