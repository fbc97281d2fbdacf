package server

import (
	"log"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cellfabric/cellfabric/router"
)

// The router's metrics as Prometheus sees them. Names, types, labels and
// help texts are a contract with dashboards and alerts: change none of them.
var (
	descRequests = prometheus.NewDesc("cellfabric_router_requests_total",
		`Requests by the cell that answered ("" when the router answered itself), its cloud and the status code.`,
		[]string{"cell", "cloud", "code"}, nil)
	descDuration = prometheus.NewDesc("cellfabric_router_request_duration_seconds",
		"Time from request to response headers (or error), by cell.",
		[]string{"cell"}, nil)
	descUpstreamErrors = prometheus.NewDesc("cellfabric_router_upstream_errors_total",
		"Attempts to reach a cell that failed without a response.",
		[]string{"cell"}, nil)
	descRejected = prometheus.NewDesc("cellfabric_router_rejected_total",
		"Requests the router answered itself, by reason (bad input, unknown tenant, no healthy cell, ...).",
		[]string{"reason"}, nil)
	descRetries = prometheus.NewDesc("cellfabric_router_retries_total",
		"Retries on another cell, by outcome (attempted, or denied by the retry budget).",
		[]string{"outcome"}, nil)
	descInFlight = prometheus.NewDesc("cellfabric_router_in_flight_requests",
		"Requests being served.", nil, nil)
	descCellHealthy = prometheus.NewDesc("cellfabric_router_cell_healthy",
		"1 when the cell may receive traffic (active checks, passive ejection and overrides combined).",
		[]string{"cell", "cloud"}, nil)
	descCellEjected = prometheus.NewDesc("cellfabric_router_cell_ejected",
		"1 while passive outlier detection keeps the cell out.",
		[]string{"cell", "cloud"}, nil)
	descCellLatency = prometheus.NewDesc("cellfabric_router_cell_latency_ewma_seconds",
		"Smoothed response latency of the cell.",
		[]string{"cell"}, nil)
	descHealthChanges = prometheus.NewDesc("cellfabric_router_health_changes_total",
		"Cell health transitions.", nil, nil)
	descEjections = prometheus.NewDesc("cellfabric_router_ejections_total",
		"Passive ejections of cells.", nil, nil)
	descRegistryEpoch = prometheus.NewDesc("cellfabric_router_registry_epoch",
		"Epoch of the registry being served (0 before the first).", nil, nil)
	descRegistryTenants = prometheus.NewDesc("cellfabric_router_registry_tenants",
		"Tenants in the registry being served.", nil, nil)
	descReloads = prometheus.NewDesc("cellfabric_router_registry_reloads_total",
		"Registry documents swapped in.", nil, nil)
	descReloadFailures = prometheus.NewDesc("cellfabric_router_registry_reload_failures_total",
		"Registry updates refused or sources that could not be read, by reason; the last good registry kept serving.",
		[]string{"reason"}, nil)
	descRegistryLastSync = prometheus.NewDesc("cellfabric_router_registry_last_sync_timestamp_seconds",
		"Unix time the router last read its registry source and was serving the document it holds (0: never); only with a watched source.",
		nil, nil)

	// The tenant directory's: present when the router has one (a feed or a
	// placement hook), except the placements, which are always.
	descDirTenants = prometheus.NewDesc("cellfabric_router_directory_tenants",
		"Tenants the router's tenant directory holds.", nil, nil)
	descDirLoaded = prometheus.NewDesc("cellfabric_router_directory_loaded",
		"1 once the whole tenant directory was loaded from its feed; 0 while the router routes the registry's tenants only.", nil, nil)
	descDirSyncAge = prometheus.NewDesc("cellfabric_router_directory_sync_age_seconds",
		"Seconds since the last successful load or poll of the tenant directory's feed (since the router started when none succeeded yet): how far behind the directory may be.", nil, nil)
	descDirLoads = prometheus.NewDesc("cellfabric_router_directory_loads_total",
		"Whole loads of the tenant directory from its feed.", nil, nil)
	descDirChanges = prometheus.NewDesc("cellfabric_router_directory_changes_total",
		"Tenant directory changes polled from the feed, by result: applied, stale (not newer than what was held) or invalid (refused).",
		[]string{"result"}, nil)
	descDirFeedErrors = prometheus.NewDesc("cellfabric_router_directory_feed_errors_total",
		"Failed loads and polls of the tenant directory's feed, by operation; the placements held kept serving.",
		[]string{"op"}, nil)
	descStalePlacement = prometheus.NewDesc("cellfabric_router_stale_placement_total",
		"Cells' 421 stale_placement answers (the request carried an older placement epoch than the cell holds for its tenant), by outcome: retried (once, on the newer placement's cell), no_newer_placement, refetch_failed or body_not_replayable (the 421 was passed on), refused (the newer placement refuses the request; its answer was given).",
		[]string{"outcome"}, nil)
	descDirPlacements = prometheus.NewDesc("cellfabric_router_directory_placements_total",
		"Tenants in neither the directory nor the registry placed at a request, by result: recorded (by the placement hook), failed (request refused) or unrecorded (placed by hash, no hook).",
		[]string{"result"}, nil)

	// Tracing's: present when the router traces (Config.Tracing).
	descTraceDropped = prometheus.NewDesc("cellfabric_router_trace_spans_dropped_total",
		"Trace spans recorded but not exported (the export queue was full or the collector failed); requests are unaffected.", nil, nil)
	descTraceExported = prometheus.NewDesc("cellfabric_router_trace_spans_exported_total",
		"Trace spans the collector accepted.", nil, nil)
)

// metricsHandler serves /metrics: the router's metrics, the Go runtime's and
// the process's, in whichever format the scraper asks for (Prometheus text
// or protobuf, gzip or zstd). The registry is built on the first scrape and
// kept for the Router's life.
func (rt *Router) metricsHandler() http.Handler {
	m := rt.metrics
	m.exposition.Do(func() {
		reg := prometheus.NewRegistry()
		reg.MustRegister(
			collector{rt},
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
		m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog: log.New(slogWriter{rt.cfg.Logger}, "metrics: ", 0),
			// A metric that cannot be built is logged and counted in
			// promhttp_metric_handler_errors_total; the rest is still served.
			ErrorHandling: promhttp.ContinueOnError,
			Registry:      reg,
			// OpenMetrics stays off: it writes le="1" as le="1.0", which
			// would start new series for every histogram bucket.
		})
	})
	return m.handler
}

// collector reads the router's counters when /metrics is scraped.
type collector struct{ rt *Router }

var _ prometheus.Collector = collector{}

// Describe sends every metric the collector can produce.
func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descRequests, descDuration, descUpstreamErrors, descRejected, descRetries, descInFlight,
		descCellHealthy, descCellEjected, descCellLatency, descHealthChanges, descEjections,
		descRegistryEpoch, descRegistryTenants, descReloads, descReloadFailures, descRegistryLastSync,
		descDirTenants, descDirLoaded, descDirSyncAge, descDirLoads, descDirChanges, descDirFeedErrors, descDirPlacements,
		descStalePlacement,
		descTraceDropped, descTraceExported,
	} {
		ch <- d
	}
}

// Collect sends the current value of every metric.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	rt := c.rt
	snap := rt.cfg.Store.Snapshot()
	c.collectCells(ch, snap)

	var reasons []string
	rt.metrics.rejected.Range(func(k, _ any) bool { reasons = append(reasons, k.(string)); return true })
	for _, r := range reasons {
		ch <- constMetric(descRejected, prometheus.CounterValue, float64(rt.metrics.counter(r).Load()), r)
	}
	ch <- constMetric(descRetries, prometheus.CounterValue, float64(rt.budget.allowed.Load()), "attempted")
	ch <- constMetric(descRetries, prometheus.CounterValue, float64(rt.budget.denied.Load()), "budget_exhausted")
	ch <- constMetric(descInFlight, prometheus.GaugeValue, float64(rt.inflight.Load()))
	for i, o := range staleOutcomes {
		ch <- constMetric(descStalePlacement, prometheus.CounterValue, float64(rt.metrics.stale[i].Load()), o)
	}

	for _, s := range rt.cfg.Health.Status() {
		ch <- constMetric(descCellHealthy, prometheus.GaugeValue, b2f(s.Healthy), s.Cell, s.Cloud)
		ch <- constMetric(descCellEjected, prometheus.GaugeValue, b2f(s.Ejected), s.Cell, s.Cloud)
		ch <- constMetric(descCellLatency, prometheus.GaugeValue, s.Latency.Seconds(), s.Cell)
	}
	ch <- constMetric(descHealthChanges, prometheus.CounterValue, float64(rt.cfg.Health.Changes()))
	ch <- constMetric(descEjections, prometheus.CounterValue, float64(rt.cfg.Health.Ejections()))

	epoch, tenants := int64(0), 0
	if snap != nil {
		epoch, tenants = snap.Epoch(), snap.TenantCount()
	}
	ch <- constMetric(descRegistryEpoch, prometheus.GaugeValue, float64(epoch))
	ch <- constMetric(descRegistryTenants, prometheus.GaugeValue, float64(tenants))
	stats := rt.cfg.Store.Stats()
	ch <- constMetric(descReloads, prometheus.CounterValue, float64(stats.Accepted))
	for _, r := range router.RefusedReasons {
		ch <- constMetric(descReloadFailures, prometheus.CounterValue, float64(stats.Refused[r]), r)
	}
	if rt.cfg.Watcher != nil {
		ws := rt.cfg.Watcher.Stats()
		ch <- constMetric(descReloadFailures, prometheus.CounterValue, float64(ws.FetchErrors), "fetch")
		var synced float64
		if !ws.LastSync.IsZero() {
			synced = float64(ws.LastSync.UnixNano()) / 1e9
		}
		ch <- constMetric(descRegistryLastSync, prometheus.GaugeValue, synced)
	}
	c.collectDirectory(ch)
	if p := rt.cfg.Tracing; p != nil {
		ch <- constMetric(descTraceDropped, prometheus.CounterValue, float64(p.Dropped()))
		ch <- constMetric(descTraceExported, prometheus.CounterValue, float64(p.Exported()))
	}
}

// collectDirectory sends the tenant directory's metrics: the placements
// always, the rest when there is a directory (and a feed).
func (c collector) collectDirectory(ch chan<- prometheus.Metric) {
	rt := c.rt
	// Unrecorded placements happen with or without a directory.
	p := &rt.placements
	ch <- constMetric(descDirPlacements, prometheus.CounterValue, float64(p.recorded.Load()), "recorded")
	ch <- constMetric(descDirPlacements, prometheus.CounterValue, float64(p.failed.Load()), "failed")
	ch <- constMetric(descDirPlacements, prometheus.CounterValue, float64(p.unrecorded.Load()), "unrecorded")
	if rt.dir == nil {
		return
	}
	ch <- constMetric(descDirTenants, prometheus.GaugeValue, float64(rt.dir.Len()))
	s := rt.dirSync
	if s == nil {
		return
	}
	ch <- constMetric(descDirLoaded, prometheus.GaugeValue, b2f(s.loaded.Load()))
	ch <- constMetric(descDirSyncAge, prometheus.GaugeValue, s.age().Seconds())
	ch <- constMetric(descDirLoads, prometheus.CounterValue, float64(s.loads.Load()))
	ch <- constMetric(descDirChanges, prometheus.CounterValue, float64(s.applied.Load()), "applied")
	ch <- constMetric(descDirChanges, prometheus.CounterValue, float64(s.stale.Load()), "stale")
	ch <- constMetric(descDirChanges, prometheus.CounterValue, float64(s.invalid.Load()), "invalid")
	ch <- constMetric(descDirFeedErrors, prometheus.CounterValue, float64(s.loadErrs.Load()), "load")
	ch <- constMetric(descDirFeedErrors, prometheus.CounterValue, float64(s.pollErrs.Load()), "changes")
}

// collectCells sends the per-cell request counters, latency histograms and
// upstream errors.
func (c collector) collectCells(ch chan<- prometheus.Metric, snap *router.Snapshot) {
	// Clouds come from the registry; a cell created by an early observation
	// may not know its own.
	clouds := map[string]string{}
	if snap != nil {
		for _, cell := range snap.Cells() {
			clouds[cell.ID] = string(cell.Cloud)
		}
	}
	for id, cm := range *c.rt.metrics.cells.Load() {
		cloud := clouds[id]
		if cloud == "" {
			cloud = cm.cloud
		}
		for code := range cm.codes {
			n := cm.codes[code].Load()
			if n == 0 {
				continue
			}
			label := "other"
			if code != 0 {
				label = strconv.Itoa(code)
			}
			ch <- constMetric(descRequests, prometheus.CounterValue, float64(n), id, cloud, label)
		}

		// The count is the sum of the buckets, so the +Inf bucket the
		// library derives from it is never below a finite one.
		buckets := make(map[float64]uint64, len(latencyBuckets))
		var count uint64
		for i, ub := range latencyBuckets {
			count += cm.buckets[i].Load()
			buckets[ub] = count
		}
		count += cm.buckets[len(latencyBuckets)].Load()
		h, err := prometheus.NewConstHistogram(descDuration, count, float64(cm.sumNanos.Load())/1e9, buckets, id)
		if err != nil {
			h = prometheus.NewInvalidMetric(descDuration, err)
		}
		ch <- h

		if id != "" {
			ch <- constMetric(descUpstreamErrors, prometheus.CounterValue, float64(cm.upErrors.Load()), id)
		}
	}
}

// constMetric is prometheus.NewConstMetric that reports a bad label value
// (say, one that is not UTF-8) as a scrape error instead of panicking.
func constMetric(desc *prometheus.Desc, typ prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(desc, typ, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(desc, err)
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
