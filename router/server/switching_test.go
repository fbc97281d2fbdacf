package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestCellSwitchingProtocolsNotReused: a cell that answers 101 Switching
// Protocols speaks another protocol on that connection from then on; the
// router must never send it another HTTP request there.
func TestCellSwitchingProtocolsNotReused(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		var afterSwitch atomic.Int64 // requests a cell got on a switched connection
		addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
			switched := false
			for {
				r, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, r.Body)
				if switched {
					afterSwitch.Add(1)
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
					continue
				}
				switched = true
				if _, err := io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n"); err != nil {
					return
				}
			}
		})
		h := startRouter(t, oneCell("http://"+addr), nil)
		for i := 0; i < 2*runtime.GOMAXPROCS(0)+2; i++ { // every loop twice (the evloop engine pools per loop)
			conn, err := net.Dial("tcp", hostOf(h.url))
			if err != nil {
				t.Fatal(err)
			}
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
			if _, err := conn.Write([]byte("GET /a HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("request %d: no answer: %v", i, err)
			}
			resp.Body.Close()
			conn.Close()
		}
		if n := afterSwitch.Load(); n != 0 {
			t.Errorf("the cell got %d requests on a connection it had switched to another protocol", n)
		}
	})
}
