// Package standbymetrics exports warm-standby followers' lag
// (control/mover.Follower.Lag) to Prometheus, so the rules `cellfabric
// observe` generates can alert on a standby that falls behind or stops
// following. `cellfabric standby run --metrics-listen ADDR` serves it.
//
// Every series carries the tenant, its primary (source_cell) and its
// standby cell (standby_cell). A tenant label is acceptable here, unlike on
// the router's metrics: one process exports only the tenants it follows,
// the ones named on its command line, so the label's values are bounded by
// what an operator chose to run, not by the traffic.
//
// Plane: neither. It reads what the followers report and writes nothing.
// It imports the standard library, the Prometheus client and
// control/mover (the Lag type) only.
package standbymetrics
