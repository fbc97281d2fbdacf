//go:build !(js && wasm)

package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// A cell that sends no response headers within upstreamTimeoutMs gets
// 504 upstream_timeout; one that sends them in time keeps its whole body,
// however long the body then takes: the timer stops at the headers.
func TestRuntimeUpstreamTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := serveCell(t, "cell-a", "aws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(200)
		case "/no-headers":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/slow-body":
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			time.Sleep(2 * timeout) // past the timeout, after the headers
			_, _ = w.Write([]byte("the whole body\n"))
		}
	}))
	env := startEdge(t, envOptions{config: `{"cacheSeconds":30,"upstreamTimeoutMs":300}`, key: testKey,
		registry: registry(t, 1, []*cell{slow}, router.Tenant{ID: "acme", Cell: "cell-a"})})
	tests := []struct {
		name, path string
		status     int
		reason     string
		body       string
	}{
		{name: "no headers in time", path: "/no-headers", status: 504, reason: "upstream_timeout"},
		{name: "headers in time, slow body", path: "/slow-body", status: 200, body: "the whole body\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.do("GET", tt.path, map[string]string{"X-Tenant-ID": "acme"}, "")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.reason != "" {
				if m := r.json(t); m["reason"] != tt.reason {
					t.Fatalf("body %v, want reason %s", m, tt.reason)
				}
			}
			if tt.body != "" && !strings.HasPrefix(string(r.body), tt.body) {
				t.Fatalf("body %q, want %q", r.body, tt.body)
			}
		})
	}
}
