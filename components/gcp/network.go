package gcp

import (
	"fmt"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// workloadsSubnet is the subnet of the GCP network plan Cloud Run uses.
const workloadsSubnet = "workloads"

// network builds the cell's VPC network and its one subnetwork.
//
// The network is custom-mode (no auto subnets, which would take 10.128.0.0/9
// and overlap other cells) with regional dynamic routing, which is what
// Cloud Router needs to advertise only this region's routes over the mesh's
// HA VPN. The "workloads" subnetwork is the first half of the cell's block
// (stacks.PlanNetwork); the second half stays free for the next issue.
// Private Google Access lets Cloud Run reach Google APIs (Firestore, Secret
// Manager) without public addresses, and VPC Flow Logs record a sample of
// the subnet's flows.
//
// There are no firewall rules: Cloud Run's Direct VPC egress only sends
// from the subnet, nothing listens on it, and GCP's implied rules deny all
// ingress. The mesh adds rules for its peers' CIDRs.
func (b *builder) network() error {
	sub, ok := b.plan.Subnet(workloadsSubnet)
	if !ok {
		return fmt.Errorf("the network plan of %s has no %q subnet", b.plan.CIDR, workloadsSubnet)
	}
	net, err := compute.NewNetwork(b.ctx, b.name+"-net", &compute.NetworkArgs{
		Name:                  pulumi.String(b.names.Network),
		Description:           pulumi.String("cellfabric cell " + b.args.ID),
		AutoCreateSubnetworks: pulumi.Bool(false),
		RoutingMode:           pulumi.String("REGIONAL"),
	}, b.child()...)
	if err != nil {
		return err
	}
	b.net = net
	b.subnet, err = compute.NewSubnetwork(b.ctx, b.name+"-"+workloadsSubnet, &compute.SubnetworkArgs{
		Name:                  pulumi.String(b.names.Subnetwork),
		Description:           pulumi.String("cellfabric cell " + b.args.ID + ": Cloud Run direct VPC egress"),
		Network:               net.ID(),
		Region:                pulumi.String(b.args.Region),
		IpCidrRange:           pulumi.String(sub.CIDR.String()),
		PrivateIpGoogleAccess: pulumi.Bool(true),
		StackType:             pulumi.String("IPV4_ONLY"),
		LogConfig: &compute.SubnetworkLogConfigArgs{
			AggregationInterval: pulumi.String("INTERVAL_5_SEC"),
			FlowSampling:        pulumi.Float64(flowLogSampling),
			Metadata:            pulumi.String("INCLUDE_ALL_METADATA"),
		},
	}, b.child()...)
	return err
}
