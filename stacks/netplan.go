package stacks

import (
	"fmt"
	"net/netip"

	"github.com/cellfabric/cellfabric/fabric"
)

// Subnet is one subnet carved from a cell's CIDR.
type Subnet struct {
	// Name is the subnet's role in the cell: "public-0", "private-1", "apps",
	// "GatewaySubnet" (Azure requires that exact name), "workloads".
	Name string
	// CIDR is the subnet's block.
	CIDR netip.Prefix
	// Zone is the index of the availability zone it lives in, or -1 for
	// regional subnets.
	Zone int
}

// NetworkPlan is how a cell's CIDR is divided. The same CIDR always gives the
// same plan; Reserved blocks stay free for later use (VPN and Transit Gateway
// attachments, proxy-only subnets) so that adding them never renumbers a
// subnet that holds workloads.
type NetworkPlan struct {
	CIDR     netip.Prefix
	Subnets  []Subnet
	Reserved []netip.Prefix
}

// Subnet returns the planned subnet with the given name.
func (p NetworkPlan) Subnet(name string) (Subnet, bool) {
	for _, s := range p.Subnets {
		if s.Name == name {
			return s, true
		}
	}
	return Subnet{}, false
}

// Smallest cell block per cloud, and why.
var minCellPrefix = map[fabric.Cloud]int{
	// Public subnets are a sixteenth of the block and an ALB needs /27 ones.
	fabric.AWS: 23,
	// Half for Container Apps (workload-profiles environments need /27),
	// a /27 GatewaySubnet (the size Azure recommends) in the other half.
	fabric.Azure: 24,
	// Half for the Cloud Run direct-VPC-egress subnet.
	fabric.GCP: 24,
}

// MinCellPrefix returns the longest prefix (smallest block) a cell on cloud
// may have.
func MinCellPrefix(cloud fabric.Cloud) int { return minCellPrefix[cloud] }

// PlanNetwork divides a cell's CIDR into the subnets its cloud needs:
//
//   - aws: the block in quarters; one private subnet per zone in quarters
//     0..zones-1 (Fargate tasks), the last quarter in sixteenths with one
//     public subnet per zone (the load balancer) and the rest reserved;
//   - azure: "apps", the first half (the Container Apps environment,
//     delegated to Microsoft.App/environments), and "GatewaySubnet", the
//     first /27 of the second half (the VPN gateway), the rest reserved;
//   - gcp: "workloads", the first half (Cloud Run direct VPC egress), the
//     second half reserved.
//
// It fails when the block is not a valid prefix, is too small for the
// cloud's subnets, or cannot hold MaxInstances workloads.
func PlanNetwork(c Cell) (NetworkPlan, error) {
	pfx, err := netip.ParsePrefix(c.CIDR)
	if err != nil {
		return NetworkPlan{}, fmt.Errorf("%q is not a CIDR block such as 10.10.0.0/16", c.CIDR)
	}
	if !pfx.Addr().Is4() {
		return NetworkPlan{}, fmt.Errorf("%s is not an IPv4 block", pfx)
	}
	if pfx.Masked() != pfx {
		return NetworkPlan{}, fmt.Errorf("%s has host bits set; did you mean %s?", pfx, pfx.Masked())
	}
	minBits, ok := minCellPrefix[c.Cloud]
	if !ok {
		return NetworkPlan{}, fmt.Errorf("no network layout for cloud %q", c.Cloud)
	}
	if pfx.Bits() > minBits {
		return NetworkPlan{}, fmt.Errorf("%s is too small: cells on %s need at least a /%d for their subnets", pfx, c.Cloud, minBits)
	}
	if pfx.Bits() < 8 {
		return NetworkPlan{}, fmt.Errorf("%s is larger than a /8; give the cell a smaller block", pfx)
	}
	plan := NetworkPlan{CIDR: pfx}
	switch c.Cloud {
	case fabric.AWS:
		zones := c.Zones
		if zones == 0 {
			zones = DefaultZones
		}
		if zones < 2 || zones > 3 {
			return NetworkPlan{}, fmt.Errorf("zones is %d: an AWS cell spans 2 or 3 zones (a load balancer needs two)", zones)
		}
		quarters := split(pfx, 2)
		for z := 0; z < 3; z++ {
			if z < zones {
				plan.Subnets = append(plan.Subnets, Subnet{Name: fmt.Sprintf("private-%d", z), CIDR: quarters[z], Zone: z})
			} else {
				plan.Reserved = append(plan.Reserved, quarters[z])
			}
		}
		publics := split(quarters[3], 2)
		for z := 0; z < 4; z++ {
			if z < zones {
				plan.Subnets = append(plan.Subnets, Subnet{Name: fmt.Sprintf("public-%d", z), CIDR: publics[z], Zone: z})
			} else {
				plan.Reserved = append(plan.Reserved, publics[z])
			}
		}
		// A zone may be lost; the others must hold every task.
		if perZone := usable(quarters[0], 5); perZone < c.MaxInstances {
			return NetworkPlan{}, fmt.Errorf("%s is too small for maxInstances %d: each private subnet (%s) holds %d tasks", pfx, c.MaxInstances, quarters[0], perZone)
		}
	case fabric.Azure:
		halves := split(pfx, 1)
		plan.Subnets = append(plan.Subnets, Subnet{Name: "apps", CIDR: halves[0], Zone: -1})
		gw := netip.PrefixFrom(halves[1].Addr(), 27)
		plan.Subnets = append(plan.Subnets, Subnet{Name: "GatewaySubnet", CIDR: gw, Zone: -1})
		if halves[1].Bits() < 27 {
			plan.Reserved = append(plan.Reserved, remainder(halves[1], gw)...)
		}
	case fabric.GCP:
		halves := split(pfx, 1)
		plan.Subnets = append(plan.Subnets, Subnet{Name: "workloads", CIDR: halves[0], Zone: -1})
		plan.Reserved = append(plan.Reserved, halves[1])
		// Direct VPC egress takes up to four addresses per instance.
		if n := usable(halves[0], 4) / 4; n < c.MaxInstances {
			return NetworkPlan{}, fmt.Errorf("%s is too small for maxInstances %d: its workloads subnet (%s) holds %d instances", pfx, c.MaxInstances, halves[0], n)
		}
	}
	return plan, nil
}

// split divides p into 2^extra equal blocks, in address order.
func split(p netip.Prefix, extra int) []netip.Prefix {
	bits := p.Bits() + extra
	n := 1 << extra
	size := uint32(1) << (32 - bits)
	base := addrToU32(p.Addr())
	out := make([]netip.Prefix, n)
	for i := range n {
		out[i] = netip.PrefixFrom(u32ToAddr(base+uint32(i)*size), bits)
	}
	return out
}

// remainder returns the blocks of p that are not covered by sub, where sub is
// the first block of p: the buddies of sub up to p, smallest first.
func remainder(p, sub netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	base := addrToU32(p.Addr())
	for bits := sub.Bits(); bits > p.Bits(); bits-- {
		size := uint32(1) << (32 - bits)
		out = append(out, netip.PrefixFrom(u32ToAddr(base+size), bits))
	}
	return out
}

// usable is the number of addresses in p minus those the cloud reserves.
func usable(p netip.Prefix, reserved int) int {
	return (1 << (32 - p.Bits())) - reserved
}

func addrToU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32ToAddr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
