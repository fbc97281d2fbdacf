package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"
)

// FuzzEnginesAgree sends the same bytes, as one client connection, to a
// router on each engine, and holds the fasthttp and evloop engines to
// what the net/http engine does with them (net/http's server is the
// reference for reading requests): the same sequence of answers, and the
// same requests reaching the cell, with the same method, target, body
// and a few headers. Above all, a cell must never get from the fasthttp
// or evloop engine a request net/http's server refused, nor more or fewer
// requests (smuggling, desync), nor a body or target other than
// net/http's; and an engine must answer where net/http answers.
//
// One router and one recording cell per engine serve every input; each
// input goes on a new connection, followed by endOfInput (a last request
// asking to close), and the answers are read until the router closes or
// goes quiet for 300 ms.
//
// What is normalised away, each an accepted difference:
//   - Interim (1xx) answers: net/http forwards the cell's 100 Continue,
//     fasthttp answers 100 itself even for a Content-Length of 0, evloop
//     answers it itself once the request is taken. Only final answers
//     are compared.
//   - The code of a refusal of a malformed request: 400, 501 and 505 are
//     one class. net/http answers 501 for an unknown transfer coding and
//     505 for an unsupported version; the other engines answer those
//     cases the same or 400 (a server may answer any message it cannot
//     read 400, RFC 9112 §2.2). A refusal still has to be a refusal, of
//     the same request.
//   - Requests the engines read differently by design (knownDifference;
//     engine.go, TestOptionsAsterisk, TestClientRequestEdges), compared
//     up to that request and then as the difference allows: an empty
//     Host value, a head with a bare LF line end, HTTP/1.0 with
//     Transfer-Encoding and a repeated (identical) Content-Length, which
//     net/http serves and the others may refuse and close (evloop
//     answers 400, fasthttp waits for a CRLF that never comes); a later
//     minor version (HTTP/1.2), read as 1.1 by net/http and as 1.0 by
//     fasthttp's parser (closed after the answer, Transfer-Encoding
//     refused); a percent-escape in the Host value, or a Host that is
//     no authority ("["), which fasthttp's server refuses 400; a target in neither origin form nor an
//     http(s) absolute form ("A:"), or "*" for another method than
//     OPTIONS, which net/http's server takes and the others refuse; an
//     http URI without a host ("http://"), which fasthttp's parser
//     refuses as RFC 9110 §4.2.1 says; both
//     Content-Length and Transfer-Encoding, after which the others close
//     (RFC 9112 §6.3) where net/http goes on; an expectation other than
//     100-continue, which net/http's server answers 417 itself (before
//     the router decides) and closes, the others decide on or forward
//     (the cell answers 417) and go on; and
//     a Connection value with "close" only as a word ("Close 0"), after
//     which net/http's server closes and the others go on; OPTIONS *,
//     which net/http's server answers itself; an empty line
//     before a request line, which net/http answers 400 and the others
//     skip (RFC 9112 §2.2 has a server ignore at least one), or after
//     a POST, up to four CR or LF bytes, which net/http's server drops
//     and the others skip only as an empty line; a bare LF
//     in a chunked body's trailer section (net/http's header reader
//     takes it, evloop refuses it); and an Expect: 100-continue request
//     with a body that the router refuses, after which fasthttp, which
//     answered 100 as it read the head, reads the body and goes on where
//     the others close.
//   - A connection closed after a refusal of the router's own that
//     net/http answers the same but keeps the connection after: a server
//     may close after any answer (RFC 9112 §9.6); nothing after it is
//     compared.
//   - A request the cell got only part of (the body cut short): an
//     engine that forwards a body as it arrives breaks it off, one that
//     waits forwards nothing. Each refuses the client's request.
//   - How a body is framed to the cell (chunked or with its length; the
//     Content-Length and Transfer-Encoding headers): the body is
//     compared, and no request may carry both framings.
//   - Headers each engine sets or drops by its own forwarding code
//     (comparedHeaders lists the ones compared).
//
// Under go test only the seeds run; go test -fuzz FuzzEnginesAgree
// explores from them.
func FuzzEnginesAgree(f *testing.F) {
	const h = "Host: localhost\r\nX-Tenant-ID: acme\r\n"
	const smuggled = "GET /smuggled HTTP/1.1\r\n" + h + "\r\n"
	for _, seed := range []string{
		// Plain and pipelined requests.
		"GET /a HTTP/1.1\r\n" + h + "\r\n",
		"GET /a HTTP/1.1\r\n" + h + "\r\nGET /b?q=1 HTTP/1.1\r\n" + h + "\r\nHEAD /c HTTP/1.1\r\n" + h + "\r\n",
		"GET /a HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 5\r\n\r\nhello" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 5\r\n\r\nhel",
		"GET /a HTTP/1.1\r\n" + h,
		"GET /a HTTP/1.1\r\n" + h + "Connection: X-Hop-A\r\nConnection: X-Hop-B, keep-alive\r\nX-Hop-A: 1\r\nX-Hop-B: 2\r\n\r\n" + smuggled,
		"GET /a HTTP/1.1\r\n" + h + "Connection: close, X-Hop\r\nX-Hop: 1\r\n\r\n",
		// Chunked bodies.
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0x4\r\nabcd\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabcd\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n4\nabcd\n0\n\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcdXX0\r\n\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n4\r\nab",
		// Framing conflicts (smuggling_test.go).
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 4\r\nContent-Length: 40\r\n\r\nabcd" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 4, 4\r\n\r\nabcd",
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: +4\r\n\r\nabcd",
		"POST /a HTTP/1.1\r\n" + h + "Content-Length : 4\r\n\r\nabcd",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: xchunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\nContent-Length: 4\r\n\r\nabcd" + smuggled,
		// Heads net/http refuses.
		"GET /a HTTP/1.1\r\n  X-Lead: x\r\n" + h + "\r\n",
		"GET /a HTTP/1.1\r\n" + h + "\rX-A: b\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + "X-A: b\rc\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + "X-A: b\x00c\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + "X(A): b\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + "X a: b\r\n\r\n" + smuggled, // fasthttp, evloop forwarded it
		"G(T /a HTTP/1.1\r\n" + h + "\r\n",
		"GET /a HTTP/1.1\r\n" + h + "Host: other\r\n\r\n",
		"GET /a HTTP/1.1\r\nX-Tenant-ID: acme\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled,
		"GET /a HTTP/1.1\r\nHost: a\"b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled, // fasthttp forwarded it
		"GET /a b HTTP/1.1\r\n" + h + "\r\n",
		"GET /a HTTP/2.0\r\n" + h + "\r\n" + smuggled,
		"GET /a HTTP/0.9\r\n" + h + "\r\n" + smuggled,
		"GET /a HTTP/1.2\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled, // fasthttp, evloop forwarded it
		"GET /a HTTP/1.2\r\n" + h + "\r\n" + smuggled,
		"POST /a HTTP/1.2\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + smuggled,
		"GET /a HTTP/1.1\r\n" + h + "X-Folded: a\r\n b\r\n\r\n",
		"GET /a HTTP/1.1\r\n" + h + "X-Long: " + strings.Repeat("x", 20<<10) + "\r\n\r\n",
		// Targets.
		"GET http://localhost/a?q=1 HTTP/1.1\r\n" + h + "\r\n",
		"GET http://evil.example/a HTTP/1.1\r\n" + h + "\r\n",
		"GET http://localhost/a HTTP/1.1\r\nHost: a\"b\r\nX-Tenant-ID: acme\r\n\r\n" + smuggled, // fasthttp forwarded it
		"0 A://00 HTTP/1.1\nHost:0 0\n\n",
		"000 http:// HTTP/1.0\r\n0000:0\r\nX-TenAnt-ID:0\r\n\r\n",
		"GET /a#frag HTTP/1.1\r\n" + h + "\r\n",
		"GET /a? HTTP/1.1\r\n" + h + "\r\n", // fasthttp, evloop dropped the ?
		"GET /a?x=1;y=2&z=3&w=%zz&v=4 HTTP/1.1\r\n" + h + "\r\n",
		"GET /a/../b/%2e%2e/c//d HTTP/1.1\r\n" + h + "\r\n",
		"GET /%ZZ HTTP/1.1\r\n" + h + "\r\n",
		"GET a HTTP/1.1\r\n" + h + "\r\n",
		"0 A: HTTP/1.0\r\n0000:0\r\nX-TenAnt-ID:0\r\n\r\n",
		"GET * HTTP/1.1\r\n" + h + "\r\n",
		"0 / HTTP/1.1\r\nHost:00\nConneCtion: Close 0\n\n",
		"GET /a HTTP/1.1\r\n" + h + "Connection: close 0\r\n\r\n" + smuggled,
		// HTTP/1.0 and keep-alive.
		"GET /a HTTP/1.0\r\nX-Tenant-ID: acme\r\n\r\n",
		"GET /a HTTP/1.0\r\n" + h + "Connection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n" + h + "\r\n" + smuggled,
		"POST /a HTTP/1.0\r\n" + h + "Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhelloGET /b HTTP/1.0\r\n" + h + "\r\n",
		"POST /a HTTP/1.0\r\n" + h + "\r\nhello",
		// Expect.
		"POST /a HTTP/1.0\r\n" + h + "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\nhelloGET /b HTTP/1.0\r\n" + h + "\r\n",
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 0\r\nExpect: 100-continue\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 5\r\nExpect: something-else\r\n\r\nhello",
		"POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello" + smuggled, // refused: fasthttp had asked for the body, and goes on
		"0 / HTTP/1.1\nHost:0\nContent-Length:1\nEXpeCt:100-Continue\n\nG",
		// Known differences, compared up to them.
		"GET /a HTTP/1.1\r\n" + h + "\r\nGET /b HTTP/1.1\r\nHost:\r\nX-Tenant-ID: acme\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\n" + h + "\r\n",
		"OPTIONS * HTTP/1.1\nHost:0\n\n", // two differences of one request
		"0 / HTTP/1.1\nHost:0\nEXpeCt:0\n\n",
		"GET /a HTTP/1.1\nHost: localhost\nX-Tenant-ID: acme\n\n",
		"\r\n",
		"000 /0 HTTP/1.1\r\nHost:00000000000\n\n\r\n", // two known differences in a row
		"0 * HTTP/1.1\nHost:\n\n",
		"POST /a HTTP/1.1\r\nHost:%000000000\r\n00000000000:000000000000000000000000000\r\n\r\n0000", // fasthttp closes after its 400
		"GET /a HTTP/1.1\r\nHost: a%41\r\nX-Tenant-ID: acme\r\n\r\n",
		"0 http://\" HTTP/1.0\r\n0000:0\r\nX-TenAnt-ID:0\r\n\r\n",                                                 // an invalid authority: every engine refuses it
		"0 / HTTP/1.0\r\nHost:[\r\nX-TenAnt-ID:0\r\n\r\n",                                                         // an unclosed IP literal: fasthttp refuses it
		"POST / HTTP/1.1\nHost:0\n\n\r",                                                                           // net/http drops CR and LF bytes after a POST
		"POST /a HTTP/1.1\r\n" + h + "Content-Length: 0\r\n\r\n\r\n" + smuggled,                                   // one empty line: every engine skips it
		"0 / HTTP/1.0\nX-TenAnt-ID:acme\nContent-Length:5\nEXpeCt:100-Continue\nConneCtion:keep-Alive\n\n00000\n", // served: compared on to the empty line
		"GET /a HTTP/1.1\r\n" + h + "\r\n\n",
		"POST /a HTTP/1.0\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"0000 /0 HTTP/1.1\r\nHost:00\r\nX-TenAnt-ID:acme\r\nTrAnsfer-EnCoding: Chunked\r\n\r\n0\r\n\n", // a bare LF ends the trailers
		// An unknown tenant, and none.
		"GET /a HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: nobody\r\n\r\n" + smuggled,
		"GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n",
		// Trailer sections: a line that is no field line swallowed a
		// pipelined request on evloop; a name with a space passed on
		// fasthttp and net/http (now refused on every engine); a folded
		// trailer passes; a declared name with a space is no trailer.
		"0 / HTTP/1.1\nHost:0\nTrAnsfer-EnCoding:Chunked\n\n0\r\n0\r\n\r\n0",
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nGET /smuggled HTTP/1.1\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nX a: b\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nX-A: b\r\n c\r\n\r\n" + smuggled,
		"POST /a HTTP/1.1\r\n" + h + "Trailer: X a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
		// A bare CR inside a chunk line.
		"0 / HTTP/1.1\r\nHost:0\nX-TenAnt-ID:acme\nTrAnsfer-EnCoding:chunked\n\n0;0\r000000\r00\r0000\r000",
	} {
		f.Add([]byte(seed))
	}

	type runner struct {
		engine Engine
		addr   string
		cell   *recordingCell
	}
	var runners []runner
	for _, e := range Engines {
		cell := newRecordingCell(f, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Cell-Target", r.URL.RequestURI())
		})
		rh := startRouterWith(f, e, oneCell(cell.srv.URL), nil)
		runners = append(runners, runner{engine: e, addr: hostOf(rh.url), cell: cell})
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		in = append(in[:len(in):len(in)], endOfInput...)
		split := splitAsNetHTTP(in)
		results := make([]engineOutcome, len(runners))
		var wg sync.WaitGroup
		for i, r := range runners {
			r.cell.reset()
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = exchangeQuiet(r.addr, in, split.methods)
				r.cell.settle()
				results[i].seen = r.cell.requests()
			}()
		}
		wg.Wait()
		ref := results[0] // Engines lists EngineNetHTTP first
		if runners[0].engine != EngineNetHTTP {
			t.Fatalf("Engines[0] is %s, want %s", runners[0].engine, EngineNetHTTP)
		}
		for i := 1; i < len(runners); i++ {
			if d := disagreement(ref, results[i], split.known); d != "" {
				t.Errorf("input %q\nengine %s disagrees with nethttp: %s\nnethttp: %s\n%s: %s", in, runners[i].engine, d, ref, runners[i].engine, results[i])
			}
		}
	})
}

// reset forgets the requests the cell has recorded.
func (c *recordingCell) reset() {
	c.mu.Lock()
	c.seen = nil
	c.mu.Unlock()
}

// netHTTPSplit is how net/http's request parser reads an input: the
// methods of the requests it reads, in order, and those the engines read
// differently by design, in order.
type netHTTPSplit struct {
	methods []string
	known   []knownDiff
}

// knownDiff is a request the engines read differently by design: the
// at-th, and how the other engines may answer it.
type knownDiff struct {
	at   int
	kind diffKind
}

type diffKind int

const (
	// mayRefuse: net/http serves the request, the other engines may
	// refuse it (or give no answer), or answer it as net/http, and
	// close, forwarding nothing more.
	mayRefuse diffKind = iota
	// closeAfter: the same answer to the request, after which the other
	// engines may close, forwarding nothing more.
	closeAfter
	// stopAfter: the same answer to the request; what follows it is
	// not compared (net/http closes, the others go on).
	stopAfter
	// stopAt: nothing from the request on is compared.
	stopAt
	// stopAfterRefusal: stopAfter where net/http refused the request
	// (the router's own 4xx or 5xx); otherwise compared as any request.
	stopAfterRefusal
)

// splitAsNetHTTP reads in as a sequence of requests with net/http's
// parser, up to the first it cannot read.
func splitAsNetHTTP(in []byte) netHTTPSplit {
	var s netHTTPSplit
	cr := &countingReader{r: bytes.NewReader(in)}
	br := bufio.NewReader(cr)
	for {
		if n := len(s.methods); n > 0 && s.methods[n-1] == "POST" {
			// After a POST, net/http's server drops up to four CR or LF
			// bytes before the next request line (a tolerance for old
			// clients, RFC 7230 §3.5); fasthttp and evloop skip only an
			// empty line, and refuse a lone CR.
			peek, _ := br.Peek(4)
			skip := 0
			for skip < len(peek) && (peek[skip] == '\r' || peek[skip] == '\n') {
				skip++
			}
			if line := string(peek[:skip]); line != "" && line != "\r\n" && line != "\n" {
				s.known = append(s.known, knownDiff{at: n, kind: stopAt})
			}
			_, _ = br.Discard(skip)
		}
		start := cr.n - br.Buffered()
		req, err := http.ReadRequest(br)
		if err != nil {
			// A head net/http cannot read is refused by every engine;
			// only its bare LF line ends set it apart.
			switch rest := in[min(start, len(in)):]; {
			case bytes.HasPrefix(rest, []byte("\n")) || bytes.HasPrefix(rest, []byte("\r\n")):
				// An empty line before a request line: net/http answers
				// 400, the others skip it as RFC 9112 §2.2 recommends.
				s.known = append(s.known, knownDiff{at: len(s.methods), kind: stopAt})
			case bareLF(headOf(rest)):
				s.known = append(s.known, knownDiff{at: len(s.methods), kind: mayRefuse})
			}
			return s
		}
		_, berr := io.Copy(io.Discard, req.Body)
		head := headOf(in[start:])
		for _, kind := range knownDifferences(req, head) {
			s.known = append(s.known, knownDiff{at: len(s.methods), kind: kind})
		}
		if berr == nil && len(req.TransferEncoding) > 0 && bareLF(trailerSection(in[start+len(head):cr.n-br.Buffered()])) {
			// A bare LF in the trailer section: net/http reads it with
			// its header reader, which takes LF for CRLF (RFC 9112 §2.2
			// allows either); evloop refuses it, as it refuses a bare LF
			// anywhere in a chunked body.
			s.known = append(s.known, knownDiff{at: len(s.methods), kind: mayRefuse})
		}
		s.methods = append(s.methods, req.Method)
		if berr != nil || req.Close {
			return s
		}
	}
}

// knownDifferences lists how the engines read a request differently by
// design (see FuzzEnginesAgree), if they do.
func knownDifferences(req *http.Request, head []byte) []diffKind {
	var kinds []diffKind
	lower := bytes.ToLower(head)
	if emptyHost.Match(head) {
		kinds = append(kinds, mayRefuse)
	}
	if bareLF(head) {
		kinds = append(kinds, mayRefuse)
	}
	if !req.ProtoAtLeast(1, 1) && bytes.Contains(lower, []byte("\ntransfer-encoding")) {
		kinds = append(kinds, mayRefuse)
	}
	if bytes.Count(lower, []byte("\ncontent-length")) > 1 {
		// Identical values (net/http reads them as one; RFC 9110 §8.6
		// lets a recipient refuse them instead).
		kinds = append(kinds, mayRefuse)
	}
	if len(req.TransferEncoding) > 0 && bytes.Contains(lower, []byte("\ncontent-length")) {
		// Both framings: net/http reads the chunked body and goes on; RFC
		// 9112 §6.3 has a server close after answering.
		kinds = append(kinds, closeAfter)
	}
	if req.Header.Get("Expect") != "" && !strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
		// An expectation net/http's server cannot meet: it answers 417
		// itself, before the router decides anything, and closes; the
		// other engines decide (and may refuse) or forward it, and the
		// cell (net/http) answers 417 to it, then they go on.
		kinds = append(kinds, stopAt)
	}
	if !strings.HasPrefix(req.RequestURI, "/") && (req.RequestURI != "*" || req.Method != "OPTIONS") && !httpTarget.MatchString(req.RequestURI) {
		// A target in neither origin form nor an http(s) absolute form
		// ("A:"), or "*" for another method than OPTIONS (RFC 9112
		// §3.2.4): net/http's server takes them, the other engines
		// refuse them 400.
		kinds = append(kinds, mayRefuse)
	}
	if emptyAuthority.MatchString(req.RequestURI) {
		// An http(s) URI without a host, which RFC 9110 §4.2.1 has a
		// recipient reject: fasthttp's parser refuses it 400, net/http's
		// server and evloop pass it to the router.
		kinds = append(kinds, mayRefuse)
	}
	if _, err := url.Parse("http://" + req.Host + "/"); err != nil || strings.Contains(req.Host, "%") {
		// A host fasthttp's server refuses as it parses the URI, which
		// net/http and evloop pass on (they check its bytes only): one
		// that is no RFC 3986 authority ("[", an unclosed IP literal;
		// RFC 9110 §7.2 has a server refuse it), or a percent-escape
		// (which a reg-name may hold).
		kinds = append(kinds, mayRefuse)
	}
	if req.ProtoMajor == 1 && req.ProtoMinor > 1 {
		// A later minor version (HTTP/1.2): net/http reads it as 1.1,
		// fasthttp's parser as 1.0 (the connection closed after the
		// answer, a Transfer-Encoding refused 501), on both other engines.
		kinds = append(kinds, mayRefuse)
	}
	if closeWord.MatchString(req.Header.Get("Connection")) && !httpguts.HeaderValuesContainsToken(req.Header["Connection"], "close") {
		// "close" among other words but not as a member of the list
		// ("Close 0"): net/http's server closes after the answer, the
		// others read no close and go on.
		kinds = append(kinds, stopAfter)
	}
	if req.Method == "OPTIONS" && req.RequestURI == "*" {
		kinds = append(kinds, stopAt)
	}
	if strings.EqualFold(req.Header.Get("Expect"), "100-continue") && (req.ContentLength > 0 || len(req.TransferEncoding) > 0) {
		// fasthttp's server answers 100 Continue as it reads the head,
		// before the router decides, so the client sends the body and,
		// after a refusal, fasthttp reads it and goes on; net/http and
		// evloop refuse before asking for the body and close, since the
		// client may not send it (RFC 9110 §10.1.1).
		kinds = append(kinds, stopAfterRefusal)
	}
	return kinds
}

// closeWord matches "close" bounded by spaces, commas or the value's
// ends, as net/http's server looks for it in the first Connection value.
var closeWord = regexp.MustCompile(`(?i)(^|[ ,])close($|[ ,])`)

// httpTarget matches a target in absolute form with an http(s) scheme.
var httpTarget = regexp.MustCompile(`(?i)^https?://`)

// emptyAuthority matches an http(s) absolute-form target without a host.
var emptyAuthority = regexp.MustCompile(`(?i)^https?://($|[/?#])`)

// emptyHost matches a head with a Host field of no value.
var emptyHost = regexp.MustCompile(`(?i)\nhost:[ \t]*\r?\n`)

// trailerSection is the part of a chunked body net/http read after its
// last chunk: every chunk line ends with CRLF there (net/http refuses
// others).
func trailerSection(body []byte) []byte {
	for {
		i := bytes.Index(body, []byte("\r\n"))
		if i < 0 {
			return nil
		}
		sizeText, _, _ := bytes.Cut(body[:i], []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
		if err != nil || size < 0 || int64(len(body)-i-2) < size {
			return nil
		}
		body = body[i+2:]
		if size == 0 {
			return body
		}
		body = body[min(int64(len(body)), size+2):]
	}
}

// headOf is b up to and including the first empty line, or all of b.
func headOf(b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return b[:i+2]
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return b[:i+3]
		}
	}
	return b
}

// bareLF reports a line feed not preceded by a carriage return.
func bareLF(head []byte) bool {
	for i, c := range head {
		if c == '\n' && (i == 0 || head[i-1] != '\r') {
			return true
		}
	}
	return false
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// answerSeen is one final answer, normalised: its status (a refusal's
// class: 400 for 400, 501 and 505) and the target of the request the
// cell answered with it ("" for the router's own answers).
type answerSeen struct {
	status int
	target string
}

type engineOutcome struct {
	answers []answerSeen
	// closed: the router closed the connection (false: the read timed
	// out with the connection still open).
	closed bool
	// unparsed: bytes after the last answer that are no answer.
	unparsed string
	seen     []seenRequest
}

func (o engineOutcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "answers %v closed %v", o.answers, o.closed)
	if o.unparsed != "" {
		fmt.Fprintf(&b, " unparsed %q", o.unparsed)
	}
	for _, r := range o.seen {
		fmt.Fprintf(&b, "\n  cell: %s %q body %q cl %q te %q", r.method, r.target, r.body, r.contentLength, r.transferEncoding)
	}
	return b.String()
}

// normalStatus puts the codes of a refusal of a malformed request in one
// class (see FuzzEnginesAgree).
func normalStatus(code int) int {
	switch code {
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return http.StatusBadRequest
	}
	return code
}

// endOfInput follows every input on its connection: a last request that
// asks the router to close the connection once it is answered, so that an
// input of whole requests ends without waiting for a timeout. (Where the
// input ends inside a request, it becomes part of it: every engine still
// gets the same bytes.) Half-closing the connection instead would not
// do: net/http's server takes it for a client that left and cancels the
// request in flight (499), and the evloop engine closes at once.
const endOfInput = "GET /end-of-input HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nConnection: close\r\n\r\n"

// exchangeQuiet writes in on a new connection to addr and reads every
// answer until the router closes the connection or sends nothing for
// 300 ms. methods are the requests' methods as net/http reads them, so
// that an answer to HEAD is read without a body.
func exchangeQuiet(addr string, in []byte, methods []string) engineOutcome {
	var o engineOutcome
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		o.unparsed = "dial: " + err.Error()
		return o
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	go func() { _, _ = conn.Write(in) }() // a router may stop reading early
	var all []byte
	buf := make([]byte, 32<<10)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := conn.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			o.closed = !isTimeout(err)
			break
		}
	}
	br := bufio.NewReader(bytes.NewReader(all))
	for {
		method := "GET"
		if n := len(o.answers); n < len(methods) {
			method = methods[n]
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			rest, _ := io.ReadAll(br)
			o.unparsed = string(rest)
			return o
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 200 {
			continue
		}
		o.answers = append(o.answers, answerSeen{status: normalStatus(resp.StatusCode), target: resp.Header.Get("X-Cell-Target")})
	}
}

// settle waits, up to 2 s, until c handles no request: one the router
// broke off when the client's connection closed ends then.
func (c *recordingCell) settle() {
	for deadline := time.Now().Add(2 * time.Second); c.busy.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// comparedHeaders are the forwarded headers compared: the rest are set or
// dropped by each engine's own forwarding code. (Not Expect: the evloop
// engine answers 100-continue itself and sends the cell the body without
// asking, the others pass the expectation on.)
var comparedHeaders = []string{"Content-Type", "X-Forwarded-Host", "X-Forwarded-Proto", "X-A", "X-Folded", "X-Long", "X-Hop", "X-Hop-A", "X-Hop-B", "X-Tenant-Id", "Cookie", "Te", "Trailer", "Upgrade"}

// disagreement describes how got differs from ref (the net/http engine),
// or "": answers and the cell's requests compared whole, or where the
// input holds known differences, up to the first that got does not
// answer as ref does, and as its kind allows.
func disagreement(ref, got engineOutcome, known []knownDiff) string {
	d := compareOutcomes(ref.answers, got.answers, completeOnly(ref.seen), completeOnly(got.seen))
	if d == "" {
		return d
	}
	if closedAfterRefusal(ref, got) {
		return ""
	}
	if len(known) == 0 {
		return d
	}
	k := known[0]
	upTo := disagreementUpTo(ref, got, k, d)
	for _, other := range known[1:] {
		if upTo != "" && other.at == k.at && disagreementUpTo(ref, got, other, d) == "" {
			return "" // another difference of the same request allows it
		}
	}
	if upTo != "" && (k.kind == mayRefuse || k.kind == stopAfterRefusal) && k.at < len(ref.answers) && k.at < len(got.answers) && ref.answers[k.at] == got.answers[k.at] {
		// Answered as net/http answered it (served, or refused by the
		// router and the connection kept): compared on, to the next.
		return disagreement(ref, got, known[1:])
	}
	return upTo
}

// closedAfterRefusal reports whether got answered as ref up to a refusal
// of the router's own (a 4xx or 5xx no cell sent) that ref answered too,
// then closed the connection where ref went on: a server may close a
// connection after any answer (RFC 9112 §9.6), and fasthttp's server
// closes after some refusals net/http's keeps it open after.
func closedAfterRefusal(ref, got engineOutcome) bool {
	n := len(got.answers)
	if n == 0 || n >= len(ref.answers) || !slices.Equal(got.answers, ref.answers[:n]) {
		return false
	}
	if last := got.answers[n-1]; last.status < 400 || last.target != "" {
		return false
	}
	forwarded := 0
	for _, a := range got.answers {
		if a.target != "" {
			forwarded++
		}
	}
	refSeen := completeOnly(ref.seen)
	return compareOutcomes(nil, nil, refSeen[:min(forwarded, len(refSeen))], completeOnly(got.seen)) == ""
}

// disagreementUpTo is disagreement where the known request is the first
// read differently: d (the whole comparison's) unless got's answers and
// the cell's requests match ref's up to it and got answers it as its kind
// allows.
func disagreementUpTo(ref, got engineOutcome, known knownDiff, d string) string {
	// Compared up to the known request (through it for closeAfter and
	// stopAfter), the cell's requests up to those answered before.
	if known.kind == stopAfterRefusal {
		if known.at >= len(ref.answers) || ref.answers[known.at].status < 400 || ref.answers[known.at].target != "" {
			return d
		}
		known.kind = stopAfter
	}
	upTo := known.at
	if known.kind == closeAfter || known.kind == stopAfter {
		upTo++
	}
	refAnswers := ref.answers[:min(upTo, len(ref.answers))]
	forwarded := 0
	for _, a := range refAnswers {
		if a.target != "" {
			forwarded++
		}
	}
	refSeen, gotSeen := completeOnly(ref.seen), completeOnly(got.seen)
	refSeen = refSeen[:min(forwarded, len(refSeen))]
	gotAnswers := got.answers
	switch known.kind {
	case mayRefuse:
		// Answered as net/http answered it, and nothing more.
		if len(gotAnswers) == upTo+1 && upTo < len(ref.answers) && gotAnswers[upTo] == ref.answers[upTo] {
			refAnswers = ref.answers[:upTo+1]
			if refAnswers[upTo].target != "" {
				refSeen = completeOnly(ref.seen)[:min(forwarded+1, len(completeOnly(ref.seen)))]
			}
			break
		}
		// Refused (or unanswered) there, and nothing more.
		if len(gotAnswers) > upTo+1 || len(gotAnswers) == upTo+1 && gotAnswers[upTo].status != http.StatusBadRequest {
			return d + fmt.Sprintf(" (and request %d, read differently by design, was neither served as by nethttp nor refused and the connection closed)", upTo)
		}
		gotAnswers = gotAnswers[:min(upTo, len(gotAnswers))]
	case closeAfter:
		if len(gotAnswers) > upTo {
			return d + fmt.Sprintf(" (and the connection was not closed after request %d, which had both Content-Length and Transfer-Encoding)", upTo-1)
		}
	case stopAfter, stopAt:
		gotAnswers = gotAnswers[:min(upTo, len(gotAnswers))]
		gotSeen = gotSeen[:min(forwarded, len(gotSeen))]
	}
	return compareOutcomes(refAnswers, gotAnswers, refSeen, gotSeen)
}

// compareOutcomes describes the first difference between the net/http
// engine's answers and cell requests and another's, or "".
func compareOutcomes(refAnswers, gotAnswers []answerSeen, refSeen, gotSeen []seenRequest) string {
	for i, r := range gotSeen {
		if r.contentLength != "" && len(r.transferEncoding) > 0 {
			return fmt.Sprintf("the cell's request %d came with both Content-Length and Transfer-Encoding", i)
		}
	}
	if len(gotSeen) != len(refSeen) {
		return fmt.Sprintf("the cell got %d requests, want %d", len(gotSeen), len(refSeen))
	}
	for i := range refSeen {
		a, b := refSeen[i], gotSeen[i]
		switch {
		case a.method != b.method:
			return fmt.Sprintf("request %d: method %q, want %q", i, b.method, a.method)
		case a.target != b.target:
			return fmt.Sprintf("request %d: target %q, want %q", i, b.target, a.target)
		case a.body != b.body:
			return fmt.Sprintf("request %d: body %q, want %q", i, b.body, a.body)
		}
		for _, k := range comparedHeaders {
			if va, vb := a.header.Values(k), b.header.Values(k); !slices.Equal(va, vb) {
				return fmt.Sprintf("request %d: header %s %q, want %q", i, k, vb, va)
			}
		}
	}
	if !slices.Equal(gotAnswers, refAnswers) {
		return fmt.Sprintf("answers %v, want %v", gotAnswers, refAnswers)
	}
	return ""
}

// completeOnly drops the requests the cell got only part of: an engine
// that forwards a body as it arrives breaks the request off when its
// client's body ends early, one that waits for it forwards nothing; both
// refuse the client's request.
func completeOnly(seen []seenRequest) []seenRequest {
	var out []seenRequest
	for _, r := range seen {
		if !r.incomplete {
			out = append(out, r)
		}
	}
	return out
}
