package plan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

func TestSummary(t *testing.T) {
	t.Parallel()
	m, err := Build(devInput())
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary()
	if len(s.Tunnels) != 16 {
		t.Fatalf("%d tunnels in the summary, want 16 (4 aws-azure + 2×4 aws-gcp + 2×2 azure-gcp)", len(s.Tunnels))
	}
	// Every summarized tunnel matches the plan's, end for end.
	i := 0
	for _, p := range m.Pairs {
		for _, tun := range p.Tunnels {
			got := s.Tunnels[i]
			i++
			if got.ID != tun.ID || got.InsideCIDR != tun.InsideCIDR ||
				got.A.BGPAddress != tun.A.BGPAddress || got.B.BGPAddress != tun.B.BGPAddress ||
				got.A.ASN != tun.A.ASN || got.B.ASN != tun.B.ASN || got.A.Cell != tun.A.Cell || got.B.Cell != tun.B.Cell {
				t.Errorf("summary of %s = %+v, plan says %+v", tun.ID, got, tun)
			}
		}
	}
	wantFirst := TunnelSummary{
		ID: "aws-use1-to-azure-weu-t0", Pair: "aws-use1-to-azure-weu", InsideCIDR: "169.254.21.0/30",
		A: EndSummary{Cell: "aws-use1", Cloud: fabric.AWS, ASN: 64610, BGPAddress: "169.254.21.1", Gateway: "vpn connection aws-use1-to-azure-weu-c0, tunnel 1"},
		B: EndSummary{Cell: "azure-weu", Cloud: fabric.Azure, ASN: 64620, BGPAddress: "169.254.21.2", Gateway: "gateway instance 0"},
	}
	if s.Tunnels[0] != wantFirst {
		t.Errorf("first tunnel = %+v, want %+v", s.Tunnels[0], wantFirst)
	}
	if got := s.Tunnels[4].B.Gateway; got != "ha vpn interface 0" {
		t.Errorf("aws-use1↔gcp-euw1 t0 GCP end lands on %q", got)
	}
	wantPools := []PoolUsage{{"169.254.21.0-169.254.22.255", 12, 128}, {"169.254.64.0-169.254.127.255", 8, 4096}}
	if !reflect.DeepEqual(s.Pools, wantPools) {
		t.Errorf("pools = %+v, want %+v", s.Pools, wantPools)
	}
	if !reflect.DeepEqual(s.Peerings, []PeeringSummary{{ID: "gcp-euw1-to-gcp-usc1", Kind: GCPNetworkPeering, A: "gcp-euw1", B: "gcp-usc1"}}) {
		t.Errorf("peerings = %+v", s.Peerings)
	}

	// Map is the JSON shape, ready for a Pulumi output.
	mp, err := s.Map()
	if err != nil {
		t.Fatal(err)
	}
	tunnels, ok := mp["tunnels"].([]any)
	if !ok || len(tunnels) != 16 {
		t.Fatalf("map tunnels = %T len %d", mp["tunnels"], len(tunnels))
	}
	b := tunnels[0].(map[string]any)["b"].(map[string]any)
	if b["bgpAddress"] != "169.254.21.2" || b["asn"] != float64(64620) || mp["ikeVersion"] != float64(2) {
		t.Errorf("map tunnel 0 end b = %v, ikeVersion %v", b, mp["ikeVersion"])
	}
}

// Neither the mesh nor its summary carries a secret: keys are only named.
func TestNoSecretFields(t *testing.T) {
	t.Parallel()
	m, err := Build(devInput())
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"mesh": m, "summary": m.Summary()} {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		collectKeys(t, raw, &keys)
		for _, k := range keys {
			l := strings.ToLower(k)
			if (strings.Contains(l, "secret") || strings.Contains(l, "sharedkey") || strings.Contains(l, "presharedkey") || l == "psk" || l == "key") && l != "keyname" {
				t.Errorf("%s has a field %q that looks like a secret", name, k)
			}
		}
	}
}

func collectKeys(t *testing.T, raw []byte, out *[]string) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				*out = append(*out, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

func TestCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Input
		want []Counts
	}{
		{
			name: "dev",
			in:   devInput(),
			want: []Counts{
				{Cloud: fabric.AWS, Cells: 1, Gateways: 1, CustomerGateways: 6, VPNConnections: 6, Tunnels: 12},
				{Cloud: fabric.Azure, Cells: 1, Gateways: 1, PublicIPs: 2, VPNConnections: 8, LocalGateways: 8, Tunnels: 8},
				{Cloud: fabric.GCP, Cells: 2, Gateways: 2, Routers: 2, ExternalGateways: 4, Tunnels: 12, Peerings: 1},
			},
		},
		{
			name: "dev with four Azure↔GCP tunnels",
			in:   Input{Cells: devCells(), AzureGCPTunnels: 4},
			want: []Counts{
				{Cloud: fabric.AWS, Cells: 1, Gateways: 1, CustomerGateways: 6, VPNConnections: 6, Tunnels: 12},
				{Cloud: fabric.Azure, Cells: 1, Gateways: 1, PublicIPs: 2, VPNConnections: 12, LocalGateways: 12, Tunnels: 12},
				{Cloud: fabric.GCP, Cells: 2, Gateways: 2, Routers: 2, ExternalGateways: 4, Tunnels: 16, Peerings: 1},
			},
		},
		{
			name: "aws and gcp only",
			in:   Input{Cells: []Cell{cellAWS, cellGCP}},
			want: []Counts{
				{Cloud: fabric.AWS, Cells: 1, Gateways: 1, CustomerGateways: 2, VPNConnections: 2, Tunnels: 4},
				{Cloud: fabric.GCP, Cells: 1, Gateways: 1, Routers: 1, ExternalGateways: 1, Tunnels: 4},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Build(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Counts(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Counts() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
