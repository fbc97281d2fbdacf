package edgehealth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cellfabric/cellfabric/router/edgeconf"
)

const dataset = "cellfabric_dev_edge"

// fakeAPI is Cloudflare's API on loopback for one account: the KV value of
// the health key (always the test document) and the Analytics Engine SQL
// API, which checks the query names the dataset and a window and answers
// with status and body as set.
func fakeAPI(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	doc := document(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("request %s %s without the token", r.Method, r.URL.Path)
			http.Error(w, `{"success":false}`, http.StatusBadRequest)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/client/v4/accounts/"+account+"/storage/kv/namespaces/"+namespace+"/values/"+edgeconf.HealthKey:
			_, _ = io.WriteString(w, doc)
		case r.Method == http.MethodPost && r.URL.Path == "/client/v4/accounts/"+account+"/analytics_engine/sql":
			q, _ := io.ReadAll(r.Body)
			for _, want := range []string{"FROM " + dataset + "\n", "INTERVAL '360' SECOND", "INTERVAL '60' SECOND", "GROUP BY cell, cloud, class", "SUM(_sample_interval)", "QUANTILEWEIGHTED(0.99, double1, _sample_interval)", "FORMAT JSON"} {
				if !strings.Contains(string(q), want) {
					t.Errorf("query %q lacks %q", q, want)
				}
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.Error(w, `{"success":false}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// sqlAnswer is what the SQL API answers to the query with FORMAT JSON:
// 64-bit sums as strings, quantiles as numbers.
const sqlAnswer = `{"meta":[{"name":"cell","type":"String"},{"name":"cloud","type":"String"},{"name":"class","type":"String"},{"name":"requests","type":"UInt64"},{"name":"p50_ms","type":"Float64"},{"name":"p99_ms","type":"Float64"}],
"data":[
 {"cell":"aws-use1","cloud":"aws","class":"2xx","requests":"600","p50_ms":12,"p99_ms":250},
 {"cell":"aws-use1","cloud":"aws","class":"5xx","requests":"30","p50_ms":1000,"p99_ms":5000},
 {"cell":"","cloud":"","class":"4xx","requests":3,"p50_ms":0,"p99_ms":1}
],"rows":3,"rows_before_limit_at_least":3}`

// requestMetrics are the names the request part exports.
var requestMetrics = []string{"cellfabric_edge_requests_up", "cellfabric_edge_requests_window_seconds", "cellfabric_edge_requests_per_second", "cellfabric_edge_request_duration_seconds"}

// TestExporterRequests scrapes the request metrics over each answer the
// SQL API can give: rates and quantiles over the window when it answers,
// requests_up 0 and nothing else when not, the health metrics either way.
func TestExporterRequests(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{
			name: "an answer", status: http.StatusOK, body: sqlAnswer,
			want: `# HELP cellfabric_edge_request_duration_seconds Quantiles over the window of the Worker's time to response headers, by cell, cloud and status class.
# TYPE cellfabric_edge_request_duration_seconds gauge
cellfabric_edge_request_duration_seconds{cell="",class="4xx",cloud="",quantile="0.5"} 0
cellfabric_edge_request_duration_seconds{cell="",class="4xx",cloud="",quantile="0.99"} 0.001
cellfabric_edge_request_duration_seconds{cell="aws-use1",class="2xx",cloud="aws",quantile="0.5"} 0.012
cellfabric_edge_request_duration_seconds{cell="aws-use1",class="2xx",cloud="aws",quantile="0.99"} 0.25
cellfabric_edge_request_duration_seconds{cell="aws-use1",class="5xx",cloud="aws",quantile="0.5"} 1
cellfabric_edge_request_duration_seconds{cell="aws-use1",class="5xx",cloud="aws",quantile="0.99"} 5
# HELP cellfabric_edge_requests_per_second Requests the Worker answered per second over the window, by the cell that answered (cell "" for the Worker's own answers), its cloud and the status class (2xx, 3xx, 4xx, 5xx).
# TYPE cellfabric_edge_requests_per_second gauge
cellfabric_edge_requests_per_second{cell="",class="4xx",cloud=""} 0.01
cellfabric_edge_requests_per_second{cell="aws-use1",class="2xx",cloud="aws"} 2
cellfabric_edge_requests_per_second{cell="aws-use1",class="5xx",cloud="aws"} 0.1
# HELP cellfabric_edge_requests_window_seconds Length of the window the edge request metrics are taken over (it ends a minute, the exporter's delay, before the scrape).
# TYPE cellfabric_edge_requests_window_seconds gauge
cellfabric_edge_requests_window_seconds 300
` + requestsUp(1),
		},
		{name: "no requests in the window", status: http.StatusOK, body: `{"meta":[],"data":[],"rows":0}`,
			want: "# HELP cellfabric_edge_requests_window_seconds Length of the window the edge request metrics are taken over (it ends a minute, the exporter's delay, before the scrape).\n# TYPE cellfabric_edge_requests_window_seconds gauge\ncellfabric_edge_requests_window_seconds 300\n" + requestsUp(1)},
		{name: "a token without Account Analytics", status: http.StatusForbidden, body: `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}`, want: requestsUp(0)},
		{name: "an unknown dataset", status: http.StatusUnprocessableEntity, body: "unknown table", want: requestsUp(0)},
		{name: "an API error", status: http.StatusInternalServerError, want: requestsUp(0)},
		{name: "not JSON", status: http.StatusOK, body: "cell\tcloud\n", want: requestsUp(0)},
		{name: "no data", status: http.StatusOK, body: `{"meta":[]}`, want: requestsUp(0)},
		{name: "a number that is not one", status: http.StatusOK, body: `{"data":[{"cell":"a","cloud":"aws","class":"2xx","requests":"many"}]}`, want: requestsUp(0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeAPI(t, tc.status, tc.body)
			e, err := New(Config{AccountID: account, NamespaceID: namespace, Token: token, Dataset: dataset, API: srv.URL + "/client/v4", Client: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			if err := testutil.CollectAndCompare(e, strings.NewReader(tc.want), requestMetrics...); err != nil {
				t.Fatal(err)
			}
			// The health part is read and reported whatever the SQL API does.
			if err := testutil.CollectAndCompare(e, strings.NewReader(up(1)), "cellfabric_edge_health_up"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func requestsUp(v int) string {
	return "# HELP cellfabric_edge_requests_up 1 when the Worker's request data points were read from Analytics Engine on this scrape, 0 when not (then no other edge request metric is reported).\n" +
		"# TYPE cellfabric_edge_requests_up gauge\ncellfabric_edge_requests_up " + map[int]string{0: "0", 1: "1"}[v] + "\n"
}

// TestExporterAPIDown: with Cloudflare's API unreachable, each part reports
// up 0 and nothing else.
func TestExporterAPIDown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	api := srv.URL + "/client/v4"
	srv.Close() // a closed port: nothing answers
	e, err := New(Config{AccountID: account, NamespaceID: namespace, Token: token, Dataset: dataset, API: api, Client: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(e, strings.NewReader(up(0)+requestsUp(0))); err != nil {
		t.Fatal(err)
	}
}

// TestExporterWithoutDataset: no dataset, no request metrics and no query.
func TestExporterWithoutDataset(t *testing.T) {
	t.Parallel()
	srv := fakeKV(t, http.StatusOK, document(t)) // fails the test on any other request
	e, err := New(Config{AccountID: account, NamespaceID: namespace, Token: token, API: srv.URL + "/client/v4", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(e, requestMetrics...); n != 0 {
		t.Errorf("%d request metrics without a dataset", n)
	}
}

// TestReadRequestsErrorsSayWhatToDo checks the messages an operator reads
// in the exporter's log.
func TestReadRequestsErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusForbidden, "needs Account Analytics: Read on account " + account},
		{http.StatusUnauthorized, "needs Account Analytics: Read"},
		{http.StatusUnprocessableEntity, "check the dataset name"},
	} {
		srv := fakeAPI(t, tc.status, `{"success":false}`)
		e, err := New(Config{AccountID: account, NamespaceID: namespace, Token: token, Dataset: dataset, API: srv.URL + "/client/v4", Client: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ReadRequests(t.Context()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("status %d: error %v, want one containing %q", tc.status, err, tc.want)
		}
	}
}

// TestNewRefusesBadRequestsConfig: a dataset name that could not go into
// the query unquoted, a window too short to hold a minute's points, a
// negative delay.
func TestNewRefusesBadRequestsConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"dataset with a quote", func(c *Config) { c.Dataset = "x'; DROP" }, "dataset"},
		{"dataset with a hyphen", func(c *Config) { c.Dataset = "cellfabric-dev-edge" }, "dataset"},
		{"dataset starting with a digit", func(c *Config) { c.Dataset = "1edge" }, "dataset"},
		{"dataset too long", func(c *Config) { c.Dataset = "a" + strings.Repeat("b", 64) }, "dataset"},
		{"short window", func(c *Config) { c.Dataset, c.Window = dataset, 30*time.Second }, "window"},
		{"negative delay", func(c *Config) { c.Dataset, c.Delay = dataset, -time.Second }, "delay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{AccountID: account, NamespaceID: namespace, Token: token}
			tc.edit(&cfg)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about the %s", err, tc.want)
			}
		})
	}
}
