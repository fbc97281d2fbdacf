package edgehealth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cellfabric/cellfabric/router/edgeconf"
)

const (
	account   = "0123456789abcdef0123456789abcdef"
	namespace = "ns-1"
	token     = "test-token"
)

// fakeKV is Cloudflare's Workers KV API for one namespace, on loopback: it
// answers the value of the health key to a request with the right path and
// token, with status and body as set.
func fakeKV(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := "/client/v4/accounts/" + account + "/storage/kv/namespaces/" + namespace + "/values/" + edgeconf.HealthKey
		if r.URL.Path != want || r.Header.Get("Authorization") != "Bearer "+token || r.Method != http.MethodGet {
			t.Errorf("request %s %s with %q, want GET %s with the token", r.Method, r.URL.Path, r.Header.Get("Authorization"), want)
			http.Error(w, `{"success":false}`, http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func document(t *testing.T) string {
	t.Helper()
	h := edgeconf.Health{
		Version: edgeconf.HealthVersion, CheckedAt: time.Unix(1_700_000_000, 0).UTC(), Epoch: 42,
		Cells:  map[string]bool{"aws-use1": true, "gcp-usc1": false},
		Probes: map[string]edgeconf.Probe{"aws-use1": {Status: 200, Millis: 120}, "gcp-usc1": {Error: "timeout", Millis: 5000}},
	}
	b, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExporter scrapes the exporter over each answer the API can give: the
// document's metrics when it reads, up 0 and nothing else when it does not.
func TestExporter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		want   string // exposition of every metric, in text format
	}{
		{
			name: "a document", status: http.StatusOK, body: document(t),
			want: `# HELP cellfabric_edge_cell_healthy 1 when the Worker's last probe of the cell succeeded. Cells the Worker does not probe (no health URL) are absent, and the Worker treats them as healthy.
# TYPE cellfabric_edge_cell_healthy gauge
cellfabric_edge_cell_healthy{cell="aws-use1"} 1
cellfabric_edge_cell_healthy{cell="gcp-usc1"} 0
# HELP cellfabric_edge_cell_probe_duration_seconds How long the Worker's last probe of the cell took.
# TYPE cellfabric_edge_cell_probe_duration_seconds gauge
cellfabric_edge_cell_probe_duration_seconds{cell="aws-use1"} 0.12
cellfabric_edge_cell_probe_duration_seconds{cell="gcp-usc1"} 5
# HELP cellfabric_edge_health_checked_timestamp_seconds Unix time the Worker's cron last probed the cells (the document's checkedAt).
# TYPE cellfabric_edge_health_checked_timestamp_seconds gauge
cellfabric_edge_health_checked_timestamp_seconds 1.7e+09
# HELP cellfabric_edge_health_epoch Epoch of the registry whose cells the Worker probed.
# TYPE cellfabric_edge_health_epoch gauge
cellfabric_edge_health_epoch 42
` + up(1),
		},
		{name: "a token without access", status: http.StatusForbidden, body: `{"success":false}`, want: up(0)},
		{name: "no document yet", status: http.StatusNotFound, body: `{"success":false}`, want: up(0)},
		{name: "an API error", status: http.StatusInternalServerError, body: "", want: up(0)},
		{name: "a document of another version", status: http.StatusOK, body: strings.Replace(document(t), `"version":1`, `"version":9`, 1), want: up(0)},
		{name: "not a document", status: http.StatusOK, body: "{", want: up(0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeKV(t, tc.status, tc.body)
			e, err := New(Config{AccountID: account, NamespaceID: namespace, Token: token, API: srv.URL + "/client/v4", Client: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			if err := testutil.CollectAndCompare(e, strings.NewReader(tc.want)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func up(v int) string {
	return "# HELP cellfabric_edge_health_up 1 when the edge's health document was read and parsed on this scrape, 0 when not (then no other edge metric is reported).\n" +
		"# TYPE cellfabric_edge_health_up gauge\ncellfabric_edge_health_up " + map[int]string{0: "0", 1: "1"}[v] + "\n"
}

// TestReadErrorsSayWhatToDo checks the messages an operator reads in the
// exporter's log.
func TestReadErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusForbidden, "needs Workers KV Storage: Read"},
		{http.StatusUnauthorized, "needs Workers KV Storage: Read"},
		{http.StatusNotFound, "check the namespace id"},
	} {
		srv := fakeKV(t, tc.status, `{"success":false}`)
		e, err := New(Config{AccountID: account, NamespaceID: namespace, Token: token, API: srv.URL + "/client/v4", Client: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Read(t.Context()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("status %d: error %v, want one containing %q", tc.status, err, tc.want)
		}
	}
}

// TestNewRefusesIncompleteConfig reports every missing field at once.
func TestNewRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"nothing", Config{}, []string{"missing account id", "missing namespace id", "missing API token"}},
		{"no token", Config{AccountID: account, NamespaceID: namespace}, []string{"missing API token"}},
		{"bad API URL", Config{AccountID: account, NamespaceID: namespace, Token: token, API: "ftp://x"}, []string{"not an http(s) URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.cfg)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want one containing %q", err, w)
				}
			}
		})
	}
}
