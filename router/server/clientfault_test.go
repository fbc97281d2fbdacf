package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// exchange sends raw on a new connection to addr (host:port), half-closes
// the connection's write side when halfClose is set, and reads one
// response. It returns an error when the connection ends without one. The
// deadline only keeps a broken router from hanging the test.
func exchange(t *testing.T, addr, raw string, halfClose bool) (*http.Response, []byte, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		return nil, nil, err
	}
	if halfClose {
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			return nil, nil, err
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func hostOf(url string) string { return strings.TrimPrefix(url, "http://") }

// assertCellSpared checks that nothing a client did counted against cell
// a: it is healthy and not ejected, no upstream error was counted for it,
// no request went to the failover cell b, and a normal request for acme is
// served by a.
func assertCellSpared(t *testing.T, h *harness, a, b *testCell, bHitsBefore int64) {
	t.Helper()
	for _, s := range h.rt.Health().Status() {
		if s.Cell == "cell-a" && (!s.Healthy || s.Ejected) {
			t.Errorf("cell a: healthy %v ejected %v, want healthy and in rotation", s.Healthy, s.Ejected)
		}
	}
	if n := h.rt.Health().Ejections(); n != 0 {
		t.Errorf("%d ejections, want 0", n)
	}
	if v := metricValue(t, h, `cellfabric_router_upstream_errors_total{cell="cell-a"}`); v != 0 {
		t.Errorf("upstream_errors_total{cell=a} = %v, want 0", v)
	}
	if n := b.hits.Load(); n != bHitsBefore {
		t.Errorf("failover cell b got %d requests, want %d: a client's fault was retried", n, bHitsBefore)
	}
	tenants := []string{"acme"}
	if _, ok := h.store.Snapshot().Tenant("solo"); ok {
		tenants = append(tenants, "solo") // on a only, without a failover
	}
	for _, tn := range tenants {
		resp, body := h.do(t, "GET", "/after", map[string]string{"X-Tenant-ID": tn}, "")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "cell-a" {
			t.Errorf("normal request for %s after the faults: %d from %q, want 200 from a: %s", tn, resp.StatusCode, resp.Header.Get("X-Cell-ID"), body)
		}
	}
}

// TestClientBodyFaultsSpareTheCell: request bodies that fail because of the
// client (malformed chunked encoding, shorter than Content-Length, over the
// size limit, too slow) are answered as the client's fault, are not retried,
// and never count against the tenant's cell, however many arrive.
func TestClientBodyFaultsSpareTheCell(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		const hdr = "PUT /kv/x HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\n"
		tests := []struct {
			name       string
			raw        string
			halfClose  bool
			mutate     func(*Config)
			wantStatus int
			wantReason router.Reason
		}{
			{name: "invalid chunk size", raw: hdr + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n",
				wantStatus: 400, wantReason: router.ReasonBadRequestBody},
			{name: "invalid chunk size after a good chunk", raw: hdr + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n",
				wantStatus: 400, wantReason: router.ReasonBadRequestBody},
			{name: "chunked body cut short", raw: hdr + "Transfer-Encoding: chunked\r\n\r\n64\r\nonly ten b", halfClose: true,
				wantStatus: 400, wantReason: router.ReasonBadRequestBody},
			{name: "body shorter than Content-Length", raw: hdr + "Content-Length: 1000\r\n\r\n0123456789", halfClose: true,
				wantStatus: 400, wantReason: router.ReasonBadRequestBody},
			{name: "chunked body over the limit", raw: hdr + "Transfer-Encoding: chunked\r\n\r\n800\r\n" + strings.Repeat("b", 2048) + "\r\n0\r\n\r\n",
				mutate: func(c *Config) { c.MaxBodyBytes = 1024 }, wantStatus: 413, wantReason: router.ReasonBodyTooLarge},
			{name: "client too slow to send its body", raw: hdr + "Content-Length: 100\r\n\r\n0123456789",
				mutate: func(c *Config) { c.ReadTimeout = 300 * time.Millisecond }, wantStatus: 408, wantReason: router.ReasonClientTimeout},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a := newTestCell(t, "cell-a", "aws")
				b := newTestCell(t, "cell-b", "gcp")
				h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}, router.Tenant{ID: "solo", Cell: "cell-a"}), tt.mutate)
				// More than enough consecutive failures to eject the cell, were
				// they counted.
				const n = 8
				wrong := 0
				for i := 0; i < n; i++ {
					resp, body, err := exchange(t, hostOf(h.url), tt.raw, tt.halfClose)
					if err != nil {
						t.Fatalf("request %d: no answer: %v", i, err)
					}
					var e router.ErrorBody
					if resp.StatusCode != tt.wantStatus || json.Unmarshal(body, &e) != nil || string(e.Reason) != string(tt.wantReason) {
						if wrong++; wrong == 1 { // go on: what follows shows the harm done
							t.Errorf("request %d: %d %s, want %d with reason %s", i, resp.StatusCode, body, tt.wantStatus, tt.wantReason)
						}
						continue
					}
					if e.RequestID == "" || resp.Header.Get("X-Request-ID") != e.RequestID {
						t.Errorf("request %d: request id %q in the body, %q in the header", i, e.RequestID, resp.Header.Get("X-Request-ID"))
					}
				}
				if wrong > 0 {
					t.Errorf("%d of %d answers wrong", wrong, n)
				}
				if v := metricValue(t, h, fmt.Sprintf("cellfabric_router_rejected_total{reason=%q}", tt.wantReason)); v != n {
					t.Errorf("rejected_total{reason=%s} = %v, want %d", tt.wantReason, v, n)
				}
				if v := metricValue(t, h, fmt.Sprintf(`cellfabric_router_requests_total{cell="",cloud="",code="%d"}`, tt.wantStatus)); v != n {
					t.Errorf("requests_total{cell=\"\",code=%d} = %v, want %d (the router answered, not the cell)", tt.wantStatus, v, n)
				}
				assertCellSpared(t, h, a, b, 0)
			})
		}
	})
}

// TestClientGoneSparesTheCell: clients that vanish (a reset in the middle
// of the body, or while the cell's answer streams back) are counted as
// client_closed and never against the cell.
func TestClientGoneSparesTheCell(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		t.Run("reset in the middle of the body", func(t *testing.T) {
			t.Parallel()
			a := newTestCell(t, "cell-a", "aws")
			b := newTestCell(t, "cell-b", "gcp")
			h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), nil)
			const n = 8
			for i := 0; i < n; i++ {
				conn, err := net.Dial("tcp", hostOf(h.url))
				if err != nil {
					t.Fatal(err)
				}
				io.WriteString(conn, "POST /upload HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\nContent-Length: 100000\r\n\r\n0123456789")
				// The router is streaming the body to the cell: reset.
				waitUntil(t, "request at the cell", func() bool { return a.hits.Load() == int64(i+1) })
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
			// A reset reads as ECONNRESET, or as the end of the connection
			// when the router was waiting for the cell: client_closed both.
			waitUntil(t, "every request counted", func() bool {
				return metricValue(t, h, `cellfabric_router_rejected_total{reason="client_closed"}`) == n
			})
			if v := metricValue(t, h, `cellfabric_router_requests_total{cell="",cloud="",code="499"}`); v != n {
				t.Errorf("requests_total{cell=\"\",code=499} = %v, want %d", v, n)
			}
			assertCellSpared(t, h, a, b, 0)
		})
		t.Run("gone while the answer streams", func(t *testing.T) {
			t.Parallel()
			// A cell that streams a long answer until its client stops reading.
			streamed := make(chan struct{}, 16)
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/healthz" {
					return
				}
				w.WriteHeader(200)
				chunk := []byte(strings.Repeat("x", 32<<10))
				for i := 0; i < 4096; i++ {
					if _, err := w.Write(chunk); err != nil {
						break
					}
					w.(http.Flusher).Flush()
				}
				streamed <- struct{}{}
			}))
			t.Cleanup(s.Close)
			a := &testCell{id: "cell-a", cloud: "aws", srv: s}
			b := newTestCell(t, "cell-b", "gcp")
			h := startRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}}), nil)
			for i := 0; i < 8; i++ {
				conn, err := net.Dial("tcp", hostOf(h.url))
				if err != nil {
					t.Fatal(err)
				}
				io.WriteString(conn, "GET /stream HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("stream %d: %v %v", i, resp, err)
				}
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
				<-streamed // the cell's handler saw its writes fail
			}
			for _, st := range h.rt.Health().Status() {
				if st.Cell == "cell-a" && (!st.Healthy || st.Ejected) {
					t.Errorf("cell a: healthy %v ejected %v", st.Healthy, st.Ejected)
				}
			}
			if v := metricValue(t, h, `cellfabric_router_upstream_errors_total{cell="cell-a"}`); v != 0 {
				t.Errorf("upstream_errors_total{cell=a} = %v, want 0", v)
			}
			if n := h.rt.Health().Ejections(); n != 0 || b.hits.Load() != 0 {
				t.Errorf("%d ejections, %d requests at the failover cell; want 0 and 0", n, b.hits.Load())
			}
		})
	})
}

// startRefCell serves a reference cell that accepts testKey.
func startRefCell(t *testing.T, id string) (*refcell.Cell, router.Cell) {
	t.Helper()
	rc, err := refcell.New(refcell.Config{CellID: id, Cloud: "aws", Region: "local", Keys: []edgeauth.Key{testKey}, Store: state.New(embedded.New())})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	t.Cleanup(func() {
		srv.Close()
		rc.Close()
	})
	return rc, router.Cell{ID: id, Cloud: "aws", Region: "local", Endpoint: srv.URL, HealthURL: srv.URL + refcell.HealthPath, Weight: 100, State: fabric.CellActive}
}

// TestAbortedUploadIsAnError: a client that stops before its Content-Length
// and half-closes its connection is answered with an error, never 200, and
// nothing is stored: through the router and at the reference cell itself.
func TestAbortedUploadIsAnError(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		_, rc := startRefCell(t, "ref")
		h := startRouter(t, registry(1, []router.Cell{rc}, router.Tenant{ID: "acme", Cell: "ref"}), nil)
		const upload = "Content-Length: 1000\r\n\r\n0123456789"

		t.Run("through the router", func(t *testing.T) {
			resp, body, err := exchange(t, hostOf(h.url), "PUT /kv/aborted HTTP/1.1\r\nHost: localhost\r\nX-Tenant-ID: acme\r\n"+upload, true)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			var e router.ErrorBody
			if resp.StatusCode != 400 || json.Unmarshal(body, &e) != nil || e.Reason != router.ReasonBadRequestBody {
				t.Fatalf("aborted upload answered %d %q, want 400 with reason %s", resp.StatusCode, body, router.ReasonBadRequestBody)
			}
			if v := metricValue(t, h, `cellfabric_router_rejected_total{reason="bad_request_body"}`); v != 1 {
				t.Errorf("rejected_total{reason=bad_request_body} = %v, want 1", v)
			}
			if v := metricValue(t, h, `cellfabric_router_requests_total{cell="ref",cloud="aws",code="200"}`); v != -1 {
				t.Errorf("a 200 was counted for the cell (%v)", v)
			}
			if resp, body := h.do(t, "GET", "/kv/aborted", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.StatusCode != 404 {
				t.Fatalf("GET after the aborted upload: %d %s, want 404 (nothing stored)", resp.StatusCode, body)
			}
		})
		t.Run("at the reference cell", func(t *testing.T) {
			signer, err := edgeauth.NewSigner(testKey, nil)
			if err != nil {
				t.Fatal(err)
			}
			host := hostOf(rc.Endpoint)
			signed := func(method string) string {
				req, _ := http.NewRequest(method, rc.Endpoint+"/kv/direct", nil)
				signer.SignRequest(req, "acme")
				var sb strings.Builder
				fmt.Fprintf(&sb, "%s /kv/direct HTTP/1.1\r\nHost: %s\r\n", method, host)
				for k, vs := range req.Header {
					fmt.Fprintf(&sb, "%s: %s\r\n", k, vs[0])
				}
				return sb.String()
			}
			resp, body, err := exchange(t, host, signed("PUT")+upload, true)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if resp.StatusCode != 400 {
				t.Fatalf("aborted upload answered %d %q by the cell, want 400", resp.StatusCode, body)
			}
			resp, body, err = exchange(t, host, signed("GET")+"\r\n", false)
			if err != nil || resp.StatusCode != 404 {
				t.Fatalf("GET after the aborted upload: %v %v %s, want 404 (nothing stored)", resp, err, body)
			}
		})
	})
}
