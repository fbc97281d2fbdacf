//go:build linux

package server

import (
	"net"
	"net/http"
	"net/http/httptest"
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
