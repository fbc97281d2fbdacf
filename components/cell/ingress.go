package cell

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The broadest blocks accepted as edge ranges. Cloudflare's widest are a /13
// (IPv4) and a /29 (IPv6); anything near a /0 — or two /1s that add up to
// one — would open the cell to the whole internet.
const (
	MinIngressBitsV4 = 8
	MinIngressBitsV6 = 16
)

// IngressRanges are Args.IngressCIDRs checked and split by family,
// canonical, sorted and without duplicates (cloud APIs reject a rule that
// lists a block twice).
type IngressRanges struct {
	V4, V6 []string
}

// All returns the IPv4 ranges followed by the IPv6 ones.
func (r IngressRanges) All() []string {
	return append(slices.Clone(r.V4), r.V6...)
}

// ParseIngress checks the ranges allowed to reach a cell's endpoint, the same
// way on every cloud: each must be a CIDR block without host bits, IPv4 in
// dotted form, and no broader than a /8 (IPv4) or /16 (IPv6); the list must
// not be empty. It reports every bad entry at once.
func ParseIngress(cidrs []string) (IngressRanges, error) {
	var out IngressRanges
	var errs []error
	for i, raw := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(raw))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %q is not a CIDR block such as 173.245.48.0/20", i, raw))
			continue
		case p.Masked() != p:
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %s has host bits set; did you mean %s?", i, p, p.Masked()))
			continue
		case p.Addr().Is4In6():
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %s is an IPv4-mapped IPv6 block; write it as IPv4", i, p))
			continue
		case p.Addr().Is4() && p.Bits() < MinIngressBitsV4, p.Addr().Is6() && p.Bits() < MinIngressBitsV6:
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %s is too broad: only the edge's egress ranges may reach the cell, never the whole internet", i, p))
			continue
		}
		if p.Addr().Is4() {
			out.V4 = append(out.V4, p.String())
		} else {
			out.V6 = append(out.V6, p.String())
		}
	}
	if len(cidrs) == 0 {
		errs = append(errs, errors.New("ingressCIDRs: empty: the cell would accept no traffic; pass the edge's egress ranges (cloudflare.GetIpRanges)"))
	}
	if err := errors.Join(errs...); err != nil {
		return IngressRanges{}, err
	}
	sortPrefixes(out.V4)
	sortPrefixes(out.V6)
	out.V4 = slices.Compact(out.V4)
	out.V6 = slices.Compact(out.V6)
	return out, nil
}

// sortPrefixes sorts canonical prefix strings by address, then length.
func sortPrefixes(ps []string) {
	slices.SortFunc(ps, func(a, b string) int {
		pa, pb := netip.MustParsePrefix(a), netip.MustParsePrefix(b)
		if c := pa.Addr().Compare(pb.Addr()); c != 0 {
			return c
		}
		return pa.Bits() - pb.Bits()
	})
}

// LiteralStrings returns the values of a StringArrayInput built from plain
// strings (pulumi.ToStringArray, pulumi.StringArray{pulumi.String(…)}), so a
// component can check them before registering anything. ok is false when any
// element is an Output, known only at deploy time; check those when they
// resolve.
func LiteralStrings(in pulumi.StringArrayInput) (vals []string, ok bool) {
	arr, isArr := in.(pulumi.StringArray)
	if !isArr {
		return nil, false
	}
	for _, e := range arr {
		s, isStr := e.(pulumi.String)
		if !isStr {
			return nil, false
		}
		vals = append(vals, string(s))
	}
	return vals, true
}
