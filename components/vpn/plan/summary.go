package plan

import (
	"encoding/json"
	"fmt"

	"github.com/cellfabric/cellfabric/fabric"
)

// Summary is the plain description of the mesh that the stack exports as its
// `network` output: every tunnel with both ends' cells, ASNs and BGP
// addresses, the peerings, and how full the address pools are. It holds no
// secret (pre-shared keys are only named) and no deploy-time value; the
// component may add the public IPs next to it.
type Summary struct {
	IKEVersion      int              `json:"ikeVersion"`
	AzureGCPTunnels int              `json:"azureGcpTunnels"`
	Tunnels         []TunnelSummary  `json:"tunnels"`
	Peerings        []PeeringSummary `json:"peerings"`
	Pools           []PoolUsage      `json:"pools"`
}

// TunnelSummary is one tunnel, both ends.
type TunnelSummary struct {
	ID         string     `json:"id"`
	Pair       string     `json:"pair"`
	InsideCIDR string     `json:"insideCidr"`
	A          EndSummary `json:"a"`
	B          EndSummary `json:"b"`
}

// EndSummary is one end of a tunnel. Gateway says where it lands, e.g.
// "vpn connection aws-use1-to-gcp-euw1-c0, tunnel 1", "gateway instance 0",
// "ha vpn interface 1".
type EndSummary struct {
	Cell       string       `json:"cell"`
	Cloud      fabric.Cloud `json:"cloud"`
	ASN        int64        `json:"asn"`
	BGPAddress string       `json:"bgpAddress"`
	Gateway    string       `json:"gateway"`
}

// PeeringSummary is one same-cloud peering.
type PeeringSummary struct {
	ID   string      `json:"id"`
	Kind PeeringKind `json:"kind"`
	A    string      `json:"a"`
	B    string      `json:"b"`
}

// PoolUsage is how many /30 slots of a pool the plan reserves.
type PoolUsage struct {
	Pool  string `json:"pool"`
	Used  int    `json:"used"`
	Total int    `json:"total"`
}

// Summary describes m for the `network` stack output.
func (m *Mesh) Summary() Summary {
	s := Summary{IKEVersion: m.IKEVersion, AzureGCPTunnels: m.AzureGCPTunnels, Tunnels: []TunnelSummary{}, Peerings: []PeeringSummary{}}
	used := map[string]int{}
	for _, p := range m.Pairs {
		used[p.Pool] += SlotsPerPair
		for _, t := range p.Tunnels {
			s.Tunnels = append(s.Tunnels, TunnelSummary{ID: t.ID, Pair: t.Pair, InsideCIDR: t.InsideCIDR, A: endSummary(t.A), B: endSummary(t.B)})
		}
	}
	for _, p := range m.Peerings {
		s.Peerings = append(s.Peerings, PeeringSummary{ID: p.ID, Kind: p.Kind, A: p.A, B: p.B})
	}
	s.Pools = []PoolUsage{
		{Pool: APIPAPool.String(), Used: used[APIPAPool.String()], Total: APIPASlots},
		{Pool: LinkLocalPool.String(), Used: used[LinkLocalPool.String()], Total: LinkLocalSlots},
	}
	return s
}

func endSummary(e End) EndSummary {
	s := EndSummary{Cell: e.Cell, Cloud: e.Cloud, ASN: e.ASN, BGPAddress: e.BGPAddress}
	switch {
	case e.AWS != nil:
		s.Gateway = fmt.Sprintf("vpn connection %s, tunnel %d", e.AWS.Connection, e.AWS.TunnelNumber)
	case e.Azure != nil:
		s.Gateway = fmt.Sprintf("gateway instance %d", e.Azure.Instance)
	case e.GCP != nil:
		s.Gateway = fmt.Sprintf("ha vpn interface %d", e.GCP.Interface)
	}
	return s
}

// Map returns s as the JSON-shaped map a Pulumi output takes
// (pulumi.ToMap(m)): keys are the JSON names, numbers are float64 (every
// ASN is exact in a float64). The error is only ever an encoding failure.
func (s Summary) Map() (map[string]any, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding the mesh summary: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding the mesh summary: %w", err)
	}
	return out, nil
}
