package azure

import (
	"errors"
	"fmt"

	"github.com/cellfabric/cellfabric/components/cell"
)

// parseIngress validates the edge's source ranges and splits them by
// family, reporting every bad entry at once. It fails when no IPv4 range
// remains: a Container App's ingress, and the VNet behind it, are IPv4-only
// (Container Apps IP restrictions accept IPv4 blocks only), and an empty
// allow list would leave the app open to everyone.
func parseIngress(cidrs []string) (cell.IngressRanges, error) {
	r, err := cell.ParseIngress(cidrs)
	if err != nil {
		return cell.IngressRanges{}, fmt.Errorf("azure cell ingress: %w", err)
	}
	if len(r.V4) == 0 {
		return cell.IngressRanges{}, errNoIPv4
	}
	return r, nil
}

// errNoIPv4 refuses edge ranges without an IPv4 block.
var errNoIPv4 = errors.New("azure cell ingress: ingressCIDRs: no IPv4 block: an Azure cell's endpoint is IPv4-only and an empty allow list would admit every address; include the edge's IPv4 egress ranges")
