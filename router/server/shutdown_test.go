package server

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestShutdownClosesAStalledAnswer: an answer still going when the
// shutdown's time is up ends with the router's shutdown on every engine,
// whether its cell went quiet in the middle of its body (the router
// waits on the cell) or its client reads nothing (the router waits on
// the client, the cell held back): Serve returns (with an error saying
// an answer was still going), and both the client and the cell see
// their connections closed, long before UpstreamIdleTimeout (an hour
// here) or a WriteTimeout (none), rather than those connections and the
// goroutines serving them outliving the server.
//
// The cell sends half of a large answer at once, far past every buffer,
// to a client that reads nothing until the cell is held back (on
// EngineEvLoop the rest is then read by a slow lane, evloop_lane.go,
// whose connection the loops' stop closes with the client's). On
// EngineNetHTTP the server's Close ends the requests' contexts, which
// ends the transport's reads of the cells; on EngineFastHTTP the client
// connections and the cell connections of the answers in flight are
// closed (fastLive). For an https cell the connection closed is the TLS
// one.
func TestShutdownClosesAStalledAnswer(t *testing.T) {
	t.Parallel()
	cells := []struct {
		name  string
		serve func(http.Handler) *httptest.Server
	}{
		{name: "http cell", serve: httptest.NewServer},
		{name: "https cell", serve: httptest.NewTLSServer},
	}
	clients := []struct {
		name  string
		reads bool // the client takes all the cell sent, then the cell is quiet
	}{
		{name: "quiet cell", reads: true},
		{name: "client reads nothing", reads: false},
	}
	eachEngine(t, func(t *testing.T) {
		for _, cl := range cells {
			for _, client := range clients {
				t.Run(cl.name+"/"+client.name, func(t *testing.T) {
					t.Parallel()
					const part = 32 << 20 // sent at once: far past every buffer
					var written atomic.Int64
					cellClosed, testOver := make(chan struct{}), make(chan struct{})
					var closedOnce sync.Once
					cell := cl.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						defer closedOnce.Do(func() { close(cellClosed) })
						w.Header().Set("Content-Length", strconv.Itoa(2*part))
						if err := streamPattern(w, part, &written); err != nil {
							return // the router closed the connection
						}
						w.(http.Flusher).Flush()
						// Half the answer is sent; the rest never comes. The
						// request's context ends once the router closes the
						// connection.
						select {
						case <-r.Context().Done():
						case <-testOver: // the test failed: the server may close
						}
					}))
					t.Cleanup(cell.Close)
					t.Cleanup(func() { close(testOver) }) // runs before cell.Close
					h := startRouter(t, oneCell(cell.URL), func(c *Config) {
						if cell.TLS != nil {
							trusting(testCellRoots(cell))(c)
						}
						c.UpstreamIdleTimeout, c.ShutdownTimeout = time.Hour, 200*time.Millisecond
					})
					conn := sendRaw(t, h, "GET /big HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
					waitStalled(&written, part) // the client reads nothing: the cell is held back
					if written.Load() >= part {
						t.Fatalf("the cell wrote all %d bytes to a client that read nothing; want it held back", part)
					}
					var rest io.Reader = conn
					if client.reads {
						// The client now takes all the cell sent, so the
						// router's next read waits on the quiet cell.
						br := bufio.NewReader(conn)
						resp, err := http.ReadResponse(br, nil)
						if err != nil {
							t.Fatal(err)
						}
						if n, err := io.CopyN(io.Discard, resp.Body, part); err != nil {
							t.Fatalf("the client read %d of the %d bytes the cell sent: %v", n, part, err)
						}
						if peak := h.rt.evPeak.Load(); engineOf(t) == EngineEvLoop && peak > 2*evSlowHigh {
							t.Errorf("the router held %d bytes for the client; want at most %d (the slow lane)", peak, 2*evSlowHigh)
						}
						rest = br
					}

					if err := h.stop(t); err == nil {
						t.Errorf("Serve returned nil with an answer still going after the shutdown timeout; want an error saying so")
					}
					select {
					case <-cellClosed:
					case <-time.After(10 * time.Second): // a guard against a hang
						t.Fatal("the cell's connection was still open 10 s after the router shut down")
					}
					_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
					if client.reads {
						// What the router had sent, then the connection's end.
						if _, err := io.Copy(io.Discard, rest); isTimeout(err) {
							t.Fatalf("the client's connection was still open 10 s after the router shut down: %v", err)
						}
						return
					}
					// A client that reads all would let the router's write
					// go on (and end): instead it sends a byte now and then,
					// which the router's side answers with a reset once its
					// socket is closed, and reads one, which then fails.
					one := make([]byte, 1)
					for {
						_, err := conn.Write(one)
						if err == nil {
							_, err = conn.Read(one)
						}
						if isTimeout(err) {
							t.Fatalf("the client's connection was still open 10 s after the router shut down: %v", err)
						}
						if err != nil {
							break // closed by the router
						}
						time.Sleep(10 * time.Millisecond) // paces the probe; asserts nothing
					}
				})
			}
		}
	})
}

// TestShutdownClosesAnUpgradedConnection: a connection the net/http
// engine switched to another protocol for its client (an upgrade, such
// as a WebSocket) and that is still open when the shutdown's time is up
// is closed, the client's and the cell's, and Serve says so: net/http's
// Shutdown neither waits for nor closes a connection taken over from it,
// so it outlived Serve's return.
func TestShutdownClosesAnUpgradedConnection(t *testing.T) {
	t.Parallel()
	cellClosed := make(chan struct{})
	cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(cellClosed)
		echoUpgrade(w)
	}))
	t.Cleanup(cell.Close)
	h := startRouter(t, oneCell(cell.URL), func(c *Config) {
		c.Engine, c.ShutdownTimeout = EngineNetHTTP, 200*time.Millisecond
	})
	conn := sendRaw(t, h, "GET /ws HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrading: %v, %v; want 101", resp, err)
	}
	if err := h.stop(t); err == nil {
		t.Errorf("Serve returned nil with an upgraded connection still open after the shutdown timeout; want an error saying so")
	}
	select {
	case <-cellClosed:
	case <-time.After(10 * time.Second): // a guard against a hang
		t.Fatal("the cell's upgraded connection was still open 10 s after the router shut down")
	}
	if _, err := io.Copy(io.Discard, br); isTimeout(err) {
		t.Fatalf("the client's upgraded connection was still open 10 s after the router shut down: %v", err)
	}
}
