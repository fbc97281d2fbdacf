package synth

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/stacks"
)

// Masked stands in for every secret value in a plan.
const Masked = recorder.MaskedSecret

// Resource is one resource of a plan, with its secrets masked.
type Resource struct {
	// Type is the type token.
	Type string `json:"type"`
	// Name is the logical name.
	Name string `json:"name"`
	// Parent is "<type> <name>" of the parent; "" for the stack.
	Parent string `json:"parent,omitempty"`
	// Component is "<type> <name>" of the nearest enclosing component.
	Component string `json:"component,omitempty"`
	// Provider is the name of the explicit provider, if any.
	Provider string `json:"provider,omitempty"`
	// Kind is "component", "provider" or "resource".
	Kind string `json:"kind"`
	// Inputs are the inputs, secrets replaced by Masked.
	Inputs map[string]any `json:"inputs,omitempty"`
	// Secrets are the dotted paths of the inputs that are secret.
	Secrets []string `json:"secrets,omitempty"`
	// Depth is the nesting depth below the stack (for rendering).
	Depth int `json:"-"`
}

// Plan is what a stack would deploy.
type Plan struct {
	Project string `json:"project"`
	Stack   string `json:"stack"`
	Role    string `json:"role"`
	// Resources are in tree order: each parent before its children,
	// siblings sorted by type then name.
	Resources []Resource `json:"resources"`
	// Outputs are the stack outputs, secrets replaced by Masked.
	Outputs map[string]any `json:"outputs"`
	// Invokes are the data sources the program read, by token.
	Invokes []string `json:"invokes,omitempty"`
}

// Synthesize runs the infra program for the stack file against the
// recording engine and returns the plan. A topology that fails the
// program's pre-check (program.Check: the stack model's validation and the
// mesh planner's) returns every problem (fabric.Problems) before anything
// runs. Without opts.Worker the edge Worker is program.PlaceholderWorker: a
// plan shows the Worker script resource and its bindings, not the compiled
// router.
func Synthesize(sf *stacks.StackFile, opts program.Options) (*Plan, error) {
	if opts.Worker == nil {
		opts.Worker = program.PlaceholderWorker
	}
	topo, err := sf.Decode()
	if err != nil {
		return nil, err
	}
	if err := program.Check(topo); err != nil {
		return nil, err
	}
	var stackOutputs map[string]map[string]any
	if topo.Role == stacks.RoleNetwork || topo.Role == stacks.RoleEdge {
		stackOutputs, err = SimulateCellStacks(sf, topo, opts)
		if err != nil {
			return nil, err
		}
	}
	rec := recorder.New()
	var exports pulumi.Map
	err = rec.Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config, SecretKeys: sf.Secrets, StackOutputs: stackOutputs},
		func(ctx *pulumi.Context) error {
			var err error
			exports, err = program.RunWith(ctx, opts)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("running the program for stack %s: %w", sf.Stack, err)
	}
	plan := &Plan{Project: sf.Project, Stack: sf.Stack, Role: string(topo.Role), Outputs: map[string]any{}}
	for k, v := range exports {
		val, err := awaitMasked(v)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", k, err)
		}
		plan.Outputs[k] = val
	}
	plan.Resources = treeOrder(rec)
	seen := map[string]bool{}
	for _, inv := range rec.Invokes() {
		if !seen[inv.Token] {
			seen[inv.Token] = true
			plan.Invokes = append(plan.Invokes, inv.Token)
		}
	}
	return plan, nil
}

// awaitMasked resolves an export, masking secret parts. Maps and arrays are
// awaited element by element, so one secret leaf does not hide its
// siblings.
func awaitMasked(v pulumi.Input) (any, error) {
	switch x := v.(type) {
	case pulumi.Map:
		out := map[string]any{}
		for k, e := range x {
			val, err := awaitMasked(e)
			if err != nil {
				return nil, err
			}
			out[k] = val
		}
		return out, nil
	case pulumi.Array:
		out := make([]any, len(x))
		for i, e := range x {
			val, err := awaitMasked(e)
			if err != nil {
				return nil, err
			}
			out[i] = val
		}
		return out, nil
	}
	o, ok := v.(pulumi.Output)
	if !ok {
		o = pulumi.ToOutput(v)
	}
	aw, err := recorder.Await(o)
	if err != nil {
		return nil, err
	}
	if aw.Secret {
		return Masked, nil
	}
	if !aw.Known {
		return recorder.MaskedUnknown, nil
	}
	return aw.Value, nil
}

// treeOrder lists the recorded resources depth-first from the stack.
func treeOrder(rec *recorder.Recorder) []Resource {
	all := rec.Resources()
	children := map[string][]*recorder.Resource{}
	for _, r := range all {
		parent := r.Parent
		if rec.ByURN(parent) == nil {
			parent = "" // the stack
		}
		children[parent] = append(children[parent], r)
	}
	for _, kids := range children {
		sort.Slice(kids, func(i, j int) bool {
			a, b := kids[i], kids[j]
			// Providers first, then components, then resources.
			if ka, kb := kindRank(a), kindRank(b); ka != kb {
				return ka < kb
			}
			if a.Type != b.Type {
				return a.Type < b.Type
			}
			return a.Name < b.Name
		})
	}
	var out []Resource
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, r := range children[parent] {
			out = append(out, describe(rec, r, depth))
			walk(r.URN, depth+1)
		}
	}
	walk("", 0)
	return out
}

func kindRank(r *recorder.Resource) int {
	switch {
	case r.IsProvider():
		return 0
	case !r.Custom:
		return 1
	}
	return 2
}

func describe(rec *recorder.Recorder, r *recorder.Resource, depth int) Resource {
	d := Resource{Type: r.Type, Name: r.Name, Depth: depth, Kind: "resource"}
	switch {
	case r.IsProvider():
		d.Kind = "provider"
	case !r.Custom:
		d.Kind = "component"
	}
	if p := rec.ByURN(r.Parent); p != nil {
		d.Parent = p.Type + " " + p.Name
	}
	if c := rec.Component(r); c != nil {
		d.Component = c.Type + " " + c.Name
	}
	if p := rec.ProviderOf(r); p != nil {
		d.Provider = p.Name
	}
	if len(r.Inputs) > 0 {
		d.Inputs = recorder.MaskedMap(r.Inputs, &d.Secrets)
	}
	return d
}
