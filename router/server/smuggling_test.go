package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// seenRequest is what a cell received.
type seenRequest struct {
	method, target, body, contentLength string
	transferEncoding                    []string
	header                              http.Header
	// incomplete: reading the body failed (the router broke the
	// request off); body is what arrived of it.
	incomplete bool
}

// recordingCell is a loopback cell that records every request it gets.
type recordingCell struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []seenRequest
	busy atomic.Int64 // requests being handled
}

func newRecordingCell(t testing.TB, h http.HandlerFunc) *recordingCell {
	t.Helper()
	c := &recordingCell{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		c.busy.Add(1)
		defer c.busy.Add(-1)
		b, err := io.ReadAll(r.Body)
		c.mu.Lock()
		c.seen = append(c.seen, seenRequest{method: r.Method, target: r.URL.RequestURI(), body: string(b), contentLength: r.Header.Get("Content-Length"), transferEncoding: r.TransferEncoding, header: r.Header.Clone(), incomplete: err != nil})
		c.mu.Unlock()
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *recordingCell) requests() []seenRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]seenRequest(nil), c.seen...)
}

// exchangeAll writes raw on a new connection and reads every answer until
// the router closes the connection or goes quiet.
func exchangeAll(t *testing.T, addr, raw string) []*http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	var out []*http.Response
	br := bufio.NewReader(conn)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return out
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		out = append(out, resp)
	}
}

// TestSmugglingDefences: requests whose framing or head is ambiguous are
// refused before anything reaches a cell, or reach it with one
// unambiguous framing; on both engines. Several cases are fasthttp's known
// parser issues (their numbers in its tracker): each must be refused by
// the fasthttp engine as by net/http's.
func TestSmugglingDefences(t *testing.T) {
	t.Parallel()
	const h = "Host: localhost\r\nX-Tenant-ID: acme\r\n"
	const smuggled = "GET /smuggled HTTP/1.1\r\n" + h + "\r\n"
	refused := func(t *testing.T, answers []*http.Response, seen []seenRequest) {
		t.Helper()
		if len(seen) != 0 {
			t.Errorf("the cell got %d requests (%+v), want none", len(seen), seen)
		}
		if len(answers) > 0 && answers[0].StatusCode < 400 {
			t.Errorf("answered %d, want a refusal (4xx/5xx) or no answer", answers[0].StatusCode)
		}
		for _, a := range answers[1:] {
			t.Errorf("a second answer (%d) on a refused connection", a.StatusCode)
		}
	}
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, answers []*http.Response, seen []seenRequest)
	}{
		{name: "Content-Length and Transfer-Encoding (fasthttp#1719)", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				// Transfer-Encoding frames the body (RFC 9112 §6.3): an empty
				// chunked body, forwarded without the Content-Length; the
				// request after it is at most a request of its own, never
				// part of a body.
				if len(seen) == 0 || seen[0].target != "/a" || seen[0].body != "" || seen[0].contentLength != "" {
					t.Fatalf("cell saw %+v, want POST /a with an empty body and no Content-Length", seen)
				}
				for _, r := range seen {
					if r.contentLength != "" && len(r.transferEncoding) > 0 {
						t.Errorf("forwarded with both Content-Length and Transfer-Encoding: %+v", r)
					}
				}
				if len(answers) == 0 || answers[0].StatusCode != 200 {
					t.Errorf("answers %v, want 200 first", answers)
				}
			}},
		{name: "Transfer-Encoding then Content-Length", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				for _, r := range seen {
					if r.contentLength != "" && len(r.transferEncoding) > 0 || strings.Contains(r.body, "smuggled") {
						t.Errorf("ambiguous request forwarded: %+v", r)
					}
				}
				if len(seen) == 0 || seen[0].body != "" {
					t.Errorf("cell saw %+v, want POST /a with an empty body first", seen)
				}
			}},
		{name: "two different Content-Lengths", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length: 4\r\nContent-Length: 40\r\n\r\nabcd" + smuggled, check: refused},
		{name: "Content-Length list", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length: 4, 4\r\n\r\nabcd", check: refused},
		{name: "signed Content-Length", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length: +4\r\n\r\nabcd", check: refused},
		{name: "whitespace before the colon of Content-Length (fasthttp#2187)", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length : 4\r\n\r\nabcd", check: refused},
		{name: "whitespace before the colon of Transfer-Encoding (fasthttp#2187)", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", check: refused},
		{name: "whitespace before the first header line (fasthttp#1974)", raw: "GET /a HTTP/1.1\r\n  X-Lead: x\r\n" + h + "\r\n", check: refused},
		{name: "CR in a header name (fasthttp#1785)", raw: "GET /a HTTP/1.1\r\n" + h + "\rX-A: b\r\n\r\n", check: refused},
		{name: "bare CR in a header value (fasthttp#1794)", raw: "GET /a HTTP/1.1\r\n" + h + "X-A: b\rc\r\n\r\n", check: refused},
		{name: "NUL in a header value (fasthttp#1794)", raw: "GET /a HTTP/1.1\r\n" + h + "X-A: b\x00c\r\n\r\n", check: refused},
		{name: "space inside a header name", raw: "GET /a HTTP/1.1\r\n" + h + "X a: b\r\n\r\n" + smuggled, check: refused},
		{name: "tab inside a header name", raw: "GET /a HTTP/1.1\r\n" + h + "Content-Length\tx: 4\r\n\r\n" + smuggled, check: refused},
		{name: "invalid character in a header name", raw: "GET /a HTTP/1.1\r\n" + h + "X(A): b\r\n\r\n", check: refused},
		{name: "invalid method (fasthttp#1803)", raw: "G(T /a HTTP/1.1\r\n" + h + "\r\n", check: refused},
		{name: "two Host headers", raw: "GET /a HTTP/1.1\r\n" + h + "Host: other\r\n\r\n", check: refused},
		{name: "unknown transfer coding", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: xchunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", check: refused},
		{name: "chunked not last", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", check: refused},
		{name: "Transfer-Encoding twice", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", check: refused},
		{name: "obs-fold is unfolded, never forwarded", raw: "GET /a HTTP/1.1\r\n" + h + "X-Folded: a\r\n b\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				for _, r := range seen {
					for k, vs := range r.header {
						for _, v := range vs {
							if strings.ContainsAny(k+v, "\r\n") {
								t.Errorf("forwarded header %q: %q", k, v)
							}
						}
					}
				}
				if len(answers) > 0 && answers[0].StatusCode != 200 && answers[0].StatusCode != 400 {
					t.Errorf("answered %d, want 200 (unfolded) or 400 (refused)", answers[0].StatusCode)
				}
			}},
		{name: "absolute-form target names another host", raw: "GET http://evil.example/a HTTP/1.1\r\n" + h + "\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				// The target's authority wins over the Host header (RFC 9112
				// §3.2.2), for tenant resolution and X-Forwarded-Host alike.
				if len(seen) != 1 || seen[0].target != "/a" || seen[0].header.Get("X-Forwarded-Host") != "evil.example" {
					t.Errorf("cell saw %+v, want GET /a with X-Forwarded-Host evil.example", seen)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				cell := newRecordingCell(t, nil)
				c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "r", Endpoint: cell.srv.URL, HealthURL: cell.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
				rh := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
				answers := exchangeAll(t, hostOf(rh.url), tt.raw)
				tt.check(t, answers, cell.requests())
			})
		})
	}
}

// TestBadChunkedBody: a malformed chunked body is the client's fault on
// both engines (400 bad_request_body), whatever part of it reached the
// cell.
func TestBadChunkedBody(t *testing.T) {
	t.Parallel()
	const head = "POST /a HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: chunked\r\n\r\n"
	tests := []struct{ name, body string }{
		{name: "hex prefix", body: "0x4\r\nabcd\r\n0\r\n\r\n"},
		{name: "chunk size too large", body: "ffffffffffffffffff\r\nabcd\r\n0\r\n\r\n"},
		{name: "bare LF line ends", body: "4\nabcd\n0\n\n"},
		{name: "no CRLF after the data", body: "4\r\nabcdXX0\r\n\r\n"},
		// A CR before a chunk line's end: net/http refuses it, and read
		// as part of the line it let the last chunk's "trailers" swallow
		// a pipelined request (found by FuzzEnginesAgree).
		{name: "bare CR in a chunk extension", body: "0;a\rb\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{name: "bare CR in a chunk size line", body: "4\r0\r\nabcd\r\n0\r\n\r\n"},
		// Trailer lines net/http refuses (evloop skipped any line: the
		// first took a pipelined request line for a trailer, found by
		// FuzzEnginesAgree).
		{name: "trailer line without a colon", body: "0\r\nGET /smuggled HTTP/1.1\r\n\r\n"},
		{name: "trailer name with a space", body: "0\r\nX a: b\r\n\r\n"},
		{name: "control byte in a trailer", body: "0\r\nX-A: b\x01c\r\n\r\n"},
		{name: "trailer section starting folded", body: "0\r\n X-A: b\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				cell := newRecordingCell(t, nil)
				c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "r", Endpoint: cell.srv.URL, HealthURL: cell.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
				rh := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
				answers := exchangeAll(t, hostOf(rh.url), head+tt.body)
				if len(answers) != 1 || answers[0].StatusCode != 400 {
					t.Fatalf("answers %v, want one 400; the cell got %+v", statuses(answers), cell.requests())
				}
				if b, _ := io.ReadAll(answers[0].Body); !strings.Contains(string(b), `"bad_request_body"`) {
					t.Errorf("body %s, want reason bad_request_body", b)
				}
			})
		})
	}
}

// TestCellTrailers: a cell's chunked answer with trailers is passed on
// (fasthttp#1078), and a trailer holding a bare CR injects no header into
// the client's answer (fasthttp#2301).
func TestCellTrailers(t *testing.T) {
	t.Parallel()
	raw := func(trailer string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			conn, bw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			bw.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\n" + trailer + "\r\n")
			bw.Flush()
		}
	}
	tests := []struct{ name, trailer string }{
		{name: "declared trailer", trailer: "X-Sum: 5\r\n"},
		{name: "trailer with a bare CR", trailer: "X-Sneaky: a\rInjected: yes\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				cell := newRecordingCell(t, raw(tt.trailer))
				c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "r", Endpoint: cell.srv.URL, HealthURL: cell.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
				rh := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
				answers := exchangeAll(t, hostOf(rh.url), "GET /a HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nConnection: close\r\n\r\n")
				if len(answers) != 1 {
					t.Fatalf("%d answers, want 1", len(answers))
				}
				a := answers[0]
				b, _ := io.ReadAll(a.Body)
				if a.Header.Get("Injected") != "" || a.Trailer.Get("Injected") != "" {
					t.Errorf("a trailer injected a header: %v %v", a.Header, a.Trailer)
				}
				// The answer is the cell's body, or, where the trailer is
				// refused, an error; never a 200 with a truncated body.
				if a.StatusCode == 200 && string(b) != "hello" {
					t.Errorf("200 with body %q, want hello", b)
				}
				if tt.name == "declared trailer" && a.StatusCode != 200 {
					t.Errorf("answered %d %s, want 200", a.StatusCode, b)
				}
			})
		})
	}
}

// TestChunkedTrailersBounded: the trailer section of a chunked request
// body is bounded as net/http bounds it (what its reader buffers, 4 KiB):
// a client cannot stream trailer lines without end, outside MaxBodyBytes.
// The request is refused as a malformed body.
func TestChunkedTrailersBounded(t *testing.T) {
	t.Parallel()
	const head = "POST /a HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: chunked\r\n\r\n"
	body := "4\r\nabcd\r\n0\r\n" + strings.Repeat("X-T: "+strings.Repeat("t", 90)+"\r\n", 2000) + "\r\n" // 190 KiB of trailers
	eachEngine(t, func(t *testing.T) {
		cell := newRecordingCell(t, nil)
		c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "r", Endpoint: cell.srv.URL, HealthURL: cell.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
		rh := startRouter(t, registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(c *Config) { c.MaxBodyBytes = 64 << 10 })
		// (net/http's server goes on to read the rest of the trailers as
		// requests: only the first answer is the request's.)
		answers := exchangeAll(t, hostOf(rh.url), head+body)
		if len(answers) == 0 || answers[0].StatusCode != 400 {
			status := 0
			if len(answers) > 0 {
				status = answers[0].StatusCode
			}
			t.Fatalf("%d answers, the first %d; want a 400 first", len(answers), status)
		}
		if b, _ := io.ReadAll(answers[0].Body); !strings.Contains(string(b), `"bad_request_body"`) {
			t.Errorf("body %s, want reason bad_request_body", b)
		}
	})
}
