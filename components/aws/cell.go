package aws

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
)

// ComponentType is the type token of the AWS cell component.
const ComponentType = "cellfabric:aws:Cell"

// Cell is one cell on AWS: a VPC, ECS on Fargate behind an Application Load
// Balancer, a DynamoDB table, the edge key in Secrets Manager and a
// CloudWatch log group. Besides the contract's outputs it exports what the
// VPN mesh attaches to.
type Cell struct {
	pulumi.ResourceState

	// VpcID is the cell's VPC; the VPN gateway attaches here.
	VpcID pulumi.StringOutput `pulumi:"vpcId"`
	// PrivateSubnetIDs are the workload subnets, one per zone in zone order.
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	// PublicSubnetIDs are the load balancer / NAT subnets, in zone order.
	PublicSubnetIDs pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	// PrivateRouteTableIDs are the private route tables, one per zone in
	// zone order; the mesh turns on VGW route propagation on them. Their
	// routes are separate ec2.Route resources, so more may be added.
	PrivateRouteTableIDs pulumi.StringArrayOutput `pulumi:"privateRouteTableIds"`
	// PublicRouteTableIDs holds the one public route table.
	PublicRouteTableIDs pulumi.StringArrayOutput `pulumi:"publicRouteTableIds"`
	// TaskSecurityGroupID is the workload's security group; the mesh adds
	// ingress from peer cells' CIDRs here.
	TaskSecurityGroupID pulumi.StringOutput `pulumi:"taskSecurityGroupId"`
	// LoadBalancerSecurityGroupID is the load balancer's security group.
	LoadBalancerSecurityGroupID pulumi.StringOutput `pulumi:"loadBalancerSecurityGroupId"`
	// LoadBalancerDNSName is the ALB's DNS name, the origin CNAME's target.
	LoadBalancerDNSName pulumi.StringOutput `pulumi:"loadBalancerDnsName"`
	// DNSRecords are the public DNS records the cell needs, each a map with
	// keys "name", "type", "value" and "purpose" ("acm-validation",
	// "origin"), names and values without trailing dots. When cell.Args.DNS
	// is nil, an operator creates them by hand (unproxied).
	DNSRecords pulumi.StringMapArrayOutput `pulumi:"dnsRecords"`
	// TableName is the DynamoDB table the workload uses.
	TableName pulumi.StringOutput `pulumi:"tableName"`
	// EdgeKeySecretARN is the Secrets Manager secret holding the edge key.
	EdgeKeySecretARN pulumi.StringOutput `pulumi:"edgeKeySecretArn"`
	// ClusterName and ServiceName name the ECS cluster and service.
	ClusterName pulumi.StringOutput `pulumi:"clusterName"`
	ServiceName pulumi.StringOutput `pulumi:"serviceName"`
	// LogGroupName is the CloudWatch log group of the workload.
	LogGroupName pulumi.StringOutput `pulumi:"logGroupName"`

	outputs cell.Outputs
}

var _ cell.Cell = (*Cell)(nil)

// Constructor adapts NewCell to cell.Constructor (used by the infra program
// and the conformance test).
var Constructor = cell.ConstructorFor(NewCell)

// Outputs returns the contract's outputs.
func (c *Cell) Outputs() cell.Outputs { return c.outputs }

// NewCell builds an AWS cell. Pass the AWS provider for the cell's region in
// opts (pulumi.Provider or pulumi.Providers); the cell never creates one, and
// fails when the provider's region is not args.Region.
func NewCell(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (*Cell, error) {
	args, plan, err := args.Normalize(fabric.AWS)
	if err := errors.Join(err, checkArgs(args)); err != nil {
		return nil, fmt.Errorf("aws cell %s: %w", name, err)
	}
	c := &Cell{}
	b := &builder{
		ctx:   ctx,
		name:  name,
		args:  args,
		plan:  plan,
		tags:  cell.StandardTags(args, fabric.AWS, ctx.Stack()),
		names: newNames(ctx.Stack(), args.ID, args.Port),
		comp:  c,
	}
	err = cell.Build(ctx, cell.Component{
		Cloud: fabric.AWS, Type: ComponentType, Name: name, Resource: c,
		Steps: []cell.Step{
			{What: "reading the provider's region and account", Run: b.account},
			{What: "building the network", Run: b.network},
			{What: "building the state store, secret and logs", Run: b.state},
			{What: "building the workload identity", Run: b.identity},
			{What: "building the security groups", Run: b.securityGroups},
			{What: "building the certificate", Run: b.certificate},
			{What: "building the load balancer", Run: b.loadBalancer},
			{What: "building the ECS service", Run: b.compute},
		},
		Fill: func() { b.fill(c) },
	}, opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// checkArgs checks what Normalize leaves to the cloud: extra environment
// that would shadow the contract's variables (when the program gives it as
// a literal; an Output is checked at deploy time, by workloadEnv).
func checkArgs(a cell.Args) error {
	if env, ok := a.Env.(pulumi.StringMap); ok {
		if err := cell.CheckEnv(slices.Collect(maps.Keys(env)), nil); err != nil {
			return fmt.Errorf("cell %q: %w", a.ID, err)
		}
	}
	return nil
}
