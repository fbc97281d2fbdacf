package edge

import (
	"strings"

	"github.com/cellfabric/cellfabric/stacks"
)

// LoadBalancerRegions are Cloudflare's load-balancing region codes
// (developers.cloudflare.com/load-balancing/reference/region-mapping-api).
var LoadBalancerRegions = []string{
	"WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS",
}

// lbRegion places the cloud regions cellfabric knows (stacks' region table)
// in the Cloudflare region whose visitors they are nearest to. Cloudflare
// splits the US and Canada by state: the central US regions (Iowa, Texas)
// fall in ENAM, the Pacific and mountain ones in WNAM.
var lbRegion = map[stacks.Cloud]map[string]string{
	stacks.AWS: {
		"us-east-1": "ENAM", "us-east-2": "ENAM", "us-west-1": "WNAM", "us-west-2": "WNAM",
		"ca-central-1": "ENAM", "ca-west-1": "WNAM",
		"eu-west-1": "WEU", "eu-west-2": "WEU", "eu-west-3": "WEU", "eu-central-1": "WEU",
		"eu-central-2": "WEU", "eu-north-1": "WEU", "eu-south-1": "WEU", "eu-south-2": "WEU",
		"ap-southeast-1": "SEAS", "ap-southeast-2": "OC", "ap-northeast-1": "NEAS",
		"ap-northeast-2": "NEAS", "ap-northeast-3": "NEAS", "ap-south-1": "SAS",
		"sa-east-1": "SSAM",
	},
	stacks.Azure: {
		"eastus": "ENAM", "eastus2": "ENAM", "centralus": "ENAM", "westus": "WNAM", "westus2": "WNAM",
		"westus3": "WNAM", "northcentralus": "ENAM", "southcentralus": "ENAM",
		"canadacentral": "ENAM", "canadaeast": "ENAM",
		"westeurope": "WEU", "northeurope": "WEU", "francecentral": "WEU",
		"germanywestcentral": "WEU", "swedencentral": "WEU", "italynorth": "WEU",
		"polandcentral": "EEU", "spaincentral": "WEU",
		"uksouth": "WEU", "ukwest": "WEU", "switzerlandnorth": "WEU",
		"southeastasia": "SEAS", "australiaeast": "OC", "japaneast": "NEAS",
		"koreacentral": "NEAS", "centralindia": "SAS", "brazilsouth": "SSAM",
	},
	stacks.GCP: {
		"us-central1": "ENAM", "us-east1": "ENAM", "us-east4": "ENAM", "us-east5": "ENAM",
		"us-west1": "WNAM", "us-west2": "WNAM", "us-west4": "WNAM", "us-south1": "ENAM",
		"northamerica-northeast1": "ENAM", "northamerica-northeast2": "ENAM",
		"europe-west1": "WEU", "europe-west3": "WEU", "europe-west4": "WEU",
		"europe-west8": "WEU", "europe-west9": "WEU", "europe-north1": "EEU",
		"europe-southwest1": "WEU", "europe-central2": "EEU",
		"europe-west2": "WEU", "europe-west6": "WEU",
		"asia-southeast1": "SEAS", "australia-southeast1": "OC", "asia-northeast1": "NEAS",
		"asia-northeast3": "NEAS", "asia-south1": "SAS", "southamerica-east1": "SSAM",
	},
}

// LoadBalancerRegion returns the Cloudflare load-balancing region of a cloud
// region, and false when the region is not in the table (the cell then gets
// no EdgeCell.Region).
func LoadBalancerRegion(cloud stacks.Cloud, region string) (string, bool) {
	r, ok := lbRegion[cloud][strings.ToLower(region)]
	return r, ok
}

func validLBRegion(s string) bool {
	for _, r := range LoadBalancerRegions {
		if r == s {
			return true
		}
	}
	return false
}
