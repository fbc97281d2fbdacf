package aws

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// network builds the VPC from the cell's network plan: a public and a private
// subnet per zone, an internet gateway, a NAT gateway per zone (so losing a
// zone never cuts the other zones' egress), a public route table and one
// private route table per zone, and a DynamoDB gateway endpoint on the
// private tables. The plan's reserved blocks stay unused.
func (b *builder) network() error {
	azs, err := aws.GetAvailabilityZones(b.ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		// Availability Zones only: Local and Wavelength Zones lack NAT
		// gateways and most of what a cell runs.
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, pulumi.Parent(b.comp))
	if err != nil {
		return err
	}
	if len(azs.Names) < b.args.Zones {
		return fmt.Errorf("region %s has %d available zones (%s) but the cell asks for %d: lower the cell's zones",
			b.region, len(azs.Names), strings.Join(azs.Names, ", "), b.args.Zones)
	}
	b.zoneNames = azs.Names[:b.args.Zones]

	b.vpc, err = ec2.NewVpc(b.ctx, b.name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(b.plan.CIDR.String()),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               b.tagged("vpc"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.internetGate, err = ec2.NewInternetGateway(b.ctx, b.name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: b.vpc.ID(),
		Tags:  b.tagged("igw"),
	}, b.opts()...)
	if err != nil {
		return err
	}

	b.public = make([]*ec2.Subnet, b.args.Zones)
	b.private = make([]*ec2.Subnet, b.args.Zones)
	for _, s := range b.plan.Subnets {
		if s.Zone < 0 || s.Zone >= b.args.Zones {
			return fmt.Errorf("network plan subnet %s is in zone %d, outside the cell's %d zones", s.Name, s.Zone, b.args.Zones)
		}
		sn, err := ec2.NewSubnet(b.ctx, b.name+"-"+s.Name, &ec2.SubnetArgs{
			VpcId:            b.vpc.ID(),
			CidrBlock:        pulumi.String(s.CIDR.String()),
			AvailabilityZone: pulumi.String(b.zoneNames[s.Zone]),
			// Nothing in the cell needs a public address on launch: the
			// ALB and NAT gateways bring their own.
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                b.tagged(s.Name),
		}, b.opts()...)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(s.Name, "public-"):
			b.public[s.Zone] = sn
		case strings.HasPrefix(s.Name, "private-"):
			b.private[s.Zone] = sn
		default:
			return fmt.Errorf("network plan subnet %s is neither public nor private", s.Name)
		}
	}
	for z := range b.args.Zones {
		if b.public[z] == nil || b.private[z] == nil {
			return fmt.Errorf("network plan lacks a public or private subnet for zone %d", z)
		}
	}

	if err := b.publicRouting(); err != nil {
		return err
	}
	if err := b.privateRouting(); err != nil {
		return err
	}
	return b.dynamoEndpoint()
}

// publicRouting sends the public subnets' default route to the internet
// gateway. Routes are ec2.Route resources, not inline, so that other
// components (the VPN mesh) may add routes to the same tables.
func (b *builder) publicRouting() error {
	var err error
	b.publicRT, err = ec2.NewRouteTable(b.ctx, b.name+"-public", &ec2.RouteTableArgs{
		VpcId: b.vpc.ID(),
		Tags:  b.tagged("public"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	if _, err := ec2.NewRoute(b.ctx, b.name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         b.publicRT.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            b.internetGate.ID(),
	}, b.opts()...); err != nil {
		return err
	}
	for z, sn := range b.public {
		if _, err := ec2.NewRouteTableAssociation(b.ctx, fmt.Sprintf("%s-public-%d", b.name, z), &ec2.RouteTableAssociationArgs{
			RouteTableId: b.publicRT.ID(),
			SubnetId:     sn.ID(),
		}, b.opts()...); err != nil {
			return err
		}
	}
	return nil
}

// privateRouting gives each zone a NAT gateway (with its own Elastic IP) in
// its public subnet and a private route table whose default route leads to
// it.
func (b *builder) privateRouting() error {
	b.natGateways = make([]*ec2.NatGateway, b.args.Zones)
	b.privateRTs = make([]*ec2.RouteTable, b.args.Zones)
	for z := range b.args.Zones {
		part := fmt.Sprintf("nat-%d", z)
		eip, err := ec2.NewEip(b.ctx, b.name+"-"+part, &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   b.tagged(part),
		}, b.opts()...)
		if err != nil {
			return err
		}
		nat, err := ec2.NewNatGateway(b.ctx, b.name+"-"+part, &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     b.public[z].ID(),
			Tags:         b.tagged(part),
		}, b.opts(pulumi.DependsOn([]pulumi.Resource{b.internetGate}))...)
		if err != nil {
			return err
		}
		b.natGateways[z] = nat
		part = fmt.Sprintf("private-%d", z)
		rt, err := ec2.NewRouteTable(b.ctx, b.name+"-"+part, &ec2.RouteTableArgs{
			VpcId: b.vpc.ID(),
			Tags:  b.tagged(part),
		}, b.opts()...)
		if err != nil {
			return err
		}
		b.privateRTs[z] = rt
		if _, err := ec2.NewRoute(b.ctx, b.name+"-"+part+"-default", &ec2.RouteArgs{
			RouteTableId:         rt.ID(),
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NatGatewayId:         nat.ID(),
		}, b.opts()...); err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(b.ctx, b.name+"-"+part, &ec2.RouteTableAssociationArgs{
			RouteTableId: rt.ID(),
			SubnetId:     b.private[z].ID(),
		}, b.opts()...); err != nil {
			return err
		}
	}
	return nil
}

// dynamoEndpoint adds a gateway endpoint for DynamoDB to the private route
// tables: free, and state traffic skips the NAT gateways (and their per-GB
// charge). Its policy is the default; the task role is what limits access.
func (b *builder) dynamoEndpoint() error {
	var rts pulumi.StringArray
	for _, rt := range b.privateRTs {
		rts = append(rts, rt.ID())
	}
	_, err := ec2.NewVpcEndpoint(b.ctx, b.name+"-dynamodb", &ec2.VpcEndpointArgs{
		VpcId:           b.vpc.ID(),
		ServiceName:     pulumi.String("com.amazonaws." + b.region + ".dynamodb"),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   rts,
		Tags:            b.tagged("dynamodb"),
	}, b.opts()...)
	return err
}
