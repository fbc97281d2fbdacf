package refcell

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/cellfabric/cellfabric/internal/logattr/cloudlogging"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// BenchmarkServe measures what the cell costs a signed request on the
// embedded store, without a network: a GET and a PUT of a 1 KiB value and
// the health probe, with their allocations (most of them are the edge
// signature's check, router/edgeauth).
//
//	go test -run '^$' -bench Serve ./workload/refcell
func BenchmarkServe(b *testing.B) {
	c, err := New(Config{CellID: "aws-use1", Cloud: "aws", Keys: []edgeauth.Key{testKey}, Store: state.New(embedded.New())})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	s := signer(b, testKey, nil)
	value := make([]byte, 1024)
	for _, tc := range []struct{ name, method, path string }{
		{"put", "PUT", "/kv/k"},
		{"get", "GET", "/kv/k"},
		{"healthz", "GET", HealthPath},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				req := httptest.NewRequest(tc.method, tc.path, nil)
				if tc.method == "PUT" {
					req = httptest.NewRequest(tc.method, tc.path, bytes.NewReader(value))
				}
				s.SignRequest(req, "acme")
				w := httptest.NewRecorder()
				b.StartTimer()
				c.ServeHTTP(w, req)
				if w.Code >= 300 {
					b.Fatalf("%s %s: %d %s", tc.method, tc.path, w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkAccessLog measures what the access log adds to a signed GET:
// off, and on with slog's JSON and Cloud Logging's JSON written to
// io.Discard (the formatting and the writer call; not the pipe to the
// container runtime).
//
//	go test -run '^$' -bench AccessLog ./workload/refcell
func BenchmarkAccessLog(b *testing.B) {
	for _, tc := range []struct {
		name string
		off  bool
		h    slog.Handler
	}{
		{"off", true, slog.NewJSONHandler(io.Discard, nil)},
		{"json", false, slog.NewJSONHandler(io.Discard, nil)},
		{"cloudlogging", false, cloudlogging.NewHandler(io.Discard, cloudlogging.Options{Project: "acme-prod"})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, err := New(Config{CellID: "aws-use1", Cloud: "aws", Region: "us-east-1", Keys: []edgeauth.Key{testKey}, Store: state.New(embedded.New()),
				Logger: slog.New(tc.h), AccessLogOff: tc.off})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = c.Close() })
			s := signer(b, testKey, nil)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				req := httptest.NewRequest("GET", "/kv/k", nil)
				req.Header.Set("X-Request-ID", "0af7651916cd43dd8448eb211c80319c")
				s.SignRequest(req, "acme")
				w := httptest.NewRecorder()
				b.StartTimer()
				c.ServeHTTP(w, req)
				if w.Code != 404 {
					b.Fatalf("GET /kv/k: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}
