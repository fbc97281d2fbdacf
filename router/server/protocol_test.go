package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Helpers of the protocol-conformance tests (answerframing_test.go,
// requestedges_test.go): a cell that answers with raw bytes, and a client
// that reads each answer on one connection.

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

// exchanged is what a client read of one answer: the interim (1xx)
// answers before it, its head, and its body, whole or up to the error
// that broke it.
type exchanged struct {
	interim []int
	resp    *http.Response
	body    string
	err     error // reading the head
	bodyErr error // reading the body
}

// exchangeOn writes raw (a request, or nothing: "") on conn and reads the
// next answer from br, as the answer to a request of method.
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

// wantOneOf checks that the answer is one that one of ok matches.
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

// wantAnswer checks for a whole answer of status with body.
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
		want := interim
		if engineOf(t) != EngineNetHTTP {
			want = nil
		}
		if !slices.Equal(x.interim, want) {
			t.Errorf("interim answers %v, want %v", x.interim, want)
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

// describe is x for a failure message.
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

// wantStatuses checks the final answers' statuses, in order.
func wantStatuses(t *testing.T, answers []*http.Response, want ...int) {
	t.Helper()
	if got := statuses(answers); !slices.Equal(got, want) {
		t.Errorf("answers %v, want %v", got, want)
	}
}

// wantTargets checks the targets of the requests the cell got, in order.
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
