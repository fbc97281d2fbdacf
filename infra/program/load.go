package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/stacks"
)

// LoadTopology reads the running stack's topology from its Pulumi config
// (the cellfabric namespace, and gcp:project for GCP cells), applies the
// defaults and runs Check: every problem comes back at once, before any
// resource is registered. It is what `pulumi up` runs; the stack model
// itself reads no Pulumi config, so that packages which must stay free of
// the Pulumi SDK can import it.
func LoadTopology(ctx *pulumi.Context) (*stacks.Topology, error) {
	topo, err := stacks.Decode(ctx.Project(), ctx.Stack(), ctx.GetConfig)
	if err == nil {
		err = Check(topo)
	}
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", ctx.Stack(), err)
	}
	return topo, nil
}
