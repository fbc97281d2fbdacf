package server

import (
	"net"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestClientResetDuringRefusal: a client sends a request whose body is
// still to come and resets its connection at once; the router refuses
// the request (an unknown tenant) and its answer cannot be written. The
// request ends once: nothing stays counted in flight, and nothing is
// taken off twice (which would let a shutdown stop waiting for a request
// that is still being served).
func TestClientResetDuringRefusal(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		for i := 0; i < 20; i++ {
			conn, err := net.Dial("tcp", hostOf(h.url))
			if err != nil {
				t.Fatal(err)
			}
			_, err = conn.Write([]byte("POST /x HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: nobody\r\nContent-Length: 100\r\n\r\n0123456789"))
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		// Every request ends; the count in flight comes back to zero,
		// never below. (The deadline only keeps a broken router from
		// hanging the test.)
		for deadline := time.Now().Add(5 * time.Second); h.rt.inflight.Load() != 0; time.Sleep(5 * time.Millisecond) {
			if n := h.rt.inflight.Load(); n < 0 || time.Now().After(deadline) {
				t.Fatalf("%d requests in flight after every client left; want 0", n)
			}
		}
	})
}
