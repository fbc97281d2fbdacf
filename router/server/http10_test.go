package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/health"
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

// TestShutdownWaitsForUnframedAnswer: a graceful shutdown waits, up to
// ShutdownTimeout, for the answers still going to their clients, and
// says so when one is still going at the timeout, whatever the client's
// version: an HTTP/1.0 client's answer without a length (unframed, ended
// by the connection's close) is an answer in flight like a chunked one.
func TestShutdownWaitsForUnframedAnswer(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{"HTTP/1.1", "HTTP/1.0"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				release := make(chan struct{})
				cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// No length: chunked to the router.
					_, _ = io.WriteString(w, "first part, ")
					w.(http.Flusher).Flush()
					<-release
					_, _ = io.WriteString(w, "second part")
				}))
				t.Cleanup(cell.Close)
				t.Cleanup(func() { close(release) }) // before the cell closes
				c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: cell.URL, Weight: 100, State: fabric.CellActive}
				h := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) {
					c.ShutdownTimeout = 300 * time.Millisecond
				})
				conn := sendRaw(t, h, "GET /stream "+proto+"\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
				br := bufio.NewReader(conn)
				var got []byte
				for !strings.Contains(string(got), "first part") {
					b, err := br.ReadByte()
					if err != nil {
						t.Fatalf("reading the answer's start: %v (read %q)", err, got)
					}
					got = append(got, b)
				}
				if err := h.stop(t); err == nil {
					t.Errorf("Serve returned nil with an answer still going to its %s client after the shutdown timeout; want an error saying so", proto)
				}
			})
		})
	}
}

// TestHTTP10KeepAliveAnswered: an HTTP/1.0 client that asks to keep its
// connection (Connection: keep-alive) is told, in each answer with a
// length, that it is kept: HTTP/1.0 persists a connection only when the
// answer says keep-alive (RFC 9112 §9.3, §C.2.2), and a client such as
// ApacheBench's -k otherwise reads until the connection closes, which
// the router does only after IdleTimeout. The cell's answers and the
// router's own refusals alike, and the next request on the connection
// is served.
func TestHTTP10KeepAliveAnswered(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		conn, err := net.Dial("tcp", hostOf(h.url))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
		br := bufio.NewReader(conn)
		for i, tenantID := range []string{"acme", "nobody", "acme"} {
			req := "GET /keep HTTP/1.0\r\nHost: x\r\nX-Tenant-ID: " + tenantID + "\r\nConnection: keep-alive\r\n\r\n"
			if _, err := conn.Write([]byte(req)); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("request %d (tenant %s): reading the answer: %v", i, tenantID, err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("request %d: reading the body: %v", i, err)
			}
			if tenantID == "acme" && resp.StatusCode != http.StatusOK {
				t.Errorf("request %d: status %d, want 200", i, resp.StatusCode)
			}
			if resp.ContentLength < 0 {
				t.Fatalf("request %d: an answer without a length; this test wants one", i)
			}
			if !strings.EqualFold(resp.Header.Get("Connection"), "keep-alive") {
				t.Errorf("request %d (tenant %s, status %d): Connection %q, want keep-alive: an HTTP/1.0 client takes the connection as closing otherwise", i, tenantID, resp.StatusCode, resp.Header.Get("Connection"))
			}
		}
	})
}

// TestHTTP10HijackSkippedReleasesCell: the cell's connection that carries
// an HTTP/1.0 client's unframed answer is released when the client is
// gone before that answer starts, and the shutdown after it is clean.
// The client pipelines a keep-alive request and an HTTP/1.0 one, then
// resets its connection while the cell holds the second answer back:
// the first answer is still in the router's write buffer (held for the
// pipelined request), and writing it fails. fasthttp then ends the
// connection without running the hijack handler its engine set to send
// the unframed answer (server.go: the flush before the hijack), so the
// cell's answer, handed to that handler, must be released elsewhere.
// The cell keeps sending until its connection closes or the guard ends.
func TestHTTP10HijackSkippedReleasesCell(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		bareAsked := make(chan struct{})
		var asked sync.Once
		clientGone := make(chan struct{})
		cellSaw := make(chan error, 1)
		cell := rawServer(t, func(c net.Conn, br *bufio.Reader) {
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if req.URL.Path != "/bare" {
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					continue
				}
				asked.Do(func() { close(bareAsked) })
				<-clientGone
				cellSaw <- streamUntilClosed(c, br, 10*time.Second)
				return
			}
		})
		h := startRouter(t, oneCell("http://"+cell), func(c *Config) {
			c.ShutdownTimeout = 5 * time.Second
		})
		conn := sendRaw(t, h, "GET /first HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"+
			"GET /bare HTTP/1.0\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
		select {
		case <-bareAsked:
		case <-time.After(10 * time.Second): // a guard against a hang
			t.Fatal("the pipelined HTTP/1.0 request never reached the cell")
		}
		// A reset, not a close: the router's next write to the client
		// fails at once.
		if err := conn.(*net.TCPConn).SetLinger(0); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close()
		close(clientGone)
		if err := <-cellSaw; err != nil {
			t.Errorf("the cell's connection for the answer to a client that left: %v; want it closed by the router", err)
		}
		if err := h.stop(t); err != nil {
			t.Errorf("Serve after the client left: %v; want a clean shutdown (nothing is in flight)", err)
		}
	})
}

// streamUntilClosed answers on a cell's connection with a chunked body
// that goes on until the router closes the connection (a read or a write
// meets its end), which it reports as nil; an error if the connection is
// still open after guard.
func streamUntilClosed(c net.Conn, br *bufio.Reader, guard time.Duration) error {
	end := time.Now().Add(guard)
	_ = c.SetWriteDeadline(end)
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
		return closedOrNot(err)
	}
	for time.Now().Before(end) {
		if _, err := io.WriteString(c, "5\r\npart \r\n"); err != nil {
			return closedOrNot(err)
		}
		// A short read between chunks: what the router does with the
		// connection shows as its end (EOF or a reset).
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := br.ReadByte(); err == nil {
			return errors.New("the router sent bytes on the answer's connection")
		} else if !isTimeout(err) {
			return nil
		}
	}
	return fmt.Errorf("still open %v after the answer began", guard)
}

// closedOrNot is nil for an error that says the peer closed the
// connection, else the error.
func closedOrNot(err error) error {
	if isTimeout(err) {
		return fmt.Errorf("still open: %w", err)
	}
	return nil
}

// TestHTTP10CutAnswerResets: an answer to an HTTP/1.0 client whose body
// has no length ends where the router closes the client's connection, so
// a clean close says the answer is whole. When the cell breaks that
// answer off in the middle (a reset), every engine ends the client's
// connection with a reset instead: the client reads an error, not an end.
// An answer the cell ends cleanly still ends with a clean close, every
// byte there.
func TestHTTP10CutAnswerResets(t *testing.T) {
	t.Parallel()
	const start, end = "the start of the answer, ", "and its end"
	for _, tc := range []struct {
		name string
		cut  bool
		// head and tail frame start in the cut cell's answer.
		head, tail string
	}{
		{name: "close-delimited, whole"},
		{name: "close-delimited, cut", cut: true, head: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"},
		{name: "chunked, cut", cut: true, head: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n", len(start)), tail: "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				crash := make(chan struct{})
				crashOnce := sync.OnceFunc(func() { close(crash) })
				defer crashOnce()
				endpoint := "http://" + untilCloseCell(t, start+end)
				if tc.cut {
					endpoint = rawCell(t, tc.head+start+tc.tail, crash).Endpoint
				}
				h := startRouter(t, oneCell(endpoint), nil)
				body := http10AnswerStart(t, h, start)
				crashOnce() // the client has the start: now a cut cell crashes
				rest, err := io.ReadAll(body)
				switch {
				case tc.cut && !errors.Is(err, syscall.ECONNRESET):
					t.Errorf("the cell broke its answer off after %q; the client read %q more, then %v; want a connection reset (a clean end reads as the whole answer)", start, rest, err)
				case !tc.cut && (err != nil || string(rest) != end):
					t.Errorf("after %q the client read %q, then %v; want %q and a clean end", start, rest, err, end)
				}
			})
		})
	}
}

// http10AnswerStart asks h for acme's /stream as an HTTP/1.0 client and
// reads the answer's head and its first len(start) bytes, which must be
// start, of a 200 without a length (unframed: it ends where the
// connection does). It returns the rest of the body, read under a guard
// deadline.
func http10AnswerStart(t *testing.T, h *harness, start string) io.Reader {
	t.Helper()
	conn := sendRaw(t, h, "GET /stream HTTP/1.0\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer's head: %v", err)
	}
	got := make([]byte, len(start))
	if _, err := io.ReadFull(resp.Body, got); err != nil || resp.StatusCode != http.StatusOK || resp.ContentLength != -1 || string(got) != start {
		t.Fatalf("%d, length %d, body start %q (%v); want 200 without a length and %q", resp.StatusCode, resp.ContentLength, got, err, start)
	}
	return resp.Body
}

// TestHTTP10RouterErrorAfterCutDrainEndsCleanly: the router's own error
// answer to an HTTP/1.0 client ends with a clean close, even when the
// answer of an earlier attempt, dropped for the next cell, broke off
// while it was drained. Cell A answers 503 and resets in the middle of
// its body; by then the retry was decided and cell B goes down, so no
// attempt is left and the router answers 502 itself. That answer is
// unframed to an HTTP/1.0 client and whole: a reset would read as an
// answer cut short (cutanswer.go is for cells' answers only).
func TestHTTP10RouterErrorAfterCutDrainEndsCleanly(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		bDown := make(chan struct{})
		downOnce := sync.OnceFunc(func() { close(bDown) })
		defer downOnce()
		a := rawCell(t, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\nthe start of a 503", bDown)
		b := newTestCell(t, "cell-b", "gcp")
		retrying := make(chan struct{})
		var once sync.Once
		h := startRouter(t, registry(1, []router.Cell{a, b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), func(c *Config) {
			c.Logger = slog.New(logHook{Handler: slog.DiscardHandler, msg: "retrying on the next cell", fn: func() { once.Do(func() { close(retrying) }) }})
		})
		conn := sendRaw(t, h, "GET /x HTTP/1.0\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
		select {
		case <-retrying:
		case <-time.After(10 * time.Second): // a guard against a hang
			t.Fatal("the router never decided to retry cell-a's 503")
		}
		h.rt.Health().SetOverride("cell-b", health.OverrideDown)
		downOnce() // cell A resets in the middle of the 503's body
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		raw, err := io.ReadAll(conn)
		if err != nil {
			t.Fatalf("the router's own answer ended with %v after %q; want a clean close", err, raw)
		}
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(raw))), nil)
		if err != nil {
			t.Fatalf("reading %q: %v", raw, err)
		}
		if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("X-Cell-ID") != "" {
			t.Errorf("status %d from cell %q, want the router's 502: %q", resp.StatusCode, resp.Header.Get("X-Cell-ID"), raw)
		}
	})
}

// logHook is a slog.Handler that calls fn on each record whose message
// is msg, whatever its level, then passes it on.
type logHook struct {
	slog.Handler
	msg string
	fn  func()
}

func (l logHook) Enabled(context.Context, slog.Level) bool { return true }

func (l logHook) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == l.msg {
		l.fn()
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHook) WithAttrs(attrs []slog.Attr) slog.Handler {
	l.Handler = l.Handler.WithAttrs(attrs)
	return l
}

func (l logHook) WithGroup(name string) slog.Handler {
	l.Handler = l.Handler.WithGroup(name)
	return l
}
