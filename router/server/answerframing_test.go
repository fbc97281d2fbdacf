package server

import (
	"bufio"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

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
		{name: "204 with Transfer-Encoding and a last chunk", method: "GET",
			answer: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			check:  wantAnswer(204, "")},
		{name: "close-delimited answer", method: "GET", keep: true,
			answer: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello",
			check:  wantAnswer(200, "hello")},
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
		{name: "bare CR in a header value", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nX-A: a\rInjected: yes\r\nContent-Length: 5\r\n\r\nhello",
			check:  noInjected(wantOneOf(answerIs(502, ""), answerIs(200, "hello")))},
		{name: "obs-fold in a header", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nX-A: a\r\n Injected: yes\r\nContent-Length: 5\r\n\r\nhello",
			check:  noInjected(wantOneOf(answerIs(502, ""), answerIs(200, "hello")))},
		{name: "header line without a colon", method: "GET",
			answer: "HTTP/1.1 200 OK\r\nX-A a\r\nContent-Length: 5\r\n\r\nhello",
			check:  wantOneOf(answerIs(502, ""), answerIs(200, "hello"))},
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

// noInjected is check, and that no header named Injected reached the
// client: a cell's malformed header line is refused or passed on as one
// value, never split into a header of its own.
func noInjected(check func(t *testing.T, x exchanged)) func(t *testing.T, x exchanged) {
	return func(t *testing.T, x exchanged) {
		t.Helper()
		check(t, x)
		if x.resp != nil && x.resp.Header.Get("Injected") != "" {
			t.Errorf("a header was injected: %v", x.resp.Header)
		}
	}
}
