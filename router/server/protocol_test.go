package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// scriptedCell is a loopback cell that answers each request on a
// connection with the raw answer its path names in answers (after
// reading the request's body), or "ok" for any other path, and keeps
// the connection until an answer says Connection: close.
func scriptedCell(t *testing.T, answers map[string]string) string {
	t.Helper()
	return rawServer(t, func(c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			a, ok := answers[req.URL.Path]
			if !ok {
				a = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
			}
			if _, err := io.WriteString(c, a); err != nil {
				return
			}
			if strings.Contains(a, "Connection: close\r\n") {
				return
			}
		}
	})
}

// exchange is one request on a client connection: raw written, the
// answer read (interim 1xx answers collected apart), and its body read
// whole or up to the error that broke it.
type exchanged struct {
	interim []int
	resp    *http.Response
	body    string
	err     error // reading the head
	bodyErr error // reading the body
}

func exchangeOn(conn net.Conn, br *bufio.Reader, method, raw string) exchanged {
	var x exchanged
	if _, err := io.WriteString(conn, raw); err != nil {
		x.err = err
		return x
	}
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			x.err = err
			return x
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 {
			x.interim = append(x.interim, resp.StatusCode)
			continue
		}
		x.resp = resp
		b, err := io.ReadAll(resp.Body)
		x.body, x.bodyErr = string(b), err
		return x
	}
}

// TestCellAnswerFraming: answers whose framing is unusual or broken are
// passed on framed right, or refused (502) or cut (the client's
// connection closed), and never leave bytes on the client's connection
// that it would read as the next answer: after each, the same
// connection's next request gets its own answer, or the connection is
// closed. The next request may go to the same cell connection: bytes the
// cell sent beyond its answer must not be read as the next answer.
func TestCellAnswerFraming(t *testing.T) {
	t.Parallel()
	const smuggled = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
	tests := []struct {
		name   string
		method string
		answer string // the cell's raw answer
		// keep: the client's connection must carry the next request.
		keep  bool
		check func(t *testing.T, x exchanged)
	}{
		{name: "HEAD answer with Content-Length", method: "HEAD", keep: true,
			answer: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
			check:  wantAnswer(200, "")},
		{name: "HEAD answer with Transfer-Encoding", method: "HEAD", keep: true,
			answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
			check:  wantAnswer(200, "")},
		{name: "HEAD answer with a body anyway", method: "HEAD",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
			check:  wantAnswer(200, "")},
		{name: "204 with Content-Length and stray bytes", method: "GET",
			answer: "HTTP/1.1 204 No Content\r\nContent-Length: 8\r\n\r\n" + smuggled,
			check:  wantAnswer(204, "")},
		{name: "304 with Content-Length", method: "GET", keep: true,
			answer: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
			check:  wantAnswer(304, "")},
		{name: "103 Early Hints then the answer", method: "GET", keep: true,
			answer: "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			check:  wantInterim(200, "hello", 103)},
		{name: "100 Continue not asked for", method: "GET", keep: true,
			answer: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			check:  wantInterim(200, "hello", 100)},
		{name: "1xx then a chunked answer", method: "GET", keep: true,
			answer: "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			check:  wantInterim(200, "hello", 102, 103)},
		{name: "Content-Length and Transfer-Encoding", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			// Transfer-Encoding wins (RFC 9112 §6.3), or the answer is refused.
			check: wantOneOf(answerIs(200, "hello"), answerIs(502, ""))},
		{name: "two different Content-Lengths", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
			check:  wantOneOf(answerIs(502, ""))},
		{name: "signed Content-Length", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
			check:  wantOneOf(answerIs(502, ""))},
		{name: "negative Content-Length", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello",
			check:  wantOneOf(answerIs(502, ""))},
		{name: "Content-Length with inner space", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: 1 5\r\n\r\nhello",
			check:  wantOneOf(answerIs(502, ""))},
		{name: "huge Content-Length", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nhello",
			check:  wantOneOf(answerIs(502, ""))},
		{name: "Content-Length list", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
			check:  wantOneOf(answerIs(502, ""), answerIs(200, "hello"))},
		{name: "gzip, chunked answer", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			check:  wantOneOf(answerIs(502, ""), answerIs(200, "hello"))},
		{name: "chunk extensions", method: "GET", keep: true,
			answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0;last\r\n\r\n",
			check:  wantAnswer(200, "hello")},
		{name: "trailers on a kept connection", method: "GET", keep: true,
			answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\nX-More: 1\r\n\r\n",
			check:  wantAnswer(200, "hello")},
		{name: "invalid chunk size", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n",
			check:  wantBroken},
		{name: "chunk longer than its size", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
			check:  wantBroken},
		{name: "hop-by-hop headers named in the cell's Connection", method: "GET", keep: true,
			answer: "HTTP/1.1 200 OK\r\nConnection: X-Hop-A\r\nConnection: X-Hop-B, keep-alive\r\nX-Hop-A: 1\r\nX-Hop-B: 2\r\nContent-Length: 5\r\n\r\nhello",
			check: func(t *testing.T, x exchanged) {
				wantAnswer(200, "hello")(t, x)
				if x.resp != nil && (x.resp.Header.Get("X-Hop-A") != "" || x.resp.Header.Get("X-Hop-B") != "") {
					t.Errorf("hop-by-hop headers passed on: %v", x.resp.Header)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				addr := scriptedCell(t, map[string]string{"/edge": tt.answer})
				h := startRouter(t, oneCell("http://"+addr), nil)
				conn := sendRaw(t, h, "")
				br := bufio.NewReader(conn)
				x := exchangeOn(conn, br, tt.method, tt.method+" /edge HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
				tt.check(t, x)
				if x.err != nil || x.bodyErr != nil {
					return // the connection is broken off: nothing follows
				}
				next := exchangeOn(conn, br, "GET", "GET /next HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
				switch {
				case next.err == nil && next.resp.StatusCode == 200 && next.body == "ok":
				case next.err != nil && !tt.keep:
					// The router closed the connection after a broken answer.
				default:
					status := 0
					if next.resp != nil {
						status = next.resp.StatusCode
					}
					t.Errorf("the next request on the connection: %d %q (%v); want 200 \"ok\"", status, next.body, next.err)
				}
			})
		})
	}
}

// answerIs matches a whole answer of status with body (any body for
// status 502, the router's own).
func answerIs(status int, body string) func(x exchanged) bool {
	return func(x exchanged) bool {
		if x.err != nil || x.bodyErr != nil || x.resp.StatusCode != status {
			return false
		}
		return status == http.StatusBadGateway || x.body == body
	}
}

func wantOneOf(ok ...func(x exchanged) bool) func(t *testing.T, x exchanged) {
	return func(t *testing.T, x exchanged) {
		t.Helper()
		for _, f := range ok {
			if f(x) {
				return
			}
		}
		t.Errorf("answer %s: not one of those allowed", describe(x))
	}
}

func wantAnswer(status int, body string) func(t *testing.T, x exchanged) {
	return wantOneOf(answerIs(status, body))
}

// wantInterim is wantAnswer after the interim answers the engine passes
// on: net/http's ReverseProxy passes the cell's 1xx answers on (interim),
// the fasthttp and evloop engines drop them (engine.go), which RFC 9110
// §15.2 allows a proxy that did not ask for them.
func wantInterim(status int, body string, interim ...int) func(t *testing.T, x exchanged) {
	return func(t *testing.T, x exchanged) {
		t.Helper()
		wantAnswer(status, body)(t, x)
		if engineOf(t) != EngineNetHTTP {
			interim = nil
		}
		if !slices.Equal(x.interim, interim) {
			t.Errorf("interim answers %v, want %v", x.interim, interim)
		}
	}
}

// wantBroken: the answer is refused (502) or its body broken off (a
// read error), never read as whole, nor lost: a connection closed
// without any answer leaves the client nothing to tell a cell's broken
// answer from a router that went away.
func wantBroken(t *testing.T, x exchanged) {
	t.Helper()
	if x.err != nil {
		t.Errorf("no answer (%v); want a 502 or the answer's head with its body broken off", x.err)
		return
	}
	if x.bodyErr == nil && x.resp.StatusCode != http.StatusBadGateway {
		t.Errorf("answer %s read as whole; want a 502 or a body broken off", describe(x))
	}
}

func describe(x exchanged) string {
	if x.err != nil {
		return "head error: " + x.err.Error()
	}
	s := x.resp.Status + " " + strings.ReplaceAll(strings.TrimSpace(x.body), "\n", " ")
	if x.bodyErr != nil {
		s += " (body: " + x.bodyErr.Error() + ")"
	}
	return s
}

// TestClientRequestEdges: requests at the edges of HTTP/1.1's rules are
// answered as RFC 9110/9112 say, the same on every engine, and nothing
// the client's framing does not send as a request reaches the cell.
func TestClientRequestEdges(t *testing.T) {
	t.Parallel()
	const h = "Host: localhost\r\nX-Tenant-ID: acme\r\n"
	const smuggled = "GET /smuggled HTTP/1.1\r\n" + h + "\r\n"
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, answers []*http.Response, seen []seenRequest)
	}{
		{name: "Connection: close, then more bytes", raw: "GET /a HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a")
			}},
		{name: "hop-by-hop headers named in the client's Connection headers",
			raw: "GET /a HTTP/1.1\r\n" + h + "Connection: X-Hop-A\r\nConnection: X-Hop-B, keep-alive\r\nX-Hop-A: 1\r\nX-Hop-B: 2\r\n\r\n" + "GET /b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200, 200)
				wantTargets(t, seen, "/a", "/b")
				if len(seen) > 0 && (seen[0].header.Get("X-Hop-A") != "" || seen[0].header.Get("X-Hop-B") != "") {
					t.Errorf("hop-by-hop headers reached the cell: %v", seen[0].header)
				}
			}},
		{name: "hop-by-hop header named beside close",
			raw: "GET /a HTTP/1.1\r\n" + h + "Connection: close, X-Hop\r\nX-Hop: 1\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a")
				if len(seen) == 1 && seen[0].header.Get("X-Hop") != "" {
					t.Errorf("hop-by-hop header reached the cell: %v", seen[0].header)
				}
			}},
		{name: "Transfer-Encoding: gzip, chunked", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n" + "4\r\nabcd\r\n0\r\n\r\n" + smuggled,
			// Not a coding the router decodes: refused (400 or 501), the
			// connection closed (what follows is not readable as requests).
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if len(answers) != 1 || (answers[0].StatusCode != 400 && answers[0].StatusCode != 501) {
					t.Errorf("answers %v, want one 400 or 501", statuses(answers))
				}
				wantTargets(t, seen)
			}},
		{name: "Transfer-Encoding: identity", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\n" + smuggled,
			// identity is no transfer coding any more (RFC 9112 §7): an
			// unknown one, refused (501, as net/http answers it), the
			// connection closed. Read as no body, what follows would be
			// served as a request the client's framing did not send.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if len(answers) != 1 || (answers[0].StatusCode != 400 && answers[0].StatusCode != 501) {
					t.Errorf("answers %v, want one 400 or 501", statuses(answers))
				}
				wantTargets(t, seen)
			}},
		{name: "Transfer-Encoding: identity with Content-Length", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\nContent-Length: 4\r\n\r\nabcd" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if len(answers) != 1 || (answers[0].StatusCode != 400 && answers[0].StatusCode != 501) {
					t.Errorf("answers %v, want one 400 or 501", statuses(answers))
				}
				wantTargets(t, seen)
			}},
		{name: "HTTP/1.1 without Host", raw: "GET /a HTTP/1.1\r\nX-Tenant-ID: acme\r\n\r\n",
			// RFC 9112 §3.2: a server must answer 400.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "Host with a space", raw: "GET /a HTTP/1.1\r\nHost: a b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
			// An invalid Host value is answered 400, the connection closed
			// (RFC 9112 §3.2), never forwarded as X-Forwarded-Host.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "Host with a slash", raw: "GET /a HTTP/1.1\r\nHost: a/b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "HTTP/1.0 without Host", raw: "GET /a HTTP/1.0\r\nX-Tenant-ID: acme\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a")
			}},
		{name: "absolute-form target", raw: "GET http://localhost/a?q=1 HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a?q=1")
			}},
		{name: "target with a fragment", raw: "GET /a#frag HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			// A target has no fragment (RFC 9112 §3.2): every engine, as
			// net/http's server, reads '#' as part of the path, so the cell
			// gets it escaped, never a path cut at '#' that the client
			// did not send.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200)
				wantTargets(t, seen, "/a%23frag")
			}},
		{name: "target with a bare space", raw: "GET /a b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 400)
				wantTargets(t, seen)
			}},
		{name: "chunked body with trailers", raw: "POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n" + "GET /b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200, 200)
				wantTargets(t, seen, "/a", "/b")
				if len(seen) > 0 && seen[0].body != "hello" {
					t.Errorf("the cell got body %q, want hello", seen[0].body)
				}
			}},
		{name: "Expect: 100-continue from an HTTP/1.0 client", raw: "POST /a HTTP/1.0\r\n" + h + "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\nhello" + "GET /b HTTP/1.0\r\n" + h + "\r\n",
			// HTTP/1.0 has no 1xx: a server must not send one to it, and
			// ignores the expectation (RFC 9110 §10.1.1, §15.2). The client
			// would take a 100 for its answer, and every answer after it
			// for the one to its previous request.
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				if got := allStatuses(answers); !slices.Equal(got, []int{200, 200}) {
					t.Errorf("answers %v, want [200 200] with no interim one", got)
				}
				wantTargets(t, seen, "/a", "/b")
			}},
		{name: "Content-Length 0 with Expect: 100-continue", raw: "POST /a HTTP/1.1\r\n" + h + "Content-Length: 0\r\nExpect: 100-continue\r\n\r\n" + "GET /b HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n",
			check: func(t *testing.T, answers []*http.Response, seen []seenRequest) {
				wantStatuses(t, answers, 200, 200)
				wantTargets(t, seen, "/a", "/b")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				cell := newRecordingCell(t, nil)
				rh := startRouter(t, oneCell(cell.srv.URL), nil)
				tt.check(t, exchangeAll(t, hostOf(rh.url), tt.raw), cell.requests())
			})
		})
	}
}

// statuses lists the answers' statuses, without interim ones: a server
// may send 100 Continue to a request that asked for it even with no body
// to send (the fasthttp engine's server does; RFC 9110 §10.1.1 lets it).
func statuses(answers []*http.Response) []int {
	var s []int
	for _, a := range answers {
		if a.StatusCode >= 200 {
			s = append(s, a.StatusCode)
		}
	}
	return s
}

// allStatuses lists the answers' statuses, interim ones included.
func allStatuses(answers []*http.Response) []int {
	var s []int
	for _, a := range answers {
		s = append(s, a.StatusCode)
	}
	return s
}

func wantStatuses(t *testing.T, answers []*http.Response, want ...int) {
	t.Helper()
	if got := statuses(answers); !slices.Equal(got, want) {
		t.Errorf("answers %v, want %v", got, want)
	}
}

func wantTargets(t *testing.T, seen []seenRequest, want ...string) {
	t.Helper()
	var got []string
	for _, r := range seen {
		got = append(got, r.target)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the cell got %q, want %q", got, want)
	}
}

// TestOptionsAsterisk: OPTIONS * (asking about the server, not a
// resource) is answered by net/http's server itself, as Go's server
// answers it (200, no body); the fasthttp and evloop engines forward it
// to the tenant's cell with its target unchanged. Either way the
// connection carries the next request.
func TestOptionsAsterisk(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		addr := scriptedCell(t, map[string]string{"*": "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nstar"})
		h := startRouter(t, oneCell("http://"+addr), nil)
		conn := sendRaw(t, h, "")
		br := bufio.NewReader(conn)
		x := exchangeOn(conn, br, "OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
		if engineOf(t) == EngineNetHTTP {
			wantAnswer(200, "")(t, x)
		} else {
			wantAnswer(200, "star")(t, x)
		}
		wantAnswer(200, "ok")(t, exchangeOn(conn, br, "GET", "GET /next HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"))
	})
}

// TestPipelinedBehindAStreamingAnswer: requests a client pipelines while
// the answer to its previous one is still streaming, a HEAD among them,
// get their answers in order, each framed right: the HEAD's without a
// body though the cell declares a length, and the streaming answer whole.
func TestPipelinedBehindAStreamingAnswer(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		release := make(chan struct{})
		cell := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/stream":
				_, _ = io.WriteString(w, "part1,")
				w.(http.Flusher).Flush()
				<-release
				_, _ = io.WriteString(w, "part2")
			case "/head":
				w.Header().Set("Content-Length", "5")
				_, _ = io.WriteString(w, "hello")
			default:
				_, _ = io.WriteString(w, "last")
			}
		}))
		t.Cleanup(cell.Close)
		t.Cleanup(func() {
			select {
			case <-release:
			default:
				close(release)
			}
		})
		h := startRouter(t, oneCell(cell.URL), nil)
		const hdr = "Host: x\r\nX-Tenant-ID: acme\r\n\r\n"
		conn := sendRaw(t, h, "GET /stream HTTP/1.1\r\n"+hdr)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		first := make([]byte, len("part1,"))
		if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "part1," {
			t.Fatalf("the stream's start: %q, %v", first, err)
		}
		// The answer is streaming: two more requests behind it.
		if _, err := io.WriteString(conn, "HEAD /head HTTP/1.1\r\n"+hdr+"GET /last HTTP/1.1\r\n"+hdr); err != nil {
			t.Fatal(err)
		}
		close(release)
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "part2" {
			t.Fatalf("the stream's rest: %q, %v; want part2", rest, err)
		}
		x := exchangeOn(conn, br, "HEAD", "")
		wantAnswer(200, "")(t, x)
		if x.resp != nil && x.resp.Header.Get("Content-Length") != "5" {
			t.Errorf("HEAD answer's Content-Length %q, want the cell's 5", x.resp.Header.Get("Content-Length"))
		}
		wantAnswer(200, "last")(t, exchangeOn(conn, br, "GET", ""))
	})
}

// TestRetriedAnswerWithBrokenBody: an answer the forwarding policy
// retries on the next cell (a 503 to a GET) is dropped whatever its body:
// one whose chunked framing is broken does not end the request, and the
// next cell's answer reaches the client.
func TestRetriedAnswerWithBrokenBody(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, answer string }{
		{name: "invalid chunk size", answer: "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"},
		{name: "chunk longer than its size", answer: "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				a := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: "http://" + scriptedCell(t, map[string]string{"/x": tt.answer}), Weight: 100, State: fabric.CellActive}
				b := router.Cell{ID: "cell-b", Cloud: "gcp", Region: "local", Endpoint: "http://" + scriptedCell(t, nil), Weight: 100, State: fabric.CellActive}
				h := startRouter(t, registry(1, []router.Cell{a, b}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), nil)
				conn := sendRaw(t, h, "")
				br := bufio.NewReader(conn)
				x := exchangeOn(conn, br, "GET", "GET /x HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n")
				wantAnswer(200, "ok")(t, x)
				if x.resp != nil && x.resp.Header.Get("X-Cell-ID") != "cell-b" {
					t.Errorf("answered by %q, want cell-b", x.resp.Header.Get("X-Cell-ID"))
				}
				if t.Failed() {
					return
				}
				wantAnswer(200, "ok")(t, exchangeOn(conn, br, "GET", "GET /next HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"))
			})
		})
	}
}

// TestNoInterimAnswersToHTTP10: HTTP/1.0 has no 1xx answers, and a
// server must not send one to an HTTP/1.0 client (RFC 9110 §15.2): the
// client would read it as the answer to its request, and every answer
// after it as the one to the request before. A cell's interim answers
// are not passed on to it, whether it asked to be told to go on (which
// HTTP/1.0 cannot ask either, §10.1.1) or not.
func TestNoInterimAnswersToHTTP10(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		addr := scriptedCell(t, map[string]string{
			"/hints":    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhints",
			"/continue": "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ncontinue",
		})
		h := startRouter(t, oneCell("http://"+addr), nil)
		conn := sendRaw(t, h, "")
		br := bufio.NewReader(conn)
		const hdr = "Host: x\r\nX-Tenant-ID: acme\r\nConnection: keep-alive\r\n"
		for _, r := range []struct{ method, raw, body string }{
			{"GET", "GET /hints HTTP/1.0\r\n" + hdr + "\r\n", "hints"},
			{"POST", "POST /continue HTTP/1.0\r\n" + hdr + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello", "continue"},
			{"GET", "GET /last HTTP/1.0\r\n" + hdr + "\r\n", "ok"},
		} {
			x := exchangeOn(conn, br, r.method, r.raw)
			wantAnswer(200, r.body)(t, x)
			if len(x.interim) > 0 {
				t.Errorf("%s: interim answers %v sent to an HTTP/1.0 client", strings.Fields(r.raw)[1], x.interim)
			}
			if t.Failed() {
				return
			}
		}
	})
}
