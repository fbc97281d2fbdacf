package azure

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The broadest source ranges the cell accepts as "the edge". Cloudflare's
// widest published blocks are a /13 (IPv4) and a /29 (IPv6); anything
// broader than these limits is a mistake (or 0.0.0.0/0 in disguise, such as
// 0.0.0.0/1 plus 128.0.0.0/1), not an edge range.
const (
	minIngressBitsV4 = 8
	minIngressBitsV6 = 16
)

// edgeRanges are the validated IngressCIDRs, split by family.
type edgeRanges struct {
	V4 []string
	V6 []string
}

// parseIngress validates the edge's source ranges and splits them by
// family, reporting every bad entry at once. It fails when no IPv4 range
// remains: a Container App's ingress, and the VNet behind it, are IPv4-only
// (Container Apps IP restrictions accept IPv4 blocks only), and an empty
// allow list would leave the app open to everyone.
func parseIngress(cidrs []string) (edgeRanges, error) {
	var out edgeRanges
	var errs []error
	seen := map[netip.Prefix]bool{}
	for i, s := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %q is not a CIDR block such as 173.245.48.0/20", i, s))
			continue
		case p.Masked() != p:
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %s has host bits set; did you mean %s?", i, p, p.Masked()))
			continue
		case p.Addr().Is4In6():
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %s is an IPv4-mapped IPv6 block; write IPv4 blocks in dotted form", i, s))
			continue
		case p.Addr().Is4() && p.Bits() < minIngressBitsV4, p.Addr().Is6() && p.Bits() < minIngressBitsV6:
			errs = append(errs, fmt.Errorf("ingressCIDRs[%d]: %s is far too broad for an edge range; list the edge's egress blocks (e.g. Cloudflare's from cloudflare.GetIpRanges)", i, p))
			continue
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		if p.Addr().Is4() {
			out.V4 = append(out.V4, p.String())
		} else {
			out.V6 = append(out.V6, p.String())
		}
	}
	if len(errs) == 0 && len(out.V4) == 0 {
		errs = append(errs, errors.New("ingressCIDRs: no IPv4 block: an Azure cell's endpoint is IPv4-only and an empty allow list would admit every address; include the edge's IPv4 egress ranges"))
	}
	if len(errs) > 0 {
		return edgeRanges{}, fmt.Errorf("azure cell ingress: %w", errors.Join(errs...))
	}
	return out, nil
}

// knownIngress returns the IngressCIDRs when they are plain values known
// while the program runs (a pulumi.StringArray of pulumi.String), so that
// NewCell can reject bad ones before it registers anything. ok is false when
// they are an Output (e.g. read from cloudflare.GetIpRanges): those are
// checked when they resolve.
func knownIngress(in pulumi.StringArrayInput) (cidrs []string, ok bool) {
	arr, isArr := in.(pulumi.StringArray)
	if !isArr {
		return nil, false
	}
	for _, v := range arr {
		s, isStr := v.(pulumi.String)
		if !isStr {
			return nil, false
		}
		cidrs = append(cidrs, string(s))
	}
	return cidrs, true
}
