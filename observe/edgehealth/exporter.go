package edgehealth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// Defaults, in one place.
const (
	// DefaultAPI is Cloudflare's API base URL.
	DefaultAPI = "https://api.cloudflare.com/client/v4"
	// DefaultTimeout bounds one read of the document.
	DefaultTimeout = 10 * time.Second
)

// Config says where the document is and how to read it.
type Config struct {
	// AccountID is the Cloudflare account of the Worker (the stack's
	// edge.accountId). Required.
	AccountID string
	// NamespaceID is the id of the Workers KV namespace the Worker reads
	// (the edge component's kvNamespaceId output). Required.
	NamespaceID string
	// Token is a Cloudflare API token with Workers KV Storage: Read, and
	// Account Analytics: Read when Dataset is set. Required; never logged.
	Token string
	// Dataset is the Workers Analytics Engine dataset the Worker writes its
	// requests to (the stack's edge.analytics; components/edge.DatasetName:
	// "<project>_<stack>_edge"): lowercase letters, digits and "_",
	// starting with a letter. Zero: no request metrics (requests.go).
	Dataset string
	// Window is how far back each scrape sums the requests. Default
	// DefaultWindow; at least a minute.
	Window time.Duration
	// Delay is how long before the scrape the window ends. Default
	// DefaultDelay; 0 or more.
	Delay time.Duration
	// API is the API's base URL. Default DefaultAPI; tests point it at a
	// loopback server.
	API string
	// Client reads the document. Default: a client with DefaultTimeout.
	Client *http.Client
	// Logger receives failed reads. Default: discard.
	Logger *slog.Logger
}

// Exporter reads the health document on every scrape. It implements
// prometheus.Collector.
type Exporter struct {
	cfg    Config
	url    string
	sqlURL string
}

var _ prometheus.Collector = (*Exporter)(nil)

// New checks cfg and returns an exporter.
func New(cfg Config) (*Exporter, error) {
	var errs []error
	for _, f := range []struct{ name, value, hint string }{
		{"account id", cfg.AccountID, "the stack's edge.accountId"},
		{"namespace id", cfg.NamespaceID, "the edge component's kvNamespaceId output"},
		{"API token", cfg.Token, "a token with Workers KV Storage: Read"},
	} {
		if strings.TrimSpace(f.value) == "" {
			errs = append(errs, fmt.Errorf("edge health exporter: missing %s (%s)", f.name, f.hint))
		}
	}
	if cfg.API == "" {
		cfg.API = DefaultAPI
	}
	if u, err := url.Parse(cfg.API); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("edge health exporter: API %q is not an http(s) URL", cfg.API))
	}
	if cfg.Dataset != "" && !validDataset(cfg.Dataset) {
		errs = append(errs, fmt.Errorf("edge health exporter: dataset %q: use the dataset's name, lowercase letters, digits and _ starting with a letter (the stack's is <project>_<stack>_edge)", cfg.Dataset))
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Delay == 0 {
		cfg.Delay = DefaultDelay
	}
	if cfg.Window < time.Minute {
		errs = append(errs, fmt.Errorf("edge health exporter: window %v: use a minute or more", cfg.Window))
	}
	if cfg.Delay < 0 {
		errs = append(errs, fmt.Errorf("edge health exporter: delay %v: use 0 or more", cfg.Delay))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	u := strings.TrimSuffix(cfg.API, "/") + "/accounts/" + url.PathEscape(cfg.AccountID) +
		"/storage/kv/namespaces/" + url.PathEscape(cfg.NamespaceID) + "/values/" + url.PathEscape(edgeconf.HealthKey)
	sql := strings.TrimSuffix(cfg.API, "/") + "/accounts/" + url.PathEscape(cfg.AccountID) + "/analytics_engine/sql"
	return &Exporter{cfg: cfg, url: u, sqlURL: sql}, nil
}

// validDataset reports whether s can name a dataset in the query: it goes
// into the SQL unquoted.
func validDataset(s string) bool {
	if len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// The exporter's metrics: a contract with the rules of `cellfabric
// observe` (observe/metrics.go).
var (
	descUp = prometheus.NewDesc("cellfabric_edge_health_up",
		"1 when the edge's health document was read and parsed on this scrape, 0 when not (then no other edge metric is reported).", nil, nil)
	descCheckedAt = prometheus.NewDesc("cellfabric_edge_health_checked_timestamp_seconds",
		"Unix time the Worker's cron last probed the cells (the document's checkedAt).", nil, nil)
	descEpoch = prometheus.NewDesc("cellfabric_edge_health_epoch",
		"Epoch of the registry whose cells the Worker probed.", nil, nil)
	descCellHealthy = prometheus.NewDesc("cellfabric_edge_cell_healthy",
		"1 when the Worker's last probe of the cell succeeded. Cells the Worker does not probe (no health URL) are absent, and the Worker treats them as healthy.",
		[]string{"cell"}, nil)
	descProbeSeconds = prometheus.NewDesc("cellfabric_edge_cell_probe_duration_seconds",
		"How long the Worker's last probe of the cell took.", []string{"cell"}, nil)
)

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descCheckedAt, descEpoch, descCellHealthy, descProbeSeconds} {
		ch <- d
	}
	if e.cfg.Dataset != "" {
		for _, d := range []*prometheus.Desc{descReqUp, descReqWindow, descReqRate, descReqLatency} {
			ch <- d
		}
	}
}

// Collect reads the document and sends its metrics, then, with a dataset,
// the request metrics (requests.go).
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.collectHealth(ch)
	if e.cfg.Dataset != "" {
		e.collectRequests(ch)
	}
}

// collectHealth sends the health document's metrics, or up 0 alone.
func (e *Exporter) collectHealth(ch chan<- prometheus.Metric) {
	h, err := e.Read(context.Background())
	if err != nil {
		e.cfg.Logger.Warn("reading the edge's health document failed", "namespace", e.cfg.NamespaceID, "key", edgeconf.HealthKey, "error", err)
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descCheckedAt, prometheus.GaugeValue, float64(h.CheckedAt.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(descEpoch, prometheus.GaugeValue, float64(h.Epoch))
	for cell, ok := range h.Cells {
		v := 0.0
		if ok {
			v = 1
		}
		ch <- constMetric(descCellHealthy, v, cell)
		if p, found := h.Probes[cell]; found {
			ch <- constMetric(descProbeSeconds, float64(p.Millis)/1000, cell)
		}
	}
}

// constMetric reports a cell id that cannot be a label value (not UTF-8)
// as a scrape error instead of panicking: the document comes from KV.
func constMetric(d *prometheus.Desc, v float64, cell string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, cell)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

// Read fetches and parses the health document.
func (e *Exporter) Read(ctx context.Context) (edgeconf.Health, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return edgeconf.Health{}, err
	}
	req.Header.Set("Authorization", "Bearer "+e.cfg.Token)
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		return edgeconf.Health{}, fmt.Errorf("reading KV key %q: %w", edgeconf.HealthKey, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, edgeconf.MaxHealthBytes+1))
	if err != nil {
		return edgeconf.Health{}, fmt.Errorf("reading KV key %q: %w", edgeconf.HealthKey, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return edgeconf.Health{}, fmt.Errorf("reading KV key %q: %s: the API token needs Workers KV Storage: Read on account %s", edgeconf.HealthKey, resp.Status, e.cfg.AccountID)
	case resp.StatusCode == http.StatusNotFound:
		return edgeconf.Health{}, fmt.Errorf("reading KV key %q: %s: check the namespace id, and that the Worker's health cron has run", edgeconf.HealthKey, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return edgeconf.Health{}, fmt.Errorf("reading KV key %q: %s", edgeconf.HealthKey, resp.Status)
	}
	return edgeconf.ParseHealth(data)
}

// Handler serves /metrics with the exporter's metrics only.
func (e *Exporter) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(e)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
