package edgehealth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The edge's request metrics: the data points the Worker writes to its
// Workers Analytics Engine dataset, one per request (cmd/edgeworker,
// analytics.go: blob1 cell, blob2 cloud, blob3 status class, double1
// latency in ms), summed on every scrape over the last Window through the
// Analytics Engine SQL API.
//
// Why gauges over a window and not counters: the SQL API answers sums over
// a time range, and data points become queryable some seconds after they
// are written (Delay covers that). Counters built by adding up
// non-overlapping windows would count a late point never, or twice after a
// restart, and would reset with the exporter; a rate over a window the
// exporter states is what Analytics Engine can answer exactly, and the rules
// read it as is (a rate, not rate() of a counter). One query per scrape: a
// read query is what Cloudflare bills (the free plan includes 10,000 a day,
// a 15 s scrape interval's 5,760).

// Defaults of the request metrics.
const (
	// DefaultWindow is how far back each scrape sums the data points.
	DefaultWindow = 5 * time.Minute
	// DefaultDelay is how far before now the window ends, so that data
	// points still being ingested are not missed.
	DefaultDelay = time.Minute
)

var (
	descReqUp = prometheus.NewDesc("cellfabric_edge_requests_up",
		"1 when the Worker's request data points were read from Analytics Engine on this scrape, 0 when not (then no other edge request metric is reported).", nil, nil)
	descReqWindow = prometheus.NewDesc("cellfabric_edge_requests_window_seconds",
		"Length of the window the edge request metrics are taken over (it ends a minute, the exporter's delay, before the scrape).", nil, nil)
	descReqRate = prometheus.NewDesc("cellfabric_edge_requests_per_second",
		`Requests the Worker answered per second over the window, by the cell that answered (cell "" for the Worker's own answers), its cloud and the status class (2xx, 3xx, 4xx, 5xx).`,
		[]string{"cell", "cloud", "class"}, nil)
	descReqLatency = prometheus.NewDesc("cellfabric_edge_request_duration_seconds",
		"Quantiles over the window of the Worker's time to response headers, by cell, cloud and status class.",
		[]string{"cell", "cloud", "class", "quantile"}, nil)
)

// requestsQuery is the SQL the exporter sends, in the dialect of the
// Analytics Engine SQL reference (its QUANTILEWEIGHTED(q, column, weight),
// not ClickHouse's quantile functions). Analytics Engine samples busy
// indexes: each row stands for _sample_interval data points, so sums and
// quantiles are weighted by it.
func requestsQuery(dataset string, window, delay time.Duration) string {
	end := int64(delay / time.Second)
	start := end + int64(window/time.Second)
	return fmt.Sprintf(`SELECT blob1 AS cell, blob2 AS cloud, blob3 AS class,
  SUM(_sample_interval) AS requests,
  QUANTILEWEIGHTED(0.5, double1, _sample_interval) AS p50_ms,
  QUANTILEWEIGHTED(0.99, double1, _sample_interval) AS p99_ms
FROM %s
WHERE timestamp > NOW() - INTERVAL '%d' SECOND AND timestamp <= NOW() - INTERVAL '%d' SECOND
GROUP BY cell, cloud, class
FORMAT JSON`, dataset, start, end)
}

// requestRow is one row of the query's answer. Analytics Engine writes
// 64-bit integers as JSON strings, so the numbers accept both forms.
type requestRow struct {
	Cell     string  `json:"cell"`
	Cloud    string  `json:"cloud"`
	Class    string  `json:"class"`
	Requests flexNum `json:"requests"`
	P50      flexNum `json:"p50_ms"`
	P99      flexNum `json:"p99_ms"`
}

// flexNum is a JSON number, or a string holding one.
type flexNum float64

func (n *flexNum) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*n = flexNum(f)
	return nil
}

// maxSQLAnswer bounds the answer read: a few rows per cell and class.
const maxSQLAnswer = 4 << 20

// ReadRequests runs the query and returns its rows.
func (e *Exporter) ReadRequests(ctx context.Context) ([]requestRow, error) {
	q := requestsQuery(e.cfg.Dataset, e.cfg.Window, e.cfg.Delay)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.sqlURL, bytes.NewBufferString(q))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.cfg.Token)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("querying Analytics Engine dataset %s: %w", e.cfg.Dataset, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSQLAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("querying Analytics Engine dataset %s: %w", e.cfg.Dataset, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("querying Analytics Engine dataset %s: %s: the API token needs Account Analytics: Read on account %s", e.cfg.Dataset, resp.Status, e.cfg.AccountID)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("querying Analytics Engine dataset %s: %s: %s (check the dataset name; it exists once the Worker has written to it)", e.cfg.Dataset, resp.Status, bytes.TrimSpace(data[:min(len(data), 300)]))
	case len(data) > maxSQLAnswer:
		return nil, fmt.Errorf("querying Analytics Engine dataset %s: the answer is over %d bytes", e.cfg.Dataset, maxSQLAnswer)
	}
	var ans struct {
		Data *[]requestRow `json:"data"`
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		return nil, fmt.Errorf("querying Analytics Engine dataset %s: the answer is not the JSON asked for: %w", e.cfg.Dataset, err)
	}
	if ans.Data == nil {
		return nil, fmt.Errorf("querying Analytics Engine dataset %s: the answer has no data", e.cfg.Dataset)
	}
	return *ans.Data, nil
}

// collectRequests sends the request metrics, or up 0 alone.
func (e *Exporter) collectRequests(ch chan<- prometheus.Metric) {
	rows, err := e.ReadRequests(context.Background())
	if err != nil {
		e.cfg.Logger.Warn("reading the edge's requests from Analytics Engine failed", "dataset", e.cfg.Dataset, "error", err)
		ch <- prometheus.MustNewConstMetric(descReqUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descReqUp, prometheus.GaugeValue, 1)
	window := e.cfg.Window.Seconds()
	ch <- prometheus.MustNewConstMetric(descReqWindow, prometheus.GaugeValue, window)
	for _, r := range rows {
		ch <- labeled(descReqRate, float64(r.Requests)/window, r.Cell, r.Cloud, r.Class)
		ch <- labeled(descReqLatency, float64(r.P50)/1000, r.Cell, r.Cloud, r.Class, "0.5")
		ch <- labeled(descReqLatency, float64(r.P99)/1000, r.Cell, r.Cloud, r.Class, "0.99")
	}
}

// labeled reports labels that cannot be label values (not UTF-8) as a
// scrape error instead of panicking: they come from the dataset.
func labeled(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
