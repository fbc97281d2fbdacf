//go:build linux

package server

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestEvLoopBoundsWhatASlowClientLeaves: the event-loop engine cannot
// stop reading a cell's answer while its client does not read, so it
// bounds what it buffers for the client (evMaxOutbound): past that, the
// request is given up as the client's (499) and both connections close,
// instead of the whole answer piling up in memory.
func TestEvLoopBoundsWhatASlowClientLeaves(t *testing.T) {
	t.Parallel()
	const size = 64 << 20
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		for i := 0; i < size/len(chunk); i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(cell.Close)
	c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
	h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) { c.Engine = EngineEvLoop })
	conn, err := net.Dial("tcp", hostOf(h.url))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /big HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	// Read nothing until the router has given up on the client. (The
	// deadline only keeps a broken router from hanging the test.)
	gaveUp := `cellfabric_router_requests_total{cell="cell-a",cloud="aws",code="499"}`
	for deadline := time.Now().Add(30 * time.Second); metricValue(t, h, gaveUp) != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the router still holds the answer for a client that reads nothing (%s = %v)", gaveUp, metricValue(t, h, gaveUp))
		}
	}
	n, _ := io.Copy(io.Discard, conn)
	if n >= size {
		t.Errorf("the client got the whole answer (%d bytes) after the router gave up on it", n)
	}
}
