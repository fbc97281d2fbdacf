package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
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
				conn := sendRaw(t, h, "GET /paced HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
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

// stalledCell is a cell on loopback that answers every request with head
// (a status line and headers, with the blank line) and then body, and
// then sends nothing more, holding the connection open until the test
// ends. It returns its address.
func stalledCell(t *testing.T, head, body string) string {
	t.Helper()
	done := make(chan struct{})
	addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, head+body)
		<-done
	})
	t.Cleanup(func() { close(done) })
	return addr
}

// TestUpstreamIdleTimeoutBeforeTheAnswerGoesOut: UpstreamIdleTimeout also
// bounds the part of an answer's body the router reads before passing
// the answer on or dropping it: a gateway error dropped for the next
// cell (its body read so that its connection can be kept) and a 421
// (the start of its body read for stale_placement). A cell that stalls
// there costs its client no more than the timeout: the dropped answer's
// attempt is over and the next cell answers; the 421 is broken off as
// any answer whose cell stalls (its head first or not).
func TestUpstreamIdleTimeoutBeforeTheAnswerGoesOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		head string
		// broken: the answer is broken off (no answer, or the 421's head
		// and a body cut short); else the next cell's answer, whole.
		broken bool
	}{
		{name: "503 dropped for the next cell", head: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\n"},
		{name: "421 looked at", head: "HTTP/1.1 421 Misdirected Request\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", broken: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				a := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: "http://" + stalledCell(t, tc.head, `{"error":`), Weight: 100, State: fabric.CellActive}
				b := newTestCell(t, "cell-b", "gcp")
				h := startRouter(t, registry(1, []router.Cell{a, b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), func(c *Config) {
					c.UpstreamIdleTimeout = 300 * time.Millisecond
				})
				conn := sendRaw(t, h, "GET /x HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				switch {
				case isTimeout(err):
					t.Fatalf("the client's own deadline ended its wait (%v): the router waited on the stalled cell beyond UpstreamIdleTimeout", err)
				case tc.broken && err == nil:
					t.Errorf("the answer of a cell that stalled came whole (%d %q); want it broken off", resp.StatusCode, body)
				case !tc.broken && err != nil:
					t.Errorf("no whole answer from the next cell: %v", err)
				case !tc.broken && (resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cell-ID") != "cell-b"):
					t.Errorf("status %d from %q, want 200 from cell-b", resp.StatusCode, resp.Header.Get("X-Cell-ID"))
				}
			})
		})
	}
}

// TestDroppedAnswerReadInPart: a gateway error dropped for the next cell
// is read only so far (up to 64 KiB) to keep its connection, not to its
// end: a cell that sends a long error body slowly, or part of it and then
// nothing (short of UpstreamIdleTimeout), does not hold the request back
// from the next cell, which answers at once.
func TestDroppedAnswerReadInPart(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		head := "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(10<<20) + "\r\n\r\n"
		a := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: "http://" + stalledCell(t, head, strings.Repeat("e", 256<<10)), Weight: 100, State: fabric.CellActive}
		b := newTestCell(t, "cell-b", "gcp")
		h := startRouter(t, registry(1, []router.Cell{a, b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), func(c *Config) {
			c.UpstreamIdleTimeout = time.Minute // longer than the test waits
		})
		conn := sendRaw(t, h, "GET /x HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer while cell-a's dropped 503 was still coming: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cell-ID") != "cell-b" {
			t.Errorf("status %d from %q, want 200 from cell-b", resp.StatusCode, resp.Header.Get("X-Cell-ID"))
		}
	})
}
