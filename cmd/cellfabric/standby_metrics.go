package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/observe/standbymetrics"
)

// standbyMetrics serves `standby run --metrics-listen`'s /metrics. The
// zero value (no --metrics-listen) serves nothing and takes every call.
type standbyMetrics struct {
	c    *standbymetrics.Collector
	srv  *http.Server
	done chan struct{}
}

// serveStandbyMetrics listens on addr ("" for none) and serves the
// followers' lag on /metrics (and "ok" on /healthz) until close is called.
func serveStandbyMetrics(addr string, followers []*mover.Follower, stdout io.Writer, logger *slog.Logger) (*standbyMetrics, error) {
	if addr == "" {
		return &standbyMetrics{}, nil
	}
	ln, err := listenFlag("metrics-listen", addr)
	if err != nil {
		return nil, err
	}
	sources := make([]standbymetrics.Source, len(followers))
	for i, f := range followers {
		sources[i] = f
	}
	m := &standbyMetrics{c: standbymetrics.New(sources...), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.c.Handler(logger))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("standby metrics: serving stopped", "listen", ln.Addr().String(), "error", err)
		}
	}()
	fmt.Fprintf(stdout, "serving standby metrics on http://%s/metrics\n", ln.Addr())
	return m, nil
}

// stopped records that f's Run returned: it is reported down from then on.
func (m *standbyMetrics) stopped(f *mover.Follower) {
	if m.c != nil {
		m.c.Stopped(f)
	}
}

// close stops serving, letting a scrape in progress finish.
func (m *standbyMetrics) close() {
	if m.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	<-m.done
}
