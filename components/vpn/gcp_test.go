package vpn

import (
	"fmt"
	"slices"
	"testing"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// TestGCPGateways checks each GCP cell's HA VPN gateway and Cloud Router:
// the cell's network, region and project, and the planned ASN.
func TestGCPGateways(t *testing.T) {
	t.Parallel()
	d := dev(t)
	for _, c := range devCells {
		if c.cloud != fabric.GCP {
			continue
		}
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			ha := d.get(t, tHAVPN, c.id, "ha-vpn")
			router := d.get(t, tRouter, c.id, "router")
			for _, r := range []struct {
				name string
				res  map[string]string
			}{
				{"ha vpn", map[string]string{"network": in(ha, "network"), "region": in(ha, "region"), "project": in(ha, "project")}},
				{"router", map[string]string{"network": in(router, "network"), "region": in(router, "region"), "project": in(router, "project")}},
			} {
				want := map[string]string{"network": gcpNetwork(c.id), "region": c.region, "project": testGCP}
				for k, v := range want {
					if r.res[k] != v {
						t.Errorf("%s %s = %q, want %q", r.name, k, r.res[k], v)
					}
				}
			}
			if got := num(router, "bgp", "asn"); got != float64(c.asn) {
				t.Errorf("router ASN %v, want %d", got, c.asn)
			}
		})
	}
}

// TestGCPExternalGateways checks the redundancy type and interfaces of every
// external gateway against the peer's actual public IPs: FOUR_IPS for an AWS
// peer (connection 0 tunnels 1, 2, then connection 1), TWO_IPS for Azure
// (instance 0, 1).
func TestGCPExternalGateways(t *testing.T) {
	t.Parallel()
	d := dev(t)
	tests := []struct {
		name, pair, redundancy string
		ips                    func(t *testing.T) []string
	}{
		{"aws peer of gcp-euw1", "aws-use1-to-gcp-euw1", plan.FourIPsRedundancy, d.awsIPs("aws-use1-to-gcp-euw1")},
		{"aws peer of gcp-usc1", "aws-use1-to-gcp-usc1", plan.FourIPsRedundancy, d.awsIPs("aws-use1-to-gcp-usc1")},
		{"azure peer of gcp-euw1", "azure-weu-to-gcp-euw1", plan.TwoIPsRedundancy, d.azureIPs()},
		{"azure peer of gcp-usc1", "azure-weu-to-gcp-usc1", plan.TwoIPsRedundancy, d.azureIPs()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := d.get(t, tExtGW, tc.pair, "peer-gw")
			if in(x, "redundancyType") != tc.redundancy {
				t.Errorf("redundancyType %q, want %s", in(x, "redundancyType"), tc.redundancy)
			}
			want := tc.ips(t)
			var got []string
			for i := range want {
				if id := num(x, "interfaces", i, "id"); id != float64(i) {
					t.Errorf("interfaces[%d].id = %v", i, id)
				}
				got = append(got, in(x, "interfaces", i, "ipAddress"))
			}
			if n := len(at(x.Inputs, "interfaces").([]any)); n != len(want) || !slices.Equal(got, want) {
				t.Errorf("%d interfaces %v, want %v", n, got, want)
			}
		})
	}
}

// awsIPs are the outside IPs of the pair's AWS connections 0 and 1, tunnels
// 1 and 2 each.
func (d *deployment) awsIPs(pair string) func(t *testing.T) []string {
	return func(t *testing.T) []string {
		var ips []string
		for c := range 2 {
			conn := d.get(t, tVPNConn, fmt.Sprintf("%s-c%d", pair, c), "vpn")
			ips = append(ips, out(conn, "tunnel1Address"), out(conn, "tunnel2Address"))
		}
		return ips
	}
}

// azureIPs are the Azure gateway's instance 0 and 1 public IPs.
func (d *deployment) azureIPs() func(t *testing.T) []string {
	return func(t *testing.T) []string {
		var ips []string
		for i := range 2 {
			ips = append(ips, out(d.get(t, tPIP, "azure-weu", fmt.Sprintf("vpngw-ip%d", i)), "ipAddress"))
		}
		return ips
	}
}

// TestGCPTunnels checks every VPN tunnel's IKE version, gateway interface
// and region against the plan.
func TestGCPTunnels(t *testing.T) {
	t.Parallel()
	d := dev(t)
	region := map[string]string{}
	for _, c := range devCells {
		region[c.id] = c.region
	}
	n := 0
	for _, tun := range d.allTunnels() {
		if tun.B.GCP == nil {
			continue
		}
		n++
		r := d.get(t, tTunnel, tun.ID, "tunnel")
		if num(r, "ikeVersion") != 2 || num(r, "vpnGatewayInterface") != float64(tun.B.GCP.Interface) ||
			num(r, "peerExternalGatewayInterface") != float64(tun.B.GCP.ExternalInterface) || in(r, "region") != region[tun.B.Cell] {
			t.Errorf("%s: ike %v, interface %v → external %v, region %q; want 2, %d → %d, %s", tun.ID,
				num(r, "ikeVersion"), num(r, "vpnGatewayInterface"), num(r, "peerExternalGatewayInterface"), in(r, "region"),
				tun.B.GCP.Interface, tun.B.GCP.ExternalInterface, region[tun.B.Cell])
		}
	}
	if n != 12 {
		t.Errorf("%d tunnels end on GCP, want 12", n)
	}
}

// TestGCPPeering checks the two GCP cells are peered both ways, each side on
// its own provider, the second after the first, without custom routes.
func TestGCPPeering(t *testing.T) {
	t.Parallel()
	d := dev(t)
	ab := d.get(t, tGCPPeering, "gcp-euw1", "peers", "gcp-usc1")
	ba := d.get(t, tGCPPeering, "gcp-usc1", "peers", "gcp-euw1")
	for _, c := range []struct {
		r             *resourceRef
		network, peer string
	}{
		{&resourceRef{ab, "gcp-euw1"}, gcpNetwork("gcp-euw1"), gcpNetwork("gcp-usc1")},
		{&resourceRef{ba, "gcp-usc1"}, gcpNetwork("gcp-usc1"), gcpNetwork("gcp-euw1")},
	} {
		r := c.r.res
		if in(r, "network") != c.network || in(r, "peerNetwork") != c.peer {
			t.Errorf("%s: %s → %s, want %s → %s", r.Name, in(r, "network"), in(r, "peerNetwork"), c.network, c.peer)
		}
		if at(r.Inputs, "exportCustomRoutes") != false || at(r.Inputs, "importCustomRoutes") != false {
			t.Errorf("%s exchanges custom routes: a cell would relay its VPN routes to its peer", r.Name)
		}
		if p := d.rec.ProviderOf(r); p == nil || p.Name != providerName(c.r.cell) {
			t.Errorf("%s is not on %s's provider", r.Name, c.r.cell)
		}
	}
	if !slices.Contains(ba.DependsOn, ab.URN) {
		t.Errorf("%s does not wait for %s (GCP runs one peering operation per network at a time)", ba.Name, ab.Name)
	}
	if n := len(d.rec.OfType(PeeringType)); n != 1 {
		t.Errorf("%d peering components, want 1", n)
	}
}
