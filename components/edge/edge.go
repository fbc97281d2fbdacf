package edge

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ComponentType is the type token of the edge component.
const ComponentType = "cellfabric:edge:Edge"

// Edge is the Cloudflare edge in front of the cells.
type Edge struct {
	pulumi.ResourceState

	// KVNamespaceID is the id of the Workers KV namespace holding the
	// registry (and the health the cron trigger writes).
	KVNamespaceID pulumi.StringOutput
	// DirectoryNamespaceID is the id of the Workers KV namespace of the
	// tenant directory (bound as DIRECTORY).
	DirectoryNamespaceID pulumi.StringOutput
	// WorkerName is the Worker script's name.
	WorkerName pulumi.StringOutput
	// LoadBalancerHost is the load-balanced shared host; "" when there are
	// no shared routes (and so no load balancer).
	LoadBalancerHost pulumi.StringOutput
	// Registry is the registry document written to KV: the program exports
	// it as the `registry` stack output.
	Registry pulumi.StringOutput
	// RegistryEpoch is the registry's epoch.
	RegistryEpoch pulumi.IntOutput
	// Hosts are the Worker route hosts: the tenant hosts' wildcard
	// "*.<suffix>", then the shared host.
	Hosts pulumi.StringArrayOutput

	hosts []string
}

// Output names the component registers.
const (
	outKVNamespaceID    = "kvNamespaceId"
	outDirectoryNSID    = "directoryNamespaceId"
	outWorkerName       = "workerName"
	outLoadBalancerHost = "loadBalancerHost"
	outRegistryEpoch    = "registryEpoch"
	outHosts            = "hosts"
)

// builder carries one New call's state.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   Args
	edge   *Edge
	script *cloudflare.WorkerScript
}

// opts are the options of every child: parented to the component, whose
// providers (the caller's Cloudflare provider) they inherit.
func (b *builder) opts(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(b.edge)}, extra...)
}

// New builds the edge: the registry in Workers KV, the tenant directory's
// namespace, the Worker that routes with them, the cron trigger that probes
// the cells, the routes and proxied records of the tenant hosts (one
// wildcard) and the shared host, a load balancer with a pool and a
// monitor per cell for the shared routes, and (optionally) Authenticated
// Origin Pulls. It validates args first and registers nothing when they are
// wrong. Pass the Cloudflare provider in opts (pulumi.Providers or
// pulumi.Provider); the epoch's time.Static uses the `time` provider given
// there, or the default one (it needs no configuration).
func New(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*Edge, error) {
	args = args.withDefaults(ctx)
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("edge %s: %w", name, err)
	}
	e := &Edge{LoadBalancerHost: pulumi.String("").ToStringOutput()}
	if err := ctx.RegisterComponentResource(ComponentType, name, e, opts...); err != nil {
		return nil, fmt.Errorf("edge %s: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, args: args, edge: e}

	epoch, err := registryEpoch(ctx, name+"-registry-epoch", registryHash(args.CellOutputs, args.Routing), b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("edge %s: %w", name, err)
	}
	e.RegistryEpoch = epoch
	e.Registry = RegistryJSON(args.CellOutputs, args.Routing, epoch)

	steps := []func() error{b.buildWorker, b.buildHosts}
	if len(args.Routing.SharedRoutes) > 0 {
		steps = append(steps, b.buildLoadBalancer)
	}
	if args.AuthenticatedOriginPulls {
		steps = append(steps, b.buildOriginPulls)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("edge %s: %w", name, err)
		}
	}
	e.Hosts = pulumi.ToStringArray(slices.Clone(e.hosts)).ToStringArrayOutput()

	if err := ctx.RegisterResourceOutputs(e, pulumi.Map{
		outKVNamespaceID:    e.KVNamespaceID,
		outDirectoryNSID:    e.DirectoryNamespaceID,
		outWorkerName:       e.WorkerName,
		outLoadBalancerHost: e.LoadBalancerHost,
		outRegistryEpoch:    e.RegistryEpoch,
		outHosts:            e.Hosts,
	}); err != nil {
		return nil, fmt.Errorf("edge %s: %w", name, err)
	}
	return e, nil
}
