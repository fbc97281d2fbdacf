package dirhttp

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
)

func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name     string
		status   int
		failures int
		attempts int  // the client's MaxAttempts
		ok       bool // the call succeeds
		requests int  // requests the server saw
	}{
		{name: "503 then success", status: http.StatusServiceUnavailable, failures: 2, attempts: 4, ok: true, requests: 3},
		{name: "429 then success", status: http.StatusTooManyRequests, failures: 1, attempts: 4, ok: true, requests: 2},
		{name: "502 every time", status: http.StatusBadGateway, failures: 10, attempts: 3, ok: false, requests: 3},
		{name: "no retries", status: http.StatusServiceUnavailable, failures: 1, attempts: 1, ok: false, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ff := &failFirst{n: tt.failures, status: tt.status}
			s := newServer(t, ff.wrap)
			c := s.client(t, func(cfg *ClientConfig) { cfg.MaxAttempts = tt.attempts })
			res, err := c.Batch(ctx, []router.Tenant{{ID: "acme", Cell: "aws-use1"}}, directory.ModeUpsert)
			if (err == nil) != tt.ok || ff.requests() != tt.requests {
				t.Fatalf("Batch = %v, %v after %d requests; want ok %v after %d", res, err, ff.requests(), tt.ok, tt.requests)
			}
			if !tt.ok && (!strings.Contains(err.Error(), "writing a batch of 1 tenants") || (tt.attempts > 1 && !strings.Contains(err.Error(), "gave up after"))) {
				t.Errorf("error %q does not say what failed", err)
			}
		})
	}
}

// An answer lost after the write was applied: the retry finds the entry as
// sent and the call succeeds, for an add, a set at an epoch and a batch.
func TestRetryAfterALostAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ff := &failFirst{status: http.StatusBadGateway, apply: true}
	s := newServer(t, ff.wrap)
	c := s.client(t, nil)
	lose := func() { ff.mu.Lock(); ff.n = ff.seen + 1; ff.mu.Unlock() }

	lose()
	added, err := c.Put(ctx, router.Tenant{ID: "acme", Cell: "aws-use1"}, directory.PutOptions{IfAbsent: true})
	if err != nil || added.Epoch != 1 {
		t.Fatalf("add with a lost answer: %+v, %v", added, err)
	}
	lose()
	set, err := c.Put(ctx, router.Tenant{ID: "acme", Cell: "gcp-usc1"}, directory.PutOptions{IfEpoch: 1})
	if err != nil || set.Epoch != 2 || set.Cell != "gcp-usc1" {
		t.Fatalf("set with a lost answer: %+v, %v", set, err)
	}
	lose()
	res, err := c.Batch(ctx, []router.Tenant{{ID: "b1", Cell: "aws-use1"}, {ID: "b2", Cell: "aws-use1"}}, directory.ModeIfAbsent)
	if err != nil || res[0].Reason != "" || res[1].Reason != "" || res[0].Epoch != 1 {
		t.Fatalf("batch with a lost answer: %+v, %v", res, err)
	}
	// But a conflict that is not our own write stays a conflict.
	if _, err := c.Put(ctx, router.Tenant{ID: "acme", Cell: "aws-use1"}, directory.PutOptions{IfEpoch: 1}); Reason(err) != directory.ReasonEpochMismatch {
		t.Fatalf("a stale set: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a closed port: connections are refused
	c, err := NewClient(ClientConfig{BaseURL: "http://" + addr, Key: controlKey, MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(context.Background(), "acme")
	if err == nil || !strings.Contains(err.Error(), `reading tenant "acme": control API http://`+addr+" unreachable") || !strings.Contains(err.Error(), "check the URL (--api)") || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Fatalf("unreachable: %v", err)
	}
	// A cancelled context stops the retries.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c2, _ := NewClient(ClientConfig{BaseURL: "http://" + addr, Key: controlKey, MaxAttempts: 100, MinBackoff: time.Hour})
	if _, err := c2.Get(ctx, "acme"); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		key       func() ClientConfig
		want      string
	}{
		{name: "no scheme", url: "127.0.0.1:9091", want: "give http(s)://host[:port]"},
		{name: "query", url: "http://127.0.0.1:9091/?x=1", want: "without query"},
		{name: "credentials", url: "http://u:p@127.0.0.1:9091", want: "without query, fragment or credentials"},
		{name: "short secret", url: "http://127.0.0.1:9091", want: "control key: key ctl1: secret is 5 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := controlKey
			if tt.name == "short secret" {
				key.Secret = []byte("short")
			}
			_, err := NewClient(ClientConfig{BaseURL: tt.url, Key: key})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewClient = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "p@") {
				t.Error("credentials in the error")
			}
		})
	}
}
