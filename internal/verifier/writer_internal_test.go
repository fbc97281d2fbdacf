package verifier

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// A write refused with Retry-After (a fenced or migrating tenant's 503) is
// followed by a wait of the header's time, at most MaxRetryWait, before
// the writer's next write: the writers measure the fence instead of
// spinning on it. A 503 without the header is retried at once.
func TestWriterHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter string
		max        time.Duration
		want       []time.Duration // the waits before the second write
	}{
		{name: "retry-after under the bound", retryAfter: "1", max: 5 * time.Second, want: []time.Duration{time.Second}},
		{name: "retry-after over the bound", retryAfter: "30", max: 0, want: []time.Duration{DefaultMaxRetryWait}},
		{name: "no retry-after", retryAfter: "", max: 5 * time.Second, want: nil},
		{name: "unreadable retry-after", retryAfter: "soon", max: 5 * time.Second, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var waits, atSecond []time.Duration
			puts := 0
			second := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				puts++
				n := puts
				if n == 2 {
					atSecond = slices.Clone(waits)
					close(second)
				}
				mu.Unlock()
				if n == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					http.Error(w, "tenant is moving", http.StatusServiceUnavailable)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(srv.Close)
			kv, err := NewKV(srv.URL, "acme")
			if err != nil {
				t.Fatal(err)
			}
			w, err := Start(context.Background(), Config{Target: kv, Writers: 1, Keys: 1, MaxRetryWait: tt.max, sleep: func(d time.Duration) {
				mu.Lock()
				waits = append(waits, d)
				mu.Unlock()
			}})
			if err != nil {
				t.Fatal(err)
			}
			<-second
			s := w.Stop()
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(atSecond, tt.want) {
				t.Fatalf("waits before the second write: %v, want %v", atSecond, tt.want)
			}
			if s.FailedBy["503"] != 1 {
				t.Fatalf("failures %v, want one 503", s.FailedBy)
			}
		})
	}
}
