package synth

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/stacks"
)

// SimulateCellStacks stands in for the cell stacks a network or edge stack
// reads through StackReferences: it runs the program once per cell with role
// cell, on the recording engine, and returns each simulated stack's outputs
// by the name in cellfabric:cellStacks. A cell stack is matched to its cell
// by name: the last segment of the stack name must contain the cell id (for
// example acme/cellfabric/cell-aws-use1 for cell aws-use1), and every cell
// must match exactly one stack.
func SimulateCellStacks(sf *stacks.StackFile, topo *stacks.Topology, opts program.Options) (map[string]map[string]any, error) {
	assign, err := matchCellStacks(topo)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for _, stack := range slices.Sorted(maps.Keys(assign)) {
		id := assign[stack]
		cfg := maps.Clone(sf.Config)
		cfg[stacks.Namespace+":"+stacks.KeyRole] = string(stacks.RoleCell)
		cfg[stacks.Namespace+":"+stacks.KeyCell] = id
		secrets := slices.Clone(sf.Secrets)
		keyName := stacks.Namespace + ":" + stacks.KeyEdgeSigningKey
		if _, ok := cfg[keyName]; !ok {
			cfg[keyName] = stacks.SecretPlaceholder
			secrets = append(secrets, keyName)
		}
		var exports pulumi.Map
		rec := recorder.New()
		err := rec.Run(recorder.Options{Project: sf.Project, Stack: stackShortName(stack), Config: cfg, SecretKeys: secrets},
			func(ctx *pulumi.Context) error {
				var err error
				exports, err = program.RunWith(ctx, opts)
				return err
			})
		if err != nil {
			return nil, fmt.Errorf("simulating cell stack %s (cell %s): %w", stack, id, err)
		}
		vals := map[string]any{}
		for k, v := range exports {
			val, err := awaitMasked(v)
			if err != nil {
				return nil, fmt.Errorf("simulating cell stack %s: output %s: %w", stack, k, err)
			}
			vals[k] = val
		}
		out[stack] = vals
	}
	return out, nil
}

// matchCellStacks assigns each cell stack the cell whose id its name holds.
func matchCellStacks(topo *stacks.Topology) (map[string]string, error) {
	assign := map[string]string{}
	taken := map[string]string{}
	for _, stack := range topo.CellStacks {
		short := stackShortName(stack)
		best := ""
		for _, c := range topo.Cells {
			if strings.Contains(short, c.ID) && len(c.ID) > len(best) {
				best = c.ID
			}
		}
		if best == "" {
			return nil, fmt.Errorf("cannot tell which cell stack %s deploys: to simulate it, name each cell stack after its cell (e.g. cell-%s)", stack, topo.Cells[0].ID)
		}
		if prev, dup := taken[best]; dup {
			return nil, fmt.Errorf("cell stacks %s and %s both look like cell %s", prev, stack, best)
		}
		taken[best], assign[stack] = stack, best
	}
	for _, c := range topo.Cells {
		if _, ok := taken[c.ID]; !ok {
			return nil, fmt.Errorf("no cell stack in cellfabric:cellStacks is named after cell %s", c.ID)
		}
	}
	return assign, nil
}

func stackShortName(full string) string {
	return full[strings.LastIndex(full, "/")+1:]
}
