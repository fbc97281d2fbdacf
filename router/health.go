package router

import "time"

// HealthView tells the decision which cells are healthy right now. A server
// fills it from active and passive health checks (router/health); the Worker
// from the health document its cron probe writes to KV. Healthy must be safe
// for concurrent use and should not allocate: it is called on every request.
type HealthView interface {
	// Healthy reports whether the cell may receive traffic. A cell the view
	// knows nothing about should be reported healthy.
	Healthy(cell string) bool
}

// LatencyView is implemented by HealthViews that also know how fast each cell
// has answered lately. Shared routes with BalanceLatency use it.
type LatencyView interface {
	// Latency returns the cell's smoothed (EWMA) response latency, or 0 when
	// unknown.
	Latency(cell string) time.Duration
}

// AllHealthy is a HealthView in which every cell is healthy.
type AllHealthy struct{}

// Healthy implements HealthView.
func (AllHealthy) Healthy(string) bool { return true }

// HealthMap is a HealthView read from a plain map, such as the health
// document a Worker's cron probe writes: a cell maps to false when it is
// unhealthy; a cell that is absent is healthy.
type HealthMap map[string]bool

// Healthy implements HealthView.
func (m HealthMap) Healthy(cell string) bool {
	h, ok := m[cell]
	return !ok || h
}

var (
	_ HealthView = AllHealthy{}
	_ HealthView = HealthMap(nil)
)
