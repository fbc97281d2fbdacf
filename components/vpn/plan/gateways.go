package plan

import (
	"fmt"

	"github.com/cellfabric/cellfabric/fabric"
)

func newGateway(c Cell) Gateway {
	g := Gateway{Cell: c.ID, Cloud: c.Cloud, Region: c.Region, CIDR: c.CIDR, ASN: c.ASN}
	switch c.Cloud {
	case fabric.AWS:
		g.AWS = &AWSGateway{AmazonSideASN: c.ASN, Connections: []AWSConnection{}}
	case fabric.Azure:
		g.Azure = &AzureGateway{ASN: c.ASN, BGPAddresses: [2][]string{{}, {}}, LocalGateways: []AzureLocalGateway{}}
	case fabric.GCP:
		g.GCP = &GCPGateway{RouterASN: c.ASN, ExternalGateways: []GCPExternalGateway{}}
	}
	return g
}

// addPair appends what pair p needs to the gateway records of its ends.
func addPair(ga, gb *Gateway, p Pair) {
	switch ga.Cloud {
	case fabric.AWS:
		addAWS(ga, gb, p)
	case fabric.Azure:
		addAzure(ga, gb, p, func(t Tunnel) (End, End) { return t.A, t.B })
	}
	switch gb.Cloud {
	case fabric.Azure:
		addAzure(gb, ga, p, func(t Tunnel) (End, End) { return t.B, t.A })
	case fabric.GCP:
		addGCP(gb, ga, p)
	}
}

// addAWS adds the pair's two customer gateways and VPN connections. AWS is
// always end A, so connection c carries tunnels 2c and 2c+1 and its customer
// gateway holds the peer's interface (GCP) or instance (Azure) c.
func addAWS(g, peer *Gateway, p Pair) {
	for c := range 2 {
		g.AWS.Connections = append(g.AWS.Connections, AWSConnection{
			Name:          fmt.Sprintf("%s-c%d", p.ID, c),
			Index:         c,
			Peer:          peer.Cell,
			PeerCloud:     peer.Cloud,
			PeerASN:       peer.ASN,
			ExtendedASN:   peer.ASN > maxBgpAsn,
			PeerInterface: c,
			Tunnels:       [2]string{p.Tunnels[2*c].ID, p.Tunnels[2*c+1].ID},
		})
	}
}

// addAzure adds one local network gateway per tunnel and declares the
// tunnel's Azure address on the instance that ends it. ends returns the
// Azure end and the remote end of a tunnel.
func addAzure(g, peer *Gateway, p Pair, ends func(Tunnel) (End, End)) {
	for _, t := range p.Tunnels {
		own, remote := ends(t)
		lg := AzureLocalGateway{
			Name:               own.Azure.LocalGateway,
			Tunnel:             t.ID,
			Peer:               peer.Cell,
			PeerCloud:          peer.Cloud,
			PeerASN:            peer.ASN,
			PeerBGPAddress:     own.PeerBGPAddress,
			Instance:           own.Azure.Instance,
			CustomBGPAddresses: own.Azure.CustomBGPAddresses,
		}
		switch {
		case remote.AWS != nil:
			lg.PeerInterface, lg.PeerTunnelNumber = remote.AWS.ConnectionIndex, remote.AWS.TunnelNumber
		case remote.GCP != nil:
			lg.PeerInterface = remote.GCP.Interface
		}
		g.Azure.LocalGateways = append(g.Azure.LocalGateways, lg)
		g.Azure.BGPAddresses[own.Azure.Instance] = append(g.Azure.BGPAddresses[own.Azure.Instance], own.BGPAddress)
	}
}

// addGCP adds the external VPN gateway describing the peer. GCP is always
// end B. Its interfaces do not depend on the tunnel count: every public
// endpoint of the peer is listed, as the redundancy type requires.
func addGCP(g, peer *Gateway, p Pair) {
	x := GCPExternalGateway{Name: p.ID, Peer: peer.Cell, PeerCloud: peer.Cloud, PeerASN: peer.ASN}
	switch peer.Cloud {
	case fabric.AWS:
		x.RedundancyType = FourIPsRedundancy
		for i := range 4 {
			x.Interfaces = append(x.Interfaces, GCPExternalInterface{ID: i, PeerInterface: i / 2, PeerTunnelNumber: i%2 + 1})
		}
	case fabric.Azure:
		x.RedundancyType = TwoIPsRedundancy
		for i := range 2 {
			x.Interfaces = append(x.Interfaces, GCPExternalInterface{ID: i, PeerInterface: i})
		}
	}
	for _, t := range p.Tunnels {
		x.Tunnels = append(x.Tunnels, t.ID)
	}
	g.GCP.ExternalGateways = append(g.GCP.ExternalGateways, x)
}
