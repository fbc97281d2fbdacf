package plan

import (
	"fmt"
	"net/netip"
)

// Pool is a run of consecutive /30 slots that tunnel inside CIDRs are handed
// out from, in order.
type Pool struct {
	// First is the first address of slot 0.
	First netip.Addr
	// Slots is the number of /30s in the pool.
	Slots int
}

// Address pools. Every tunnel's inside /30 comes from one of them:
//
//   - APIPAPool, Azure's APIPA range 169.254.21.0–169.254.22.255 (two /24s,
//     not one CIDR block), for every pair with an Azure end: Azure accepts
//     custom BGP addresses only there;
//   - LinkLocalPool, 169.254.64.0–169.254.127.255 (a /18), for AWS↔GCP
//     pairs. It lies inside 169.254.0.0/16 (AWS and Cloud Router both
//     require link-local inside addresses), away from the /30s AWS rejects
//     (169.254.0.0/30–5.0/30, 169.254.169.252/30), from the APIPA range
//     (kept for Azure pairs) and from 169.254.169.0/24 and 169.254.170.0/24,
//     where the clouds' metadata, DNS and container credential endpoints live.
var (
	APIPAPool     = Pool{First: netip.MustParseAddr("169.254.21.0"), Slots: 128}
	LinkLocalPool = Pool{First: netip.MustParseAddr("169.254.64.0"), Slots: 4096}
	// LinkLocal is 169.254.0.0/16, the block every inside address must lie in.
	LinkLocal = netip.MustParsePrefix("169.254.0.0/16")
)

// Pool capacities in /30 slots.
const (
	APIPASlots     = 128
	LinkLocalSlots = 4096
	// SlotsPerPair is how many /30s every VPN pair takes from its pool. An
	// Azure↔GCP pair always takes four, even with two tunnels, so that
	// switching between 2 and 4 tunnels never renumbers another pair.
	SlotsPerPair = 4
)

// Slot returns the i-th /30 of the pool (0 ≤ i < p.Slots).
func (p Pool) Slot(i int) netip.Prefix {
	return netip.PrefixFrom(u32ToAddr(addrToU32(p.First)+uint32(4*i)), 30)
}

// Last is the pool's last address.
func (p Pool) Last() netip.Addr {
	return u32ToAddr(addrToU32(p.First) + uint32(4*p.Slots) - 1)
}

// Contains reports whether a lies in the pool.
func (p Pool) Contains(a netip.Addr) bool {
	return a.Is4() && a.Compare(p.First) >= 0 && a.Compare(p.Last()) <= 0
}

// String is the pool as "first-last", e.g. "169.254.21.0-169.254.22.255".
func (p Pool) String() string { return p.First.String() + "-" + p.Last().String() }

// AWSReserved are the /30s AWS rejects as tunnel inside CIDRs.
var AWSReserved = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/30"),
	netip.MustParsePrefix("169.254.1.0/30"),
	netip.MustParsePrefix("169.254.2.0/30"),
	netip.MustParsePrefix("169.254.3.0/30"),
	netip.MustParsePrefix("169.254.4.0/30"),
	netip.MustParsePrefix("169.254.5.0/30"),
	netip.MustParsePrefix("169.254.169.252/30"),
}

// SlotsNeeded returns how many /30s a mesh of the given numbers of cells per
// cloud takes from each pool. It fits when apipa ≤ APIPASlots and
// linkLocal ≤ LinkLocalSlots; in words, when (Azure cells) × (AWS cells + GCP
// cells) ≤ 32 and (AWS cells) × (GCP cells) ≤ 1024. Same-cloud pairs are
// peerings and take nothing.
func SlotsNeeded(awsCells, azureCells, gcpCells int) (apipa, linkLocal int) {
	return SlotsPerPair * azureCells * (awsCells + gcpCells), SlotsPerPair * awsCells * gcpCells
}

// host returns the n-th address of p (n = 1 is the first host).
func host(p netip.Prefix, n int) netip.Addr {
	return u32ToAddr(addrToU32(p.Addr()) + uint32(n))
}

func addrToU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32ToAddr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// InAPIPA reports whether a lies in Azure's APIPA range.
func InAPIPA(a netip.Addr) bool { return APIPAPool.Contains(a) }

// AWSAccepts reports whether AWS takes p as a tunnel inside CIDR: a /30 in
// 169.254.0.0/16 that is not one of AWSReserved.
func AWSAccepts(p netip.Prefix) bool {
	if p.Bits() != 30 || p.Masked() != p || !LinkLocal.Contains(p.Addr()) {
		return false
	}
	for _, r := range AWSReserved {
		if r == p {
			return false
		}
	}
	return true
}

// ASN ranges (RFC 6996 private ranges; see CLOUD-FACTS for each cloud).
const (
	privateASN16Min int64 = 64512
	privateASN16Max int64 = 65534
	privateASN32Min int64 = 4200000000
	privateASN32Max int64 = 4294967294
	// Azure reserves 65515 and 65517–65520; 65516 sits between them and is
	// refused too, as the stack model does.
	azureReservedMin int64 = 65515
	azureReservedMax int64 = 65520
	// maxBgpAsn is the largest ASN AWS's CustomerGateway.BgpAsn takes; above
	// it the ASN goes in BgpAsnExtended.
	maxBgpAsn int64 = 2147483647
)

// ASNProblem returns why asn cannot be a gateway's ASN, or "" when it can:
// it must be private (64512–65534 or 4200000000–4294967294), which also
// keeps it clear of every public ASN the clouds reserve (Azure's 8074, 8075,
// 12076, AWS's 7224, 9059, 10124, 17943, IANA's 23456 and 64496–64511), and
// not one of the private ASNs Azure keeps for itself (65515–65520).
func ASNProblem(asn int64) string {
	switch {
	case asn == 0:
		return "missing: every cell needs a private BGP ASN, e.g. 64610"
	case asn >= azureReservedMin && asn <= azureReservedMax:
		return fmt.Sprintf("%d is reserved by Azure (65515–65520): pick another private ASN such as 64600", asn)
	case asn >= privateASN16Min && asn <= privateASN16Max, asn >= privateASN32Min && asn <= privateASN32Max:
		return ""
	default:
		return fmt.Sprintf("%d is not a private ASN: use 64512–65514, 65521–65534 or 4200000000–4294967294", asn)
	}
}
