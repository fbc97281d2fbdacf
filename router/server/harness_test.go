package server

import (
	"bufio"
	"context"
	"encoding/json"
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
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
)

var testKey = edgeauth.Key{ID: "k1", Secret: []byte("test-edge-secret-0123456789")}

// testCell is a real loopback server playing a cell: it verifies the edge
// signature and echoes what it received.
type testCell struct {
	id, cloud string
	srv       *httptest.Server
	hits      atomic.Int64
	status    atomic.Int32 // answer status; 0 = 200
	health    atomic.Int32 // /healthz status; 0 = 200
	hold      atomic.Pointer[chan struct{}]
	remotes   sync.Map // the client addresses of the signed requests
}

type echo struct {
	Cell          string `json:"cell"`
	Method        string `json:"method"`
	Path          string `json:"path"`
	EscapedPath   string `json:"escapedPath"`
	Query         string `json:"query"`
	Tenant        string `json:"tenant"`
	Epoch         int64  `json:"epoch"` // verified (edgeauth), 0 for none
	Traceparent   string `json:"traceparent"`
	RequestID     string `json:"requestId"`
	Host          string `json:"host"`
	ForwardedHost string `json:"forwardedHost"`
	BodyBytes     int    `json:"bodyBytes"`
}

func newTestCell(t *testing.T, id, cloud string) *testCell {
	t.Helper()
	return newTestCellOn(t, id, cloud, httptest.NewServer)
}

// newTLSTestCell is a testCell served over TLS (an https endpoint), with
// httptest's certificate: trust it with testCellRoots.
func newTLSTestCell(t *testing.T, id, cloud string) *testCell {
	t.Helper()
	return newTestCellOn(t, id, cloud, httptest.NewTLSServer)
}

// newTestCellOn is a testCell served by serve (httptest.NewServer or
// httptest.NewTLSServer).
func newTestCellOn(t *testing.T, id, cloud string, serve func(http.Handler) *httptest.Server) *testCell {
	t.Helper()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{testKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := &testCell{id: id, cloud: cloud}
	app := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		c.remotes.Store(r.RemoteAddr, true)
		if h := c.hold.Load(); h != nil {
			<-*h
		}
		body, _ := io.ReadAll(r.Body)
		signed, _ := edgeauth.VerifiedFromContext(r.Context())
		tenant := signed.Tenant
		w.Header().Set("Content-Type", "application/json")
		if s := c.status.Load(); s != 0 {
			w.WriteHeader(int(s))
		}
		_ = json.NewEncoder(w).Encode(echo{
			Cell: id, Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Query: r.URL.RawQuery, Tenant: tenant, Epoch: signed.Epoch,
			Traceparent: r.Header.Get("Traceparent"), RequestID: r.Header.Get("X-Request-ID"), Host: r.Host,
			ForwardedHost: r.Header.Get("X-Forwarded-Host"), BodyBytes: len(body),
		})
	}), nil)
	c.srv = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" { // health checks are not signed
			if s := c.health.Load(); s != 0 {
				w.WriteHeader(int(s))
			}
			return
		}
		app.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *testCell) cell() router.Cell {
	return router.Cell{ID: c.id, Cloud: fabric.Cloud(c.cloud), Region: "local", Endpoint: c.srv.URL, HealthURL: c.srv.URL + "/healthz", Weight: 100, State: fabric.CellActive}
}

// deadURL is a loopback URL nobody listens on: port 1 (tcpmux), which no
// test binds and the kernel never hands out as an ephemeral port. A port
// taken from a listener that is then closed can be handed to another
// test's server running in parallel, which then answers for the "dead"
// cell (seen under -race: a 404 from a closed port).
func deadURL(t *testing.T) string {
	t.Helper()
	return "http://127.0.0.1:1"
}

// eachEngine runs f once per engine, as subtests named "engine=NAME";
// startRouter, called anywhere under one of them, serves with that
// engine. The bad-input, client-fault, failover and proxy tests run this
// way, so that both engines answer the same inputs the same way.
func eachEngine(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, e := range Engines {
		t.Run("engine="+string(e), func(t *testing.T) {
			t.Parallel()
			f(t)
		})
	}
}

// engineOf is the engine of the eachEngine subtest t runs under, or the
// default.
func engineOf(t *testing.T) Engine {
	for _, part := range strings.Split(t.Name(), "/") {
		if e, ok := strings.CutPrefix(part, "engine="); ok {
			return Engine(e)
		}
	}
	return DefaultEngine
}

type harness struct {
	rt     *Router
	store  *router.Store
	url    string
	admin  string
	client *http.Client
	cancel context.CancelFunc
	done   chan error
}

// startRouter runs a Router on loopback listeners with reg installed,
// serving with the engine of the eachEngine subtest t runs under.
func startRouter(t *testing.T, reg *router.Registry, mutate func(*Config)) *harness {
	t.Helper()
	return startRouterWith(t, engineOf(t), reg, mutate)
}

// startRouterWith is startRouter serving with engine, for callers that
// are no eachEngine subtest (a fuzz target starts one router per engine).
func startRouterWith(t testing.TB, engine Engine, reg *router.Registry, mutate func(*Config)) *harness {
	t.Helper()
	store := router.NewStore(nil)
	if reg != nil {
		if err := store.Install(reg, "memory"); err != nil {
			t.Fatal(err)
		}
	}
	signer, err := edgeauth.NewSigner(testKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: store, Signer: signer, Health: health.New(health.Config{Interval: time.Hour}), Engine: engine}
	if mutate != nil {
		mutate(&cfg)
	}
	rt, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	al, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{rt: rt, store: store, url: "http://" + ln.Addr().String(), admin: "http://" + al.Addr().String(), cancel: cancel, done: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}}
	go func() { h.done <- rt.Serve(ctx, ln, al) }()
	t.Cleanup(func() {
		cancel()
		if err := <-h.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		h.client.CloseIdleConnections()
	})
	return h
}

// stop shuts h's router down now and returns what Serve returned, within
// a 10 s guard; the harness's cleanup then expects nothing more of it.
func (h *harness) stop(t *testing.T) error {
	t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- nil // for the harness's cleanup
		return err
	case <-time.After(10 * time.Second): // a guard against a hang
		t.Fatal("Serve did not return within 10 s of being stopped")
		return nil
	}
}

func (h *harness) do(t *testing.T, method, path string, hdr map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (h *harness) get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := h.client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func registry(epoch int64, cells []router.Cell, tenants ...router.Tenant) *router.Registry {
	if tenants == nil {
		tenants = []router.Tenant{}
	}
	return &router.Registry{Version: router.SchemaVersion, Epoch: epoch, Cells: cells, Tenants: tenants, UnknownTenants: fabric.PolicyReject}
}

// rawServer is a loopback server speaking bytes, for cells that answer
// in ways net/http would not write (reset mid-answer, a close-delimited
// body, a protocol switch, pauses): handle gets each connection, with a
// reader over it, and the connection closes when handle returns. It
// stops with the test and returns its address.
func rawServer(t *testing.T, handle func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// oneCell is a registry of cell-a at endpoint, holding tenant acme.
func oneCell(endpoint string) *router.Registry {
	c := router.Cell{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: endpoint, Weight: 100, State: fabric.CellActive}
	return registry(1, []router.Cell{c}, router.Tenant{ID: "acme", Cell: "cell-a"})
}
