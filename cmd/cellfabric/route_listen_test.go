package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRouteDefaultListenIsLoopback: without --listen and --admin the router
// takes requests from this machine only, and -h says how to open it up.
func TestRouteDefaultListenIsLoopback(t *testing.T) {
	t.Parallel()
	var o routeOptions
	fs := o.flagSet()
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	if err := fs.Parse([]string{"--registry", "registry.json"}); err != nil {
		t.Fatal(err)
	}
	for flagName, addr := range map[string]string{"listen": o.cfg.Listen, "admin": o.cfg.Admin} {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("--%s defaults to %q, want a loopback address", flagName, addr)
		}
	}
	fs.Usage()
	if !strings.Contains(usage.String(), "0.0.0.0:8080") {
		t.Errorf("-h does not say how to listen on every interface:\n%s", usage.String())
	}
}

// TestRouteBindsBeforeLoading: a listen address that is taken fails the
// start at once, before the registry source is asked for anything (a large
// registry takes seconds to load; here the source never answers).
func TestRouteBindsBeforeLoading(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close) // after release is closed (cleanups run last first)
	t.Cleanup(func() { close(release) })
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	taken := busy.Addr().String()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "proxy port taken", args: []string{"--listen", taken, "--admin", "127.0.0.1:0"}, wantErr: "--listen " + taken + ": address already in use; pick another port with --listen"},
		{name: "admin port taken", args: []string{"--listen", "127.0.0.1:0", "--admin", taken}, wantErr: "--admin " + taken + ": address already in use; pick another port with --admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := requests.Load()
			var out, errb lockedBuffer
			// A bound, not an assertion: a router that loads first waits
			// on the source until this ends.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"--registry", slow.URL + "/registry.json", "--unsigned"}, tt.args...)
			code := routeMain(ctx, args, func(string) string { return "" }, &out, &errb)
			if code != 1 || !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("exit %d stderr %q; want 1 and %q", code, errb.String(), tt.wantErr)
			}
			if n := requests.Load() - before; n != 0 {
				t.Errorf("the registry source was asked %d time(s) before the listeners were bound", n)
			}
		})
	}
}
