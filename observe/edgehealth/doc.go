// Package edgehealth exports the edge's view of the cells to Prometheus:
// it reads the health document the Worker's cron writes to Workers KV
// (router/edgeconf.Health, key edgeconf.HealthKey) through Cloudflare's API
// and serves it as metrics, so the rules `cellfabric observe` generates can
// compare the edge's view with the router servers'. `cellfabric
// edge-health` runs it.
//
// Why an exporter: the Worker has no /metrics a Prometheus can scrape, and
// the document it routes on already sits in KV. Reading it on every scrape
// exports exactly what the Worker sees, with nothing added to the data
// plane: no new Worker route, no Cloudflare credential in the router. The
// exporter needs an API token that can read the namespace (Workers KV
// Storage: Read) and runs beside Prometheus.
//
// With a dataset (Config.Dataset) it also exports the edge's requests: the
// data points the Worker writes to its Workers Analytics Engine dataset, one
// per request, summed over a window on every scrape through the Analytics
// Engine SQL API (requests.go says why gauges over a window rather than
// counters). The token then needs Account Analytics: Read too.
//
// Plane: neither. It observes; nothing routes on what it serves, and it
// writes nothing. It imports the standard library, the Prometheus client
// and router/edgeconf (the document's format) only.
package edgehealth
