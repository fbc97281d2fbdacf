//go:build !(js && wasm)

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestRuntimeClientBodyFaults: in workerd, a request body that fails on the
// client's side (malformed chunked encoding, or cut short and the
// connection half-closed) makes fetch fail with the same "Network
// connection lost." as a cell that drops the connection. The Worker must
// still answer it as the client's fault (400 bad_request_body), not as a
// 502 that blames the cell, and store nothing.
func TestRuntimeClientBodyFaults(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	env := startEdge(t, envOptions{config: `{"cacheSeconds":30}`, key: testKey,
		registry: registry(t, 1, []*cell{a, b}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}})})
	const hdr = "PUT /kv/broken HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\n"
	tests := []struct {
		name      string
		raw       string
		halfClose bool
	}{
		{name: "invalid chunk size", raw: hdr + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n"},
		{name: "invalid chunk size after a good chunk", raw: hdr + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n"},
		{name: "body shorter than Content-Length", raw: hdr + "Content-Length: 1000\r\n\r\n0123456789", halfClose: true},
		{name: "chunked body cut short", raw: hdr + "Transfer-Encoding: chunked\r\n\r\n64\r\nonly ten b", halfClose: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(env.rt.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second)) // only against a hang
			if _, err := io.WriteString(conn, tt.raw); err != nil {
				t.Fatal(err)
			}
			if tt.halfClose {
				_ = conn.(*net.TCPConn).CloseWrite()
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e router.ErrorBody
			if resp.StatusCode != 400 || json.Unmarshal(body, &e) != nil || e.Reason != router.ReasonBadRequestBody {
				t.Fatalf("%d %s, want 400 with reason %s", resp.StatusCode, body, router.ReasonBadRequestBody)
			}
			if resp.Header.Get("X-Cell-ID") != "" || e.RequestID == "" || e.Tenant != "acme" {
				t.Errorf("X-Cell-ID %q, body %+v: want the edge's own answer with the request id and tenant", resp.Header.Get("X-Cell-ID"), e)
			}
		})
	}
	t.Run("nothing stored and the cell still serves", func(t *testing.T) {
		r := env.do("GET", "/kv/broken", map[string]string{"X-Tenant-ID": "acme"}, "")
		if r.status != 404 || r.header.Get("X-Cell-ID") != "cell-a" {
			t.Fatalf("GET after the broken uploads: %d from %q, want 404 from a: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
		}
		r = env.do("PUT", "/kv/whole", map[string]string{"X-Tenant-ID": "acme"}, "a whole body")
		if r.status != 201 || r.header.Get("X-Cell-ID") != "cell-a" {
			t.Fatalf("a whole upload: %d from %q, want 201 from a: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
		}
		if r = env.do("GET", "/kv/whole", map[string]string{"X-Tenant-ID": "acme"}, ""); string(r.body) != "a whole body" {
			t.Fatalf("read back %q", r.body)
		}
	})
}
