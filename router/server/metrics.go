package server

// The router's request metrics are plain atomic counters. The request path
// only adds to them: no lock, no label hashing, no allocation; finding a
// cell's counters is one read of a copy-on-write map. They are read when
// /metrics is scraped, by the collector in metrics_collector.go.

import (
	"net/http"
	"slices"
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
	cloud    string             // used when the registry no longer names the cell
	codes    [600]atomic.Uint64 // by status code; [0] holds codes outside 100..599
	buckets  []atomic.Uint64    // len(latencyBuckets)+1, the last is +Inf
	sumNanos atomic.Uint64      // total latency, in nanoseconds
	upErrors atomic.Uint64
}

type metrics struct {
	mu       sync.Mutex // serialises additions to cells
	cells    atomic.Pointer[map[string]*cellMetrics]
	none     *cellMetrics // cells[""], kept at hand for the router's own answers
	rejected sync.Map     // reason → *atomic.Uint64
	stale    staleCounts  // cells' stale_placement answers, by outcome (stale.go)

	exposition sync.Once    // builds handler on the first scrape
	handler    http.Handler // serves /metrics from a per-Router prometheus.Registry
}

func newMetrics() *metrics {
	m := &metrics{none: newCellMetrics("")}
	none := map[string]*cellMetrics{"": m.none}
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

func newCellMetrics(cloud string) *cellMetrics {
	return &cellMetrics{cloud: cloud, buckets: make([]atomic.Uint64, len(latencyBuckets)+1)}
}

// addCells makes room for the cells of a snapshot.
func (m *metrics) addCells(snap *router.Snapshot) {
	for _, c := range snap.Cells() {
		m.cell(c.ID, string(c.Cloud))
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
	cm := newCellMetrics(cloud)
	next[id] = cm
	m.cells.Store(&next)
	return cm
}

// observe counts one finished request.
func (m *metrics) observe(cell *router.Cell, status int, d time.Duration) {
	cm := m.none
	if cell != nil {
		cm = m.cell(cell.ID, string(cell.Cloud))
	}
	if status < 100 || status > 599 {
		status = 0
	}
	cm.codes[status].Add(1)
	secs := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, secs)
	cm.buckets[i].Add(1)
	cm.sumNanos.Add(uint64(d))
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
