package server

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestIdlePoolBounded: after a burst that opened many connections to a
// cell, the router keeps at most MaxIdlePerCell of them idle and closes
// the rest, on the engines that bound their pool by count (net/http and
// the event loops; fasthttp does not: Config.MaxIdlePerCell).
func TestIdlePoolBounded(t *testing.T) {
	t.Parallel()
	const maxIdle, burst = 2, 12
	for _, e := range Engines {
		if e == EngineFastHTTP {
			continue // no count bound, as Config.MaxIdlePerCell says
		}
		t.Run("engine="+string(e), func(t *testing.T) {
			t.Parallel()
			var open, arrived atomic.Int64
			release := make(chan struct{})
			cell := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived.Add(1)
				<-release
				_, _ = io.WriteString(w, "ok")
			}))
			cell.Config.ConnState = func(c net.Conn, s http.ConnState) {
				switch s {
				case http.StateNew:
					open.Add(1)
				case http.StateClosed, http.StateHijacked:
					open.Add(-1)
				}
			}
			cell.Start()
			t.Cleanup(cell.Close)
			h := startRouter(t, oneCell(cell.URL), func(c *Config) { c.MaxIdlePerCell = maxIdle })

			var wg sync.WaitGroup
			for range burst {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest(http.MethodGet, h.url+"/burst", nil)
					req.Header.Set("X-Tenant-ID", "acme")
					resp, err := h.client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || string(b) != "ok" {
						t.Errorf("a request of the burst got %d %q, want 200 ok", resp.StatusCode, b)
					}
				}()
			}
			// Every request of the burst holds its own connection to the
			// cell until all have arrived.
			for deadline := time.Now().Add(10 * time.Second); arrived.Load() < burst; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) { // a guard against a hang
					close(release)
					t.Fatalf("%d of the burst's %d requests reached the cell", arrived.Load(), burst)
				}
			}
			close(release)
			wg.Wait()
			for deadline := time.Now().Add(10 * time.Second); open.Load() > maxIdle; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) { // a guard against a hang
					t.Fatalf("%d connections to the cell stay open after the burst; want at most MaxIdlePerCell (%d)", open.Load(), maxIdle)
				}
			}
		})
	}
}
