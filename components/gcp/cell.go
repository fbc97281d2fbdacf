package gcp

import (
	"errors"
	"fmt"

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
var Constructor = cell.ConstructorFor(NewCell)

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
	b := &builder{
		ctx:    ctx,
		name:   name,
		args:   args,
		plan:   plan,
		labels: gcpLabels(cell.StandardTags(args, fabric.GCP, ctx.Stack())),
		names:  newNames(ctx.Project(), ctx.Stack(), args.ID, args.Hostname),
		comp:   c,
	}
	err = cell.Build(ctx, cell.Component{
		Cloud: fabric.GCP, Type: ComponentType, Name: name, Resource: c,
		Steps: []cell.Step{
			{What: "reading the provider's project", Run: b.project},
			{What: "building the network", Run: b.network},
			{What: "building the state store", Run: b.state},
			{What: "building the edge key secret", Run: b.secret},
			{What: "building the workload identity", Run: b.identity},
			{What: "building the Cloud Run service", Run: b.compute},
			{What: "building the load balancer", Run: b.loadBalancer},
			{What: "building the log bucket", Run: b.logs},
		},
		Fill: func() { b.fill(c) },
	}, opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}
