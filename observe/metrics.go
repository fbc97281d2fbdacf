package observe

// The metrics the rules and the dashboard read. They are contracts kept
// elsewhere: the router server's collector (router/server,
// metrics_collector.go) and the edge-health exporter (observe/edgehealth).
// TestMetricsExist scrapes both and fails when one of these goes missing or
// changes its labels.
const (
	// Router server, per cell: cell, cloud, code; cell "" for the answers
	// the router gave itself.
	mRequests = "cellfabric_router_requests_total"
	// Router server, per cell: cell, le.
	mDuration = "cellfabric_router_request_duration_seconds"
	// Router server, per cell: cell. Attempts that got no response.
	mUpstreamErrors = "cellfabric_router_upstream_errors_total"
	// Router server: reason. Requests the router answered itself.
	mRejected = "cellfabric_router_rejected_total"
	// Router server, per cell: cell, cloud. 1 when the cell may get traffic.
	mCellHealthy = "cellfabric_router_cell_healthy"
	// Router server, per cell: cell, cloud. 1 while passively ejected.
	mCellEjected = "cellfabric_router_cell_ejected"
	// Router server: the registry's epoch.
	mRegistryEpoch = "cellfabric_router_registry_epoch"
	// Router server with a watched source: Unix time of the last sync.
	mRegistryLastSync = "cellfabric_router_registry_last_sync_timestamp_seconds"
	// Router server: reason. Refused registry updates and failed reads.
	mReloadFailures = "cellfabric_router_registry_reload_failures_total"

	// Edge-health exporter, per cell: cell. The Worker's last probe.
	mEdgeCellHealthy = "cellfabric_edge_cell_healthy"
	// Edge-health exporter: when the Worker's cron last probed the cells.
	mEdgeCheckedAt = "cellfabric_edge_health_checked_timestamp_seconds"
	// Edge-health exporter: 1 when the last read of the document worked.
	mEdgeUp = "cellfabric_edge_health_up"
	// Edge-health exporter with --dataset, per cell: cell, cloud, class
	// (2xx..5xx). A gauge: the Worker's requests per second over the
	// exporter's window (observe/edgehealth, requests.go); cell "" for the
	// Worker's own answers.
	mEdgeRequests = "cellfabric_edge_requests_per_second"
	// Edge-health exporter with --dataset: cell, cloud, class, quantile. A
	// gauge: latency quantiles over the window.
	mEdgeDuration = "cellfabric_edge_request_duration_seconds"

	// Standby follower (`cellfabric standby run --metrics-listen`,
	// observe/standbymetrics), per followed tenant: tenant, source_cell,
	// standby_cell. 1 while following, 0 while retrying or stopped.
	mStandbyUp = "cellfabric_standby_up"
	// Standby follower, per followed tenant: seconds since the standby
	// last held every acknowledged write; absent until it first did.
	mStandbyAge = "cellfabric_standby_age_seconds"
	// Standby follower, per followed tenant: Unix time it last held every
	// acknowledged write, 0 until it first did.
	mStandbyLastCurrent = "cellfabric_standby_last_current_timestamp_seconds"
	// Standby follower, per followed tenant: records the primary has
	// beyond what the standby holds.
	mStandbyLagRecords = "cellfabric_standby_lag_records"
	// Prometheus's own: 1 when the scrape of a target worked. The rules
	// read it for the standby followers' job (StandbyJob) only.
	mScrapeUp = "up"
)

// The series the recording rules write. Names follow Prometheus's
// level:metric:operations convention; "fleet" is everything summed.
const (
	// One series per cell of the topology, value 1: cell, cloud, region.
	// The other rules join on it to carry cloud and region.
	rCellInfo = "cellfabric:cell_info"
	// One series per cell: the cell's error budget, 1 - SLO, a ratio.
	rCellErrorBudget = "cellfabric:cell_error_budget"

	rCellRequests       = "cell:cellfabric_router_requests:rate5m"
	rCellErrors         = "cell:cellfabric_router_request_errors:rate5m"
	rCellErrorRatio     = "cell:cellfabric_router_request_errors:ratio_rate" // + window, e.g. 1h
	rCellLatency        = "cell:cellfabric_router_request_duration_seconds:quantile_rate5m"
	rCellUpstreamErrors = "cell:cellfabric_router_upstream_errors:rate5m"
	rCellHealthyMax     = "cell:cellfabric_router_cell_healthy:max"
	rCellHealthyMin     = "cell:cellfabric_router_cell_healthy:min"
	rCellEjected        = "cell:cellfabric_router_cell_ejected:max"
	rCellEdgeHealthy    = "cell:cellfabric_edge_cell_healthy:min"
	// The edge's view of each cell's requests (the exporter's window is
	// 5m by default, hence the names).
	rCellEdgeRequests   = "cell:cellfabric_edge_requests:rate5m"
	rCellEdgeErrorRatio = "cell:cellfabric_edge_request_errors:ratio_rate5m"
	rCellEdgeLatency    = "cell:cellfabric_edge_request_duration_seconds:quantile_rate5m"

	rCloudRequests   = "cloud:cellfabric_router_requests:rate5m"
	rCloudErrorRatio = "cloud:cellfabric_router_request_errors:ratio_rate5m"
	rCloudLatency    = "cloud:cellfabric_router_request_duration_seconds:quantile_rate5m"

	rFleetRequests   = "fleet:cellfabric_router_requests:rate5m"
	rFleetErrorRatio = "fleet:cellfabric_router_request_errors:ratio_rate5m"
)
