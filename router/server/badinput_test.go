package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// TestBadInput: every kind of bad input gets a clear status and message, is
// counted, and leaves the router serving.
func TestBadInput(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a := newTestCell(t, "cell-a", "aws")
		reg := registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"})
		h := startRouter(t, reg, func(c *Config) {
			c.MaxBodyBytes = 1024
			r, err := tenant.New(tenant.Config{
				Order: []tenant.Mode{tenant.ModeJWT, tenant.ModeHeader, tenant.ModeHost, tenant.ModePath}, HostPattern: "{tenant}.example.com",
				Verifier: hsVerifier(t, ""),
			})
			if err != nil {
				t.Fatal(err)
			}
			c.Resolver = r
		})
		tests := []struct {
			name       string
			raw        string // a raw HTTP/1.1 request; {body} is replaced
			wantStatus int
			wantReason string
			wantMsg    string
		}{
			{name: "malformed host", raw: "GET / HTTP/1.1\r\nHost: a.b.example.com\r\n\r\n", wantStatus: 400, wantReason: "bad_host", wantMsg: "tenant label"},
			{name: "malformed path", raw: "GET /t/ACME!/x HTTP/1.1\r\nHost: localhost\r\n\r\n", wantStatus: 400, wantReason: "bad_path", wantMsg: "tenant segment"},
			{name: "percent-encoded tenant segment", raw: "GET /t/%61cme/x HTTP/1.1\r\nHost: localhost\r\n\r\n", wantStatus: 400, wantReason: "bad_path", wantMsg: "percent-encoded"},
			{name: "malformed tenant header", raw: "GET / HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme/../x\r\n\r\n", wantStatus: 400, wantReason: "bad_header", wantMsg: "not a valid tenant id"},
			// fasthttp's engine counts the values (fastHeaders.Count),
			// net/http's reads them (http.Header.Values).
			{name: "repeated tenant header", raw: "GET / HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nX-Tenant-ID: globex\r\n\r\n", wantStatus: 400, wantReason: "bad_header", wantMsg: "repeated"},
			{name: "malformed token", raw: "GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer abc\r\n\r\n", wantStatus: 400, wantReason: "bad_token", wantMsg: "malformed bearer token"},
			{name: "alg none token", raw: "GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiJhY21lIiwiZXhwIjo5OTk5OTk5OTk5fQ.\r\n\r\n", wantStatus: 401, wantReason: "token_rejected", wantMsg: "not accepted"},
			{name: "oversize headers", raw: "GET / HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nX-Big: " + strings.Repeat("x", 20<<10) + "\r\n\r\n", wantStatus: 431, wantReason: "header_too_large", wantMsg: "over the 16384 byte limit"},
			{name: "oversize body by length", raw: "POST / HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nContent-Length: 2000\r\n\r\n{body}", wantStatus: 413, wantReason: "body_too_large", wantMsg: "over the 1024 byte limit"},
			{name: "oversize chunked body", raw: "POST / HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n{body}\r\n0\r\n\r\n", wantStatus: 413, wantReason: "body_too_large", wantMsg: "over the size limit"},
			{name: "unknown tenant", raw: "GET / HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: nobody\r\n\r\n", wantStatus: 404, wantReason: "unknown_tenant", wantMsg: "not in the registry"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				before := metricValue(t, h, fmt.Sprintf("cellfabric_router_rejected_total{reason=%q}", tt.wantReason))
				resp := rawRequest(t, h, strings.Replace(tt.raw, "{body}", strings.Repeat("b", 2000), 1))
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
				}
				var e router.ErrorBody
				if err := json.Unmarshal(body, &e); err != nil || string(e.Reason) != string(tt.wantReason) || !strings.Contains(e.Error, tt.wantMsg) {
					t.Fatalf("body %s, want reason %s and %q", body, tt.wantReason, tt.wantMsg)
				}
				// Parallel subtests may share a reason: the counter only grows.
				if after := metricValue(t, h, fmt.Sprintf("cellfabric_router_rejected_total{reason=%q}", tt.wantReason)); after < before+1 {
					t.Errorf("rejected_total{reason=%s} went from %v to %v", tt.wantReason, before, after)
				}
			})
		}
		// Through all of it, good requests are served.
		if resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.StatusCode != 200 {
			t.Fatalf("good request after bad input: %d %s", resp.StatusCode, body)
		}
	})
}

// sendRaw writes raw on a new connection to the router's tenant listener
// and returns the connection (closed when the test ends, its deadline two
// minutes away: a guard against a hang) for the caller to read.
func sendRaw(t *testing.T, h *harness, raw string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", hostOf(h.url))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	return conn
}

// rawRequest writes a raw request on a new connection and reads the answer.
func rawRequest(t *testing.T, h *harness, raw string) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(sendRaw(t, h, raw)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestBadRegistryKeepsServing: truncated, huge, invalid and older registry
// documents are refused while the router keeps routing with the last good
// one, and every refusal shows in /metrics.
func TestBadRegistryKeepsServing(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	reg := registry(5, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"})
	h := startRouter(t, reg, nil)
	good, _ := json.Marshal(registry(6, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}))
	h.store.SetLimit(len(good) + 10)
	bad := map[string][]byte{
		router.RefusedParse:    good[:len(good)/2],
		router.RefusedTooLarge: []byte(strings.Repeat(" ", len(good)+11)),
		router.RefusedInvalid:  []byte(strings.Replace(string(good), `"cell":"cell-a"`, `"cell":"zz"`, 1)),
		router.RefusedStale: func() []byte {
			b, _ := json.Marshal(registry(4, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}))
			return b
		}(),
	}
	for reason, doc := range bad {
		if err := h.store.Update(doc, "test"); err == nil {
			t.Fatalf("%s document accepted", reason)
		}
		if resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.StatusCode != 200 {
			t.Fatalf("after %s document: %d %s", reason, resp.StatusCode, body)
		}
		if v := metricValue(t, h, fmt.Sprintf("cellfabric_router_registry_reload_failures_total{reason=%q}", reason)); v != 1 {
			t.Errorf("reload_failures_total{reason=%s} = %v, want 1", reason, v)
		}
	}
	if v := metricValue(t, h, "cellfabric_router_registry_epoch"); v != 5 {
		t.Errorf("epoch metric %v, want 5", v)
	}
}
