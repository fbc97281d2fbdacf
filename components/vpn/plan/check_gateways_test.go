package plan

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"

	"github.com/cellfabric/cellfabric/fabric"
)

// gatewayProblems checks the per-cell gateway records against the input and
// the tunnels. azureAddrs holds, per Azure cell and instance, the addresses
// its tunnel ends use.
func gatewayProblems(in Input, m *Mesh, byID map[string]Cell, azureAddrs map[string][2]map[string]bool) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(m.Gateways) != len(in.Cells) {
		bad("%d gateways for %d cells", len(m.Gateways), len(in.Cells))
		return out
	}
	for i, g := range m.Gateways {
		c := in.Cells[i]
		if g.Cell != c.ID || g.Cloud != c.Cloud || g.ASN != c.ASN || g.CIDR != c.CIDR {
			bad("gateway %d is %s/%s, want %s", i, g.Cell, g.Cloud, c.ID)
			continue
		}
		peers := map[fabric.Cloud]int{}
		for _, o := range in.Cells {
			if o.Cloud != c.Cloud {
				peers[o.Cloud]++
			}
		}
		switch c.Cloud {
		case "aws":
			if g.AWS == nil || g.AWS.AmazonSideASN != c.ASN {
				bad("aws gateway %s: missing or wrong Amazon-side ASN", c.ID)
				continue
			}
			if n := len(g.AWS.Connections); n != 2*(peers["azure"]+peers["gcp"]) {
				bad("aws gateway %s: %d connections, want 2 per peer", c.ID, n)
			}
			for _, conn := range g.AWS.Connections {
				peer := byID[conn.Peer]
				if conn.PeerASN != peer.ASN || conn.ExtendedASN != (peer.ASN > 2147483647) {
					bad("aws connection %s: peer ASN %d (extended %v), peer has %d", conn.Name, conn.PeerASN, conn.ExtendedASN, peer.ASN)
				}
				for n, tid := range conn.Tunnels {
					t, ok := findTunnel(m, tid)
					if !ok || t.A.AWS == nil || t.A.AWS.Connection != conn.Name || t.A.AWS.TunnelNumber != n+1 || t.A.Cell != c.ID {
						bad("aws connection %s: tunnel %d (%s) does not point back", conn.Name, n+1, tid)
					}
				}
			}
		case "azure":
			if g.Azure == nil || g.Azure.ASN != c.ASN {
				bad("azure gateway %s: missing or wrong ASN", c.ID)
				continue
			}
			for inst := range 2 {
				declared := map[string]bool{}
				for _, a := range g.Azure.BGPAddresses[inst] {
					ad, _ := netip.ParseAddr(a)
					if declared[a] || !inAPIPARange(ad) {
						bad("azure gateway %s instance %d: address %s repeated or outside APIPA", c.ID, inst, a)
					}
					declared[a] = true
				}
				if !reflect.DeepEqual(declared, azureAddrs[c.ID][inst]) && len(declared)+len(azureAddrs[c.ID][inst]) > 0 {
					bad("azure gateway %s instance %d declares %v, tunnels use %v", c.ID, inst, declared, azureAddrs[c.ID][inst])
				}
			}
			for _, lg := range g.Azure.LocalGateways {
				t, ok := findTunnel(m, lg.Tunnel)
				if !ok {
					bad("azure local gateway %s: no tunnel %s", lg.Name, lg.Tunnel)
					continue
				}
				own, remote := t.A, t.B
				if t.B.Cell == c.ID {
					own, remote = t.B, t.A
				}
				if own.Cell != c.ID || lg.PeerBGPAddress != remote.BGPAddress || lg.PeerASN != remote.ASN || lg.Instance != own.Azure.Instance {
					bad("azure local gateway %s does not match its tunnel", lg.Name)
				}
				other := lg.CustomBGPAddresses[1-lg.Instance]
				if !slices.Contains(g.Azure.BGPAddresses[1-lg.Instance], other) {
					bad("azure local gateway %s: other-instance address %s is not declared on instance %d", lg.Name, other, 1-lg.Instance)
				}
			}
		case "gcp":
			if g.GCP == nil || g.GCP.RouterASN != c.ASN {
				bad("gcp gateway %s: missing or wrong router ASN", c.ID)
				continue
			}
			if n := len(g.GCP.ExternalGateways); n != peers["aws"]+peers["azure"] {
				bad("gcp gateway %s: %d external gateways, want one per peer", c.ID, n)
			}
			for _, x := range g.GCP.ExternalGateways {
				want, ifs := map[fabric.Cloud]string{"aws": "FOUR_IPS_REDUNDANCY", "azure": "TWO_IPS_REDUNDANCY"}[x.PeerCloud], map[fabric.Cloud]int{"aws": 4, "azure": 2}[x.PeerCloud]
				if x.RedundancyType != want || len(x.Interfaces) != ifs || x.PeerASN != byID[x.Peer].ASN {
					bad("gcp external gateway %s: %s with %d interfaces", x.Name, x.RedundancyType, len(x.Interfaces))
				}
			}
		}
	}
	return out
}

func findTunnel(m *Mesh, id string) (Tunnel, bool) {
	for _, p := range m.Pairs {
		for _, t := range p.Tunnels {
			if t.ID == id {
				return t, true
			}
		}
	}
	return Tunnel{}, false
}

// stabilityProblems lists what differs between the plan before (old) and
// after (new) cells were appended, beyond additions.
func stabilityProblems(old, new *Mesh) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(new.Pairs) < len(old.Pairs) || !reflect.DeepEqual(old.Pairs, new.Pairs[:len(old.Pairs)]) {
		bad("existing VPN pairs changed")
	}
	if len(new.Peerings) < len(old.Peerings) || !reflect.DeepEqual(old.Peerings, new.Peerings[:len(old.Peerings)]) {
		bad("existing peerings changed")
	}
	if len(new.Gateways) < len(old.Gateways) {
		bad("gateways were removed")
		return out
	}
	for i, og := range old.Gateways {
		ng := new.Gateways[i]
		if og.Cell != ng.Cell || og.ASN != ng.ASN || og.CIDR != ng.CIDR {
			bad("gateway %d changed identity", i)
			continue
		}
		switch {
		case og.AWS != nil:
			if !isPrefix(og.AWS.Connections, ng.AWS.Connections) || og.AWS.AmazonSideASN != ng.AWS.AmazonSideASN {
				bad("aws gateway %s: existing connections changed", og.Cell)
			}
		case og.Azure != nil:
			if !isPrefix(og.Azure.LocalGateways, ng.Azure.LocalGateways) || !isPrefix(og.Azure.BGPAddresses[0], ng.Azure.BGPAddresses[0]) || !isPrefix(og.Azure.BGPAddresses[1], ng.Azure.BGPAddresses[1]) {
				bad("azure gateway %s: existing local gateways or BGP addresses changed", og.Cell)
			}
		case og.GCP != nil:
			if !isPrefix(og.GCP.ExternalGateways, ng.GCP.ExternalGateways) {
				bad("gcp gateway %s: existing external gateways changed", og.Cell)
			}
		}
	}
	return out
}

func isPrefix[T any](short, long []T) bool {
	return len(short) <= len(long) && reflect.DeepEqual(short, long[:len(short)])
}
