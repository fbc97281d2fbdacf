package server

import (
	"compress/gzip"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cellfabric/cellfabric/router"
)

// scrape fetches /metrics with the given request headers and decodes it with
// the Prometheus library's own parser, in whichever format was served. It
// also returns the response headers.
func scrape(t *testing.T, h *harness, hdr map[string]string) (map[string]*dto.MetricFamily, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.admin+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics answered %d: %s", resp.StatusCode, b)
	}
	body := io.Reader(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	format := expfmt.ResponseFormat(resp.Header)
	if format.FormatType() == expfmt.TypeUnknown {
		t.Fatalf("/metrics served an unknown format %q", resp.Header.Get("Content-Type"))
	}
	fams := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(body, format)
	for {
		var f dto.MetricFamily
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("/metrics does not parse as %s: %v", format, err)
		}
		fams[f.GetName()] = &f
	}
	return fams, resp.Header
}

// metricValue returns the value of one series of /metrics, written as in the
// text format (name{label="value",...}), or -1 when there is no such series.
// A histogram's _count and _sum are series too.
func metricValue(t *testing.T, h *harness, series string) float64 {
	t.Helper()
	name, labels := splitSeries(t, series)
	fams, _ := scrape(t, h, nil)
	return seriesValue(fams, name, labels)
}

// seriesValue finds the series name{labels} among fams; -1 when absent.
func seriesValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	if f, ok := fams[name]; ok {
		for _, m := range f.GetMetric() {
			if !maps.Equal(labelMap(m.GetLabel()), labels) {
				continue
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				return m.GetUntyped().GetValue()
			}
		}
		return -1
	}
	for _, suffix := range []string{"_count", "_sum"} {
		f, ok := fams[strings.TrimSuffix(name, suffix)]
		if !ok || !strings.HasSuffix(name, suffix) || f.GetType() != dto.MetricType_HISTOGRAM {
			continue
		}
		for _, m := range f.GetMetric() {
			if maps.Equal(labelMap(m.GetLabel()), labels) {
				if suffix == "_count" {
					return float64(m.GetHistogram().GetSampleCount())
				}
				return m.GetHistogram().GetSampleSum()
			}
		}
	}
	return -1
}

// labelMap turns label pairs into a map. An empty value is the same as no
// label, as in Prometheus.
func labelMap(pairs []*dto.LabelPair) map[string]string {
	m := map[string]string{}
	for _, p := range pairs {
		if p.GetValue() != "" {
			m[p.GetName()] = p.GetValue()
		}
	}
	return m
}

// TestMetricsContract pins what dashboards depend on: every router metric
// is present with its type and label names, and histograms are cumulative.
func TestMetricsContract(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(3, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		for range 5 {
			h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
		}
		h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "nobody"}, "")
		fams, _ := scrape(t, h, nil)

		for _, tt := range []struct {
			name   string
			typ    dto.MetricType
			labels []string
		}{
			{"cellfabric_router_requests_total", dto.MetricType_COUNTER, []string{"cell", "cloud", "code"}},
			{"cellfabric_router_request_duration_seconds", dto.MetricType_HISTOGRAM, []string{"cell"}},
			{"cellfabric_router_upstream_errors_total", dto.MetricType_COUNTER, []string{"cell"}},
			{"cellfabric_router_rejected_total", dto.MetricType_COUNTER, []string{"reason"}},
			{"cellfabric_router_retries_total", dto.MetricType_COUNTER, []string{"outcome"}},
			{"cellfabric_router_in_flight_requests", dto.MetricType_GAUGE, nil},
			{"cellfabric_router_cell_healthy", dto.MetricType_GAUGE, []string{"cell", "cloud"}},
			{"cellfabric_router_cell_ejected", dto.MetricType_GAUGE, []string{"cell", "cloud"}},
			{"cellfabric_router_cell_latency_ewma_seconds", dto.MetricType_GAUGE, []string{"cell"}},
			{"cellfabric_router_health_changes_total", dto.MetricType_COUNTER, nil},
			{"cellfabric_router_ejections_total", dto.MetricType_COUNTER, nil},
			{"cellfabric_router_registry_epoch", dto.MetricType_GAUGE, nil},
			{"cellfabric_router_registry_tenants", dto.MetricType_GAUGE, nil},
			{"cellfabric_router_registry_reloads_total", dto.MetricType_COUNTER, nil},
			{"cellfabric_router_registry_reload_failures_total", dto.MetricType_COUNTER, []string{"reason"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f, ok := fams[tt.name]
				if !ok {
					t.Fatal("missing")
				}
				if f.GetType() != tt.typ {
					t.Errorf("type %v, want %v", f.GetType(), tt.typ)
				}
				if f.GetHelp() == "" {
					t.Error("no help text")
				}
				for _, m := range f.GetMetric() {
					var names []string
					for _, p := range m.GetLabel() {
						names = append(names, p.GetName())
					}
					if !slices.Equal(names, tt.labels) {
						t.Errorf("labels %v, want %v", names, tt.labels)
					}
					var last uint64
					for _, b := range m.GetHistogram().GetBucket() {
						if b.GetCumulativeCount() < last {
							t.Errorf("histogram not cumulative at le=%v", b.GetUpperBound())
						}
						last = b.GetCumulativeCount()
					}
					if hist := m.GetHistogram(); hist != nil && last > hist.GetSampleCount() {
						t.Errorf("last bucket %d above the count %d", last, hist.GetSampleCount())
					}
				}
			})
		}

		for _, tt := range []struct {
			series string
			want   float64
		}{
			{`cellfabric_router_requests_total{cell="cell-a",cloud="aws",code="200"}`, 5},
			{`cellfabric_router_requests_total{cell="",cloud="",code="404"}`, 1},
			{`cellfabric_router_request_duration_seconds_count{cell="cell-a"}`, 5},
			{`cellfabric_router_cell_healthy{cell="cell-a",cloud="aws"}`, 1},
			{`cellfabric_router_registry_epoch`, 3},
			{`cellfabric_router_rejected_total{reason="unknown_tenant"}`, 1},
			// Known reasons and refusal reasons are listed before they happen.
			{`cellfabric_router_rejected_total{reason="body_too_large"}`, 0},
			{`cellfabric_router_registry_reload_failures_total{reason="stale"}`, 0},
		} {
			t.Run("value of "+tt.series, func(t *testing.T) {
				name, labels := splitSeries(t, tt.series)
				if got := seriesValue(fams, name, labels); got != tt.want {
					t.Errorf("%v, want %v", got, tt.want)
				}
			})
		}
	})
}

// splitSeries parses name{label="value",...} with the library's parser.
func splitSeries(t *testing.T, series string) (string, map[string]string) {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	parsed, err := p.TextToMetricFamilies(strings.NewReader(series + " 0\n"))
	if err != nil || len(parsed) != 1 {
		t.Fatalf("series %q is not name{label=\"value\",...}: %v", series, err)
	}
	for n, f := range parsed {
		return n, labelMap(f.GetMetric()[0].GetLabel())
	}
	return "", nil
}

// TestMetricsExposition checks /metrics in each format a scraper may ask
// for: it decodes, carries the Go runtime and process metrics, and counts
// exactly the requests that were made.
func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	b := newTestCell(t, "cell-b", "gcp")
	h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()},
		router.Tenant{ID: "acme", Cell: "cell-a"}, router.Tenant{ID: "beta", Cell: "cell-b"}), nil)
	const toA, toB = 7, 3
	for range toA {
		h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
	}
	for range toB {
		h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "beta"}, "")
	}

	for _, tt := range []struct {
		name         string
		hdr          map[string]string
		wantType     expfmt.FormatType
		wantEncoding string
	}{
		{"text", map[string]string{"Accept": "text/plain", "Accept-Encoding": "identity"}, expfmt.TypeTextPlain, ""},
		{"text gzip", map[string]string{"Accept": "text/plain", "Accept-Encoding": "gzip"}, expfmt.TypeTextPlain, "gzip"},
		{"protobuf", map[string]string{"Accept": string(expfmt.FmtProtoDelim), "Accept-Encoding": "identity"}, expfmt.TypeProtoDelim, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fams, hdr := scrape(t, h, tt.hdr)
			if got := expfmt.ResponseFormat(hdr).FormatType(); got != tt.wantType {
				t.Errorf("format %v (%s), want %v", got, hdr.Get("Content-Type"), tt.wantType)
			}
			if got := hdr.Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.wantEncoding)
			}
			for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_start_time_seconds"} {
				if _, ok := fams[name]; !ok {
					t.Errorf("no %s", name)
				}
			}
			for _, c := range []struct {
				cell, cloud string
				want        float64
			}{{"cell-a", "aws", toA}, {"cell-b", "gcp", toB}} {
				if got := seriesValue(fams, "cellfabric_router_requests_total", map[string]string{"cell": c.cell, "cloud": c.cloud, "code": "200"}); got != c.want {
					t.Errorf("requests to %s: %v, want %v", c.cell, got, c.want)
				}
				if got := seriesValue(fams, "cellfabric_router_request_duration_seconds_count", map[string]string{"cell": c.cell}); got != c.want {
					t.Errorf("latency observations of %s: %v, want %v", c.cell, got, c.want)
				}
			}
		})
	}
}

// TestConstMetricBadLabel: a label value Prometheus cannot carry becomes a
// scrape error for that one metric, never a panic of the admin listener.
func TestConstMetricBadLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		labels  []string
		wantErr bool
	}{
		{"valid", []string{"unknown_tenant"}, false},
		{"not utf-8", []string{"\xff"}, true},
		{"missing label", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out dto.Metric
			err := constMetric(descRejected, prometheus.CounterValue, 1, tt.labels...).Write(&out)
			if (err != nil) != tt.wantErr {
				t.Errorf("Write error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
