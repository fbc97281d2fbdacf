package cell

import (
	"fmt"
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/fabric"
)

// Step is one part of building a cell's resources.
type Step struct {
	// What says what the step builds, for errors: "building the network".
	What string
	// Run builds it.
	Run func() error
}

// Component is one cloud's cell as Build registers and builds it. Each
// cloud keeps its resources in its own package, in a builder whose methods
// are the steps; Build is what the three share.
type Component struct {
	// Cloud names the cloud in errors: "aws cell <name>: ...".
	Cloud fabric.Cloud
	// Type is the component's type token, "cellfabric:<cloud>:Cell".
	Type string
	// Name is the component's logical name.
	Name string
	// Resource is the component: its output fields are registered as its
	// outputs.
	Resource Cell
	// Steps build the cell's resources, in order.
	Steps []Step
	// Fill sets Resource's outputs from what the steps built; it runs
	// after them. Zero: the steps set them.
	Fill func()
	// Extra are outputs registered besides the contract's and the tagged
	// fields of Resource. Zero: none.
	Extra pulumi.Map
}

// Build registers c.Resource as a component, runs the steps, fills the
// outputs and registers them: the contract's Outputs and every field of
// Resource with a `pulumi` tag (OutputMap), plus c.Extra. Every error says
// the cloud, the cell and, for a step, what it was building:
// "gcp cell cell-1: building the network: ...". Call it once the arguments
// are checked: it registers the component first.
func Build(ctx *pulumi.Context, c Component, opts ...pulumi.ResourceOption) error {
	if err := ctx.RegisterComponentResource(c.Type, c.Name, c.Resource, opts...); err != nil {
		return fmt.Errorf("registering %s cell %s: %w", c.Cloud, c.Name, err)
	}
	for _, s := range c.Steps {
		if err := s.Run(); err != nil {
			return fmt.Errorf("%s cell %s: %s: %w", c.Cloud, c.Name, s.What, err)
		}
	}
	if c.Fill != nil {
		c.Fill()
	}
	out := c.Resource.Outputs().Map()
	maps.Copy(out, OutputMap(c.Resource))
	maps.Copy(out, c.Extra)
	if err := ctx.RegisterResourceOutputs(c.Resource, out); err != nil {
		return fmt.Errorf("registering the outputs of %s cell %s: %w", c.Cloud, c.Name, err)
	}
	return nil
}
