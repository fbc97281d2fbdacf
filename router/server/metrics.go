package server

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// latencyBuckets are the histogram's upper bounds, in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// cellMetrics are one cell's request counters. The cell "" counts the
// requests the router answered itself.
type cellMetrics struct {
	id, cloud string
	codes     [600]atomic.Uint64 // by status code; [0] holds codes outside 100..599
	buckets   []atomic.Uint64    // len(latencyBuckets)+1, the last is +Inf
	sumNanos  atomic.Uint64
	count     atomic.Uint64
	upErrors  atomic.Uint64
}

type metrics struct {
	mu       sync.Mutex // serialises additions to cells
	cells    atomic.Pointer[map[string]*cellMetrics]
	rejected sync.Map // reason → *atomic.Uint64
}

func newMetrics() *metrics {
	m := &metrics{}
	none := map[string]*cellMetrics{"": newCellMetrics("", "")}
	m.cells.Store(&none)
	for _, r := range knownReasons() {
		m.counter(r)
	}
	return m
}

// knownReasons are listed at zero from the start, so dashboards see them.
func knownReasons() []string {
	var rs []string
	for _, r := range router.Reasons {
		rs = append(rs, string(r))
	}
	return append(rs, tenant.Reasons...)
}

func newCellMetrics(id, cloud string) *cellMetrics {
	return &cellMetrics{id: id, cloud: cloud, buckets: make([]atomic.Uint64, len(latencyBuckets)+1)}
}

// addCells makes room for the cells of a snapshot.
func (m *metrics) addCells(snap *router.Snapshot) {
	for _, c := range snap.Cells() {
		m.cell(c.ID, c.Cloud)
	}
}

func (m *metrics) cell(id, cloud string) *cellMetrics {
	if cm, ok := (*m.cells.Load())[id]; ok {
		return cm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.cells.Load()
	if cm, ok := old[id]; ok {
		return cm
	}
	next := make(map[string]*cellMetrics, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	cm := newCellMetrics(id, cloud)
	next[id] = cm
	m.cells.Store(&next)
	return cm
}

// observe counts one finished request.
func (m *metrics) observe(cell *router.Cell, status int, d time.Duration) {
	var cm *cellMetrics
	if cell == nil {
		cm = m.cell("", "")
	} else {
		cm = m.cell(cell.ID, cell.Cloud)
	}
	if status < 100 || status > 599 {
		status = 0
	}
	cm.codes[status].Add(1)
	secs := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, secs)
	cm.buckets[i].Add(1)
	cm.sumNanos.Add(uint64(d))
	cm.count.Add(1)
}

func (m *metrics) upstreamError(cell string) { m.cell(cell, "").upErrors.Add(1) }

func (m *metrics) counter(reason string) *atomic.Uint64 {
	if c, ok := m.rejected.Load(reason); ok {
		return c.(*atomic.Uint64)
	}
	c, _ := m.rejected.LoadOrStore(reason, new(atomic.Uint64))
	return c.(*atomic.Uint64)
}

func (m *metrics) reject(reason string) { m.counter(reason).Add(1) }

// writeMetrics writes every metric in the Prometheus text format (0.0.4).
func (rt *Router) writeMetrics(w io.Writer) error {
	bw := bufio.NewWriter(w)
	m := rt.metrics
	cells := *m.cells.Load()
	ids := make([]string, 0, len(cells))
	for id := range cells {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// Clouds come from the registry; a cell created by an early observation
	// may not know its own.
	clouds := map[string]string{}
	snap := rt.cfg.Store.Snapshot()
	if snap != nil {
		for _, c := range snap.Cells() {
			clouds[c.ID] = c.Cloud
		}
	}
	cloudOf := func(cm *cellMetrics) string {
		if c := clouds[cm.id]; c != "" {
			return c
		}
		return cm.cloud
	}

	help(bw, "cellfabric_router_requests_total", "counter", "Requests by the cell that answered (\"\" when the router answered itself), its cloud and the status code.")
	for _, id := range ids {
		cm := cells[id]
		for code := range cm.codes {
			if n := cm.codes[code].Load(); n > 0 {
				label := strconv.Itoa(code)
				if code == 0 {
					label = "other"
				}
				fmt.Fprintf(bw, "cellfabric_router_requests_total{cell=%s,cloud=%s,code=%q} %d\n", q(id), q(cloudOf(cm)), label, n)
			}
		}
	}
	help(bw, "cellfabric_router_request_duration_seconds", "histogram", "Time from request to response headers (or error), by cell.")
	for _, id := range ids {
		cm := cells[id]
		var cum uint64
		for i, ub := range latencyBuckets {
			cum += cm.buckets[i].Load()
			fmt.Fprintf(bw, "cellfabric_router_request_duration_seconds_bucket{cell=%s,le=%q} %d\n", q(id), strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		cum += cm.buckets[len(latencyBuckets)].Load()
		fmt.Fprintf(bw, "cellfabric_router_request_duration_seconds_bucket{cell=%s,le=\"+Inf\"} %d\n", q(id), cum)
		fmt.Fprintf(bw, "cellfabric_router_request_duration_seconds_sum{cell=%s} %s\n", q(id), fnum(float64(cm.sumNanos.Load())/1e9))
		fmt.Fprintf(bw, "cellfabric_router_request_duration_seconds_count{cell=%s} %d\n", q(id), cm.count.Load())
	}
	help(bw, "cellfabric_router_upstream_errors_total", "counter", "Attempts to reach a cell that failed without a response.")
	for _, id := range ids {
		if id != "" {
			fmt.Fprintf(bw, "cellfabric_router_upstream_errors_total{cell=%s} %d\n", q(id), cells[id].upErrors.Load())
		}
	}
	help(bw, "cellfabric_router_rejected_total", "counter", "Requests the router answered itself, by reason (bad input, unknown tenant, no healthy cell, ...).")
	var reasons []string
	m.rejected.Range(func(k, _ any) bool { reasons = append(reasons, k.(string)); return true })
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(bw, "cellfabric_router_rejected_total{reason=%s} %d\n", q(r), m.counter(r).Load())
	}
	help(bw, "cellfabric_router_retries_total", "counter", "Retries on another cell, by outcome (attempted, or denied by the retry budget).")
	fmt.Fprintf(bw, "cellfabric_router_retries_total{outcome=\"attempted\"} %d\n", rt.budget.allowed.Load())
	fmt.Fprintf(bw, "cellfabric_router_retries_total{outcome=\"budget_exhausted\"} %d\n", rt.budget.denied.Load())
	help(bw, "cellfabric_router_in_flight_requests", "gauge", "Requests being served.")
	fmt.Fprintf(bw, "cellfabric_router_in_flight_requests %d\n", rt.inflight.Load())

	help(bw, "cellfabric_router_cell_healthy", "gauge", "1 when the cell may receive traffic (active checks, passive ejection and overrides combined).")
	status := rt.cfg.Health.Status()
	for _, s := range status {
		fmt.Fprintf(bw, "cellfabric_router_cell_healthy{cell=%s,cloud=%s} %d\n", q(s.Cell), q(s.Cloud), b2i(s.Healthy))
	}
	help(bw, "cellfabric_router_cell_ejected", "gauge", "1 while passive outlier detection keeps the cell out.")
	for _, s := range status {
		fmt.Fprintf(bw, "cellfabric_router_cell_ejected{cell=%s,cloud=%s} %d\n", q(s.Cell), q(s.Cloud), b2i(s.Ejected))
	}
	help(bw, "cellfabric_router_cell_latency_ewma_seconds", "gauge", "Smoothed response latency of the cell.")
	for _, s := range status {
		fmt.Fprintf(bw, "cellfabric_router_cell_latency_ewma_seconds{cell=%s} %s\n", q(s.Cell), fnum(s.Latency.Seconds()))
	}
	help(bw, "cellfabric_router_health_changes_total", "counter", "Cell health transitions.")
	fmt.Fprintf(bw, "cellfabric_router_health_changes_total %d\n", rt.cfg.Health.Changes())
	help(bw, "cellfabric_router_ejections_total", "counter", "Passive ejections of cells.")
	fmt.Fprintf(bw, "cellfabric_router_ejections_total %d\n", rt.cfg.Health.Ejections())

	help(bw, "cellfabric_router_registry_epoch", "gauge", "Epoch of the registry being served (0 before the first).")
	epoch, tenants := int64(0), 0
	if snap != nil {
		epoch, tenants = snap.Epoch(), snap.TenantCount()
	}
	fmt.Fprintf(bw, "cellfabric_router_registry_epoch %d\n", epoch)
	help(bw, "cellfabric_router_registry_tenants", "gauge", "Tenants in the registry being served.")
	fmt.Fprintf(bw, "cellfabric_router_registry_tenants %d\n", tenants)
	stats := rt.cfg.Store.Stats()
	help(bw, "cellfabric_router_registry_reloads_total", "counter", "Registry documents swapped in.")
	fmt.Fprintf(bw, "cellfabric_router_registry_reloads_total %d\n", stats.Accepted)
	help(bw, "cellfabric_router_registry_reload_failures_total", "counter", "Registry updates refused or sources that could not be read, by reason; the last good registry kept serving.")
	for _, r := range router.RefusedReasons {
		fmt.Fprintf(bw, "cellfabric_router_registry_reload_failures_total{reason=%q} %d\n", r, stats.Refused[r])
	}
	if rt.cfg.Watcher != nil {
		fmt.Fprintf(bw, "cellfabric_router_registry_reload_failures_total{reason=\"fetch\"} %d\n", rt.cfg.Watcher.Stats().FetchErrors)
	}
	return bw.Flush()
}

func help(w io.Writer, name, typ, text string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
}

// q quotes a label value per the text format (backslash, quote, newline).
func q(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func fnum(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
