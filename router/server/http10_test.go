package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHTTP10ClientGetsNoChunkedAnswer: an HTTP/1.0 client cannot read a
// chunked body (RFC 9112 §6.1: chunked is not sent to a 1.0 recipient), so
// when the cell's answer has no length the router delimits it by closing
// the connection instead; the client reads the cell's bytes whole.
func TestHTTP10ClientGetsNoChunkedAnswer(t *testing.T) {
	t.Parallel()
	const want = "first part, second part"
	for _, tc := range []struct {
		name       string
		keepAlive  bool // the client asks to keep the connection
		untilClose bool // the cell's answer ends with its connection; else chunked
	}{
		{"chunked from the cell", false, false},
		{"chunked from the cell, keep-alive asked", true, false},
		{"close-delimited from the cell", false, true},
		{"close-delimited from the cell, keep-alive asked", true, true},
	} {
		keepAlive := tc.keepAlive
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				endpoint := "http://" + untilCloseCell(t, want)
				if !tc.untilClose {
					cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						// Two writes with a flush between: net/http answers
						// with no Content-Length (chunked to the router).
						_, _ = io.WriteString(w, "first part, ")
						w.(http.Flusher).Flush()
						_, _ = io.WriteString(w, "second part")
					}))
					t.Cleanup(cell.Close)
					endpoint = cell.URL
				}
				h := startRouter(t, oneCell(endpoint), nil)
				conn, err := net.Dial("tcp", hostOf(h.url))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				req := "GET /stream HTTP/1.0\r\nHost: x\r\nX-Tenant-ID: acme\r\n"
				if keepAlive {
					req += "Connection: keep-alive\r\n"
				}
				if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
					t.Fatal(err)
				}
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
				raw, err := io.ReadAll(conn)
				if err != nil {
					t.Fatalf("reading the answer: %v (read %q)", err, raw)
				}
				head, body, ok := strings.Cut(string(raw), "\r\n\r\n")
				if !ok {
					t.Fatalf("no complete head in %q", raw)
				}
				if strings.Contains(strings.ToLower(head), "transfer-encoding") {
					t.Errorf("the answer to an HTTP/1.0 request carries Transfer-Encoding:\n%s", head)
				}
				resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(head+"\r\n\r\n")), nil)
				if err != nil {
					t.Fatalf("reading the head: %v", err)
				}
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d, want 200", resp.StatusCode)
				}
				if body != want {
					t.Errorf("body %q, want %q (the connection's close ends it)", body, want)
				}
			})
		})
	}
}

// untilCloseCell is a cell on loopback that answers every request with
// body and no length, ending it by closing the connection. It returns its
// address.
func untilCloseCell(t *testing.T, body string) string {
	t.Helper()
	return rawServer(t, func(c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"+body)
	})
}
