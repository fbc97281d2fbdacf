// Package movekit starts what moving tenants needs, on loopback: reference
// cells (workload/refcell) with their state admin APIs, each on the store
// adapter it is given, a tenant directory behind its control API
// (dirhttp), and the registry naming the cells; a cell can be killed as a
// crash would and restarted at its address. Tests of control/mover and
// control/evacuate and the benchmarks of evacuations (bench/evacuate),
// moves and standbys (bench/moves, bench/standby, through
// bench/internal/moverig) run against it; every server is real and
// listens on 127.0.0.1 only.
//
// It imports refcell, the state port and its API client, the directory and
// its HTTP API, the router's registry and edgeauth; nothing imports it but
// tests and benchmarks.
package movekit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// Keys the kit signs with.
var (
	EdgeKey    = edgeauth.Key{ID: "kit-edge", Secret: []byte("movekit-edge-secret-0123456789ab")}
	ControlKey = edgeauth.Key{ID: "kit-ctl", Secret: []byte("movekit-control-secret-012345678")}
)

// CellSpec is a cell to start.
type CellSpec struct {
	// ID is the cell's id. Required.
	ID string
	// Geo is its geography (residency). Zero: "eu".
	Geo string
	// Backend is its store adapter. Required.
	Backend state.Backend
}

// Cell is a running reference cell.
type Cell struct {
	ID    string
	Store state.Store
	URL   string
	// API is its state admin API's client (control-signed).
	API     *stateapi.Client
	healthy atomic.Bool

	handler http.Handler
	mu      sync.Mutex
	addr    string
	srv     *http.Server // nil while killed
}

// SetHealthy makes the cell's health endpoint answer 200 (true) or 503.
func (c *Cell) SetHealthy(ok bool) { c.healthy.Store(ok) }

// Kill closes the cell's listener and connections at once, as a crash
// would; its store keeps its data. Restart brings it back.
func (c *Cell) Kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		_ = c.srv.Close()
		c.srv = nil
	}
}

// Restart serves a killed cell again at its address (the registry names
// it); a running cell is left as it is.
func (c *Cell) Restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		return nil
	}
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after a kill
		if ln, err = net.Listen("tcp", c.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("starting cell %s: %w", c.ID, err)
	}
	c.addr = ln.Addr().String()
	c.srv = &http.Server{Handler: c.handler}
	go func() { _ = c.srv.Serve(ln) }()
	return nil
}

// Kit is the running cells and directory.
type Kit struct {
	Cells    map[string]*Cell
	Registry *router.Registry
	// Directory is the directory itself; Dir its control API's client.
	Directory *directory.Directory
	Dir       *dirhttp.Client
	closers   []func()
	hc        *http.Client
}

// Start starts the cells and the directory. Close stops them.
func Start(specs []CellSpec) (*Kit, error) {
	k := &Kit{Cells: map[string]*Cell{}, Registry: &router.Registry{Version: router.SchemaVersion, Epoch: 1},
		hc: &http.Client{Timeout: 5 * time.Second}}
	for _, s := range specs {
		if s.Geo == "" {
			s.Geo = "eu"
		}
		st := state.New(s.Backend)
		rc, err := refcell.New(refcell.Config{CellID: s.ID, Cloud: "aws", Keys: []edgeauth.Key{EdgeKey}, ControlKeys: []edgeauth.Key{ControlKey}, Store: st})
		if err != nil {
			k.Close()
			return nil, fmt.Errorf("cell %s: %w", s.ID, err)
		}
		c := &Cell{ID: s.ID, Store: st, addr: "127.0.0.1:0"}
		c.SetHealthy(true)
		c.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == refcell.HealthPath && !c.healthy.Load() {
				http.Error(w, "unhealthy (movekit)", http.StatusServiceUnavailable)
				return
			}
			rc.ServeHTTP(w, r)
		})
		if err := c.Restart(); err != nil {
			_ = rc.Close()
			k.Close()
			return nil, err
		}
		k.closers = append(k.closers, func() { c.Kill(); _ = rc.Close() })
		c.URL = "http://" + c.addr
		if c.API, err = stateapi.NewClient(stateapi.ClientConfig{BaseURL: c.URL, Key: ControlKey, MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}); err != nil {
			k.Close()
			return nil, err
		}
		k.Cells[s.ID] = c
		k.Registry.Cells = append(k.Registry.Cells, router.Cell{ID: s.ID, Cloud: "aws", Region: "r-" + s.ID, Endpoint: c.URL,
			HealthURL: c.URL + refcell.HealthPath, Weight: 100, Geo: s.Geo})
	}
	snap, err := router.Compile(k.Registry)
	if err != nil {
		k.Close()
		return nil, err
	}
	if k.Directory, err = directory.New(directory.Config{KV: directory.NewMemory(nil), Registry: func() *router.Snapshot { return snap }}); err != nil {
		k.Close()
		return nil, err
	}
	v, err := edgeauth.NewVerifier([]edgeauth.Key{ControlKey}, edgeauth.VerifierOptions{})
	if err != nil {
		k.Close()
		return nil, err
	}
	ds := httptest.NewServer(dirhttp.Handler(k.Directory, v))
	k.closers = append(k.closers, ds.Close)
	if k.Dir, err = dirhttp.NewClient(dirhttp.ClientConfig{BaseURL: ds.URL, Key: ControlKey, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// Close stops every server.
func (k *Kit) Close() {
	for i := len(k.closers) - 1; i >= 0; i-- {
		k.closers[i]()
	}
	k.closers = nil
	k.hc.CloseIdleConnections()
}

// CellAPI returns a cell's state admin API client.
func (k *Kit) CellAPI(id string) (*stateapi.Client, error) {
	if c, ok := k.Cells[id]; ok {
		return c.API, nil
	}
	return nil, fmt.Errorf("no cell %s in the kit", id)
}

// Health asks a cell's health endpoint, as the CLI does.
func (k *Kit) Health(ctx context.Context, id string) error {
	c, ok := k.Cells[id]
	if !ok {
		return fmt.Errorf("no cell %s in the kit", id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+refcell.HealthPath, nil)
	if err != nil {
		return err
	}
	resp, err := k.hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", c.URL+refcell.HealthPath, resp.StatusCode)
	}
	return nil
}

// Seed adds tenants to the directory on cell, with residency (may be
// empty), each with keys keys written straight into the cell's store
// (key k<i>, value <tenant>-v<i>).
func (k *Kit) Seed(ctx context.Context, cell, residency string, tenants []string, keys int) error {
	c, ok := k.Cells[cell]
	if !ok {
		return fmt.Errorf("no cell %s in the kit", cell)
	}
	for _, id := range tenants {
		if _, _, err := k.Directory.Put(ctx, router.Tenant{ID: id, Cell: cell, Residency: residency}, directory.PutOptions{IfAbsent: true}); err != nil {
			return fmt.Errorf("adding tenant %s: %w", id, err)
		}
		for i := range keys {
			if _, _, err := c.Store.Put(ctx, id, Key(i), []byte(Value(id, i)), state.Cond{}); err != nil {
				return fmt.Errorf("seeding tenant %s: %w", id, err)
			}
		}
	}
	return nil
}

// Key and Value are Seed's i-th key and its value for tenant.
func Key(i int) string                  { return fmt.Sprintf("k%d", i) }
func Value(tenant string, i int) string { return fmt.Sprintf("%s-v%d", tenant, i) }

// CheckMoved verifies that tenant is placed on cell, active, and that the
// cell holds its keys seeded keys with their values, while from refuses
// the tenant as moved: nothing lost, nothing left writable behind.
func (k *Kit) CheckMoved(ctx context.Context, tenant, from, cell string, keys int) error {
	t, _, err := k.Directory.Get(ctx, tenant)
	if err != nil {
		return err
	}
	if t.Cell != cell {
		return fmt.Errorf("tenant %s is placed on %s, want %s", tenant, t.Cell, cell)
	}
	var errs []error
	st := k.Cells[cell].Store
	for i := range keys {
		it, err := st.Get(ctx, tenant, Key(i))
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s key %s on %s: %w", tenant, Key(i), cell, err))
			continue
		}
		if string(it.Value) != Value(tenant, i) {
			errs = append(errs, fmt.Errorf("tenant %s key %s on %s is %q, want %q", tenant, Key(i), cell, it.Value, Value(tenant, i)))
		}
	}
	if _, err := k.Cells[from].Store.Get(ctx, tenant, Key(0)); !errors.Is(err, state.ErrMoved) {
		errs = append(errs, fmt.Errorf("tenant %s on its old cell %s: got %v, want the tenant refused as moved", tenant, from, err))
	}
	return errors.Join(errs...)
}
