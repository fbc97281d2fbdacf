package program

import (
	"errors"
	"regexp"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// Check is everything the program verifies about a topology before it
// registers a resource: the stack model's Validate and, when this stack
// builds the VPN mesh, the mesh planner's checks on the topology's cells
// (its address pools, generated names and the rest of
// components/vpn/plan's validation). Every problem comes back in one
// fabric.Problems, each with its config path: a planner problem about
// cells[i] keeps that path (the planner sees the cells in topology order);
// one about the mesh as a whole is under "network". A problem the model
// already reports at a path is not repeated by the planner. The topology
// must have its defaults applied (stacks.Decode does it).
func Check(topo *stacks.Topology) error {
	var ps fabric.Problems
	if err := topo.Validate(); err != nil && !errors.As(err, &ps) {
		return err
	}
	all := fabric.Collector{In: stacks.ProblemsIn}
	for _, p := range ps.List {
		all.AddProblem(p)
	}
	if buildsMesh(topo) {
		reported := map[string]bool{}
		for _, p := range ps.List {
			reported[p.Path] = true
		}
		err := meshArgs(topo).PlanInput().Validate()
		var planned fabric.Problems
		if err != nil && !errors.As(err, &planned) {
			return err
		}
		for _, p := range planned.List {
			path := configPath(p.Path)
			if reported[path] || reported[p.Path] {
				continue
			}
			all.AddProblem(fabric.Problem{Path: path, Msg: p.Msg, Kind: p.Kind})
		}
	}
	return all.Err()
}

// buildsMesh reports whether this stack builds the VPN mesh: role all when
// the mesh is on, and role network, which exists to build it.
func buildsMesh(topo *stacks.Topology) bool {
	return (topo.Role == stacks.RoleAll && topo.MeshEnabled()) || topo.Role == stacks.RoleNetwork
}

var planCellPath = regexp.MustCompile(`^cells\[\d+\]`)

// configPath maps a path of the planner's input onto the stack config.
func configPath(p string) string {
	switch {
	case planCellPath.MatchString(p):
		return p
	case p == "azureGcpTunnels", p == "ikeVersion":
		return "network." + p
	}
	return "network"
}
