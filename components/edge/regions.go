package edge

import (
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// LoadBalancerRegions are Cloudflare's load-balancing region codes
// (developers.cloudflare.com/load-balancing/reference/region-mapping-api).
var LoadBalancerRegions = []string{
	"WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS",
}

// LoadBalancerRegion returns the Cloudflare load-balancing region of a cloud
// region (from stacks' region table), and false when the region is not in
// it (the cell then gets no EdgeCell.Region).
func LoadBalancerRegion(cloud fabric.Cloud, region string) (string, bool) {
	return stacks.EdgeRegionOf(cloud, region)
}

func validLBRegion(s string) bool {
	for _, r := range LoadBalancerRegions {
		if r == s {
			return true
		}
	}
	return false
}
