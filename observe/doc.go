// Package observe says, in code, what "degraded" means for a cell, and
// writes it down as configuration for the tools that watch a fleet: from a
// stack's topology (stacks.Topology) it generates Prometheus recording and
// alerting rules (Rules) and a Grafana dashboard (NewDashboard), which
// `cellfabric observe` writes to rules.yml and dashboard.json.
//
// Plane: none at run time. The package generates configuration and is done;
// nothing it writes is deployed by Pulumi, and no router, Worker or cell
// reads it. Its inputs are the metrics the router server exports
// (router/server, the names in metrics.go) and the ones the edge-health
// exporter (observe/edgehealth) makes of the Worker's health document.
//
// What the rules hold a cell to, per cell:
//
//   - availability: the share of the cell's requests answered without a
//     server error (5xx), against the cell's SLO (stacks: cells[].slo, or
//     observe.slo for the stack, default 99.9%), alerted with multi-window,
//     multi-burn-rate rules (BurnWindows);
//   - health: down when no router sees it healthy for CellDownFor;
//   - agreement: the edge's health view (the Worker's cron probe) against
//     the routers' for DisagreeFor.
//
// And per router and for the edge as a whole: a registry the router has
// not been able to confirm for RegistryStaleAfter, and an edge health
// document that is too old for the Worker to route on, or unreadable.
// And per warm standby that a follower (`cellfabric standby run
// --metrics-listen`, observe/standbymetrics) reports: data older than
// observe.standbyMaxAgeSeconds, or a follower that does not follow.
//
// Cardinality stays bounded by the topology: every series the rules record
// carries cell, cloud, region (and quantile where it applies), never a
// tenant. The standby alerts carry the tenant of the series they fire on:
// a follower exports only the tenants named on its command line.
//
// The package imports the standard library, a YAML encoder, stacks and
// fabric (the topology and its problem list) only: never a Pulumi or cloud
// SDK, and no router package but router/edgeconf's constants.
package observe
