package recorder

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Resource is one registration the program made: a custom resource, a
// component, or a provider.
type Resource struct {
	// Type is the type token, e.g. "aws:ec2/vpc:Vpc" or "cellfabric:aws:Cell".
	Type string
	// Name is the logical name.
	Name string
	// URN is the resource's URN (it encodes the parent type chain).
	URN string
	// Parent is the parent's URN; "" for resources parented to the stack.
	Parent string
	// Custom is true for provider-managed resources, false for components.
	Custom bool
	// Provider is the provider reference ("<urn>::<id>"), "" for the default.
	Provider string
	// ID is the fake physical id the recorder answered with.
	ID string
	// Inputs are the resource's inputs, secrets kept as secret values.
	Inputs resource.PropertyMap
	// Outputs are the fake outputs the recorder answered with.
	Outputs resource.PropertyMap
	// DependsOn are the URNs of explicit and implied dependencies.
	DependsOn []string
	// Protect, DeleteBeforeReplace, ReplaceOnChanges, IgnoreChanges and
	// AdditionalSecretOutputs are the resource options as registered.
	Protect                 bool
	DeleteBeforeReplace     bool
	ReplaceOnChanges        []string
	IgnoreChanges           []string
	AdditionalSecretOutputs []string
}

// IsProvider reports whether the resource is a provider instance.
func (r *Resource) IsProvider() bool { return strings.HasPrefix(r.Type, "pulumi:providers:") }

// stackReferenceType is the type token of pulumi.StackReference.
const stackReferenceType = "pulumi:pulumi:StackReference"

// Invoke is one data-source call the program made.
type Invoke struct {
	Token    string
	Args     resource.PropertyMap
	Provider string
}

// Recorder is a pulumi.MockResourceMonitor that records every registration and
// invoke and answers with deterministic fake outputs, so a program's plan can
// be inspected offline. It is safe for concurrent use (the SDK registers from
// many goroutines).
type Recorder struct {
	mu        sync.Mutex
	resources []*Resource
	byURN     map[string]*Resource
	invokes   []Invoke
	project   string
	stack     string
	stackOuts map[string]map[string]any
}

var _ pulumi.MockResourceMonitor = (*Recorder)(nil)

// New returns an empty recorder.
func New() *Recorder { return &Recorder{byURN: map[string]*Resource{}} }

// Options are the stack settings a recorded run sees.
type Options struct {
	// Project and Stack name the run. Defaults "cellfabric" and "test".
	Project, Stack string
	// Config holds config values by full key ("cellfabric:cells"), objects
	// as JSON, as the engine passes them. Zero: no config.
	Config map[string]string
	// SecretKeys are the config keys whose values are secret.
	SecretKeys []string
	// StackOutputs are the outputs of the stacks the program reads through
	// StackReferences, by fully qualified stack name. A reference to a stack
	// missing here fails the run.
	StackOutputs map[string]map[string]any
}

// Run executes body against the recorder as a Pulumi program would run
// against the engine (not a preview: every value is known). It returns the
// program's error; registrations made before an error stay recorded.
func (r *Recorder) Run(opts Options, body pulumi.RunFunc) error {
	if opts.Project == "" {
		opts.Project = "cellfabric"
	}
	if opts.Stack == "" {
		opts.Stack = "test"
	}
	r.mu.Lock()
	r.project, r.stack, r.stackOuts = opts.Project, opts.Stack, opts.StackOutputs
	r.mu.Unlock()
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project:          opts.Project,
		Stack:            opts.Stack,
		Config:           opts.Config,
		ConfigSecretKeys: opts.SecretKeys,
		Mocks:            r,
	})
	if err != nil {
		return fmt.Errorf("recorder: creating context: %w", err)
	}
	defer ctx.Close()
	return pulumi.RunWithContext(ctx, body)
}

// NewResource records a registration and answers with fake outputs.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	res := &Resource{
		Type:     args.TypeToken,
		Name:     args.Name,
		Custom:   args.Custom,
		Provider: args.Provider,
		Inputs:   args.Inputs,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		res.Parent = rpc.GetParent()
		res.DependsOn = slices.Clone(rpc.GetDependencies())
		res.Protect = rpc.GetProtect()
		res.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		res.ReplaceOnChanges = slices.Clone(rpc.GetReplaceOnChanges())
		res.IgnoreChanges = slices.Clone(rpc.GetIgnoreChanges())
		res.AdditionalSecretOutputs = slices.Clone(rpc.GetAdditionalSecretOutputs())
	}
	if rpc := args.ReadRPC; rpc != nil {
		res.Parent = rpc.GetParent()
	}
	r.mu.Lock()
	res.URN = r.urn(res.Parent, res.Type, res.Name)
	fc := r.fakeContext(res)
	r.mu.Unlock()

	res.ID = fakeID(res, fc)
	if args.ID != "" {
		res.ID = args.ID
	}
	if res.Type == stackReferenceType {
		// Read through ReadResource, but a custom resource all the same.
		res.Custom = true
		r.mu.Lock()
		outs, ok := r.stackOuts[args.ID]
		r.mu.Unlock()
		if !ok {
			return "", nil, fmt.Errorf("recorder: no outputs for stack reference %q: pass them in Options.StackOutputs", args.ID)
		}
		res.Outputs = resource.PropertyMap{
			"name":              resource.NewStringProperty(args.ID),
			"outputs":           resource.NewObjectProperty(resource.NewPropertyMapFromMap(outs)),
			"secretOutputNames": resource.NewArrayProperty(nil),
		}
	} else if !res.Custom && !res.IsProvider() {
		// Components have no state of their own: RegisterResourceOutputs
		// reports theirs, and the SDK does not ask the monitor for them.
		res.Outputs = resource.PropertyMap{}
	} else {
		res.Outputs = fakeOutputs(res, fc)
	}

	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.byURN[res.URN] = res
	r.mu.Unlock()
	return res.ID, res.Outputs, nil
}

// Call records an invoke and answers from the table of fake data sources.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.invokes = append(r.invokes, Invoke{Token: args.Token, Args: args.Args, Provider: args.Provider})
	fc := FakeContext{Region: r.providerRegion(args.Provider), Project: r.providerProject(args.Provider)}
	r.mu.Unlock()
	fn, ok := invokeFakes[args.Token]
	if !ok {
		return nil, fmt.Errorf("recorder: no fake answer for invoke %s: add one to components/recorder", args.Token)
	}
	return fn(args.Args, fc), nil
}

// urn mirrors the SDK mock monitor's URN scheme: a child's type is qualified
// by its parent's type chain, the root stack excepted.
func (r *Recorder) urn(parent, typ, name string) string {
	qualified := typ
	if pt := qualifiedType(parent); pt != "" && pt != "pulumi:pulumi:Stack" {
		qualified = pt + "$" + typ
	}
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", r.stack, r.project, qualified, name)
}

// qualifiedType extracts the qualified type from a URN.
func qualifiedType(urn string) string {
	parts := strings.SplitN(urn, "::", 4)
	if len(parts) < 4 {
		return ""
	}
	return parts[2]
}

// Resources returns every recorded registration, sorted by URN so that output
// is deterministic whatever order goroutines registered in.
func (r *Recorder) Resources() []*Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.resources)
	slices.SortFunc(out, func(a, b *Resource) int { return strings.Compare(a.URN, b.URN) })
	return out
}

// Invokes returns every recorded invoke, sorted by token.
func (r *Recorder) Invokes() []Invoke {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.invokes)
	slices.SortStableFunc(out, func(a, b Invoke) int { return strings.Compare(a.Token, b.Token) })
	return out
}

// OfType returns the recorded resources of one type token, sorted by URN.
func (r *Recorder) OfType(typ string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources() {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Get returns the resource with the given type and logical name, or nil.
func (r *Recorder) Get(typ, name string) *Resource {
	for _, res := range r.Resources() {
		if res.Type == typ && res.Name == name {
			return res
		}
	}
	return nil
}

// ByURN returns the resource with the given URN, or nil.
func (r *Recorder) ByURN(urn string) *Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byURN[urn]
}

// Children returns the resources whose parent is urn.
func (r *Recorder) Children(urn string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources() {
		if res.Parent == urn {
			out = append(out, res)
		}
	}
	return out
}

// Descendants returns every resource below urn in the parent tree.
func (r *Recorder) Descendants(urn string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources() {
		if r.Below(res, urn) {
			out = append(out, res)
		}
	}
	return out
}

// Below reports whether res lies below urn in the parent tree: urn is its
// parent, or its parent's parent, and so on.
func (r *Recorder) Below(res *Resource, urn string) bool {
	for p := res.Parent; p != ""; {
		if p == urn {
			return true
		}
		pr := r.ByURN(p)
		if pr == nil {
			return false
		}
		p = pr.Parent
	}
	return false
}

// Component returns the nearest ancestor of res that is a component (not a
// custom resource), or nil when res hangs directly off the stack.
func (r *Recorder) Component(res *Resource) *Resource {
	for p := res.Parent; p != ""; {
		pr := r.ByURN(p)
		if pr == nil {
			return nil
		}
		if !pr.Custom && !pr.IsProvider() {
			return pr
		}
		p = pr.Parent
	}
	return nil
}

// ProviderOf returns the provider resource res was registered with, or nil
// for a default provider.
func (r *Recorder) ProviderOf(res *Resource) *Resource {
	return r.ByURN(providerURN(res.Provider))
}

// providerURN strips the id from a provider reference ("<urn>::<id>").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ""
}

// Awaited is the resolved value of a pulumi.Output.
type Awaited struct {
	Value  any
	Known  bool
	Secret bool
}

// Await resolves an Output made during a recorded run. Call it after Run has
// returned (every value is then settled) or from inside the program body.
func Await(o pulumi.Output) (Awaited, error) {
	res, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		return Awaited{}, err
	}
	return Awaited{Value: res.Value, Known: res.Known, Secret: res.Secret}, nil
}
