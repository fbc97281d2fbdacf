package gcp

import (
	"errors"
	"fmt"
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
)

// ComponentType is the type token of the GCP cell component.
const ComponentType = "cellfabric:gcp:Cell"

// Cell is one cell on GCP: a custom-mode VPC network, Cloud Run (v2) behind
// a global external Application Load Balancer guarded by Cloud Armor, a
// Firestore database, the edge key in Secret Manager and a log bucket of its
// own. Besides the contract's outputs it exports what the VPN mesh attaches
// to.
type Cell struct {
	pulumi.ResourceState

	// NetworkName is the VPC network's name; the HA VPN gateway and Cloud
	// Router of the mesh attach to it.
	NetworkName pulumi.StringOutput `pulumi:"networkName"`
	// NetworkSelfLink is the network's self link.
	NetworkSelfLink pulumi.StringOutput `pulumi:"networkSelfLink"`
	// SubnetworkSelfLink is the "workloads" subnetwork Cloud Run sends its
	// egress through.
	SubnetworkSelfLink pulumi.StringOutput `pulumi:"subnetworkSelfLink"`
	// Project is the GCP project the cell lives in (the provider's).
	Project pulumi.StringOutput `pulumi:"project"`
	// Region is the cell's region.
	Region string
	// LoadBalancerIP is the global IPv4 address the origin record points at.
	LoadBalancerIP pulumi.StringOutput `pulumi:"loadBalancerIp"`
	// DNSRecords are the public DNS records the cell needs, each a map with
	// keys "name", "type", "value" and "purpose" ("origin"). When
	// cell.Args.DNS is nil, an operator creates them by hand (unproxied);
	// the managed certificate provisions once the origin record resolves.
	DNSRecords pulumi.StringMapArrayOutput `pulumi:"dnsRecords"`
	// ServiceName is the Cloud Run service.
	ServiceName pulumi.StringOutput `pulumi:"serviceName"`
	// DatabaseName is the Firestore database id the workload uses.
	DatabaseName pulumi.StringOutput `pulumi:"databaseName"`
	// EdgeKeySecretID is the Secret Manager secret holding the edge key.
	EdgeKeySecretID pulumi.StringOutput `pulumi:"edgeKeySecretId"`
	// LogBucketID is the cell's Cloud Logging bucket.
	LogBucketID pulumi.StringOutput `pulumi:"logBucketId"`

	outputs cell.Outputs
}

var _ cell.Cell = (*Cell)(nil)

// Constructor adapts NewCell to cell.Constructor (used by the infra program
// and the conformance test).
var Constructor cell.Constructor = func(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (cell.Cell, error) {
	return NewCell(ctx, name, args, opts...)
}

// Outputs returns the contract's outputs.
func (c *Cell) Outputs() cell.Outputs { return c.outputs }

// NewCell builds a GCP cell. Pass the GCP provider that carries the cell's
// project in opts (pulumi.Provider or pulumi.Providers); the cell never
// creates one, and reads the project from it. Regional resources take
// args.Region explicitly, so the provider's own region does not matter.
func NewCell(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (*Cell, error) {
	args, plan, err := args.Normalize(fabric.GCP)
	if err := errors.Join(err, checkArgs(args)); err != nil {
		return nil, fmt.Errorf("gcp cell %s: %w", name, err)
	}
	c := &Cell{Region: args.Region}
	if err := ctx.RegisterComponentResource(ComponentType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering gcp cell %s: %w", name, err)
	}
	b := &builder{
		ctx:    ctx,
		name:   name,
		args:   args,
		plan:   plan,
		labels: gcpLabels(cell.StandardTags(args, fabric.GCP, ctx.Stack())),
		names:  newNames(ctx.Project(), ctx.Stack(), args.ID, args.Hostname),
		comp:   c,
	}
	steps := []struct {
		what string
		fn   func() error
	}{
		{"reading the provider's project", b.project},
		{"building the network", b.network},
		{"building the state store", b.state},
		{"building the edge key secret", b.secret},
		{"building the workload identity", b.identity},
		{"building the Cloud Run service", b.compute},
		{"building the load balancer", b.loadBalancer},
		{"building the log bucket", b.logs},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("gcp cell %s: %s: %w", name, s.what, err)
		}
	}
	b.fill(c)
	out := c.outputs.Map()
	maps.Copy(out, cell.OutputMap(c))
	if err := ctx.RegisterResourceOutputs(c, out); err != nil {
		return nil, fmt.Errorf("registering the outputs of gcp cell %s: %w", name, err)
	}
	return c, nil
}
