package server

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
)

// Cells behind TLS (https endpoints), on every engine: their certificate
// trusted through Config.CellRootCAs, the requests signed as for plain
// cells, failover between https and http cells, large answers and
// keep-alive client connections that go to both kinds.

// testCellRoots trusts the certificates of the given TLS servers.
func testCellRoots(srvs ...*httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, s := range srvs {
		pool.AddCert(s.Certificate())
	}
	return pool
}

// trusting makes the router (its cell clients and its health checks)
// trust roots.
func trusting(roots *x509.CertPool) func(*Config) {
	return func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		c.CellRootCAs = roots
		c.Health = health.New(health.Config{Interval: time.Hour, RootCAs: roots})
	}
}

// untrustedTLSServer serves h over TLS with a self-signed certificate of
// its own (for 127.0.0.1), which no pool of these tests holds.
func untrustedTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "untrusted cell"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestHTTPSCell: requests for a tenant on an https cell are answered by
// the cell, signed as for an http cell, with and without a body; a cell
// whose certificate the router does not trust gets nothing.
func TestHTTPSCell(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		tests := []struct {
			name    string
			method  string
			body    string
			chunked bool // sent with Transfer-Encoding: chunked
		}{
			{name: "GET", method: "GET"},
			{name: "HEAD", method: "HEAD"},
			{name: "POST with a Content-Length body", method: "POST", body: strings.Repeat("payload ", 5000)},
			{name: "POST with a chunked body", method: "POST", body: strings.Repeat("chunk ", 9000), chunked: true},
			{name: "PUT with an empty body", method: "PUT"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				c := newTLSTestCell(t, "secure", "aws")
				h := startRouter(t, registry(1, []router.Cell{c.cell()}, router.Tenant{ID: "acme", Cell: "secure"}), trusting(testCellRoots(c.srv)))
				var rd io.Reader
				if tt.body != "" {
					rd = strings.NewReader(tt.body)
					if tt.chunked {
						rd = io.MultiReader(rd) // a reader of unknown length: sent chunked
					}
				}
				req, err := http.NewRequest(tt.method, h.url+"/orders/7?x=1", rd)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("X-Tenant-ID", "acme")
				req.Host = "api.example.test"
				resp, err := h.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "secure" || resp.Header.Get("X-Processed-By-Cloud") != "aws" {
					t.Fatalf("status %d cell %q cloud %q, want 200 from secure (aws): %s", resp.StatusCode, resp.Header.Get("X-Cell-ID"), resp.Header.Get("X-Processed-By-Cloud"), body)
				}
				if c.hits.Load() != 1 {
					t.Errorf("the cell was hit %d times, want 1", c.hits.Load())
				}
				if tt.method == "HEAD" {
					if len(body) != 0 {
						t.Errorf("HEAD answered with a body: %q", body)
					}
					return
				}
				var e echo
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatalf("answer %q: %v", body, err)
				}
				cellHost := strings.TrimPrefix(c.srv.URL, "https://")
				want := echo{Cell: "secure", Method: tt.method, Path: "/orders/7", EscapedPath: "/orders/7", Query: "x=1", Tenant: "acme",
					RequestID: resp.Header.Get("X-Request-ID"), Host: cellHost, ForwardedHost: "api.example.test", BodyBytes: len(tt.body)}
				if e != want {
					t.Errorf("the cell saw %+v\nwant          %+v", e, want)
				}
			})
		}
		t.Run("certificate not trusted", func(t *testing.T) {
			t.Parallel()
			c := newTLSTestCell(t, "secure", "aws")
			other := untrustedTLSServer(t, http.NotFoundHandler())
			// Roots that hold a certificate, but not the cell's.
			h := startRouter(t, registry(1, []router.Cell{c.cell()}, router.Tenant{ID: "acme", Cell: "secure"}), trusting(testCellRoots(other)))
			resp, body := h.do(t, "GET", "/x", map[string]string{"X-Tenant-ID": "acme"}, "")
			if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "upstream_unavailable") {
				t.Fatalf("status %d %s, want 502 upstream_unavailable", resp.StatusCode, body)
			}
			if c.hits.Load() != 0 {
				t.Errorf("a cell whose certificate is not trusted got %d requests", c.hits.Load())
			}
		})
	})
}

// TestHTTPSCellFailover: a request fails over between https and http
// cells both ways, and away from an https cell whose certificate is not
// trusted.
func TestHTTPSCellFailover(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		tests := []struct {
			name   string
			method string
			body   string
			// primary is "dead https", "dead http" or "untrusted";
			// the failover is the live cell, over TLS when liveTLS.
			primary string
			liveTLS bool
		}{
			{name: "dead https to http, GET", primary: "dead https", method: "GET"},
			{name: "dead https to http, POST", primary: "dead https", method: "POST", body: "payload"},
			{name: "dead http to https, GET", primary: "dead http", liveTLS: true, method: "GET"},
			{name: "dead http to https, POST", primary: "dead http", liveTLS: true, method: "POST", body: "payload"},
			{name: "untrusted https to https, POST", primary: "untrusted", liveTLS: true, method: "POST", body: "payload"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				live := newTestCell(t, "live", "gcp")
				if tt.liveTLS {
					live = newTLSTestCell(t, "live", "gcp")
				}
				primary := router.Cell{ID: "primary", Cloud: "aws", Region: "r", Weight: 100}
				var untrustedHits atomic.Int64
				switch tt.primary {
				case "dead https":
					primary.Endpoint = "https://127.0.0.1:1"
				case "dead http":
					primary.Endpoint = deadURL(t)
				case "untrusted":
					primary.Endpoint = untrustedTLSServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { untrustedHits.Add(1) })).URL
				}
				roots := x509.NewCertPool()
				if tt.liveTLS {
					roots = testCellRoots(live.srv)
				}
				h := startRouter(t, registry(1, []router.Cell{primary, live.cell()}, router.Tenant{ID: "acme", Cell: "primary", Failover: []string{"live"}}), trusting(roots))
				resp, body := h.do(t, tt.method, "/x", map[string]string{"X-Tenant-ID": "acme"}, tt.body)
				if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "live" {
					t.Fatalf("status %d cell %q, want 200 from live: %s", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body)
				}
				var e echo
				if err := json.Unmarshal(body, &e); err != nil || e.Tenant != "acme" || e.BodyBytes != len(tt.body) {
					t.Errorf("the live cell saw %+v (%v), want tenant acme and %d body bytes", e, err, len(tt.body))
				}
				if untrustedHits.Load() != 0 {
					t.Errorf("the untrusted cell got %d requests", untrustedHits.Load())
				}
			})
		}
	})
}

// bigAnswer is the answer of TestHTTPSCellLargeAnswer: n bytes no run of
// which repeats at a short period, so that a lost or doubled piece shows.
func bigAnswer(n int) []byte {
	b := make([]byte, 0, n+32)
	for i := 0; len(b) < n; i++ {
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, ' ')
	}
	return b[:n]
}

// TestHTTPSCellLargeAnswer: an answer of several MiB from an https cell,
// streamed in pieces (chunked) or with its Content-Length, reaches the
// client whole.
func TestHTTPSCellLargeAnswer(t *testing.T) {
	t.Parallel()
	const size = 6 << 20
	want := bigAnswer(size)
	wantSum := sha256.Sum256(want)
	eachEngine(t, func(t *testing.T) {
		for _, withLength := range []bool{false, true} {
			t.Run(fmt.Sprintf("content-length=%v", withLength), func(t *testing.T) {
				t.Parallel()
				v, err := edgeauth.NewVerifier([]edgeauth.Key{testKey}, edgeauth.VerifierOptions{})
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewTLSServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if withLength {
						w.Header().Set("Content-Length", strconv.Itoa(size))
					}
					f := w.(http.Flusher)
					for rest := want; len(rest) > 0; {
						n := min(len(rest), 48<<10)
						if _, err := w.Write(rest[:n]); err != nil {
							return
						}
						f.Flush()
						rest = rest[n:]
					}
				}), nil))
				t.Cleanup(srv.Close)
				cell := router.Cell{ID: "secure", Cloud: "aws", Region: "r", Endpoint: srv.URL, Weight: 100, State: fabric.CellActive}
				h := startRouter(t, registry(1, []router.Cell{cell}, router.Tenant{ID: "acme", Cell: "secure"}), trusting(testCellRoots(srv)))
				resp, body := h.do(t, "GET", "/big", map[string]string{"X-Tenant-ID": "acme"}, "")
				if resp.StatusCode != 200 || len(body) != size || sha256.Sum256(body) != wantSum {
					t.Fatalf("status %d, %d bytes (want 200, %d bytes, the cell's)", resp.StatusCode, len(body), size)
				}
			})
		}
	})
}

// TestHTTPSCellKeepAlive: one client connection carries requests that go
// in turn to an http cell and to an https one, with and without bodies;
// every one is answered by its cell, and the https cell is reached on one
// kept-alive connection.
func TestHTTPSCellKeepAlive(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		plain := newTestCell(t, "plain", "gcp")
		secure := newTLSTestCell(t, "secure", "aws")
		reg := registry(1, []router.Cell{plain.cell(), secure.cell()},
			router.Tenant{ID: "p", Cell: "plain"}, router.Tenant{ID: "s", Cell: "secure"})
		h := startRouter(t, reg, trusting(testCellRoots(secure.srv)))
		conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for i := range 8 {
			tenant, cell := "p", "plain"
			if i%2 == 1 {
				tenant, cell = "s", "secure"
			}
			method, body := "GET", ""
			if i%4 >= 2 {
				method, body = "POST", strings.Repeat("b", 1000+i)
			}
			req, _ := http.NewRequest(method, h.url+"/k/"+strconv.Itoa(i), strings.NewReader(body))
			req.Header.Set("X-Tenant-ID", tenant)
			if err := req.Write(conn); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				t.Fatalf("request %d (%s to %s): %v", i, method, cell, err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != cell || resp.Close {
				t.Fatalf("request %d (%s to %s): status %d cell %q close %v (%v): %s", i, method, cell, resp.StatusCode, resp.Header.Get("X-Cell-ID"), resp.Close, err, got)
			}
			var e echo
			if err := json.Unmarshal(got, &e); err != nil || e.Path != "/k/"+strconv.Itoa(i) || e.Tenant != tenant || e.BodyBytes != len(body) {
				t.Fatalf("request %d: the cell saw %+v (%v)", i, e, err)
			}
		}
		if plain.hits.Load() != 4 || secure.hits.Load() != 4 {
			t.Errorf("hits plain=%d secure=%d, want 4 each", plain.hits.Load(), secure.hits.Load())
		}
		conns := 0
		secure.remotes.Range(func(any, any) bool { conns++; return true })
		if n := conns; n != 1 {
			t.Errorf("the https cell was reached on %d connections, want 1 kept alive", n)
		}
	})
}

// TestHTTPSCellCloseDelimited: an answer from an https cell whose body
// ends where the cell closes its connection reaches the client whole when
// the cell closes cleanly; when the cell's connection is reset in it, the
// client does not get it as a complete answer.
func TestHTTPSCellCloseDelimited(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		for _, tc := range []struct {
			reset bool
			// big: an answer far larger than the router holds for a
			// client, read only after a pause (on the event-loop engine
			// the rest comes through its slow lane).
			big bool
		}{{false, false}, {true, false}, {false, true}, {true, true}} {
			t.Run(fmt.Sprintf("reset=%v,big=%v", tc.reset, tc.big), func(t *testing.T) {
				t.Parallel()
				answer := "close-delimited body"
				if tc.big {
					answer = strings.Repeat("0123456789abcdef", 1<<21) // 32 MiB
				}
				srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						return
					}
					tc2 := conn.(*tls.Conn)
					_, _ = io.WriteString(tc2, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"+answer)
					if tc.reset {
						_ = tc2.NetConn().(*net.TCPConn).SetLinger(0) // Close sends a reset
						_ = tc2.NetConn().Close()
						return
					}
					_ = tc2.Close() // close_notify, then the connection's end
				}))
				t.Cleanup(srv.Close)
				cell := router.Cell{ID: "secure", Cloud: "aws", Region: "r", Endpoint: srv.URL, Weight: 100, State: fabric.CellActive}
				h := startRouter(t, registry(1, []router.Cell{cell}, router.Tenant{ID: "acme", Cell: "secure"}), func(c *Config) {
					trusting(testCellRoots(srv))(c)
					c.MaxAttempts = 1
				})
				req, _ := http.NewRequest("GET", h.url+"/x", nil)
				req.Header.Set("X-Tenant-ID", "acme")
				resp, err := h.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				if tc.big {
					time.Sleep(300 * time.Millisecond) // lets the answer pile up; asserts nothing
				}
				body, readErr := io.ReadAll(resp.Body)
				resp.Body.Close()
				complete := resp.StatusCode == 200 && readErr == nil
				switch {
				case !tc.reset && (!complete || string(body) != answer):
					t.Fatalf("status %d, %d bytes (%v), want 200 and the %d bytes whole", resp.StatusCode, len(body), readErr, len(answer))
				case tc.reset && complete:
					t.Fatalf("an answer whose cell connection was reset reached the client as complete: status %d, %d of %d bytes", resp.StatusCode, len(body), len(answer))
				}
			})
		}
	})
}

// TestHTTPSCellHeadTimeout: UpstreamTimeout bounds the wait for an https
// cell's head as for an http cell's (504).
func TestHTTPSCellHeadTimeout(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		const timeout = 100 * time.Millisecond
		release := make(chan struct{})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		cell := router.Cell{ID: "secure", Cloud: "aws", Region: "r", Endpoint: srv.URL, Weight: 100, State: fabric.CellActive}
		h := startRouter(t, registry(1, []router.Cell{cell}, router.Tenant{ID: "acme", Cell: "secure"}), func(c *Config) {
			trusting(testCellRoots(srv))(c)
			c.UpstreamTimeout = timeout
			c.MaxAttempts = 1
		})
		if resp, body := h.do(t, "GET", "/slowhead", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "upstream_timeout") {
			t.Fatalf("head later than the timeout: %d %s, want 504 upstream_timeout", resp.StatusCode, body)
		}
	})
}

// TestHTTPSCellStalePlacement: a stale_placement answer from an https
// cell is looked at and the request sent once more, body and all, to the
// tenant's new cell, whether each of the two is reached over TLS or not.
func TestHTTPSCellStalePlacement(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		tests := []struct {
			name           string
			fromTLS, toTLS bool
		}{
			{name: "https to https", fromTLS: true, toTLS: true},
			{name: "https to http", fromTLS: true},
			{name: "http to https", toTLS: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				serve := func(tls bool) func(http.Handler) *httptest.Server {
					if tls {
						return httptest.NewTLSServer
					}
					return httptest.NewServer
				}
				a, b := newFencedCellOn(t, "cell-a", 2, serve(tt.fromTLS)), newFencedCellOn(t, "cell-b", 2, serve(tt.toTLS))
				var tlsSrvs []*httptest.Server
				for _, c := range []*fencedCell{a, b} {
					if strings.HasPrefix(c.srv.URL, "https://") {
						tlsSrvs = append(tlsSrvs, c.srv)
					}
				}
				mem := newMemFeed(router.Tenant{ID: "acme", Cell: "cell-a"}) // epoch 1
				f := &getFeed{memFeed: mem, fresh: map[string]router.Tenant{"acme": {ID: "acme", Cell: "cell-b", Epoch: 2}}}
				h := loadedRouter(t, registry(1, []router.Cell{a.cell(), b.cell()}), f, "acme", trusting(testCellRoots(tlsSrvs...)))
				const body = "gold"
				resp, got := h.do(t, "PUT", "/kv/plan", map[string]string{"X-Tenant-ID": "acme"}, body)
				var e fencedEcho
				if resp.StatusCode != 200 || resp.Header.Get("X-Cell-ID") != "cell-b" || json.Unmarshal(got, &e) != nil {
					t.Fatalf("%d from %q: %.200s; want 200 from cell-b", resp.StatusCode, resp.Header.Get("X-Cell-ID"), got)
				}
				if e.Tenant != "acme" || e.Epoch != 2 || e.Body != body || a.hits.Load() != 1 || b.hits.Load() != 1 {
					t.Errorf("cell-b received %+v; hits a=%d b=%d; want acme at epoch 2 with %q, one hit each", e, a.hits.Load(), b.hits.Load(), body)
				}
			})
		}
	})
}

// muteServer takes TCP connections and says nothing on them (a cell
// whose host is up but whose server hangs: a TLS handshake to it never
// ends). It returns its address.
func muteServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// TestHTTPSCellHandshakeTimeout: a cell that takes its TCP connections
// and never answers the TLS handshake does not hold a request: the
// handshake is bounded by DialTimeout on every engine. Nothing was sent,
// so the attempt counts as not sent: with no other cell to try the
// answer is 502 upstream_unavailable (the cell could not be reached), and with
// one the request goes there (the tenant's failover cell), as it would
// from a cell that refuses connections.
func TestHTTPSCellHandshakeTimeout(t *testing.T) {
	t.Parallel()
	for _, failover := range []bool{false, true} {
		t.Run(fmt.Sprintf("failover=%v", failover), func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				mute := router.Cell{ID: "mute", Cloud: "aws", Region: "r", Endpoint: "https://" + muteServer(t), Weight: 100, State: fabric.CellActive}
				cells := []router.Cell{mute}
				tenant := router.Tenant{ID: "acme", Cell: "mute"}
				if failover {
					b := newTestCell(t, "cell-b", "gcp")
					cells = append(cells, b.cell())
					tenant.Failover = []string{"cell-b"}
				}
				h := startRouter(t, registry(1, cells, tenant), func(c *Config) {
					trusting(x509.NewCertPool())(c)
					c.DialTimeout = 200 * time.Millisecond
				})
				resp, body := h.do(t, "GET", "/x", map[string]string{"X-Tenant-ID": "acme"}, "")
				switch {
				case failover && (resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cell-ID") != "cell-b"):
					t.Fatalf("a primary that never completes the handshake, a healthy failover cell: %d from %q %s, want 200 from cell-b", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body)
				case !failover && (resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "upstream_unavailable")):
					t.Fatalf("a cell that never completes the handshake: %d %s, want 502 upstream_unavailable", resp.StatusCode, body)
				}
			})
		})
	}
}

// TestCellClosesIdleConnection: a cell closes the router's kept-alive
// connections while they are idle (as a server does past its own idle
// timeout); the next request without a body, which meets such a
// connection closed under it, is sent again on a fresh one, as net/http's
// transport does, rather than failed: its client gets the cell's answer,
// over http and over https alike.
func TestCellClosesIdleConnection(t *testing.T) {
	t.Parallel()
	for _, https := range []bool{false, true} {
		t.Run(fmt.Sprintf("https=%v", https), func(t *testing.T) {
			t.Parallel()
			eachEngine(t, func(t *testing.T) {
				a := newTestCell(t, "cell-a", "aws")
				var mutate func(*Config)
				if https {
					a = newTLSTestCell(t, "cell-a", "aws")
					mutate = trusting(testCellRoots(a.srv))
				}
				h := startRouter(t, registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), mutate)
				conn, err := net.Dial("tcp", hostOf(h.url))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				br := bufio.NewReader(conn)
				for i := range 3 {
					if i > 0 {
						a.srv.CloseClientConnections() // the router's kept-alive connection, idle
					}
					if _, err := io.WriteString(conn, "GET /k/"+strconv.Itoa(i)+" HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: acme\r\n\r\n"); err != nil {
						t.Fatal(err)
					}
					_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard against a hang
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatalf("request %d: %v", i, err)
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cell-ID") != "cell-a" {
						t.Errorf("request %d, after the cell closed the router's idle connection: %d from %q (%v): %s; want 200 from cell-a", i, resp.StatusCode, resp.Header.Get("X-Cell-ID"), err, body)
					}
				}
			})
		})
	}
}

// TestHTTPSCellCutAnswerHTTP10: an https cell resets its connection in the
// middle of an answer without a length to an HTTP/1.0 client, whose body
// ends where the router closes the client's connection: the client's
// connection is reset, on every engine (through the TLS bridge on the
// event-loop engine), so that the client reads an error, not the answer's
// end.
func TestHTTPSCellCutAnswerHTTP10(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		const start = "the start of the answer, "
		crash := make(chan struct{})
		crashOnce := sync.OnceFunc(func() { close(crash) })
		defer crashOnce()
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			tc := conn.(*tls.Conn)
			defer tc.NetConn().Close()
			if _, err := io.WriteString(tc, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"+start); err != nil {
				return
			}
			<-crash
			_ = tc.NetConn().(*net.TCPConn).SetLinger(0) // the deferred Close sends a reset
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(crashOnce) // before srv.Close, which waits for the handler
		cell := router.Cell{ID: "secure", Cloud: "aws", Region: "r", Endpoint: srv.URL, Weight: 100, State: fabric.CellActive}
		h := startRouter(t, registry(1, []router.Cell{cell}, router.Tenant{ID: "acme", Cell: "secure"}), trusting(testCellRoots(srv)))
		body := http10AnswerStart(t, h, start)
		crashOnce()
		if rest, err := io.ReadAll(body); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("the https cell broke its answer off after %q; the client read %q more, then %v; want a connection reset", start, rest, err)
		}
	})
}
