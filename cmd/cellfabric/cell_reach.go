package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"

	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// bindViaEdge adds --via-edge, shared by every command that reaches the
// cells' state admin APIs (tenants move, tenants promote, standby run).
func bindViaEdge(fs *flag.FlagSet, v *string) {
	fs.StringVar(v, "via-edge", "", "reach every cell's state admin API through the edge Worker at `URL` (its route /_cellfabric/v1/cells/<cell>/state/..., which needs the Worker's CONTROL_KEY): how a deployment's cells are reached; --cell-api still wins for its cells")
}

// cellReach says how the mover reaches each cell's state admin API: at
// its --cell-api URL, else through the edge Worker (--via-edge), else at
// its registry endpoint.
type cellReach struct {
	reg      *router.Registry
	override map[string]string
	viaEdge  string
	key      edgeauth.Key
	hc       *http.Client // a health check's client
}

// reachCells reads what every command that moves tenants starts from: the
// tenant directory's client (--api, --key-file), the registry (--registry
// FILE or URL) and how each cell's state API is reached (--cell-api,
// --via-edge).
func reachCells(ctx context.Context, o *apiOptions, env tenantsEnv, registry string, cellAPI cellAPIFlag, viaEdge string) (*dirhttp.Client, cellReach, error) {
	key, err := o.key(env)
	if err != nil {
		return nil, cellReach{}, err
	}
	dir, err := o.client(env)
	if err != nil {
		return nil, cellReach{}, err
	}
	hc := &http.Client{Timeout: moveHTTPTimeout}
	reg, err := loadMoveRegistry(ctx, hc, registry)
	if err != nil {
		return nil, cellReach{}, err
	}
	return dir, cellReach{reg: reg, override: cellAPI, viaEdge: viaEdge, key: key, hc: hc}, nil
}

// throughEdge reports whether cell id is reached through the edge Worker.
func (c cellReach) throughEdge(id string) bool {
	_, direct := c.override[id]
	return c.viaEdge != "" && !direct
}

// client returns cell id's state API client (mover.Config.Cells).
func (c cellReach) client(id string) (mover.CellState, error) {
	if c.throughEdge(id) {
		cl, err := stateapi.NewEdgeClient(stateapi.ClientConfig{BaseURL: c.viaEdge, Key: c.key}, id)
		if err != nil {
			return nil, fmt.Errorf("cell %s through the edge: %w (--via-edge URL)", id, err)
		}
		return cl, nil
	}
	u, ok := c.override[id]
	if !ok {
		for _, cell := range c.reg.Cells {
			if cell.ID == id {
				u, ok = cell.Endpoint, true
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("cell %s is not in the registry: name one of its cells, or give its state API with --cell-api %s=URL", id, id)
	}
	cl, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: u, Key: c.key})
	if err != nil {
		return nil, fmt.Errorf("cell %s: %w (--cell-api %s=URL)", id, err, id)
	}
	return cl, nil
}

// health checks that cell answers (mover.Config.Health): its registry
// health URL, or — with --via-edge, a deployment, whose cells admit only
// the edge and whose registry health URLs are not reachable from here — a
// read of tenant's state meta where its state API is reached: through the
// Worker, or at the URL --cell-api gives for it.
func (c cellReach) health(ctx context.Context, tenant, cell string) error {
	if c.viaEdge == "" {
		return cellHealth(ctx, c.hc, c.reg, cell)
	}
	cl, err := c.client(cell)
	if err != nil {
		return err
	}
	if _, err := cl.Meta(ctx, tenant); err != nil {
		if !c.throughEdge(cell) {
			return fmt.Errorf("its state API at %s (--cell-api): %w", c.override[cell], err)
		}
		return fmt.Errorf("its state API through the edge Worker %s: %w", strings.TrimRight(c.viaEdge, "/"), err)
	}
	return nil
}

// healthBy is mover.Config.Health: health reading tenant's meta.
func (c cellReach) healthBy(tenant string) func(ctx context.Context, cell string) error {
	return func(ctx context.Context, cell string) error { return c.health(ctx, tenant, cell) }
}

// fenceRoute says where to PUT tenant's fence on cell by hand: the cell's
// state API path, or the edge Worker's route to it when the cell is
// reached through the edge.
func (c cellReach) fenceRoute(cell, tenant string) string {
	if c.throughEdge(cell) {
		return "through the edge Worker: PUT " + strings.TrimRight(c.viaEdge, "/") + stateapi.EdgePath(cell) + "/" + tenant + "/fence"
	}
	return "its state API: PUT " + stateapi.BasePath + "/" + tenant + "/fence"
}
