package vpn

import (
	"strings"
	"testing"
)

// countNamed counts the recorded resources of typ whose name contains s.
func (d *deployment) countNamed(typ, s string) int {
	n := 0
	for _, r := range d.rec.OfType(typ) {
		if strings.Contains(r.Name, s) {
			n++
		}
	}
	return n
}

// TestPairCounts checks what each pair of the dev mesh is built from.
func TestPairCounts(t *testing.T) {
	t.Parallel()
	d := dev(t)
	tests := []struct {
		name string
		pair string
		// AWS VPN connections and customer gateways; Azure local network
		// gateways and connections; GCP external gateways, tunnels, router
		// interfaces and BGP peers; keys.
		awsConns, azureLNGs, gcpExt, gcpTunnels, keys int
	}{
		{name: "aws-azure", pair: "aws-use1-to-azure-weu", awsConns: 2, azureLNGs: 4, keys: 4},
		{name: "aws-gcp-euw1", pair: "aws-use1-to-gcp-euw1", awsConns: 2, gcpExt: 1, gcpTunnels: 4, keys: 4},
		{name: "aws-gcp-usc1", pair: "aws-use1-to-gcp-usc1", awsConns: 2, gcpExt: 1, gcpTunnels: 4, keys: 4},
		{name: "azure-gcp-euw1", pair: "azure-weu-to-gcp-euw1", azureLNGs: 2, gcpExt: 1, gcpTunnels: 2, keys: 2},
		{name: "azure-gcp-usc1", pair: "azure-weu-to-gcp-usc1", azureLNGs: 2, gcpExt: 1, gcpTunnels: 2, keys: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.pair + "-"
			got := map[string][2]int{
				"AWS VPN connections":           {d.countNamed(tVPNConn, p), tc.awsConns},
				"AWS customer gateways":         {d.countNamed(tCGW, p), tc.awsConns},
				"Azure local network gateways":  {d.countNamed(tLNG, p), tc.azureLNGs},
				"Azure connections":             {d.countNamed(tAzConn, p), tc.azureLNGs},
				"GCP external gateways":         {d.countNamed(tExtGW, p), tc.gcpExt},
				"GCP VPN tunnels":               {d.countNamed(tTunnel, p), tc.gcpTunnels},
				"GCP router interfaces":         {d.countNamed(tRouterIf, p), tc.gcpTunnels},
				"GCP BGP peers":                 {d.countNamed(tRouterPeer, p), tc.gcpTunnels},
				"pre-shared keys":               {d.countNamed(tPassword, p), tc.keys},
				"tunnels ending on the AWS VGW": {2 * d.countNamed(tVPNConn, p), 2 * tc.awsConns},
			}
			for what, v := range got {
				if v[0] != v[1] {
					t.Errorf("%s: %d, want %d", what, v[0], v[1])
				}
			}
		})
	}
}

// TestTotals checks the whole dev mesh: one gateway per cell, and as many of
// everything as the plan's per-cloud counts.
func TestTotals(t *testing.T) {
	t.Parallel()
	d := dev(t)
	want := map[string]int{
		tVGW: 1, tCGW: 6, tVPNConn: 6, tPropagate: 3,
		tPIP: 2, tVNG: 1, tLNG: 8, tAzConn: 8, tNSGRule: 1,
		tHAVPN: 2, tRouter: 2, tExtGW: 4, tTunnel: 12, tRouterIf: 12, tRouterPeer: 12, tFirewall: 2,
		tGCPPeering: 2, tPCX: 0, tVNetPeer: 0,
		tPassword: 16, tSGIn: 3, tSGOut: 3,
	}
	for typ, n := range want {
		if got := len(d.rec.OfType(typ)); got != n {
			t.Errorf("%s: %d, want %d", typ, got, n)
		}
	}
	for _, c := range d.mesh.Plan.Counts() {
		var built int
		switch c.Cloud {
		case "aws":
			built = 2 * len(d.rec.OfType(tVPNConn))
		case "azure":
			built = len(d.rec.OfType(tAzConn))
		case "gcp":
			built = len(d.rec.OfType(tTunnel))
		}
		if built != c.Tunnels {
			t.Errorf("%s: %d tunnels built, the plan counts %d", c.Cloud, built, c.Tunnels)
		}
	}
}
