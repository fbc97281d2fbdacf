// Package kit holds what the bench programs share: loopback cells that can
// be killed, and a router assembled the way `cellfabric route` assembles it
// (header tenant resolution, health checks, metrics, edge signing, request
// ids). It imports the standard library and the router packages.
package kit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
	"github.com/cellfabric/cellfabric/router/server"
)

// Cell is a loopback upstream that reads the request body and answers 200
// with its id in X-Served-By, and /healthz. Kill closes its listener and
// every connection at once.
type Cell struct {
	ID  string
	URL string
	srv *http.Server

	once sync.Once
}

// StartCell starts a cell on a free loopback port.
func StartCell(id string) (*Cell, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &Cell{ID: id, URL: "http://" + ln.Addr().String()}
	c.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				w.WriteHeader(http.StatusBadRequest) // as an upload endpoint would
				return
			}
			w.Header().Set("X-Served-By", id)
			io.WriteString(w, "ok\n")
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go c.srv.Serve(ln)
	return c, nil
}

// Kill stops the cell the way a crash does.
func (c *Cell) Kill() { c.once.Do(func() { c.srv.Close() }) }

// RegistryCell is c as a registry cell.
func (c *Cell) RegistryCell() router.Cell {
	return router.Cell{ID: c.ID, Cloud: "aws", Region: "us-east-1", Endpoint: c.URL, HealthURL: c.URL + "/healthz", Weight: 100, State: fabric.CellActive}
}

// Router is a running router.
type Router struct {
	URL    string
	Router *server.Router
	stop   context.CancelFunc
	done   chan error
}

// StartRouter serves a router with every feature on over store, with
// health checks every interval, on a free loopback port. Each tune, when
// given, may change the configuration before the router is built.
func StartRouter(store *router.Store, interval time.Duration, tune ...func(*server.Config)) (*Router, error) {
	signer, err := edgeauth.NewSigner(edgeauth.Key{ID: "bench", Secret: []byte("bench-edge-signing-secret-000000")}, nil)
	if err != nil {
		return nil, err
	}
	cfg := server.Config{
		Store:  store,
		Health: health.New(health.Config{Interval: interval}),
		Signer: signer,
	}
	for _, f := range tune {
		f(&cfg)
	}
	rt, err := server.New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Router{URL: "http://" + ln.Addr().String(), Router: rt, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- rt.Serve(ctx, ln, nil) }()
	return r, nil
}

// Stop drains the router.
func (r *Router) Stop() error {
	r.stop()
	return <-r.done
}

// Client returns a keep-alive client for n concurrent requests.
func Client(n int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, Proxy: nil},
		Timeout:   10 * time.Second,
	}
}

// Get sends GET url for tenant ("" for none) and returns the status, or an
// error.
func Get(c *http.Client, url, tenant string) (int, error) {
	return Send(c, http.MethodGet, url, tenant, nil)
}

// Send sends method url for tenant ("" for none) with body (nil for
// none), reads the whole answer and returns its status, or an error.
func Send(c *http.Client, method, url, tenant string, body []byte) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	if tenant != "" {
		req.Header.Set("X-Tenant-ID", tenant)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Failure describes one failed request.
func Failure(status int, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("status %d", status)
}
