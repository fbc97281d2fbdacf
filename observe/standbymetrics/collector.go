package standbymetrics

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cellfabric/cellfabric/control/mover"
)

// The metrics of a standby follower: a contract with the rules of
// `cellfabric observe` (observe/metrics.go). Change none of their names,
// types or labels without changing the rules.
var (
	labels = []string{"tenant", "source_cell", "standby_cell"}

	descUp = prometheus.NewDesc("cellfabric_standby_up",
		"1 while the follower follows (seeding or applying the change feed), 0 while it retries an unreachable cell or after it stopped (the directory placed the tenant elsewhere, or another follower holds the standby).",
		labels, nil)
	descLagRecords = prometheus.NewDesc("cellfabric_standby_lag_records",
		"Records the primary had, when last read, beyond the position up to which the standby holds every record.",
		labels, nil)
	descAge = prometheus.NewDesc("cellfabric_standby_age_seconds",
		"Seconds since the standby was last known to hold every write the primary had acknowledged: at most the writes of this many seconds would be lost by a failover to it (the RPO). Absent until the standby is current for the first time.",
		labels, nil)
	descLastCurrent = prometheus.NewDesc("cellfabric_standby_last_current_timestamp_seconds",
		"Unix time the standby was last known to hold every write the primary had acknowledged (0: not yet since the follower started).",
		labels, nil)
	descPosition = prometheus.NewDesc("cellfabric_standby_applied_position",
		"The primary's change-feed position up to which the standby holds every record.",
		labels, nil)
)

// Source is what the collector reads of one follower: a *mover.Follower,
// or any comparable type (Stopped keys on it).
type Source interface {
	Lag() mover.Lag
}

var _ Source = (*mover.Follower)(nil)

// Collector reads its followers' lag when /metrics is scraped.
type Collector struct {
	mu      sync.Mutex
	sources []Source
	stopped map[Source]bool
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns a collector of the given followers' lag.
func New(sources ...Source) *Collector {
	return &Collector{sources: sources, stopped: map[Source]bool{}}
}

// Stopped records that s no longer follows (its Run returned): from now
// on it is reported down, its age still growing.
func (c *Collector) Stopped(s Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped[s] = true
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descLagRecords, descAge, descLastCurrent, descPosition} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sources := append([]Source(nil), c.sources...)
	stopped := make(map[Source]bool, len(c.stopped))
	for s := range c.stopped {
		stopped[s] = true
	}
	c.mu.Unlock()
	for _, s := range sources {
		l := s.Lag()
		lv := []string{l.Tenant, l.Primary, l.Standby}
		up := 1.0
		if stopped[s] || l.Retrying != "" {
			up = 0
		}
		ch <- gauge(descUp, up, lv)
		ch <- gauge(descLagRecords, float64(l.Records), lv)
		ch <- gauge(descPosition, float64(l.Applied), lv)
		last := 0.0
		if !l.CurrentAt.IsZero() {
			last = float64(l.CurrentAt.UnixNano()) / 1e9
			ch <- gauge(descAge, l.Age.Seconds(), lv)
		}
		ch <- gauge(descLastCurrent, last, lv)
	}
}

// Handler serves the collector's metrics, with the Go runtime's and the
// process's, in the format the scraper asks for, as the router's admin
// listener does. Metrics that cannot be built are logged to logger (nil:
// discarded) and the rest is still served.
func (c *Collector) Handler(logger *slog.Logger) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg,
	})
}

// gauge is prometheus.NewConstMetric that reports a label value it cannot
// take (not UTF-8) as a scrape error instead of panicking.
func gauge(d *prometheus.Desc, v float64, lv []string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, lv...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
