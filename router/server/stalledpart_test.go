package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestStalledAnswerPassesOnWhatCame: when a cell goes quiet in the middle
// of its answer, the client gets, at once, all the cell sent before it
// paused, on every engine, however the answer is framed (a Content-Length
// far beyond what came, chunked, or ended by closing) and whether what
// came is more than the buffers on the way hold (64 KiB) or a few bytes:
// no engine keeps the last bytes in a buffer until more come, which for a
// cell that resumes late would delay them for as long as it pauses and
// for one that never does would leave them unsent until
// UpstreamIdleTimeout (an hour here) breaks the answer off.
func TestStalledAnswerPassesOnWhatCame(t *testing.T) {
	t.Parallel()
	chunk := func(p []byte) []byte { // p as one chunk
		return append(append([]byte(strconv.FormatInt(int64(len(p)), 16)+"\r\n"), p...), "\r\n"...)
	}
	framings := []struct {
		name  string
		head  string
		frame func(body []byte) []byte // the body's bytes on the wire
	}{
		{name: "content-length", head: "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n", frame: func(b []byte) []byte { return b }},
		{name: "chunked", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", frame: func(b []byte) []byte {
			return append(chunk(b[:len(b)/2]), chunk(b[len(b)/2:])...)
		}},
		{name: "close-delimited", head: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", frame: func(b []byte) []byte { return b }},
	}
	eachEngine(t, func(t *testing.T) {
		for _, part := range []int{64 << 10, 100} { // what the cell sends before it pauses
			for _, fr := range framings {
				t.Run(fmt.Sprintf("%s/%d_bytes", fr.name, part), func(t *testing.T) {
					t.Parallel()
					body := make([]byte, part)
					fillPattern(body, 0)
					testOver := make(chan struct{})
					cell := rawServer(t, func(c net.Conn, br *bufio.Reader) {
						if _, err := http.ReadRequest(br); err != nil {
							return
						}
						if _, err := io.WriteString(c, fr.head); err != nil {
							return
						}
						if _, err := c.Write(fr.frame(body)); err != nil {
							return
						}
						<-testOver // the rest never comes while the test reads
					})
					h := startRouter(t, oneCell("http://"+cell), func(c *Config) { c.UpstreamIdleTimeout = time.Hour })
					conn := sendRaw(t, h, "GET /stalls HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
					// The cell goes away before the router shuts down (the
					// cleanups run last first), so that the answer ends.
					t.Cleanup(func() { close(testOver) })
					// A guard against bytes held back: they would come an
					// hour later, when UpstreamIdleTimeout breaks the answer off.
					_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
					resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
					if err != nil {
						t.Fatalf("the answer's head did not come within 5 s: %v", err)
					}
					// resp.Body is not closed: that would read on to the
					// answer's end; the connection closes with the test.
					got := make([]byte, part)
					if n, err := io.ReadFull(resp.Body, got); err != nil {
						t.Fatalf("the client got %d of the %d bytes the cell sent before pausing, then nothing for 5 s: %v", n, part, err)
					}
					if !bytes.Equal(got, body) {
						t.Errorf("the client got other bytes than the cell sent")
					}
				})
			}
		}
	})
}
