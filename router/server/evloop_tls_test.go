//go:build linux

package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestEvLoopTLSBridgeCloses: a loop's connection to an https cell ends
// the TLS connection to the cell with it: when the attempt on it is given
// up (its client left while the cell held its answer), and when the loops
// stop with it idle in their pool.
func TestEvLoopTLSBridgeCloses(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	closed := map[string]bool{}
	var remotes []string
	holding := make(chan string, 1)
	gone := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		mu.Lock()
		remotes = append(remotes, r.RemoteAddr)
		mu.Unlock()
		if r.URL.Path == "/hold" {
			holding <- r.RemoteAddr
			select {
			case <-r.Context().Done(): // the router's connection ended
				gone <- struct{}{}
			case <-release: // the test ends
			}
		}
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed || s == http.StateHijacked {
			mu.Lock()
			closed[c.RemoteAddr().String()] = true
			mu.Unlock()
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the handler
	cell := router.Cell{ID: "secure", Cloud: "aws", Region: "r", Endpoint: srv.URL, Weight: 100, State: fabric.CellActive}
	h := startRouter(t, registry(1, []router.Cell{cell}, router.Tenant{ID: "acme", Cell: "secure"}), func(c *Config) {
		trusting(testCellRoots(srv))(c)
		c.Engine = EngineEvLoop
	})

	// A client that leaves while the cell holds its answer.
	conn, err := net.Dial("tcp", hostOf(h.url))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("GET /hold HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-holding:
	case <-time.After(10 * time.Second): // only keeps a broken router from hanging the test
		t.Fatal("the request did not reach the https cell")
	}
	conn.Close()
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the client left, and the https cell's connection for its request stays open")
	}

	// A connection left idle in a loop's pool, then the loops stop.
	if resp, body := h.do(t, "GET", "/idle", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.StatusCode != 200 {
		t.Fatalf("GET /idle: %d %s", resp.StatusCode, body)
	}
	h.cancel()
	err = <-h.done
	h.done <- err // for the harness's cleanup
	allClosed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range remotes {
			if !closed[r] {
				return false
			}
		}
		return len(remotes) == 2
	}
	for deadline := time.Now().Add(10 * time.Second); !allClosed(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("the router stopped and the https cell still has its connections open: requests from %v, closed %v", remotes, closed)
		}
	}
}

// TestEvLoopTLSBridgeBreaksWhileBodyIsSent: an https cell sends the start
// of an answer whose body ends with the connection (close-delimited), then
// resets its connection while the router is still sending it the
// request's body: the client never reads the answer as complete, and the
// router logs it as the cell's answer broken off, as for a plain cell.
// The bridge's two goroutines meet the reset in either order (the one
// sending the body often first), hence the rounds; whatever the order,
// the bridge must end (the goroutine left is stopped). Here body bytes
// still wait in the socket pair when the bridge closes, which the loop
// reads as a reset of its end in any case: the bridge's own verdict,
// when nothing waits there, is TestEvLoopTLSBridgeRequestSideEndsFirst's.
func TestEvLoopTLSBridgeBreaksWhileBodyIsSent(t *testing.T) {
	t.Parallel()
	const bodySize = 8 << 20 // more than the sockets between the router and the cell hold
	more := bytes.Repeat([]byte("m"), 1<<20)
	for round := range 2 {
		t.Run(fmt.Sprintf("round=%d", round), func(t *testing.T) {
			t.Parallel()
			sent := make(chan struct{})    // the client has written the whole body
			started := make(chan struct{}) // the client has read the answer's start
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				tc := conn.(*tls.Conn)
				defer tc.NetConn().Close()
				if _, err := io.WriteString(tc, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\npartial "); err != nil {
					return
				}
				// The body is not read: once the client has written all of
				// it, the router's goroutine sending it to the cell is
				// blocked in a write.
				for _, c := range []chan struct{}{sent, started} {
					select {
					case <-c:
					case <-time.After(10 * time.Second): // only keeps a broken router from hanging the test
					}
				}
				_, _ = tc.Write(more) // the router reads this as the reset comes
				_ = tc.NetConn().(*net.TCPConn).SetLinger(0)
			}))
			srv.StartTLS()
			t.Cleanup(srv.Close)
			logs := &syncBuffer{}
			cell := router.Cell{ID: "secure", Cloud: "aws", Region: "r", Endpoint: srv.URL, Weight: 100, State: fabric.CellActive}
			h := startRouter(t, registry(1, []router.Cell{cell}, router.Tenant{ID: "acme", Cell: "secure"}), func(c *Config) {
				trusting(testCellRoots(srv))(c)
				c.Engine, c.Logger, c.MaxAttempts = EngineEvLoop, slogTo(logs), 1
			})
			conn := sendRaw(t, h, "POST /up HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nContent-Length: "+strconv.Itoa(bodySize)+"\r\n\r\n")
			go func() {
				defer close(sent)
				_, _ = conn.Write(bytes.Repeat([]byte("b"), bodySize))
			}()
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				close(started)
				t.Fatalf("no answer head: %v", err)
			}
			start := make([]byte, len("partial "))
			_, err = io.ReadFull(resp.Body, start)
			close(started)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("the answer's start: %d %q (%v); want the cell's 200 and %q", resp.StatusCode, start, err, "partial ")
			}
			rest, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				t.Fatalf("the client read a complete answer (%d bytes after its start) though the cell reset its connection in the middle of it", len(rest))
			}
			<-sent
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "cell answer broke off"); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) { // a guard: the line is written before the client's connection closes
					t.Fatalf("the router did not log the answer as broken off by the cell; its log:\n%s", logs.String())
				}
			}
		})
	}
}

// TestEvLoopTLSBridgeRequestSideEndsFirst: the bridge's goroutine that
// sends the loop's bytes to an https cell fails (the cell reset the
// connection) before the one that reads the cell's answer has seen
// anything wrong; that one then finds the connection closed under it. The
// bridge has broken all the same: the loop must not read the end of its
// side as the cell's clean close. The two goroutines' ends are played in
// that order, on a real TLS connection to a cell on loopback.
func TestEvLoopTLSBridgeRequestSideEndsFirst(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		tc := conn.(*tls.Conn)
		_, _ = io.WriteString(tc, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npartial")
		_ = tc.NetConn().(*net.TCPConn).SetLinger(0)
		_ = tc.NetConn().Close() // a reset: the body is not read
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cell := tls.Client(nc, &tls.Config{RootCAs: testCellRoots(srv), ServerName: "127.0.0.1"})
	if err := cell.Handshake(); err != nil {
		t.Fatal(err)
	}
	loopEnd, side, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loopEnd.Close() })
	b := &evBridge{cell: cell, side: side}
	// The request side: a head and a body larger than the sockets hold, so
	// that a write to the cell fails once it resets.
	req := io.MultiReader(strings.NewReader("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n"), io.LimitReader(zeros{}, 64<<20))
	b.pump(b.cell, req, false)
	// Then the answer side, which finds the connection ended.
	b.pump(b.side, b.cell, true)
	if err := b.broken(); err == nil {
		t.Fatal("the bridge's request side failed on a reset by the cell, and the bridge reports a clean end; want it broken")
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
