package observe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/observe/edgehealth"
	"github.com/cellfabric/cellfabric/observe/standbymetrics"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/router/health"
	"github.com/cellfabric/cellfabric/router/server"
	"github.com/cellfabric/cellfabric/router/source"
)

// TestMetricsExist keeps the promtool tests honest: every series their
// fleet feeds the rules (healthyFleet) must be one a real router server or
// the real edge-health exporter exports, with the same name and label
// names. A router that renames a metric or a label fails here, not in
// production.
func TestMetricsExist(t *testing.T) {
	t.Parallel()
	exported := map[string]map[string][][]string{
		routerJob:  scrapeFamilies(t, routerMetrics(t)),
		edgeJob:    scrapeFamilies(t, edgeMetrics(t)),
		StandbyJob: scrapeFamilies(t, standbyMetrics(t)),
	}
	for _, s := range healthyFleet(devTopology(t)).series() {
		name, labels := parseSeries(t, s.Series)
		job := labels["job"]
		if name == mScrapeUp {
			continue // Prometheus's own, for every target
		}
		delete(labels, "job")
		delete(labels, "instance")
		family := name
		if base, ok := strings.CutSuffix(name, "_bucket"); ok {
			family = base
			delete(labels, "le")
		}
		sets, ok := exported[job][family]
		if !ok {
			t.Errorf("the rules read %s (job %s), which is not exported; exported: %v", name, job, keys(exported[job]))
			continue
		}
		names := keys(labels)
		if !slices.ContainsFunc(sets, func(set []string) bool { return slices.Equal(set, names) }) {
			t.Errorf("%s: the rules read labels %v, exported with %v", name, names, sets)
		}
	}
}

// routerMetrics runs a real router server over a registry it watches on a
// loopback URL, sends it a request for a cell that answers 200 and one that
// answers 500, and returns its /metrics.
func routerMetrics(t *testing.T) string {
	t.Helper()
	cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(cell.Close)
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: 5, UnknownTenants: fabric.PolicyReject,
		Cells:   []router.Cell{{ID: "aws-use1", Cloud: fabric.AWS, Region: "us-east-1", Endpoint: cell.URL, Weight: 100}},
		Tenants: []router.Tenant{{ID: "acme", Cell: "aws-use1"}}}
	doc, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	regSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }))
	t.Cleanup(regSrv.Close)
	src, err := source.NewHTTP(regSrv.URL, regSrv.Client())
	if err != nil {
		t.Fatal(err)
	}
	store := router.NewStore(nil)
	w := source.NewWatcher(store, src, source.Options{})
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	rt, err := server.New(server.Config{Store: store, Watcher: w, Health: health.New(health.Config{Interval: time.Hour})})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(rt)
	t.Cleanup(proxy.Close)
	admin := httptest.NewServer(rt.AdminHandler())
	t.Cleanup(admin.Close)
	for _, path := range []string{"/", "/fail"} {
		req, _ := http.NewRequest(http.MethodGet, proxy.URL+path, nil)
		req.Header.Set("X-Tenant-ID", "acme")
		resp, err := proxy.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	return get(t, admin.URL+"/metrics")
}

// edgeMetrics runs the edge-health exporter against a loopback stand-in
// for Cloudflare's KV API holding a health document, and returns its
// /metrics.
func edgeMetrics(t *testing.T) string {
	t.Helper()
	h := edgeconf.Health{Version: edgeconf.HealthVersion, CheckedAt: time.Now(), Epoch: 5,
		Cells: map[string]bool{"aws-use1": true}, Probes: map[string]edgeconf.Probe{"aws-use1": {Status: 200, Millis: 3}}}
	doc, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	kv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost { // the Analytics Engine SQL API
			_, _ = w.Write([]byte(`{"data":[{"cell":"aws-use1","cloud":"aws","class":"2xx","requests":"60","p50_ms":3,"p99_ms":9}]}`))
			return
		}
		_, _ = w.Write(doc)
	}))
	t.Cleanup(kv.Close)
	e, err := edgehealth.New(edgehealth.Config{AccountID: "acct", NamespaceID: "ns", Token: "t", Dataset: "cellfabric_dev_edge", API: kv.URL, Client: kv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return get(t, srv.URL)
}

// followedLag is a follower's report, as a real mover.Follower gives it
// (standbymetrics.Source): its lag is what a unit of the mover tests.
type followedLag mover.Lag

func (l *followedLag) Lag() mover.Lag { return mover.Lag(*l) }

// standbyMetrics serves the standby followers' collector for one follower
// that is current, and returns its /metrics.
func standbyMetrics(t *testing.T) string {
	t.Helper()
	l := &followedLag{Tenant: "acme", Primary: "aws-use1", Standby: "aws-usw2", Applied: 25, CurrentAt: time.Now(), Age: 20 * time.Millisecond}
	srv := httptest.NewServer(standbymetrics.New(l).Handler(nil))
	t.Cleanup(srv.Close)
	return get(t, srv.URL)
}

func get(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b.String())
	}
	return b.String()
}

// scrapeFamilies parses a text exposition with Prometheus's own decoder
// into family name → the sorted label names of each of its series
// (a histogram's without le).
func scrapeFamilies(t *testing.T, text string) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	dec := expfmt.NewDecoder(strings.NewReader(text), expfmt.NewFormat(expfmt.TypeTextPlain))
	for {
		var f dto.MetricFamily
		if err := dec.Decode(&f); err != nil {
			break
		}
		for _, m := range f.GetMetric() {
			var names []string
			for _, p := range m.GetLabel() {
				names = append(names, p.GetName())
			}
			sort.Strings(names)
			out[f.GetName()] = append(out[f.GetName()], names)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no metric in:\n%s", text)
	}
	return out
}

var labelRe = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parseSeries splits a promtool input series, name{label="value", ...}.
func parseSeries(t *testing.T, s string) (string, map[string]string) {
	t.Helper()
	name, rest, ok := strings.Cut(s, "{")
	if !ok || !strings.HasSuffix(rest, "}") {
		t.Fatalf("series %q is not name{labels}", s)
	}
	labels := map[string]string{}
	for _, m := range labelRe.FindAllStringSubmatch(rest, -1) {
		labels[m[1]] = m[2]
	}
	return name, labels
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
