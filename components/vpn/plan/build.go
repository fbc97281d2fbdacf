package plan

import (
	"fmt"
	"net/netip"

	"github.com/cellfabric/cellfabric/fabric"
)

// Build plans the mesh for in: a VPN pair for every two cells on different
// clouds, a peering for every two cells on the same cloud, and the gateway
// records each cell must build. It validates in first and returns every
// problem at once (a Problems error) rather than a partial plan.
//
// Build is a pure function: the same Input always gives an equal Mesh.
// Appending a cell to Input.Cells leaves every existing pair, tunnel and
// peering exactly as it was, and only appends to the gateway records of the
// existing cells (see the package documentation).
func Build(in Input) (*Mesh, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	in = in.withDefaults()
	cells := in.Cells
	m := &Mesh{
		IKEVersion:      in.IKEVersion,
		AzureGCPTunnels: in.AzureGCPTunnels,
		Gateways:        make([]Gateway, len(cells)),
		Pairs:           []Pair{},
		Peerings:        []Peering{},
	}
	for i, c := range cells {
		m.Gateways[i] = newGateway(c)
	}
	next := map[PairKind]int{} // next free slot per pool, keyed by a pair kind using it
	forEachPair(cells, func(i, j int) {
		a, b := orient(cells, i, j)
		ca, cb := cells[a], cells[b]
		if ca.Cloud == cb.Cloud {
			m.Peerings = append(m.Peerings, Peering{
				ID: pairID(ca.ID, cb.ID), Kind: peeringKind(ca.Cloud), Cloud: ca.Cloud,
				A: ca.ID, B: cb.ID, ACIDR: ca.CIDR, BCIDR: cb.CIDR, ARegion: ca.Region, BRegion: cb.Region,
			})
			return
		}
		kind := kindOf(ca.Cloud, cb.Cloud)
		pool, key := poolFor(kind)
		first := next[key]
		next[key] += SlotsPerPair
		p := planPair(kind, ca, cb, pool, first, in)
		m.Pairs = append(m.Pairs, p)
		addPair(&m.Gateways[a], &m.Gateways[b], p)
	})
	return m, nil
}

// forEachPair calls f for every pair of cell indexes i < j, ordered by j and
// then i: the pairs a newly appended cell brings always come last.
func forEachPair(cells []Cell, f func(i, j int)) {
	for j := 1; j < len(cells); j++ {
		for i := 0; i < j; i++ {
			f(i, j)
		}
	}
}

// orient returns the pair's A and B indexes: A is the cell on the earlier
// cloud in canonical order, or the earlier cell in the input when both are
// on one cloud.
func orient(cells []Cell, i, j int) (a, b int) {
	if cells[j].Cloud.Rank() < cells[i].Cloud.Rank() {
		return j, i
	}
	return i, j
}

func pairID(a, b string) string { return a + "-to-" + b }

// poolFor returns the pool a pair kind draws from and the key its slot
// counter is kept under (pairs sharing a pool share a counter).
func poolFor(kind PairKind) (Pool, PairKind) {
	if kind == AWSGCP {
		return LinkLocalPool, AWSGCP
	}
	return APIPAPool, AWSAzure
}

// planPair lays out the tunnels of one VPN pair in its reserved slots.
func planPair(kind PairKind, a, b Cell, pool Pool, first int, in Input) Pair {
	id := pairID(a.ID, b.ID)
	p := Pair{ID: id, Kind: kind, A: a.ID, B: b.ID, FirstSlot: first, Pool: pool.String()}
	specs := layouts[kind]
	// addr returns the BGP address of side (1 = A, 2 = B) of tunnel k, so
	// partners can be looked up whether or not they are built.
	addr := func(k, side int) string { return host(pool.Slot(first+k), side).String() }
	for k := range tunnelCount(kind, in.AzureGCPTunnels) {
		s := specs[k]
		inside := pool.Slot(first + k)
		tid := fmt.Sprintf("%s-t%d", id, k)
		t := Tunnel{
			ID: tid, Pair: id, Index: k, KeyName: tid + "-psk",
			InsideCIDR: inside.String(), IKEVersion: in.IKEVersion,
			A: End{Cell: a.ID, Cloud: a.Cloud, Region: a.Region, ASN: a.ASN, PeerASN: b.ASN, BGPAddress: addr(k, 1), PeerBGPAddress: addr(k, 2)},
			B: End{Cell: b.ID, Cloud: b.Cloud, Region: b.Region, ASN: b.ASN, PeerASN: a.ASN, BGPAddress: addr(k, 2), PeerBGPAddress: addr(k, 1)},
		}
		switch a.Cloud {
		case fabric.AWS:
			t.A.AWS = &AWSEnd{Connection: fmt.Sprintf("%s-c%d", id, s.aIface), ConnectionIndex: s.aIface, TunnelNumber: s.aTunnel}
		case fabric.Azure:
			t.A.Azure = azureEnd(tid, s.aIface, addr(k, 1), addr(s.partner, 1))
		}
		switch b.Cloud {
		case fabric.Azure:
			t.B.Azure = azureEnd(tid, s.bIface, addr(k, 2), addr(s.partner, 2))
		case fabric.GCP:
			t.B.GCP = &GCPEnd{Interface: s.bIface, ExternalGateway: id, ExternalInterface: s.bExt, IPRange: netip.PrefixFrom(host(inside, 2), 30).String()}
		}
		p.Tunnels = append(p.Tunnels, t)
	}
	return p
}

// azureEnd places a tunnel on Azure instance inst; partnerAddr is the Azure
// address the other instance declares for the partner tunnel.
func azureEnd(tid string, inst int, own, partnerAddr string) *AzureEnd {
	e := &AzureEnd{Instance: inst, LocalGateway: tid}
	e.CustomBGPAddresses[inst] = own
	e.CustomBGPAddresses[1-inst] = partnerAddr
	return e
}
