package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/stacks"
)

// routingOutput is the routing half of the registry's input, taken from the
// topology: the other half is the cells' outputs. Its JSON shape is the one
// router.StackOutputs reads.
func routingOutput(topo *stacks.Topology) pulumi.Map {
	cells := pulumi.Map{}
	for _, c := range topo.Cells {
		cells[c.ID] = pulumi.Map{"weight": pulumi.Int(c.Weight), "state": pulumi.String(c.State)}
	}
	tenants := pulumi.Array{}
	for _, t := range topo.Tenants {
		m := pulumi.Map{
			"id":       pulumi.String(t.ID),
			"cell":     pulumi.String(t.Cell),
			"failover": pulumi.ToStringArray(append([]string{}, t.Failover...)),
			"state":    pulumi.String(t.State),
		}
		if t.Residency != "" {
			m["residency"] = pulumi.String(t.Residency)
		}
		tenants = append(tenants, m)
	}
	routes := pulumi.Array{}
	for _, r := range topo.Edge.SharedRoutes {
		wcs := pulumi.Array{}
		for _, wc := range r.Cells {
			wcs = append(wcs, pulumi.Map{"cell": pulumi.String(wc.Cell), "weight": pulumi.Int(wc.Weight)})
		}
		routes = append(routes, pulumi.Map{"prefix": pulumi.String(r.Prefix), "cells": wcs})
	}
	return pulumi.Map{
		"cells":          cells,
		"tenants":        tenants,
		"sharedRoutes":   routes,
		"unknownTenants": pulumi.String(topo.Edge.UnknownTenants),
	}
}
