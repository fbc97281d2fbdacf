package vpn

import (
	"slices"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
)

// onProvider fails the test unless r is on cell's provider.
func (d *deployment) onProvider(t *testing.T, r *recorder.Resource, cell string) {
	t.Helper()
	if p := d.rec.ProviderOf(r); p == nil || p.Name != providerName(cell) {
		t.Errorf("%s %s is not on %s's provider", r.Type, r.Name, cell)
	}
}

// TestAWSPeering checks two AWS cells get a VPC peering requested from the
// first, accepted on the second's provider, and routes both ways in every
// listed route table; the peer region is set only across regions.
func TestAWSPeering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, region, peerRegion string
	}{
		{name: "cross-region", region: "eu-west-1", peerRegion: "eu-west-1"},
		{name: "same region", region: "us-east-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cells := []devCell{devCells[0], {"aws-two", fabric.AWS, tc.region, "10.60.0.0/16", 64660}, devCells[2]}
			d, err := run(cells, nil)
			if err != nil {
				t.Fatal(err)
			}
			pcx := d.get(t, tPCX, "aws-use1-to-aws-two", "pcx")
			acc := d.get(t, tPCXAccept, "aws-use1-to-aws-two", "pcx-accept")
			d.onProvider(t, pcx, "aws-use1")
			d.onProvider(t, acc, "aws-two")
			if in(pcx, "vpcId") != "vpc-aws-use1" || in(pcx, "peerVpcId") != "vpc-aws-two" || in(pcx, "peerRegion") != tc.peerRegion {
				t.Errorf("peering %s → %s in %q; want vpc-aws-use1 → vpc-aws-two in %q", in(pcx, "vpcId"), in(pcx, "peerVpcId"), in(pcx, "peerRegion"), tc.peerRegion)
			}
			if in(acc, "vpcPeeringConnectionId") != pcx.ID || at(acc.Inputs, "autoAccept") != true {
				t.Errorf("accepter of %q, autoAccept %v; want %s, true", in(acc, "vpcPeeringConnectionId"), at(acc.Inputs, "autoAccept"), pcx.ID)
			}
			routes := map[string]string{} // table → destination
			for _, r := range d.rec.OfType(tRoute) {
				if in(r, "vpcPeeringConnectionId") != pcx.ID {
					t.Errorf("%s goes through %q, not the peering", r.Name, in(r, "vpcPeeringConnectionId"))
				}
				routes[in(r, "routeTableId")] = in(r, "destinationCidrBlock")
				side := "aws-use1"
				if slices.Contains(awsRouteTables("aws-two"), in(r, "routeTableId")) {
					side = "aws-two"
				}
				d.onProvider(t, r, side)
			}
			for _, c := range []struct{ cell, dest string }{{"aws-use1", "10.60.0.0/16"}, {"aws-two", "10.10.0.0/16"}} {
				for _, rt := range awsRouteTables(c.cell) {
					if routes[rt] != c.dest {
						t.Errorf("route table %s: route to %q, want %s", rt, routes[rt], c.dest)
					}
				}
			}
			if len(routes) != 6 {
				t.Errorf("%d routes, want 6 (3 tables per cell)", len(routes))
			}
		})
	}
}

// TestAzurePeering checks two Azure cells get VNet peerings both ways, each
// on its own side's provider, without gateway transit.
func TestAzurePeering(t *testing.T) {
	t.Parallel()
	cells := []devCell{devCells[1], {"azure-neu", fabric.Azure, "northeurope", "10.50.0.0/16", 64650}, devCells[2]}
	d, err := run(cells, nil)
	if err != nil {
		t.Fatal(err)
	}
	ab := d.get(t, tVNetPeer, "azure-weu", "peers", "azure-neu")
	ba := d.get(t, tVNetPeer, "azure-neu", "peers", "azure-weu")
	for _, c := range []struct {
		r          *recorder.Resource
		from, to   string
		dependsOnA bool
	}{{ab, "azure-weu", "azure-neu", false}, {ba, "azure-neu", "azure-weu", true}} {
		d.onProvider(t, c.r, c.from)
		if in(c.r, "resourceGroupName") != azureRG(c.from) || in(c.r, "virtualNetworkName") != azureVnet(c.from) ||
			in(c.r, "remoteVirtualNetwork", "id") != azureVnetID(c.to) {
			t.Errorf("%s: %s/%s → %s", c.r.Name, in(c.r, "resourceGroupName"), in(c.r, "virtualNetworkName"), in(c.r, "remoteVirtualNetwork", "id"))
		}
		for k, want := range map[string]bool{"allowVirtualNetworkAccess": true, "allowForwardedTraffic": false, "allowGatewayTransit": false, "useRemoteGateways": false} {
			if at(c.r.Inputs, k) != want {
				t.Errorf("%s: %s = %v, want %v", c.r.Name, k, at(c.r.Inputs, k), want)
			}
		}
		if c.dependsOnA && !slices.Contains(c.r.DependsOn, ab.URN) {
			t.Errorf("%s does not wait for %s", c.r.Name, ab.Name)
		}
	}
	if n := len(d.rec.OfType(tVNG)); n != 2 {
		t.Errorf("%d Azure gateways, want one per Azure cell", n)
	}
}
