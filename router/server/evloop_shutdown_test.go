//go:build linux

package server

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestEvLoopShutdownWakesAStalledSlowLane: a slow lane (evloop_lane.go)
// blocked reading a cell that went quiet in the middle of its answer
// ends with the router's shutdown: once the shutdown timeout has passed
// and the loops stop, the cell sees its connection closed and Serve has
// returned, long before UpstreamIdleTimeout (an hour here), rather than
// the lane's goroutine and descriptor outliving the server until that
// read's deadline. (The loops' stop closes the client's connection,
// whose cell connection, the lane's, is closed with it; the lane's read
// returns at once and its goroutine ends, the loops gone.) For an https
// cell the lane reads the loop's end of the TLS bridge, whose closing
// closes the TLS connection.
func TestEvLoopShutdownWakesAStalledSlowLane(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		serve func(http.Handler) *httptest.Server
	}{
		{name: "http cell", serve: httptest.NewServer},
		{name: "https cell", serve: httptest.NewTLSServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const part = 32 << 20 // sent at once: far past every buffer, so the lane takes over
			var written atomic.Int64
			cellClosed, testOver := make(chan struct{}), make(chan struct{})
			cell := tt.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(2*part))
				if err := streamPattern(w, part, &written); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				// Half the answer is sent; the rest never comes. The
				// request's context ends once the router closes the
				// connection.
				select {
				case <-r.Context().Done():
					close(cellClosed)
				case <-testOver: // the test failed: the server may close
				}
			}))
			t.Cleanup(cell.Close)
			t.Cleanup(func() { close(testOver) }) // runs before cell.Close
			h := startRouter(t, oneCell(cell.URL), func(c *Config) {
				if cell.TLS != nil {
					trusting(testCellRoots(cell))(c)
				}
				c.Engine, c.UpstreamIdleTimeout, c.ShutdownTimeout = EngineEvLoop, time.Hour, 200*time.Millisecond
			})
			conn := sendRaw(t, h, "GET /big HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
			waitStalled(&written, part) // the client reads nothing: the lane holds the cell back
			if written.Load() >= part {
				t.Fatalf("the cell wrote all %d bytes to a client that read nothing; want it held back by the slow lane", part)
			}
			// The client now takes all the cell sent, so the lane's next
			// read waits on the quiet cell.
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if n, err := io.CopyN(io.Discard, resp.Body, part); err != nil {
				t.Fatalf("the client read %d of the %d bytes the cell sent: %v", n, part, err)
			}
			if peak := h.rt.evPeak.Load(); peak > 2*evSlowHigh {
				t.Errorf("the router held %d bytes for the client; want at most %d (the slow lane)", peak, 2*evSlowHigh)
			}

			h.cancel()
			select {
			case err := <-h.done:
				if err == nil {
					t.Errorf("Serve returned nil with an answer still going after the shutdown timeout; want an error saying so")
				}
			case <-time.After(10 * time.Second): // a guard against a hang
				t.Fatal("Serve did not return within 10 s of its shutdown timeout with a slow lane waiting on a quiet cell")
			}
			h.done <- nil // for the harness's cleanup
			select {
			case <-cellClosed:
			case <-time.After(10 * time.Second): // a guard against a hang
				t.Fatal("the cell's connection was still open 10 s after the router shut down: the slow lane waits for UpstreamIdleTimeout (1 h)")
			}
		})
	}
}
