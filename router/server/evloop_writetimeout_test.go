//go:build linux

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

// pacedReader reads at most max bytes at a time and pauses after each
// read until until: a client that reads steadily, then at full speed.
type pacedReader struct {
	r     io.Reader
	max   int
	pause time.Duration
	until time.Time
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if time.Now().After(p.until) {
		return p.r.Read(b)
	}
	n, err := p.r.Read(b[:min(len(b), p.max)])
	time.Sleep(p.pause) // paces the client; asserts nothing
	return n, err
}

// TestEvLoopWriteTimeoutSparesAClientReadingSteadily: on the event-loop
// engine, WriteTimeout cuts a client that takes nothing of what waits
// for it for that long, and never one that keeps reading, however long
// it reads in all: the count starts again whenever the client takes
// some, and does not carry over from one answer to the next. (The
// engine counted from when bytes first waited for the client, so one
// that never quite caught up was cut a WriteTimeout after its first
// answer, in the middle of a later one.) The same holds for the last
// answers of a connection that closes after them.
//
// The client pipelines many small answers, 7.5 MiB in all: more than the
// kernel's buffers hold, so part of them waits in the router all along
// (answers asked for one by one would leave it only the slow lane's
// little, which the kernel takes whenever the client has read enough to
// free a third of its buffer; the old count would then seldom have
// lasted a whole WriteTimeout). It reads them at about 1 MiB/s, each
// answer in about a sixtieth of the timeout, for 2.5 timeouts. net/http
// and fasthttp are not held to this: their WriteTimeout is a write
// deadline per answer, and a write there waits until the kernel's
// buffer has a third free, which at this pace can take longer than the
// timeout.
func TestEvLoopWriteTimeoutSparesAClientReadingSteadily(t *testing.T) {
	t.Parallel()
	const (
		writeTimeout = time.Second
		size         = 16 << 10 // one answer: whole in one read of the router's
		answers      = 480      // 7.5 MiB in all: under evMaxOutbound, whatever the kernel buffers
	)
	tests := []struct {
		name string
		// closing: the last request asks to close the connection, so
		// the answers left once it is answered are sent from a
		// connection closed meanwhile.
		closing bool
		// pauseAt: the client stops reading after that many answers
		// for three timeouts, and must be cut (0: it does not stop).
		pauseAt int
	}{
		{name: "keep-alive"},
		{name: "closing after the last answer", closing: true},
		{name: "client stops reading", pauseAt: 40},
	}
	body := make([]byte, size)
	fillPattern(body, 0)
	answer := append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)), body...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := rawServer(t, func(c net.Conn, br *bufio.Reader) {
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_ = req.Body.Close()
					if _, err := c.Write(answer); err != nil { // one write: one segment
						return
					}
				}
			})
			h := startRouter(t, oneCell("http://"+addr), func(c *Config) { c.Engine, c.WriteTimeout = EngineEvLoop, writeTimeout })
			reqs := strings.Repeat("GET /p HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n", answers-1) + "GET /p HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n"
			if tt.closing {
				reqs += "Connection: close\r\n"
			}
			conn := sendRaw(t, h, reqs+"\r\n")
			start := time.Now()
			// 16 KiB every 16 ms: about 1 MiB/s, an answer in about a
			// sixtieth of the timeout; steadily for 2.5 timeouts, then
			// as fast as it can.
			br := bufio.NewReaderSize(&pacedReader{r: conn, max: 16 << 10, pause: 16 * time.Millisecond, until: start.Add(5 * writeTimeout / 2)}, 16<<10)
			for i := range answers {
				if i > 0 && i == tt.pauseAt {
					time.Sleep(3 * writeTimeout) // sets up the condition
				}
				resp, err := http.ReadResponse(br, nil)
				if err == nil {
					var got []byte
					got, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && (resp.StatusCode != http.StatusOK || !bytes.Equal(got, body)) {
						t.Fatalf("answer %d of %d: %d, %d of %d bytes; want 200 and the whole body", i+1, answers, resp.StatusCode, len(got), size)
					}
				}
				switch {
				case err != nil && tt.pauseAt > 0:
					return // cut, as it should be
				case err != nil:
					t.Fatalf("answer %d of %d (read %v after the first was asked for; a cut connection shows once the kernel's buffers are read): %v; want every answer to a client that keeps reading (WriteTimeout %v)", i+1, answers, time.Since(start).Round(time.Millisecond), err, writeTimeout)
				}
			}
			if tt.pauseAt > 0 {
				t.Errorf("the client got all %d answers after it read nothing for three times WriteTimeout (%v); want it cut", answers, writeTimeout)
			}
		})
	}
}
