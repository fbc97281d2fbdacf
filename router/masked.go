package router

import (
	"fmt"
	"maps"
	"slices"

	"github.com/cellfabric/cellfabric/fabric"
)

// MaskedSecret is how `pulumi stack output --json` prints a secret output
// unless --show-secrets is given; `cellfabric synth` masks secrets the same
// way and cannot show them.
const MaskedSecret = "[secret]"

// maskedAdvice is what to do about a masked value.
const maskedAdvice = "pass the outputs with secrets shown (pulumi stack output --json --show-secrets); a cellfabric synth plan never shows secrets, so keep cell and routing outputs out of secrets"

// checkMasked reports every value the registry is built from that holds
// MaskedSecret instead of its value. Masked values the registry ignores
// (networkId, cidr, stateStoreId, workloadIdentity, other outputs) pass.
func checkMasked(p *fabric.Collector, out *StackOutputs) {
	check := func(path, v string) {
		if v == MaskedSecret {
			p.Add(path, "the value is masked as %q: %s", MaskedSecret, maskedAdvice)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(out.Cells)) {
		c := out.Cells[id]
		at := "cells." + id + "."
		check(at+"id", c.ID)
		check(at+"cloud", string(c.Cloud))
		check(at+"region", c.Region)
		check(at+"endpoint", c.Endpoint)
		check(at+"healthUrl", c.HealthURL)
	}
	for _, id := range slices.Sorted(maps.Keys(out.Routing.Cells)) {
		check("routing.cells."+id+".state", string(out.Routing.Cells[id].State))
	}
	for i, t := range out.Routing.Tenants {
		at := fmt.Sprintf("routing.tenants[%d].", i)
		if t.ID == MaskedSecret || t.Cell == MaskedSecret || t.State == MaskedSecret || t.Residency == MaskedSecret || slices.Contains(t.Failover, MaskedSecret) {
			check(at+"id", t.ID)
			check(at+"cell", t.Cell)
			for j, f := range t.Failover {
				check(fmt.Sprintf("%sfailover[%d]", at, j), f)
			}
			check(at+"state", string(t.State))
			check(at+"residency", t.Residency)
		}
	}
	for i, r := range out.Routing.SharedRoutes {
		at := fmt.Sprintf("routing.sharedRoutes[%d].", i)
		check(at+"prefix", r.Prefix)
		for j, c := range r.Cells {
			check(fmt.Sprintf("%scells[%d].cell", at, j), c.Cell)
		}
		check(at+"balance", string(r.Balance))
	}
	check("routing.unknownTenants", string(out.Routing.UnknownTenants))
}
