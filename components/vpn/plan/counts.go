package plan

import "github.com/cellfabric/cellfabric/fabric"

// Counts is how many billable and countable things the mesh puts on one
// cloud, for cost estimates: AWS bills per VPN connection-hour, Azure per
// gateway-hour (plus its public IPs), GCP per tunnel-hour.
type Counts struct {
	Cloud fabric.Cloud `json:"cloud"`
	// Cells is the number of cells on the cloud; Gateways the number with a
	// VPN gateway (every cell, since every cell has a peer on another cloud).
	Cells    int `json:"cells"`
	Gateways int `json:"gateways"`
	// PublicIPs: Azure, two Standard static IPs per active-active gateway.
	PublicIPs int `json:"publicIps"`
	// Routers: GCP, one Cloud Router per gateway.
	Routers int `json:"routers"`
	// CustomerGateways and VPNConnections: AWS (one of each per
	// AWSConnection). On Azure, VPNConnections counts IPsec connections.
	CustomerGateways int `json:"customerGateways"`
	VPNConnections   int `json:"vpnConnections"`
	// LocalGateways: Azure local network gateways.
	LocalGateways int `json:"localGateways"`
	// ExternalGateways: GCP external VPN gateways.
	ExternalGateways int `json:"externalGateways"`
	// Tunnels ending on this cloud, one BGP session each.
	Tunnels int `json:"tunnels"`
	// Peerings between cells of this cloud.
	Peerings int `json:"peerings"`
}

// Counts returns one entry per cloud in use, in canonical order.
func (m *Mesh) Counts() []Counts {
	by := map[fabric.Cloud]*Counts{}
	var out []Counts
	for _, c := range fabric.Clouds {
		by[c] = &Counts{Cloud: c}
	}
	for _, g := range m.Gateways {
		n := by[g.Cloud]
		n.Cells++
		switch {
		case g.AWS != nil && len(g.AWS.Connections) > 0:
			n.Gateways++
			n.CustomerGateways += len(g.AWS.Connections)
			n.VPNConnections += len(g.AWS.Connections)
			n.Tunnels += 2 * len(g.AWS.Connections)
		case g.Azure != nil && len(g.Azure.LocalGateways) > 0:
			n.Gateways++
			n.PublicIPs += 2
			n.LocalGateways += len(g.Azure.LocalGateways)
			n.VPNConnections += len(g.Azure.LocalGateways)
			n.Tunnels += len(g.Azure.LocalGateways)
		case g.GCP != nil && len(g.GCP.ExternalGateways) > 0:
			n.Gateways++
			n.Routers++
			n.ExternalGateways += len(g.GCP.ExternalGateways)
			for _, x := range g.GCP.ExternalGateways {
				n.Tunnels += len(x.Tunnels)
			}
		}
	}
	for _, p := range m.Peerings {
		by[p.Cloud].Peerings++
	}
	for _, c := range fabric.Clouds {
		if by[c].Cells > 0 {
			out = append(out, *by[c])
		}
	}
	return out
}
