package server

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestConnectionCloseAnswerWhole: an answer to a request that asked to
// close the connection (Connection: close) reaches a client that reads it
// slowly whole; the connection closes after the last byte, not when the
// router is done with the request while part of the answer still waits
// to be sent.
func TestConnectionCloseAnswerWhole(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		const size = 7 << 20 // more than the sockets hold
		body := bytes.Repeat([]byte("z"), size)
		written := make(chan struct{})
		cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(size))
			_, _ = w.Write(body)
			close(written)
		}))
		t.Cleanup(cell.Close)
		c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
		h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		conn := sendRaw(t, h, "GET /big HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nConnection: close\r\n\r\n")
		// Read only once the cell has written what the sockets and the
		// router hold (every engine slows the cell down to the client's
		// pace: the rest waits in the cell), or after a while.
		select {
		case <-written:
		case <-time.After(3 * time.Second):
		}
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard against a hang
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != size || err != nil {
			t.Errorf("the client read %d of the answer's %d bytes (%v); want all of it", n, size, err)
		}
	})
}
