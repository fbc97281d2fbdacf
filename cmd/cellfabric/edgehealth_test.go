package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// TestEdgeHealthServes runs `cellfabric edge-health` against a loopback
// stand-in for Cloudflare's KV API: it prints where it serves, /metrics
// carries the document's cells, and it stops cleanly when told to.
func TestEdgeHealthServes(t *testing.T) {
	t.Parallel()
	doc, err := edgeconf.Health{Version: edgeconf.HealthVersion, CheckedAt: time.Now(), Epoch: 7, Cells: map[string]bool{"aws-use1": false}}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	kv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			http.Error(w, "{}", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/analytics_engine/sql") {
			_, _ = io.WriteString(w, `{"data":[{"cell":"aws-use1","cloud":"aws","class":"5xx","requests":"60","p50_ms":3,"p99_ms":9}]}`)
			return
		}
		_, _ = w.Write(doc)
	}))
	defer kv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testkit.Buffer
	exit := make(chan int, 1)
	getenv := func(k string) string {
		if k == envCloudflareToken {
			return "secret-token"
		}
		return ""
	}
	go func() {
		exit <- edgeHealthMain(ctx, []string{"--account", "a", "--namespace", "n", "--listen", "127.0.0.1:0", "--api", kv.URL, "--dataset", "cellfabric_dev_edge", "--window", "2m"}, getenv, &stdout, &stderr)
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if _, after, ok := strings.Cut(stdout.String(), " on "); ok {
			url = strings.TrimSpace(after)
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no address printed; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`cellfabric_edge_cell_healthy{cell="aws-use1"} 0`, "cellfabric_edge_health_up 1", "cellfabric_edge_health_epoch 7",
		"cellfabric_edge_requests_up 1", `cellfabric_edge_requests_per_second{cell="aws-use1",class="5xx",cloud="aws"} 0.5`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(stderr.String(), "secret-token") {
		t.Error("the token was logged")
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
}

// TestEdgeHealthErrors: missing flags exit 2 with the usage; a missing
// token exits 1 and says which variable to set.
func TestEdgeHealthErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"no account", []string{"--namespace", "n"}, nil, 2, "--account is required"},
		{"no namespace", []string{"--account", "a"}, nil, 2, "--namespace is required"},
		{"no token", []string{"--account", "a", "--namespace", "n"}, nil, 1, "$CLOUDFLARE_API_TOKEN is not set"},
		{"bad dataset", []string{"--account", "a", "--namespace", "n", "--dataset", "my-edge"}, map[string]string{envCloudflareToken: "t"}, 1, `dataset "my-edge"`},
		{"bad API URL", []string{"--account", "a", "--namespace", "n", "--api", "ftp://x"}, map[string]string{envCloudflareToken: "t"}, 1, "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr testkit.Buffer
			code := edgeHealthMain(context.Background(), tc.args, func(k string) string { return tc.env[k] }, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %d and %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
}
