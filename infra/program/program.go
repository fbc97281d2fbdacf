package program

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// Stack output names.
const (
	// OutputCells maps cell id to the cell's cell.Outputs (JSON names from
	// components/cell): what the router's registry is built from.
	OutputCells = "cells"
	// OutputRouting holds the routing part of the topology (cell weights and
	// states, tenants, shared routes, unknown-tenant policy).
	OutputRouting = "routing"
	// OutputNetworks maps cell id to what the VPN mesh attaches to in that
	// cell (VPC and route tables, VNet and GatewaySubnet, network self
	// link): what a network stack reads from the cell stacks.
	OutputNetworks = "networks"
	// OutputNetwork describes the VPN mesh: every tunnel with both ends'
	// public and BGP addresses and ASNs. It holds no secret.
	OutputNetwork = "network"
)

// Options let tests and other programs swap parts of the program.
type Options struct {
	// Cells builds a cell per cloud. Default: the aws, azure and gcp
	// components.
	Cells map[fabric.Cloud]cell.Constructor
	// Worker returns the edge Worker bundle; it is called only when the
	// stack builds the edge. Default: DefaultWorker.
	Worker WorkerSource
}

func (o Options) withDefaults() Options {
	if o.Cells == nil {
		o.Cells = DefaultCellConstructors()
	}
	if o.Worker == nil {
		o.Worker = DefaultWorker
	}
	return o
}

// Run is the Pulumi program: load the topology from config, build it, export
// its outputs.
func Run(ctx *pulumi.Context) error {
	_, err := RunWith(ctx, Options{})
	return err
}

// RunWith is Run with options; it also returns the exports it made, so tools
// that run the program in-process (synth, tests) can read them.
func RunWith(ctx *pulumi.Context, opts Options) (pulumi.Map, error) {
	topo, err := LoadTopology(ctx)
	if err != nil {
		return nil, err
	}
	exports, err := Build(ctx, topo, opts)
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(exports)) {
		ctx.Export(k, exports[k])
	}
	return exports, nil
}

// Build registers the resources of the topology's role and returns the
// stack outputs. The topology must have passed Check (RunWith does it).
func Build(ctx *pulumi.Context, topo *stacks.Topology, opts Options) (pulumi.Map, error) {
	opts = opts.withDefaults()
	routing, err := routingOutput(topo)
	if err != nil {
		return nil, err
	}
	exports := pulumi.Map{OutputRouting: routing}
	switch topo.Role {
	case stacks.RoleAll, stacks.RoleCell:
		key, cf, err := edgeKeyAndCloudflare(ctx, topo)
		if err != nil {
			return nil, err
		}
		cells, providers, err := buildCells(ctx, topo, opts, key, cf)
		if err != nil {
			return nil, err
		}
		exports[OutputCells] = cellsOutput(cells)
		if topo.Role == stacks.RoleAll && !topo.Edge.Disabled {
			outs := make(map[string]cell.Outputs, len(cells))
			for id, c := range cells {
				outs[id] = c.Outputs()
			}
			if err := buildEdge(ctx, topo, opts, cell.ResolveCells(outs), key, cf, exports); err != nil {
				return nil, err
			}
		}
		attachments := networkAttachments(cells)
		exports[OutputNetworks] = attachments
		if buildsMesh(topo) {
			network, err := buildMesh(ctx, topo, attachments.ToMapOutput(), providers)
			if err != nil {
				return nil, err
			}
			exports[OutputNetwork] = network
		}
	case stacks.RoleNetwork:
		network, err := buildNetworkRole(ctx, topo)
		if err != nil {
			return nil, err
		}
		exports[OutputNetwork] = network
	case stacks.RoleEdge:
		if topo.Edge.Disabled {
			return nil, fmt.Errorf("role edge with edge.disabled: true builds nothing; enable the edge or use another role")
		}
		key, cf, err := edgeKeyAndCloudflare(ctx, topo)
		if err != nil {
			return nil, err
		}
		// The same cells output the cell stacks export, merged: the
		// registry is built from it exactly as in role all.
		cells, err := readCellStacks(ctx, topo, OutputCells)
		if err != nil {
			return nil, err
		}
		if err := buildEdge(ctx, topo, opts, cell.DecodeCells(cells), key, cf, exports); err != nil {
			return nil, err
		}
		exports[OutputCells] = cells
	default:
		return nil, fmt.Errorf("role %s: unknown role; use all, cell, network or edge", topo.Role)
	}
	return exports, nil
}
