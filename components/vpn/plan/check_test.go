package plan

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/cellfabric/cellfabric/fabric"
)

// This file re-derives, from the input alone and with its own constants, what
// every valid mesh must satisfy. It deliberately does not call the planner's
// helpers, so a wrong helper cannot hide behind a matching check.

var (
	wantLinkLocal = netip.MustParsePrefix("169.254.0.0/16")
	apipaFirst    = netip.MustParseAddr("169.254.21.0")
	apipaLast     = netip.MustParseAddr("169.254.22.255")
	awsRejected   = []string{"169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30", "169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30"}
	cloudOrder    = map[fabric.Cloud]int{"aws": 0, "azure": 1, "gcp": 2}
)

func inAPIPARange(a netip.Addr) bool {
	return a.Compare(apipaFirst) >= 0 && a.Compare(apipaLast) <= 0
}

func privateUsableASN(asn int64) bool {
	private := (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294)
	azureReserved := asn >= 65515 && asn <= 65520
	return private && !azureReserved
}

// meshProblems lists every rule m breaks for input in (defaults applied by
// the caller's zero options as documented: 2 tunnels, IKEv2).
func meshProblems(in Input, m *Mesh) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	tunnels, ike := in.AzureGCPTunnels, in.IKEVersion
	if tunnels == 0 {
		tunnels = 2
	}
	if ike == 0 {
		ike = 2
	}
	if m.IKEVersion != ike || m.AzureGCPTunnels != tunnels {
		bad("mesh options %d/%d, want %d/%d", m.IKEVersion, m.AzureGCPTunnels, ike, tunnels)
	}
	byID := map[string]Cell{}
	for _, c := range in.Cells {
		byID[c.ID] = c
	}

	// ASNs: private, usable, unique.
	asns := map[int64]string{}
	for _, c := range in.Cells {
		if !privateUsableASN(c.ASN) {
			bad("cell %s has ASN %d, not a usable private ASN", c.ID, c.ASN)
		}
		if other, dup := asns[c.ASN]; dup {
			bad("cells %s and %s share ASN %d", other, c.ID, c.ASN)
		}
		asns[c.ASN] = c.ID
	}

	// The expected pairs, in (later, earlier) order.
	type want struct{ a, b Cell }
	var vpn, peer []want
	for j := 1; j < len(in.Cells); j++ {
		for i := 0; i < j; i++ {
			ci, cj := in.Cells[i], in.Cells[j]
			switch {
			case ci.Cloud == cj.Cloud:
				peer = append(peer, want{ci, cj})
			case cloudOrder[cj.Cloud] < cloudOrder[ci.Cloud]:
				vpn = append(vpn, want{cj, ci})
			default:
				vpn = append(vpn, want{ci, cj})
			}
		}
	}
	if len(m.Pairs) != len(vpn) {
		bad("%d VPN pairs, want %d", len(m.Pairs), len(vpn))
	}
	if len(m.Peerings) != len(peer) {
		bad("%d peerings, want %d", len(m.Peerings), len(peer))
	}
	for k, w := range peer {
		if k >= len(m.Peerings) {
			break
		}
		p := m.Peerings[k]
		if p.A != w.a.ID || p.B != w.b.ID || p.Cloud != w.a.Cloud || p.ACIDR != w.a.CIDR || p.BCIDR != w.b.CIDR {
			bad("peering %d is %+v, want %s/%s", k, p, w.a.ID, w.b.ID)
		}
		wantKind := map[fabric.Cloud]PeeringKind{"aws": "aws-vpc-peering", "azure": "azure-vnet-peering", "gcp": "gcp-network-peering"}[w.a.Cloud]
		if p.Kind != wantKind {
			bad("peering %s kind %s, want %s", p.ID, p.Kind, wantKind)
		}
	}

	usedCIDR := map[netip.Prefix]string{}
	ids := map[string]bool{}
	keys := map[string]bool{}
	azureAddrs := map[string][2]map[string]bool{} // fabric.Azure cell → instance → its tunnel addresses
	for k, w := range vpn {
		if k >= len(m.Pairs) {
			break
		}
		p := m.Pairs[k]
		if p.A != w.a.ID || p.B != w.b.ID {
			bad("pair %d is %s/%s, want %s/%s", k, p.A, p.B, w.a.ID, w.b.ID)
			continue
		}
		if string(p.Kind) != string(w.a.Cloud)+"-"+string(w.b.Cloud) {
			bad("pair %s has kind %s", p.ID, p.Kind)
		}
		n := 4
		if w.a.Cloud == "azure" && w.b.Cloud == "gcp" {
			n = tunnels
		}
		if len(p.Tunnels) != n {
			bad("pair %s has %d tunnels, want %d", p.ID, len(p.Tunnels), n)
		}
		if ids[p.ID] {
			bad("pair id %s used twice", p.ID)
		}
		ids[p.ID] = true
		ifaces := map[string]map[int]bool{}
		seenPos := map[string]bool{}
		for idx, t := range p.Tunnels {
			where := fmt.Sprintf("tunnel %s", t.ID)
			if t.Index != idx || t.Pair != p.ID {
				bad("%s: index %d pair %s, want %d %s", where, t.Index, t.Pair, idx, p.ID)
			}
			if ids[t.ID] || keys[t.KeyName] || t.KeyName == "" {
				bad("%s: id or key name %q reused or empty", where, t.KeyName)
			}
			ids[t.ID], keys[t.KeyName] = true, true
			if t.IKEVersion != ike {
				bad("%s: IKE %d, want %d", where, t.IKEVersion, ike)
			}
			pfx, err := netip.ParsePrefix(t.InsideCIDR)
			if err != nil || pfx.Bits() != 30 || pfx.Masked() != pfx || !pfx.Addr().Is4() {
				bad("%s: inside CIDR %q is not a /30", where, t.InsideCIDR)
				continue
			}
			if prev, dup := usedCIDR[pfx]; dup {
				bad("%s: inside CIDR %s already used by %s", where, pfx, prev)
			}
			usedCIDR[pfx] = t.ID
			if !wantLinkLocal.Contains(pfx.Addr()) {
				bad("%s: %s is outside 169.254.0.0/16", where, pfx)
			}
			first := pfx.Addr()
			last := first.Next().Next().Next()
			one, two := first.Next(), first.Next().Next()
			hasAWS := w.a.Cloud == "aws"
			hasAzure := w.a.Cloud == "azure" || w.b.Cloud == "azure"
			if hasAWS && slices.Contains(awsRejected, pfx.String()) {
				bad("%s: %s is a /30 AWS rejects", where, pfx)
			}
			if hasAzure && (!inAPIPARange(first) || !inAPIPARange(last)) {
				bad("%s: %s has an Azure end but is outside 169.254.21.0–22.255", where, pfx)
			}
			if !hasAzure && (inAPIPARange(first) || inAPIPARange(last)) {
				bad("%s: AWS↔GCP tunnel %s uses the APIPA range kept for Azure", where, pfx)
			}
			// Ends agree: A takes .1, B .2, each names the other's address and ASN.
			if t.A.BGPAddress != one.String() || t.B.BGPAddress != two.String() {
				bad("%s: BGP addresses %s/%s, want %s/%s", where, t.A.BGPAddress, t.B.BGPAddress, one, two)
			}
			if t.A.PeerBGPAddress != t.B.BGPAddress || t.B.PeerBGPAddress != t.A.BGPAddress {
				bad("%s: peer BGP addresses do not mirror", where)
			}
			if t.A.ASN != w.a.ASN || t.B.ASN != w.b.ASN || t.A.PeerASN != t.B.ASN || t.B.PeerASN != t.A.ASN {
				bad("%s: ASNs %d→%d / %d→%d do not match the cells %d/%d", where, t.A.ASN, t.A.PeerASN, t.B.ASN, t.B.PeerASN, w.a.ASN, w.b.ASN)
			}
			if t.A.Cell != w.a.ID || t.B.Cell != w.b.ID || t.A.Cloud != w.a.Cloud || t.B.Cloud != w.b.Cloud || t.A.Region != w.a.Region || t.B.Region != w.b.Region {
				bad("%s: ends name the wrong cells", where)
			}
			for side, e := range map[string]End{"a": t.A, "b": t.B} {
				set := 0
				for _, ok := range []bool{e.AWS != nil, e.Azure != nil, e.GCP != nil} {
					if ok {
						set++
					}
				}
				okCloud := (e.Cloud == "aws" && e.AWS != nil) || (e.Cloud == "azure" && e.Azure != nil) || (e.Cloud == "gcp" && e.GCP != nil)
				if set != 1 || !okCloud {
					bad("%s end %s: cloud-specific position does not match cloud %s", where, side, e.Cloud)
					continue
				}
				if ifaces[side] == nil {
					ifaces[side] = map[int]bool{}
				}
				switch {
				case e.AWS != nil:
					pos := fmt.Sprintf("%d/%d", e.AWS.ConnectionIndex, e.AWS.TunnelNumber)
					if seenPos[pos] || e.AWS.ConnectionIndex < 0 || e.AWS.ConnectionIndex > 1 || e.AWS.TunnelNumber < 1 || e.AWS.TunnelNumber > 2 {
						bad("%s: AWS position %s invalid or reused", where, pos)
					}
					seenPos[pos] = true
					if e.AWS.Connection != fmt.Sprintf("%s-c%d", p.ID, e.AWS.ConnectionIndex) {
						bad("%s: AWS connection %s", where, e.AWS.Connection)
					}
					if e.BGPAddress != one.String() {
						bad("%s: the AWS end must take .1 of the /30", where)
					}
					ifaces[side][e.AWS.ConnectionIndex] = true
				case e.Azure != nil:
					a, _ := netip.ParseAddr(e.BGPAddress)
					if !inAPIPARange(a) {
						bad("%s: Azure BGP address %s outside APIPA", where, e.BGPAddress)
					}
					if e.Azure.Instance < 0 || e.Azure.Instance > 1 || e.Azure.CustomBGPAddresses[e.Azure.Instance] != e.BGPAddress {
						bad("%s: Azure custom BGP addresses %v do not put %s on instance %d", where, e.Azure.CustomBGPAddresses, e.BGPAddress, e.Azure.Instance)
					}
					if _, ok := azureAddrs[e.Cell]; !ok {
						azureAddrs[e.Cell] = [2]map[string]bool{{}, {}}
					}
					azureAddrs[e.Cell][e.Azure.Instance][e.BGPAddress] = true
					ifaces[side][e.Azure.Instance] = true
				case e.GCP != nil:
					if e.GCP.IPRange != e.BGPAddress+"/30" {
						bad("%s: GCP ip range %s, want %s/30", where, e.GCP.IPRange, e.BGPAddress)
					}
					if e.GCP.ExternalGateway != p.ID {
						bad("%s: external gateway %s", where, e.GCP.ExternalGateway)
					}
					ifaces[side][e.GCP.Interface] = true
				}
			}
			// Layout: both ends land on matching endpoints.
			switch p.Kind {
			case "aws-gcp":
				if t.B.GCP != nil && t.A.AWS != nil && (t.B.GCP.Interface != t.A.AWS.ConnectionIndex || t.B.GCP.ExternalInterface != 2*t.A.AWS.ConnectionIndex+t.A.AWS.TunnelNumber-1) {
					bad("%s: GCP interface %d/ext %d does not face AWS connection %d tunnel %d", where, t.B.GCP.Interface, t.B.GCP.ExternalInterface, t.A.AWS.ConnectionIndex, t.A.AWS.TunnelNumber)
				}
			case "aws-azure":
				if t.B.Azure != nil && t.A.AWS != nil && t.B.Azure.Instance != t.A.AWS.ConnectionIndex {
					bad("%s: Azure instance %d does not face AWS connection %d", where, t.B.Azure.Instance, t.A.AWS.ConnectionIndex)
				}
			case "azure-gcp":
				if t.B.GCP != nil && t.A.Azure != nil && t.B.GCP.ExternalInterface != t.A.Azure.Instance {
					bad("%s: GCP external interface %d does not hold Azure instance %d", where, t.B.GCP.ExternalInterface, t.A.Azure.Instance)
				}
			}
		}
		// Redundancy: every pair uses both interfaces on each side.
		for side, set := range ifaces {
			if !set[0] || !set[1] {
				bad("pair %s: side %s does not use both interfaces/instances/connections", p.ID, side)
			}
		}
	}

	out = append(out, gatewayProblems(in, m, byID, azureAddrs)...)
	return out
}
