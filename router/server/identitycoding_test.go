package server

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestIdentityCoding: a Transfer-Encoding field the parser accepted but
// did not apply is found in the raw head, whatever its case, and nothing
// else is taken for one.
func TestIdentityCoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields string
		want   bool
	}{
		{name: "identity", fields: "Transfer-Encoding: identity\r\n", want: true},
		{name: "identity in lower case", fields: "transfer-encoding: IDENTITY\r\n", want: true},
		{name: "identity with Content-Length", fields: "Content-Length: 4\r\nTransfer-Encoding: identity\r\n", want: true},
		{name: "chunked", fields: "Transfer-Encoding: chunked\r\n"},
		{name: "no Transfer-Encoding", fields: "Content-Length: 4\r\n"},
		{name: "a longer field name", fields: "X-Transfer-Encoding: identity\r\nTransfer-Encodings: identity\r\n"},
		{name: "the name in another field's value", fields: "X-Note: Transfer-Encoding: identity\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h fasthttp.RequestHeader
			raw := "POST / HTTP/1.1\r\nHost: x\r\n" + tt.fields + "\r\n"
			if err := h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
				t.Fatalf("parsing %q: %v", raw, err)
			}
			if got := identityCoding(&h); got != tt.want {
				t.Errorf("identityCoding(%q) = %v, want %v", tt.fields, got, tt.want)
			}
		})
	}
}

// TestIdentityCodingNotCounted: a request refused for its identity
// coding (501) is a request that could not be read, and is not counted
// as one of the router's answers on any engine, as net/http's server
// answers it before the router sees it.
func TestIdentityCodingNotCounted(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, oneCell(a.srv.URL), nil)
		conn := sendRaw(t, h, "POST /a HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: identity\r\nContent-Length: 4\r\n\r\nabcd")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusNotImplemented {
			t.Fatalf("answer: %v, %v; want 501", resp, err)
		}
		for _, code := range []string{"501", "other"} {
			if v := metricValue(t, h, `cellfabric_router_requests_total{cell="",cloud="",code="`+code+`"}`); v != -1 {
				t.Errorf("requests_total{cell=\"\",code=%q} = %v; want no such series (a request that could not be read is not counted)", code, v)
			}
		}
	})
}

// TestUnreadableRequestNoBudgetRequest: a request the router cannot read
// (a transfer coding it does not know, an invalid Host, an HTTP major
// version other than 1) is answered as one the parser refuses, before it
// counts as a request: the retry budget does not count it (nor does a
// trace span start), on every engine.
func TestUnreadableRequestNoBudgetRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw string
		status    int
	}{
		{"identity coding", "POST /a HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: identity\r\nContent-Length: 4\r\n\r\nabcd", http.StatusNotImplemented},
		{"coding beside chunked", "POST /a HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", 0},
		{"Host with a space", "GET /a HTTP/1.1\r\nHost: a b\r\nX-Tenant-ID: acme\r\n\r\n", http.StatusBadRequest},
		{"HTTP major version 2", "GET /a HTTP/2.0\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n", http.StatusHTTPVersionNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				a := newTestCell(t, "cell-a", "aws")
				h := startRouter(t, oneCell(a.srv.URL), nil)
				before := h.rt.budget.reqs.Load()
				conn := sendRaw(t, h, tc.raw)
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				// 0: the engines answer 400 or 501 (fasthttp's parser
				// refuses the coding itself, with 400).
				if err != nil || (tc.status != 0 && resp.StatusCode != tc.status) || (tc.status == 0 && resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotImplemented) {
					t.Fatalf("answer: %v, %v; want %d", resp, err, tc.status)
				}
				// The answer is written after any counting: what was counted shows.
				if after := h.rt.budget.reqs.Load(); after != before {
					t.Errorf("the retry budget counted %d requests for the refused one, want none", after-before)
				}
			})
		})
	}
}
