package aws

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
// one — would open the load balancer to the whole internet.
const (
	minIngressBitsV4 = 8
	minIngressBitsV6 = 16
)

// edgeRanges are the edge's egress ranges, split by family as security group
// rules take them.
type edgeRanges struct {
	V4, V6 []string
}

// parseEdgeRanges checks the ranges allowed to reach the load balancer and
// splits them into IPv4 and IPv6, canonical, sorted and without duplicates
// (EC2 rejects a rule that lists a block twice). It reports every bad entry.
func parseEdgeRanges(cidrs []string) (edgeRanges, error) {
	var out edgeRanges
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
		case p.Addr().Is4() && p.Bits() < minIngressBitsV4, p.Addr().Is6() && p.Bits() < minIngressBitsV6:
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
		return edgeRanges{}, err
	}
	slices.Sort(out.V4)
	slices.Sort(out.V6)
	out.V4 = slices.Compact(out.V4)
	out.V6 = slices.Compact(out.V6)
	return out, nil
}

// staticStrings returns the plain values of a StringArrayInput when the
// program built it from literal strings (as config does), so NewCell can
// check them before registering anything. ok is false when any element is
// an Output, known only at deploy time.
func staticStrings(in pulumi.StringArrayInput) (vals []string, ok bool) {
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

// splitIngress resolves the edge ranges at deploy time. A bad list fails the
// security group that uses it, so the deployment stops before anything opens.
func splitIngress(in pulumi.StringArrayInput) (v4, v6 pulumi.StringArrayOutput) {
	family := func(pick func(edgeRanges) []string) pulumi.StringArrayOutput {
		return in.ToStringArrayOutput().ApplyT(func(cidrs []string) ([]string, error) {
			r, err := parseEdgeRanges(cidrs)
			if err != nil {
				return nil, fmt.Errorf("checking the cell's ingress ranges: %w", err)
			}
			return nonNil(pick(r)), nil
		}).(pulumi.StringArrayOutput)
	}
	return family(func(r edgeRanges) []string { return r.V4 }), family(func(r edgeRanges) []string { return r.V6 })
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
