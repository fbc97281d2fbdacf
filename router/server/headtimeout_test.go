package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestReadHeaderTimeout: a head that never completes is cut off
// (slowloris), and ReadHeaderTimeout counts from a head's first byte, not
// from the end of the connection's last request: a kept-alive connection
// idle for longer than it (within IdleTimeout) still carries a request.
func TestReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		const timeout = 300 * time.Millisecond
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) {
			c.ReadHeaderTimeout = timeout
			c.IdleTimeout = 20 * timeout
		})
		const req = "GET /x HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"

		t.Run("idle longer than the head timeout, then a request", func(t *testing.T) {
			conn, err := net.Dial("tcp", hostOf(h.url))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			for i, pause := range []time.Duration{0, 2 * timeout} {
				time.Sleep(pause) // sets up the condition; asserts nothing
				// The head in two parts, well within the timeout of each
				// other.
				if _, err := conn.Write([]byte(req[:10])); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				time.Sleep(timeout / 3)
				if _, err := conn.Write([]byte(req[10:])); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("request %d, after %v idle: %v", i, pause, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("request %d, after %v idle: %d, want 200", i, pause, resp.StatusCode)
				}
			}
		})
		t.Run("a head that never ends is cut off", func(t *testing.T) {
			conn := sendRaw(t, h, "GET /x HTTP/1.1\r\nHost: x\r\n")
			// The deadline only keeps a router that never cuts it off from
			// hanging the test.
			_ = conn.SetReadDeadline(time.Now().Add(30 * timeout))
			_, err := io.Copy(io.Discard, conn)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection with an unfinished head is still open after %v", 30*timeout)
			}
		})
	})
}
