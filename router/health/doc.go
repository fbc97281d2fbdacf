// Package health tracks which cells may receive traffic, for the router
// server. A Tracker combines:
//
//   - active checks: every Interval, GET the cell's health URL with Timeout;
//     UnhealthyThreshold failures in a row mark it unhealthy,
//     HealthyThreshold successes in a row healthy again. Success is
//     ExpectStatus, or any 2xx when it is zero;
//   - passive outlier detection: the proxy reports every upstream result
//     (Observe); ConsecutiveFailures connect failures or 5xx in a row eject
//     the cell for BaseEjection × 2^(earlier ejections), capped at
//     MaxEjection, but never more than MaxEjectedShare of the cells at once;
//   - operator overrides (SetOverride): force a cell down or up, for
//     drills and for `cellfabric local`.
//
// It also keeps an EWMA of each cell's response latency for latency-aware
// shared routes. Tracker implements router.HealthView and
// router.LatencyView; Healthy and Latency are lock-free atomic reads.
//
// Cells start healthy (so a router is ready as soon as it has a registry)
// and are checked at once. Sync follows registry reloads: state survives for
// the cells that remain, new cells are added, removed ones stop being
// checked.
//
// The package imports the standard library, the router core and
// internal/logattr (log attribute names) only.
package health
