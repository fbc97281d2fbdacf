package plan

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

var (
	cellAWS   = Cell{ID: "aws-a", Cloud: fabric.AWS, Region: "us-east-1", CIDR: "10.1.0.0/16", ASN: 64601}
	cellAzure = Cell{ID: "azure-b", Cloud: fabric.Azure, Region: "westeurope", CIDR: "10.2.0.0/16", ASN: 64602}
	cellGCP   = Cell{ID: "gcp-c", Cloud: fabric.GCP, Region: "europe-west1", CIDR: "10.3.0.0/16", ASN: 64603}
)

// wantTunnel is what one tunnel must look like: inside CIDR, both BGP
// addresses and where each end lands ("c<conn>/<tunnel>" on AWS, "i<n>" for
// an Azure instance, "if<n>>x<m>" for GCP interface n to external interface m).
type wantTunnel struct {
	cidr, a, b   string
	aPos, bPos   string
	azureCustoms [2]string // the fabric.Azure end's gatewayCustomBgpIpAddresses, when there is one
}

func position(e End) string {
	switch {
	case e.AWS != nil:
		return "c" + itoa(e.AWS.ConnectionIndex) + "/" + itoa(e.AWS.TunnelNumber)
	case e.Azure != nil:
		return "i" + itoa(e.Azure.Instance)
	case e.GCP != nil:
		return "if" + itoa(e.GCP.Interface) + ">x" + itoa(e.GCP.ExternalInterface)
	}
	return "?"
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBuildPairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cells    []Cell
		tunnels  int
		kind     PairKind
		pairID   string
		pool     string
		want     []wantTunnel
		checkGws func(t *testing.T, m *Mesh)
	}{
		{
			name:   "aws-gcp: four tunnels, GCP interface c faces AWS connection c, link-local pool",
			cells:  []Cell{cellAWS, cellGCP},
			kind:   AWSGCP,
			pairID: "aws-a-to-gcp-c",
			pool:   "169.254.64.0-169.254.127.255",
			want: []wantTunnel{
				{cidr: "169.254.64.0/30", a: "169.254.64.1", b: "169.254.64.2", aPos: "c0/1", bPos: "if0>x0"},
				{cidr: "169.254.64.4/30", a: "169.254.64.5", b: "169.254.64.6", aPos: "c0/2", bPos: "if0>x1"},
				{cidr: "169.254.64.8/30", a: "169.254.64.9", b: "169.254.64.10", aPos: "c1/1", bPos: "if1>x2"},
				{cidr: "169.254.64.12/30", a: "169.254.64.13", b: "169.254.64.14", aPos: "c1/2", bPos: "if1>x3"},
			},
			checkGws: func(t *testing.T, m *Mesh) {
				aws := m.Gateways[0].AWS
				want := []AWSConnection{
					{Name: "aws-a-to-gcp-c-c0", Index: 0, Peer: "gcp-c", PeerCloud: fabric.GCP, PeerASN: 64603, PeerInterface: 0, Tunnels: [2]string{"aws-a-to-gcp-c-t0", "aws-a-to-gcp-c-t1"}},
					{Name: "aws-a-to-gcp-c-c1", Index: 1, Peer: "gcp-c", PeerCloud: fabric.GCP, PeerASN: 64603, PeerInterface: 1, Tunnels: [2]string{"aws-a-to-gcp-c-t2", "aws-a-to-gcp-c-t3"}},
				}
				if aws.AmazonSideASN != 64601 || !reflect.DeepEqual(aws.Connections, want) {
					t.Errorf("aws gateway = %+v, want ASN 64601 and %+v", aws, want)
				}
				x := m.Gateways[1].GCP.ExternalGateways[0]
				wantIfs := []GCPExternalInterface{{0, 0, 1}, {1, 0, 2}, {2, 1, 1}, {3, 1, 2}}
				if x.RedundancyType != "FOUR_IPS_REDUNDANCY" || !reflect.DeepEqual(x.Interfaces, wantIfs) || x.PeerASN != 64601 {
					t.Errorf("external gateway = %+v, want FOUR_IPS_REDUNDANCY %v", x, wantIfs)
				}
			},
		},
		{
			name:   "aws-azure: four tunnels in APIPA, Azure instance c faces AWS connection c, Azure takes .2",
			cells:  []Cell{cellAzure, cellAWS}, // input order does not decide which end is A
			kind:   AWSAzure,
			pairID: "aws-a-to-azure-b",
			pool:   "169.254.21.0-169.254.22.255",
			want: []wantTunnel{
				{cidr: "169.254.21.0/30", a: "169.254.21.1", b: "169.254.21.2", aPos: "c0/1", bPos: "i0", azureCustoms: [2]string{"169.254.21.2", "169.254.21.10"}},
				{cidr: "169.254.21.4/30", a: "169.254.21.5", b: "169.254.21.6", aPos: "c0/2", bPos: "i0", azureCustoms: [2]string{"169.254.21.6", "169.254.21.14"}},
				{cidr: "169.254.21.8/30", a: "169.254.21.9", b: "169.254.21.10", aPos: "c1/1", bPos: "i1", azureCustoms: [2]string{"169.254.21.2", "169.254.21.10"}},
				{cidr: "169.254.21.12/30", a: "169.254.21.13", b: "169.254.21.14", aPos: "c1/2", bPos: "i1", azureCustoms: [2]string{"169.254.21.6", "169.254.21.14"}},
			},
			checkGws: func(t *testing.T, m *Mesh) {
				az := m.Gateways[0].Azure
				want := [2][]string{{"169.254.21.2", "169.254.21.6"}, {"169.254.21.10", "169.254.21.14"}}
				if az.ASN != 64602 || !reflect.DeepEqual(az.BGPAddresses, want) {
					t.Errorf("azure gateway ASN %d addresses %v, want 64602 %v", az.ASN, az.BGPAddresses, want)
				}
				if n := len(az.LocalGateways); n != 4 {
					t.Fatalf("%d local network gateways, want one per AWS tunnel (4)", n)
				}
				lg := az.LocalGateways[3]
				wantLG := AzureLocalGateway{Name: "aws-a-to-azure-b-t3", Tunnel: "aws-a-to-azure-b-t3", Peer: "aws-a", PeerCloud: fabric.AWS, PeerASN: 64601, PeerBGPAddress: "169.254.21.13", PeerInterface: 1, PeerTunnelNumber: 2, Instance: 1, CustomBGPAddresses: [2]string{"169.254.21.6", "169.254.21.14"}}
				if lg != wantLG {
					t.Errorf("local gateway 3 = %+v, want %+v", lg, wantLG)
				}
				aws := m.Gateways[1].AWS
				if len(aws.Connections) != 2 || aws.Connections[1].PeerInterface != 1 || aws.Connections[1].PeerASN != 64602 {
					t.Errorf("aws connections = %+v, want 2 with connection 1 on Azure instance 1", aws.Connections)
				}
			},
		},
		{
			name:    "azure-gcp with 2 tunnels: instance i ↔ interface i, Azure .1 and GCP .2",
			cells:   []Cell{cellAzure, cellGCP},
			tunnels: 2,
			kind:    AzureGCP,
			pairID:  "azure-b-to-gcp-c",
			pool:    "169.254.21.0-169.254.22.255",
			want: []wantTunnel{
				{cidr: "169.254.21.0/30", a: "169.254.21.1", b: "169.254.21.2", aPos: "i0", bPos: "if0>x0", azureCustoms: [2]string{"169.254.21.1", "169.254.21.5"}},
				{cidr: "169.254.21.4/30", a: "169.254.21.5", b: "169.254.21.6", aPos: "i1", bPos: "if1>x1", azureCustoms: [2]string{"169.254.21.1", "169.254.21.5"}},
			},
			checkGws: func(t *testing.T, m *Mesh) {
				x := m.Gateways[1].GCP.ExternalGateways[0]
				wantIfs := []GCPExternalInterface{{ID: 0, PeerInterface: 0}, {ID: 1, PeerInterface: 1}}
				if x.RedundancyType != "TWO_IPS_REDUNDANCY" || !reflect.DeepEqual(x.Interfaces, wantIfs) || len(x.Tunnels) != 2 {
					t.Errorf("external gateway = %+v, want TWO_IPS_REDUNDANCY with Azure instances 0, 1 and 2 tunnels", x)
				}
				az := m.Gateways[0].Azure
				want := [2][]string{{"169.254.21.1"}, {"169.254.21.5"}}
				if !reflect.DeepEqual(az.BGPAddresses, want) {
					t.Errorf("azure addresses %v, want %v", az.BGPAddresses, want)
				}
				if lg := az.LocalGateways[1]; lg.PeerInterface != 1 || lg.PeerBGPAddress != "169.254.21.6" || lg.PeerTunnelNumber != 0 {
					t.Errorf("local gateway 1 = %+v, want GCP interface 1 at 169.254.21.6", lg)
				}
			},
		},
		{
			name:    "azure-gcp with 4 tunnels: the 2-tunnel layout plus the crossed paths, same slots",
			cells:   []Cell{cellGCP, cellAzure},
			tunnels: 4,
			kind:    AzureGCP,
			pairID:  "azure-b-to-gcp-c",
			pool:    "169.254.21.0-169.254.22.255",
			want: []wantTunnel{
				{cidr: "169.254.21.0/30", a: "169.254.21.1", b: "169.254.21.2", aPos: "i0", bPos: "if0>x0", azureCustoms: [2]string{"169.254.21.1", "169.254.21.5"}},
				{cidr: "169.254.21.4/30", a: "169.254.21.5", b: "169.254.21.6", aPos: "i1", bPos: "if1>x1", azureCustoms: [2]string{"169.254.21.1", "169.254.21.5"}},
				{cidr: "169.254.21.8/30", a: "169.254.21.9", b: "169.254.21.10", aPos: "i1", bPos: "if0>x1", azureCustoms: [2]string{"169.254.21.13", "169.254.21.9"}},
				{cidr: "169.254.21.12/30", a: "169.254.21.13", b: "169.254.21.14", aPos: "i0", bPos: "if1>x0", azureCustoms: [2]string{"169.254.21.13", "169.254.21.9"}},
			},
			checkGws: func(t *testing.T, m *Mesh) {
				az := m.Gateways[1].Azure
				want := [2][]string{{"169.254.21.1", "169.254.21.13"}, {"169.254.21.5", "169.254.21.9"}}
				if !reflect.DeepEqual(az.BGPAddresses, want) {
					t.Errorf("azure addresses %v, want %v", az.BGPAddresses, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := Input{Cells: tt.cells, AzureGCPTunnels: tt.tunnels}
			m, err := Build(in)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if probs := meshProblems(in, m); len(probs) > 0 {
				t.Fatalf("mesh breaks rules:\n%v", probs)
			}
			if len(m.Pairs) != 1 || len(m.Peerings) != 0 {
				t.Fatalf("%d pairs, %d peerings; want exactly one VPN pair", len(m.Pairs), len(m.Peerings))
			}
			p := m.Pairs[0]
			if p.Kind != tt.kind || p.ID != tt.pairID || p.Pool != tt.pool || p.FirstSlot != 0 {
				t.Errorf("pair = %s %s pool %s slot %d, want %s %s pool %s slot 0", p.Kind, p.ID, p.Pool, p.FirstSlot, tt.kind, tt.pairID, tt.pool)
			}
			if len(p.Tunnels) != len(tt.want) {
				t.Fatalf("%d tunnels, want %d", len(p.Tunnels), len(tt.want))
			}
			for k, w := range tt.want {
				tun := p.Tunnels[k]
				got := wantTunnel{cidr: tun.InsideCIDR, a: tun.A.BGPAddress, b: tun.B.BGPAddress, aPos: position(tun.A), bPos: position(tun.B)}
				switch {
				case tun.A.Azure != nil:
					got.azureCustoms = tun.A.Azure.CustomBGPAddresses
				case tun.B.Azure != nil:
					got.azureCustoms = tun.B.Azure.CustomBGPAddresses
				}
				if got != w {
					t.Errorf("tunnel %d = %+v, want %+v", k, got, w)
				}
				if tun.ID != tt.pairID+"-t"+itoa(k) || tun.KeyName != tun.ID+"-psk" || tun.IKEVersion != 2 {
					t.Errorf("tunnel %d: id %q key %q ike %d", k, tun.ID, tun.KeyName, tun.IKEVersion)
				}
			}
			tt.checkGws(t, m)
		})
	}
}

// Switching Azure↔GCP tunnels from 2 to 4 only adds tunnels 2 and 3: the
// first two and every other pair keep their addresses.
func TestAzureGCPTunnelCountKeepsAddresses(t *testing.T) {
	t.Parallel()
	cells := append(devCells(), Cell{ID: "azure-neu", Cloud: fabric.Azure, Region: "northeurope", CIDR: "10.50.0.0/16", ASN: 64650})
	two, err := Build(Input{Cells: cells, AzureGCPTunnels: 2})
	if err != nil {
		t.Fatal(err)
	}
	four, err := Build(Input{Cells: cells, AzureGCPTunnels: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range two.Pairs {
		q := four.Pairs[i]
		if p.ID != q.ID || p.FirstSlot != q.FirstSlot {
			t.Fatalf("pair %d moved: %s@%d → %s@%d", i, p.ID, p.FirstSlot, q.ID, q.FirstSlot)
		}
		if !reflect.DeepEqual(p.Tunnels, q.Tunnels[:len(p.Tunnels)]) {
			t.Errorf("pair %s: tunnels changed when going from 2 to 4", p.ID)
		}
		if p.Kind == AzureGCP && len(q.Tunnels) != 4 {
			t.Errorf("pair %s: %d tunnels with 4 configured", q.ID, len(q.Tunnels))
		}
	}
}

// Cells on one cloud are peered, not tunnelled.
func TestSameCloudPeering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cells []Cell
		want  Peering
	}{
		{
			name:  "gcp",
			cells: []Cell{cellAWS, cellGCP, {ID: "gcp-d", Cloud: fabric.GCP, Region: "us-central1", CIDR: "10.4.0.0/16", ASN: 64604}},
			want:  Peering{ID: "gcp-c-to-gcp-d", Kind: GCPNetworkPeering, Cloud: fabric.GCP, A: "gcp-c", B: "gcp-d", ACIDR: "10.3.0.0/16", BCIDR: "10.4.0.0/16", ARegion: "europe-west1", BRegion: "us-central1"},
		},
		{
			name:  "aws",
			cells: []Cell{cellAWS, cellGCP, {ID: "aws-d", Cloud: fabric.AWS, Region: "eu-west-1", CIDR: "10.4.0.0/16", ASN: 64604}},
			want:  Peering{ID: "aws-a-to-aws-d", Kind: AWSVPCPeering, Cloud: fabric.AWS, A: "aws-a", B: "aws-d", ACIDR: "10.1.0.0/16", BCIDR: "10.4.0.0/16", ARegion: "us-east-1", BRegion: "eu-west-1"},
		},
		{
			name:  "azure",
			cells: []Cell{cellAzure, cellGCP, {ID: "azure-d", Cloud: fabric.Azure, Region: "northeurope", CIDR: "10.4.0.0/16", ASN: 64604}},
			want:  Peering{ID: "azure-b-to-azure-d", Kind: AzureVNetPeering, Cloud: fabric.Azure, A: "azure-b", B: "azure-d", ACIDR: "10.2.0.0/16", BCIDR: "10.4.0.0/16", ARegion: "westeurope", BRegion: "northeurope"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := Input{Cells: tt.cells}
			m, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			if probs := meshProblems(in, m); len(probs) > 0 {
				t.Fatalf("mesh breaks rules:\n%v", probs)
			}
			if len(m.Peerings) != 1 || m.Peerings[0] != tt.want {
				t.Errorf("peerings = %+v, want [%+v]", m.Peerings, tt.want)
			}
			for _, p := range m.Pairs {
				if p.A == tt.want.A && p.B == tt.want.B {
					t.Errorf("same-cloud cells got a VPN pair %s", p.ID)
				}
			}
		})
	}
}
