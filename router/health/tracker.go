package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
)

// Defaults, in one place.
const (
	DefaultInterval            = 2 * time.Second
	DefaultTimeout             = time.Second
	DefaultHealthyThreshold    = 2
	DefaultUnhealthyThreshold  = 2
	DefaultConsecutiveFailures = 5
	DefaultBaseEjection        = 5 * time.Second
	DefaultMaxEjection         = 2 * time.Minute
	DefaultMaxEjectedShare     = 0.5
	DefaultLatencyWeight       = 0.2
)

// Config tunes a Tracker. Every zero value means the default.
type Config struct {
	// Interval between active checks of a cell. Default DefaultInterval.
	Interval time.Duration
	// Timeout of one check. Default DefaultTimeout.
	Timeout time.Duration
	// HealthyThreshold successes in a row make an unhealthy cell healthy.
	HealthyThreshold int
	// UnhealthyThreshold failures in a row make a healthy cell unhealthy.
	UnhealthyThreshold int
	// ExpectStatus is the status a healthy cell answers. Zero: any 2xx.
	ExpectStatus int
	// Client runs the checks. Default: a client with no redirects followed,
	// trusting RootCAs for https health URLs.
	Client *http.Client
	// RootCAs are the certificate authorities the default Client trusts
	// for https health URLs (a cell behind a private CA). Nil (the
	// default): the system's roots. Not used with Client.
	RootCAs *x509.CertPool
	// ConsecutiveFailures upstream failures in a row (connect errors, 5xx)
	// eject a cell.
	ConsecutiveFailures int
	// BaseEjection is the first ejection's length; each later one doubles.
	BaseEjection time.Duration
	// MaxEjection caps an ejection's length; a cell that stays in for this
	// long starts again from BaseEjection.
	MaxEjection time.Duration
	// MaxEjectedShare is the largest share of cells ejected at once
	// (0 < share ≤ 1). Default DefaultMaxEjectedShare.
	MaxEjectedShare float64
	// LatencyWeight is the EWMA weight of a new latency sample (0 < w ≤ 1).
	LatencyWeight float64
	// Logger receives health changes. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.HealthyThreshold <= 0 {
		c.HealthyThreshold = DefaultHealthyThreshold
	}
	if c.UnhealthyThreshold <= 0 {
		c.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	if c.ConsecutiveFailures <= 0 {
		c.ConsecutiveFailures = DefaultConsecutiveFailures
	}
	if c.BaseEjection <= 0 {
		c.BaseEjection = DefaultBaseEjection
	}
	if c.MaxEjection <= 0 {
		c.MaxEjection = DefaultMaxEjection
	}
	if c.MaxEjectedShare <= 0 || c.MaxEjectedShare > 1 {
		c.MaxEjectedShare = DefaultMaxEjectedShare
	}
	if c.LatencyWeight <= 0 || c.LatencyWeight > 1 {
		c.LatencyWeight = DefaultLatencyWeight
	}
	if c.Client == nil {
		c.Client = &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second, ResponseHeaderTimeout: c.Timeout,
				TLSClientConfig: &tls.Config{RootCAs: c.RootCAs}},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Override is an operator's decision about a cell.
type Override int32

// Overrides.
const (
	OverrideNone Override = iota // follow the checks
	OverrideDown                 // never healthy
	OverrideUp                   // always healthy
)

func (o Override) String() string {
	switch o {
	case OverrideDown:
		return "down"
	case OverrideUp:
		return "up"
	}
	return "none"
}

// Tracker tracks cell health. Create it with New, feed it snapshots with
// Sync, start the active checks with Start.
type Tracker struct {
	cfg   Config
	cells atomic.Pointer[map[string]*cell]

	mu      sync.Mutex // guards Sync, ejections and ctx
	ctx     context.Context
	started bool
	changes atomic.Uint64
	ejects  atomic.Uint64
}

var (
	_ router.HealthView  = (*Tracker)(nil)
	_ router.LatencyView = (*Tracker)(nil)
)

// cell is one cell's health state.
type cell struct {
	id, cloud string
	url       string // health URL; immutable (a changed URL makes a new checker)
	stop      context.CancelFunc

	healthy  atomic.Bool // the combined verdict read by Healthy
	active   atomic.Bool // verdict of active checks
	ejected  atomic.Bool
	override atomic.Int32

	consecFail atomic.Int32
	latency    atomic.Int64 // EWMA in nanoseconds, 0 = unknown

	// Guarded by Tracker.mu.
	ejections int
	backAt    time.Time // when the last ejection ended
	until     time.Time // when the current ejection ends
	timer     *time.Timer

	// Written by the checker goroutine only, read under Tracker.mu via lastMu.
	lastMu    sync.Mutex
	lastCheck time.Time
	lastErr   string
	okRun     int
	failRun   int
}

// New returns a tracker with no cells.
func New(cfg Config) *Tracker {
	t := &Tracker{cfg: cfg.withDefaults()}
	empty := map[string]*cell{}
	t.cells.Store(&empty)
	return t
}

// Healthy implements router.HealthView. Unknown cells are healthy.
func (t *Tracker) Healthy(id string) bool {
	c, ok := (*t.cells.Load())[id]
	return !ok || c.healthy.Load()
}

// Latency implements router.LatencyView.
func (t *Tracker) Latency(id string) time.Duration {
	if c, ok := (*t.cells.Load())[id]; ok {
		return time.Duration(c.latency.Load())
	}
	return 0
}

// Start runs active checks until ctx is done: for the cells known now and
// for those Sync adds later.
func (t *Tracker) Start(ctx context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		return
	}
	t.ctx, t.started = ctx, true
	for _, c := range *t.cells.Load() {
		t.startChecker(c)
	}
}

// Sync makes the tracked cells those of snap. State survives for cells that
// remain with the same health URL.
func (t *Tracker) Sync(snap *router.Snapshot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.cells.Load()
	next := make(map[string]*cell, len(snap.Cells()))
	for _, rc := range snap.Cells() {
		if c, ok := old[rc.ID]; ok && c.url == rc.HealthURL && c.cloud == string(rc.Cloud) {
			next[rc.ID] = c
			continue
		}
		c := &cell{id: rc.ID, cloud: string(rc.Cloud), url: rc.HealthURL}
		if prev, ok := old[rc.ID]; ok { // same cell, new health URL: keep passive state
			c.override.Store(prev.override.Load())
			c.ejected.Store(prev.ejected.Load())
			c.latency.Store(prev.latency.Load())
			c.ejections, c.backAt = prev.ejections, prev.backAt
		}
		c.active.Store(true)
		c.refresh()
		next[rc.ID] = c
		if t.started {
			t.startChecker(c)
		}
	}
	for id, c := range old {
		if next[id] != c {
			if c.stop != nil {
				c.stop()
			}
			if c.timer != nil {
				c.timer.Stop()
			}
		}
	}
	t.cells.Store(&next)
}

// refresh recomputes the combined verdict.
func (c *cell) refresh() bool {
	var h bool
	switch Override(c.override.Load()) {
	case OverrideDown:
		h = false
	case OverrideUp:
		h = true
	default:
		h = c.active.Load() && !c.ejected.Load()
	}
	return c.healthy.Swap(h) != h
}

// SetOverride forces a cell down or up, or (OverrideNone) returns it to its
// checks. It is how `cellfabric local` and the admin API take cells down.
func (t *Tracker) SetOverride(id string, o Override) error {
	if o < OverrideNone || o > OverrideUp {
		return fmt.Errorf("unknown override %d", o)
	}
	c, ok := (*t.cells.Load())[id]
	if !ok {
		return fmt.Errorf("unknown cell %q: it is not in the registry being served", id)
	}
	c.override.Store(int32(o))
	t.changed(c, "override "+o.String())
	return nil
}

func (t *Tracker) changed(c *cell, why string) {
	if c.refresh() {
		t.changes.Add(1)
		t.cfg.Logger.Info("cell health changed", logattr.Cell, c.id, logattr.Cloud, c.cloud, "healthy", c.healthy.Load(), "reason", why)
	}
}

// Observe records the result of one request forwarded to a cell: failed is
// true for a connect failure or a 5xx answer; latency is the time to the
// response headers (ignored when failed).
func (t *Tracker) Observe(id string, failed bool, latency time.Duration) {
	c, ok := (*t.cells.Load())[id]
	if !ok {
		return
	}
	if !failed {
		c.consecFail.Store(0)
		c.addLatency(latency, t.cfg.LatencyWeight)
		return
	}
	if n := c.consecFail.Add(1); int(n) >= t.cfg.ConsecutiveFailures && !c.ejected.Load() {
		t.eject(c)
	}
}

func (c *cell) addLatency(d time.Duration, w float64) {
	if d <= 0 {
		return
	}
	for {
		old := c.latency.Load()
		next := int64(d)
		if old != 0 {
			next = old + int64(math.Round(w*float64(int64(d)-old)))
		}
		if c.latency.CompareAndSwap(old, next) {
			return
		}
	}
}

// eject takes c out for a while, unless too many cells are out already.
func (t *Tracker) eject(c *cell) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cells := *t.cells.Load()
	if cells[c.id] != c || c.ejected.Load() {
		return
	}
	out := 0
	for _, o := range cells {
		if o.ejected.Load() {
			out++
		}
	}
	if float64(out+1) > t.cfg.MaxEjectedShare*float64(len(cells)) {
		t.cfg.Logger.Warn("cell not ejected: too many cells are ejected already", logattr.Cell, c.id, logattr.Cloud, c.cloud, "ejected", out, "cells", len(cells))
		return
	}
	if !c.backAt.IsZero() && time.Since(c.backAt) > t.cfg.MaxEjection {
		c.ejections = 0
	}
	d := t.cfg.BaseEjection << min(c.ejections, 20)
	if d > t.cfg.MaxEjection || d <= 0 {
		d = t.cfg.MaxEjection
	}
	c.ejections++
	c.until = time.Now().Add(d)
	c.ejected.Store(true)
	t.ejects.Add(1)
	t.changed(c, fmt.Sprintf("ejected for %s after %d failures in a row", d, c.consecFail.Load()))
	c.timer = time.AfterFunc(d, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		c.ejected.Store(false)
		c.consecFail.Store(0)
		c.backAt = time.Now()
		t.changed(c, "ejection over")
	})
}

// Status is one cell's health, for the admin API and metrics.
type Status struct {
	Cell                string        `json:"cell"`
	Cloud               string        `json:"cloud"`
	Healthy             bool          `json:"healthy"`
	ActiveHealthy       bool          `json:"activeHealthy"`
	Ejected             bool          `json:"ejected"`
	Override            string        `json:"override"`
	HealthURL           string        `json:"healthUrl,omitempty"`
	ConsecutiveFailures int           `json:"consecutiveFailures"`
	Ejections           int           `json:"ejections"`
	EjectedUntil        time.Time     `json:"ejectedUntil,omitzero"`
	LastCheck           time.Time     `json:"lastCheck,omitzero"`
	LastError           string        `json:"lastError,omitempty"`
	Latency             time.Duration `json:"latencyEwmaNs"`
}

// Status returns every tracked cell's health, sorted by cell id.
func (t *Tracker) Status() []Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Status
	for _, c := range *t.cells.Load() {
		c.lastMu.Lock()
		s := Status{
			Cell: c.id, Cloud: c.cloud, Healthy: c.healthy.Load(), ActiveHealthy: c.active.Load(),
			Ejected: c.ejected.Load(), Override: Override(c.override.Load()).String(), HealthURL: c.url,
			ConsecutiveFailures: int(c.consecFail.Load()), Ejections: c.ejections,
			LastCheck: c.lastCheck, LastError: c.lastErr, Latency: time.Duration(c.latency.Load()),
		}
		c.lastMu.Unlock()
		if s.Ejected {
			s.EjectedUntil = c.until
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Status) int {
		if a.Cell < b.Cell {
			return -1
		}
		if a.Cell > b.Cell {
			return 1
		}
		return 0
	})
	return out
}

// Changes counts health transitions; Ejections counts ejections.
func (t *Tracker) Changes() uint64   { return t.changes.Load() }
func (t *Tracker) Ejections() uint64 { return t.ejects.Load() }
