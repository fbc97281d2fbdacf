package aws

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

func TestNetworkFollowsThePlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		cidr  string
		zones int
	}{
		{"two zones /16", "10.10.0.0/16", 2},
		{"three zones /20", "10.20.0.0/20", 3},
		{"smallest block", "10.30.0.0/23", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			args.CIDR, args.Zones, args.MaxInstances = tc.cidr, tc.zones, 3
			d := deploy(t, args, false)
			plan, err := stacks.PlanNetwork(stacks.Cell{ID: args.ID, Cloud: fabric.AWS, CIDR: tc.cidr, Zones: tc.zones, MaxInstances: 3})
			if err != nil {
				t.Fatal(err)
			}
			vpc := d.One(t, "aws:ec2/vpc:Vpc")
			if str(vpc, "cidrBlock") != tc.cidr || in(vpc, "enableDnsSupport") != true || in(vpc, "enableDnsHostnames") != true {
				t.Errorf("vpc cidr %v dns %v/%v", in(vpc, "cidrBlock"), in(vpc, "enableDnsSupport"), in(vpc, "enableDnsHostnames"))
			}
			subnets := d.Rec.OfType("aws:ec2/subnet:Subnet")
			if len(subnets) != len(plan.Subnets) {
				t.Fatalf("%d subnets, plan has %d", len(subnets), len(plan.Subnets))
			}
			zoneOf := map[string]string{} // subnet id -> AZ
			for _, ps := range plan.Subnets {
				s := d.Named(t, "aws:ec2/subnet:Subnet", "cell-aws-use1-"+ps.Name)
				got, err := netip.ParsePrefix(str(s, "cidrBlock"))
				if err != nil || got != ps.CIDR {
					t.Errorf("subnet %s cidr %v, plan says %s", ps.Name, in(s, "cidrBlock"), ps.CIDR)
				}
				for _, r := range plan.Reserved {
					if r.Overlaps(got) {
						t.Errorf("subnet %s (%s) uses reserved block %s", ps.Name, got, r)
					}
				}
				if az := fmt.Sprintf("us-east-1%c", 'a'+ps.Zone); str(s, "availabilityZone") != az {
					t.Errorf("subnet %s in %v, want %s", ps.Name, in(s, "availabilityZone"), az)
				}
				if s.Parent != d.Comp.URN || str(s, "vpcId") != vpc.ID {
					t.Errorf("subnet %s not in the cell's vpc", ps.Name)
				}
				zoneOf[s.ID] = str(s, "availabilityZone")
			}

			nats := d.Rec.OfType("aws:ec2/natGateway:NatGateway")
			eips := d.Rec.OfType("aws:ec2/eip:Eip")
			if len(nats) != tc.zones || len(eips) != tc.zones {
				t.Fatalf("%d NAT gateways and %d EIPs for %d zones", len(nats), len(eips), tc.zones)
			}
			for z := range tc.zones {
				nat := d.Named(t, "aws:ec2/natGateway:NatGateway", fmt.Sprintf("cell-aws-use1-nat-%d", z))
				public := d.Named(t, "aws:ec2/subnet:Subnet", fmt.Sprintf("cell-aws-use1-public-%d", z))
				if str(nat, "subnetId") != public.ID {
					t.Errorf("NAT %d in subnet %v, want public-%d", z, in(nat, "subnetId"), z)
				}
				rt := d.Named(t, "aws:ec2/routeTable:RouteTable", fmt.Sprintf("cell-aws-use1-private-%d", z))
				route := d.Named(t, "aws:ec2/route:Route", fmt.Sprintf("cell-aws-use1-private-%d-default", z))
				if str(route, "routeTableId") != rt.ID || str(route, "natGatewayId") != nat.ID || str(route, "destinationCidrBlock") != "0.0.0.0/0" {
					t.Errorf("private-%d default route %v via %v, want via its zone's NAT", z, in(route, "routeTableId"), in(route, "natGatewayId"))
				}
				assoc := d.Named(t, "aws:ec2/routeTableAssociation:RouteTableAssociation", fmt.Sprintf("cell-aws-use1-private-%d", z))
				private := d.Named(t, "aws:ec2/subnet:Subnet", fmt.Sprintf("cell-aws-use1-private-%d", z))
				if str(assoc, "subnetId") != private.ID || str(assoc, "routeTableId") != rt.ID {
					t.Errorf("private-%d associated with %v", z, in(assoc, "routeTableId"))
				}
			}
			igw := d.One(t, "aws:ec2/internetGateway:InternetGateway")
			pub := d.Named(t, "aws:ec2/route:Route", "cell-aws-use1-public-default")
			if str(pub, "gatewayId") != igw.ID {
				t.Errorf("public default route via %v, want the internet gateway", in(pub, "gatewayId"))
			}
			for _, rt := range d.Rec.OfType("aws:ec2/routeTable:RouteTable") {
				if routes := in(rt, "routes"); routes != nil && len(routes.([]any)) != 0 {
					t.Errorf("route table %s has inline routes; the mesh needs them as ec2.Route", rt.Name)
				}
			}
			ep := d.One(t, "aws:ec2/vpcEndpoint:VpcEndpoint")
			var privRTs []string
			for z := range tc.zones {
				privRTs = append(privRTs, d.Named(t, "aws:ec2/routeTable:RouteTable", fmt.Sprintf("cell-aws-use1-private-%d", z)).ID)
			}
			if str(ep, "serviceName") != "com.amazonaws.us-east-1.dynamodb" || str(ep, "vpcEndpointType") != "Gateway" ||
				!slices.Equal(strs(ep, "routeTableIds"), privRTs) {
				t.Errorf("dynamodb endpoint %v %v on %v", in(ep, "serviceName"), in(ep, "vpcEndpointType"), in(ep, "routeTableIds"))
			}
		})
	}
}
