package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/refcell"
	"github.com/cellfabric/cellfabric/stacks"
)

// localCell is one reference cell of `cellfabric local`, on a loopback port
// that stays the same across stop and start (the registry names it).
type localCell struct {
	id, cloud, region string
	cell              *refcell.Cell
	logger            *slog.Logger

	mu   sync.Mutex
	addr string       // host:port; "127.0.0.1:0" until the first start
	srv  *http.Server // nil while stopped
}

// newLocalCells creates one reference cell per topology cell, sharing key.
// With dataDir set, each keeps its key/value log in dataDir/<cell id>.
func newLocalCells(topo *stacks.Topology, key edgeauth.Key, dataDir string, logger *slog.Logger) ([]*localCell, error) {
	var cells []*localCell
	for _, tc := range topo.Cells {
		dir := ""
		if dataDir != "" {
			dir = filepath.Join(dataDir, tc.ID)
		}
		c, err := refcell.New(refcell.Config{
			CellID: tc.ID, Cloud: string(tc.Cloud), Region: tc.Region,
			Keys: []edgeauth.Key{key}, DataDir: dir, Logger: logger.With("cell", tc.ID),
		})
		if err != nil {
			closeLocalCells(cells)
			return nil, err
		}
		cells = append(cells, &localCell{id: tc.ID, cloud: string(tc.Cloud), region: tc.Region, cell: c, logger: logger, addr: "127.0.0.1:0"})
	}
	return cells, nil
}

func closeLocalCells(cells []*localCell) {
	for _, c := range cells {
		_ = c.stop()
		_ = c.cell.Close()
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

// localOutputs is what `pulumi stack output --json` would print for the
// topology if its cells were the local ones: the cells output (the cell
// contract) and the routing output, shaped exactly as infra/program's
// routingOutput shapes it.
func localOutputs(topo *stacks.Topology, cells []*localCell) ([]byte, error) {
	type cellOut struct {
		ID        string `json:"id"`
		Cloud     string `json:"cloud"`
		Region    string `json:"region"`
		Endpoint  string `json:"endpoint"`
		HealthURL string `json:"healthUrl"`
		CIDR      string `json:"cidr"`
	}
	outCells := map[string]cellOut{}
	for i, tc := range topo.Cells {
		ep := cells[i].endpoint()
		outCells[tc.ID] = cellOut{ID: tc.ID, Cloud: string(tc.Cloud), Region: tc.Region, Endpoint: ep, HealthURL: ep + refcell.HealthPath, CIDR: tc.CIDR}
	}
	routingCells := map[string]any{}
	for _, c := range topo.Cells {
		routingCells[c.ID] = map[string]any{"weight": c.Weight, "state": c.State}
	}
	tenants := []any{}
	for _, t := range topo.Tenants {
		m := map[string]any{"id": t.ID, "cell": t.Cell, "failover": append([]string{}, t.Failover...), "state": t.State}
		if t.Residency != "" {
			m["residency"] = t.Residency
		}
		tenants = append(tenants, m)
	}
	routes := []any{}
	for _, r := range topo.Edge.SharedRoutes {
		wcs := []any{}
		for _, wc := range r.Cells {
			wcs = append(wcs, map[string]any{"cell": wc.Cell, "weight": wc.Weight})
		}
		routes = append(routes, map[string]any{"prefix": r.Prefix, "cells": wcs})
	}
	return json.MarshalIndent(map[string]any{
		"cells": outCells,
		"routing": map[string]any{
			"cells":          routingCells,
			"tenants":        tenants,
			"sharedRoutes":   routes,
			"unknownTenants": topo.Edge.UnknownTenants,
		},
	}, "", "  ")
}

// localRegistry builds the registry from the local outputs with the same
// two calls `cellfabric registry --from outputs.json` makes.
func localRegistry(outputs []byte, epoch int64) (*router.Registry, error) {
	out, err := router.ParseStackOutputs(outputs)
	if err != nil {
		return nil, err
	}
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
