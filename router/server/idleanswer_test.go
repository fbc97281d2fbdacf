package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pacedCell is a cell on loopback whose answer is a head with no length,
// then lead bytes of 'x', then pieces written gap apart; after the last one it closes its
// connection, or, with stall, it sends nothing more and holds the
// connection open until the test ends. It returns its address.
func pacedCell(t *testing.T, lead, pieces int, gap time.Duration, stall bool) string {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
		if _, err := c.Write(bytes.Repeat([]byte("x"), lead)); err != nil {
			return
		}
		for i := range pieces {
			if i > 0 {
				time.Sleep(gap)
			}
			if _, err := fmt.Fprintf(c, "piece %d;", i); err != nil {
				return
			}
		}
		if stall {
			<-done
		}
	})
}

// TestUpstreamIdleTimeout: a cell that stops sending in the middle of its
// answer has it broken off once it has sent nothing for
// UpstreamIdleTimeout (the client sees the answer end early rather than
// wait for ever), while an answer that comes slowly but never pauses that
// long arrives whole, however long it takes in all.
func TestUpstreamIdleTimeout(t *testing.T) {
	t.Parallel()
	const idle = 2 * time.Second
	for _, tc := range []struct {
		name   string
		lead   int  // bytes before the pieces
		slow   bool // the client reads nothing for a while after the head
		pieces int
		gap    time.Duration
		stall  bool
	}{
		// Eight pieces 400 ms apart: 2.8 s in all, never 2 s without a byte.
		{name: "steady", pieces: 8, gap: 400 * time.Millisecond},
		{name: "stalled", pieces: 2, gap: 10 * time.Millisecond, stall: true},
		// More than every buffer on the way holds, to a client that
		// waits before it reads (the event-loop engine reads the rest
		// in its slow lane), then the cell stalls.
		{name: "stalled after 16 MiB, slow client", lead: 16 << 20, slow: true, pieces: 1, stall: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				h := startRouter(t, oneCell("http://"+pacedCell(t, tc.lead, tc.pieces, tc.gap, tc.stall)), func(c *Config) { c.UpstreamIdleTimeout = idle })
				conn, err := net.Dial("tcp", hostOf(h.url))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := io.WriteString(conn, "GET /paced HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard against a hang
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatal(err)
				}
				if tc.slow {
					time.Sleep(500 * time.Millisecond) // lets the answer pile up; asserts nothing
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				var want strings.Builder
				want.WriteString(strings.Repeat("x", tc.lead))
				for i := range tc.pieces {
					fmt.Fprintf(&want, "piece %d;", i)
				}
				if tc.stall {
					if err == nil || isTimeout(err) {
						t.Fatalf("the answer of a cell that stalled mid-answer ended with %v after %d bytes; want it broken off by the router (a read error that is not the client's own deadline)", err, len(body))
					}
					if string(body) != want.String() {
						t.Errorf("the client got %d bytes before the break (ending %q), want what the cell sent, %d bytes", len(body), body[max(0, len(body)-20):], want.Len())
					}
					return
				}
				if err != nil || string(body) != want.String() {
					t.Errorf("the client got %d bytes (%v), want the whole answer, %d bytes", len(body), err, want.Len())
				}
			})
		})
	}
}
