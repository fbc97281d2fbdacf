package vpn

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// firewalls admits the other cells' CIDRs on every cell (security groups,
// NSG, firewall rule). Nothing admits 0.0.0.0/0 or "*".
func (b *builder) firewalls() error {
	for _, g := range b.order {
		var err error
		switch {
		case g.aws != nil:
			err = b.awsFirewall(g)
		case g.azure != nil:
			err = b.azureFirewall(g)
		case g.gcp != nil:
			err = b.gcpFirewall(g)
		}
		if err != nil {
			return fmt.Errorf("cell %s: %w", g.cell.ID, err)
		}
	}
	return nil
}

// peerings joins every two cells on one cloud with the cloud's native
// peering, both directions, under a Peering sub-component. Each side's
// resources use that side's provider. Custom (BGP-learned) routes are not
// exchanged, so no cell becomes a transit between a peer and the mesh.
func (b *builder) peerings() error {
	for _, p := range b.plan.Peerings {
		comp := &cellGateway{}
		if err := b.ctx.RegisterComponentResource(PeeringType, b.res(p.ID), comp, pulumi.Parent(b.comp)); err != nil {
			return fmt.Errorf("peering %s: %w", p.ID, err)
		}
		ga, gb := b.gws[p.A], b.gws[p.B]
		var err error
		switch p.Cloud {
		case fabric.AWS:
			err = b.awsPeering(comp, p, ga, gb)
		case fabric.Azure:
			err = b.azurePeering(comp, p, ga, gb)
		case fabric.GCP:
			err = b.gcpPeering(comp, p, ga, gb)
		}
		if err != nil {
			return fmt.Errorf("peering %s: %w", p.ID, err)
		}
		if err := b.ctx.RegisterResourceOutputs(comp, pulumi.Map{"id": pulumi.String(p.ID)}); err != nil {
			return fmt.Errorf("peering %s: %w", p.ID, err)
		}
	}
	return nil
}

// gcpPeering peers the two networks both ways. The second waits for the
// first: GCP runs one peering operation per network at a time.
func (b *builder) gcpPeering(comp pulumi.Resource, p plan.Peering, ga, gb *gateway) error {
	ab, err := compute.NewNetworkPeering(b.ctx, b.res(p.A, "peers", p.B), &compute.NetworkPeeringArgs{
		Name:               pulumi.String(b.gcpName(p.A + "-to-" + p.B)),
		Network:            ga.cell.GCP.NetworkSelfLink,
		PeerNetwork:        gb.cell.GCP.NetworkSelfLink,
		ExportCustomRoutes: pulumi.Bool(false),
		ImportCustomRoutes: pulumi.Bool(false),
	}, b.on(ga, comp)...)
	if err != nil {
		return fmt.Errorf("network peering %s → %s: %w", p.A, p.B, err)
	}
	_, err = compute.NewNetworkPeering(b.ctx, b.res(p.B, "peers", p.A), &compute.NetworkPeeringArgs{
		Name:               pulumi.String(b.gcpName(p.B + "-to-" + p.A)),
		Network:            gb.cell.GCP.NetworkSelfLink,
		PeerNetwork:        ga.cell.GCP.NetworkSelfLink,
		ExportCustomRoutes: pulumi.Bool(false),
		ImportCustomRoutes: pulumi.Bool(false),
	}, b.on(gb, comp, pulumi.DependsOn([]pulumi.Resource{ab}))...)
	if err != nil {
		return fmt.Errorf("network peering %s → %s: %w", p.B, p.A, err)
	}
	return nil
}

// awsPeering requests a VPC peering from A (to B's region when it differs),
// accepts it on B's side, and routes each cell's CIDR through it in the
// other's route tables. Both VPCs must be in one AWS account.
func (b *builder) awsPeering(comp pulumi.Resource, p plan.Peering, ga, gb *gateway) error {
	args := &ec2.VpcPeeringConnectionArgs{
		VpcId:     ga.cell.AWS.VpcID,
		PeerVpcId: gb.cell.AWS.VpcID,
		Tags:      ga.tag.aws(p.ID),
	}
	if p.BRegion != p.ARegion {
		args.PeerRegion = pulumi.String(p.BRegion)
	}
	pcx, err := ec2.NewVpcPeeringConnection(b.ctx, b.res(p.ID, "pcx"), args, b.on(ga, comp)...)
	if err != nil {
		return fmt.Errorf("vpc peering: %w", err)
	}
	acc, err := ec2.NewVpcPeeringConnectionAccepter(b.ctx, b.res(p.ID, "pcx-accept"), &ec2.VpcPeeringConnectionAccepterArgs{
		VpcPeeringConnectionId: pcx.ID(),
		AutoAccept:             pulumi.Bool(true),
		Tags:                   gb.tag.aws(p.ID),
	}, b.on(gb, comp)...)
	if err != nil {
		return fmt.Errorf("vpc peering accepter: %w", err)
	}
	routes := func(g *gateway, dest string) error {
		for i, rt := range g.cell.AWS.RouteTableIDs {
			if _, err := ec2.NewRoute(b.ctx, b.res(p.ID, g.cell.ID, "rt"+strconv.Itoa(i)), &ec2.RouteArgs{
				RouteTableId:           rt,
				DestinationCidrBlock:   pulumi.String(dest),
				VpcPeeringConnectionId: acc.VpcPeeringConnectionId,
			}, b.on(g, comp)...); err != nil {
				return fmt.Errorf("route in %s table %d: %w", g.cell.ID, i, err)
			}
		}
		return nil
	}
	if err := routes(ga, p.BCIDR); err != nil {
		return err
	}
	return routes(gb, p.ACIDR)
}

// azurePeering peers the two VNets both ways (global peering when the
// regions differ). Gateway transit stays off: each cell has its own gateway.
func (b *builder) azurePeering(comp pulumi.Resource, p plan.Peering, ga, gb *gateway) error {
	peer := func(from, to *gateway, first pulumi.Resource) (pulumi.Resource, error) {
		opts := b.on(from, comp)
		if first != nil {
			opts = append(opts, pulumi.DependsOn([]pulumi.Resource{first}))
		}
		return network.NewVirtualNetworkPeering(b.ctx, b.res(from.cell.ID, "peers", to.cell.ID), &network.VirtualNetworkPeeringArgs{
			VirtualNetworkPeeringName: pulumi.String(azureName("to-" + to.cell.ID)),
			ResourceGroupName:         from.cell.Azure.ResourceGroupName,
			VirtualNetworkName:        from.cell.Azure.VnetName,
			RemoteVirtualNetwork:      &network.SubResourceArgs{Id: to.cell.Azure.VnetID},
			AllowVirtualNetworkAccess: pulumi.Bool(true),
			AllowForwardedTraffic:     pulumi.Bool(false),
			AllowGatewayTransit:       pulumi.Bool(false),
			UseRemoteGateways:         pulumi.Bool(false),
		}, opts...)
	}
	ab, err := peer(ga, gb, nil)
	if err != nil {
		return fmt.Errorf("vnet peering %s → %s: %w", p.A, p.B, err)
	}
	if _, err := peer(gb, ga, ab); err != nil {
		return fmt.Errorf("vnet peering %s → %s: %w", p.B, p.A, err)
	}
	return nil
}
