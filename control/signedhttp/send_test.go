package signedhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

var testKey = edgeauth.Key{ID: "ctl1", Secret: []byte("control-secret-0123456789")}

// failures words errors so a test can tell which hook made them.
var failures = Failures{
	Stopped:     func(err error) error { return fmt.Errorf("stopped: %w", err) },
	Unreachable: func(err error) error { return fmt.Errorf("unreachable: %w", err) },
	Refused: func(resp *http.Response) error {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("refused %d %s", resp.StatusCode, b)
	},
}

// TestSend covers what both clients rely on: which answers are retried,
// that every attempt is signed, and that ReadLimit retries an answer cut
// off while an unread stream is left to the caller.
func TestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// answer answers request number n (from 1).
		answer    func(w http.ResponseWriter, n int32)
		readLimit int64
		wantErr   string // "" for a 200 whose body is wantBody
		wantBody  string
		wantSent  int32
	}{
		{name: "200 at once", answer: func(w http.ResponseWriter, n int32) { fmt.Fprint(w, "ok") }, wantBody: "ok", wantSent: 1},
		{name: "503 then 200", answer: func(w http.ResponseWriter, n int32) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "ok")
		}, wantBody: "ok", wantSent: 2},
		{name: "429 with Retry-After every time", answer: func(w http.ResponseWriter, n int32) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, "slow down")
		}, wantErr: "refused 429 slow down (gave up after 3 attempts)", wantSent: 3},
		{name: "a 4xx is not retried", answer: func(w http.ResponseWriter, n int32) {
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, "exists")
		}, wantErr: "refused 409 exists", wantSent: 1},
		{name: "an answer cut off is retried when read whole", readLimit: 1 << 10, answer: cutOffOnce, wantBody: "whole", wantSent: 2},
		{name: "a stream is left to the caller", answer: cutOffOnce, wantErr: "unexpected EOF", wantSent: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get(edgeauth.SignatureHeader) == "" || r.URL.Path != "/prefix/api/x" {
					t.Errorf("request %s %q has no signature or the wrong path", r.Method, r.URL.Path)
				}
				tt.answer(w, sent.Add(1))
			}))
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL + "/prefix/", Key: testKey, MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, "test API", "http://127.0.0.1:1")
			if err != nil {
				t.Fatal(err)
			}
			resp, attempts, err := c.Send(context.Background(), Request{Method: http.MethodGet, Path: "/api/x", ReadLimit: tt.readLimit}, failures)
			if err == nil {
				var body []byte
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && string(body) != tt.wantBody {
					t.Errorf("body %q, want %q", body, tt.wantBody)
				}
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if attempts != int(tt.wantSent) || sent.Load() != tt.wantSent {
				t.Errorf("%d attempts, server saw %d; want %d", attempts, sent.Load(), tt.wantSent)
			}
		})
	}
}

// cutOffOnce answers the first request with a body shorter than its
// Content-Length, and "whole" after.
func cutOffOnce(w http.ResponseWriter, n int32) {
	if n > 1 {
		fmt.Fprint(w, "whole")
		return
	}
	w.Header().Set("Content-Length", "100")
	fmt.Fprint(w, "part")
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func TestSendStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Cancelled while the answer is under way or Send waits an hour
		// to retry: either way the call stops at once.
		cancel()
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Key: testKey, MaxAttempts: 100, MinBackoff: time.Hour, MaxBackoff: time.Hour}, "test API", "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	_, attempts, err := c.Send(ctx, Request{Method: http.MethodGet, Path: "/x"}, failures)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "stopped: ") || attempts != 1 {
		t.Fatalf("Send = %d attempts, %v; want stopped after 1 by the cancelled context", attempts, err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, url, want string }{
		{name: "no scheme", url: "127.0.0.1:9091", want: `test API URL "127.0.0.1:9091": give http(s)://host[:port], e.g. http://127.0.0.1:1`},
		{name: "no host", url: "http://", want: "give http(s)://host[:port]"},
		{name: "query", url: "http://127.0.0.1:9091/?x=1", want: "give it without query, fragment or credentials"},
		{name: "credentials", url: "http://u:secret@127.0.0.1:9091", want: "give it without query, fragment or credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{BaseURL: tt.url, Key: testKey}, "test API", "http://127.0.0.1:1")
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret@") {
				t.Fatalf("New = %v, want %q", err, tt.want)
			}
		})
	}
}
