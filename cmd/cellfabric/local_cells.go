package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/cellfabric/cellfabric/components/edge"
	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/stacks"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// localCell is one reference cell of `cellfabric local`, on a loopback port
// that stays the same across stop and start (the registry names it).
type localCell struct {
	id, cloud, region string
	cell              *refcell.Cell
	store             contract.Kind     // the adapter of the cell's state store
	stateAPI          bool              // the cell serves the state admin API
	tracing           *tracing.Provider // nil when tracing is off
	logger            *slog.Logger

	mu   sync.Mutex
	addr string       // host:port; "127.0.0.1:0" until the first start
	srv  *http.Server // nil while stopped
}

// newLocalCells creates one reference cell per topology cell, sharing the
// edge key and, when control is not nil, serving the state admin API
// (workload/state/stateapi) verified with that control key; each keeps its
// data in store and, with trace on, exports its spans under its own
// resource (cell id, cloud, region).
func newLocalCells(ctx context.Context, topo *stacks.Topology, key edgeauth.Key, control *edgeauth.Key, store *localStore, trace traceOptions, logger *slog.Logger) ([]*localCell, error) {
	var controlKeys []edgeauth.Key
	if control != nil {
		controlKeys = []edgeauth.Key{*control}
	}
	var cells []*localCell
	for _, tc := range topo.Cells {
		tp, err := trace.provider(ctx, traceServiceCell, func(string) string { return "" }, logger.With(logattr.Cell, tc.ID), cellTraceAttrs(tc.ID, string(tc.Cloud), tc.Region)...)
		if err != nil {
			closeLocalCells(cells)
			return nil, fmt.Errorf("cell %s: %w", tc.ID, err)
		}
		st, kind, err := store.open(ctx, tc.ID, tc.Cloud, logger.With(logattr.Cell, tc.ID))
		if err != nil {
			shutdownTracing(tp, "local", io.Discard)
			closeLocalCells(cells)
			return nil, fmt.Errorf("cell %s: %w", tc.ID, err)
		}
		c, err := refcell.New(refcell.Config{
			CellID: tc.ID, Cloud: string(tc.Cloud), Region: tc.Region,
			Keys: []edgeauth.Key{key}, ControlKeys: controlKeys, Store: st, StoreKind: string(kind), Logger: logger, // the cell names itself in its lines (logattr.Cell)
			Tracing: tp,
		})
		if err != nil {
			st.Close()
			shutdownTracing(tp, "local", io.Discard)
			closeLocalCells(cells)
			return nil, err
		}
		cells = append(cells, &localCell{id: tc.ID, cloud: string(tc.Cloud), region: tc.Region, cell: c, store: kind, stateAPI: control != nil, tracing: tp, logger: logger, addr: "127.0.0.1:0"})
	}
	return cells, nil
}

func closeLocalCells(cells []*localCell) {
	for _, c := range cells {
		_ = c.stop()
		_ = c.cell.Close()
		shutdownTracing(c.tracing, "local", io.Discard)
	}
}

// start listens on the cell's port (a fresh one the first time) and serves.
func (c *localCell) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("starting cell %s on %s: %w", c.id, c.addr, err)
	}
	c.addr = ln.Addr().String()
	srv := newCellServer(c.cell, c.logger)
	c.srv = srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// stop closes the listener and every open connection at once, as a crashed
// cell would: the router sees refused connections and failed health checks.
func (c *localCell) stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv == nil {
		return nil
	}
	err := c.srv.Close()
	c.srv = nil
	return err
}

func (c *localCell) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.srv != nil
}

func (c *localCell) endpoint() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "http://" + c.addr
}

// stateAPIURL is the URL of the cell's state admin API (its endpoint and
// stateapi.BasePath; a stateapi.Client takes the endpoint), or "" when the
// API is off.
func (c *localCell) stateAPIURL() string {
	if !c.stateAPI {
		return ""
	}
	return c.endpoint() + stateapi.BasePath
}

// localOutputs are the stack outputs the topology would have if its cells
// were the local ones: each cell's outputs (the cell contract) with its
// loopback endpoint, and the routing half built by the function a
// deployment's edge uses (edge.Routing), so the local registry comes from
// the same input as a deployed one.
func localOutputs(topo *stacks.Topology, cells []*localCell) router.StackOutputs {
	out := router.StackOutputs{Cells: make(map[string]router.CellOutputs, len(topo.Cells)), Routing: edge.Routing(topo)}
	for i, tc := range topo.Cells {
		ep := cells[i].endpoint()
		out.Cells[tc.ID] = router.CellOutputs{ID: tc.ID, Cloud: tc.Cloud, Region: tc.Region, Endpoint: ep, HealthURL: ep + refcell.HealthPath, CIDR: tc.CIDR}
	}
	return out
}

// localOutputsJSON is localOutputs as `pulumi stack output --json` would
// print them (the routing output trimmed as a stack exports it): what
// `cellfabric registry --from` reads.
func localOutputsJSON(out router.StackOutputs) ([]byte, error) {
	out.Routing = out.Routing.Trimmed()
	doc, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(doc, '\n'), nil
}

// localRegistry builds the registry from the local outputs with
// router.FromStackOutputs, as `cellfabric registry` and the edge do.
func localRegistry(out router.StackOutputs, epoch int64) (*router.Registry, error) {
	reg, err := router.FromStackOutputs(out, epoch)
	if err != nil {
		return nil, fmt.Errorf("building the registry from the local cells: %w", err)
	}
	return reg, nil
}

// cellByID finds a local cell.
func cellByID(cells []*localCell, id string) (*localCell, error) {
	for _, c := range cells {
		if c.id == id {
			return c, nil
		}
	}
	ids := make([]string, len(cells))
	for i, c := range cells {
		ids[i] = c.id
	}
	return nil, fmt.Errorf("unknown cell %q; the cells are %v", id, ids)
}

var errUnknownCommand = errors.New("unknown command")
