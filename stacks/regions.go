package stacks

import "strings"

// Geographies of the regions cellfabric knows. A cell in a region missing from
// this table sets Cell.Geo itself. The codes are the ones tenants name in
// Tenant.Residency.
var regionGeo = map[Cloud]map[string]string{
	AWS: {
		"us-east-1": "us", "us-east-2": "us", "us-west-1": "us", "us-west-2": "us",
		"ca-central-1": "ca", "ca-west-1": "ca",
		"eu-west-1": "eu", "eu-west-2": "uk", "eu-west-3": "eu", "eu-central-1": "eu",
		"eu-central-2": "ch", "eu-north-1": "eu", "eu-south-1": "eu", "eu-south-2": "eu",
		"ap-southeast-1": "sg", "ap-southeast-2": "au", "ap-northeast-1": "jp",
		"ap-northeast-2": "kr", "ap-northeast-3": "jp", "ap-south-1": "in",
		"sa-east-1": "br",
	},
	Azure: {
		"eastus": "us", "eastus2": "us", "centralus": "us", "westus": "us", "westus2": "us",
		"westus3": "us", "northcentralus": "us", "southcentralus": "us",
		"canadacentral": "ca", "canadaeast": "ca",
		"westeurope": "eu", "northeurope": "eu", "francecentral": "eu",
		"germanywestcentral": "eu", "swedencentral": "eu", "italynorth": "eu",
		"polandcentral": "eu", "spaincentral": "eu",
		"uksouth": "uk", "ukwest": "uk", "switzerlandnorth": "ch",
		"southeastasia": "sg", "australiaeast": "au", "japaneast": "jp",
		"koreacentral": "kr", "centralindia": "in", "brazilsouth": "br",
	},
	GCP: {
		"us-central1": "us", "us-east1": "us", "us-east4": "us", "us-east5": "us",
		"us-west1": "us", "us-west2": "us", "us-west4": "us", "us-south1": "us",
		"northamerica-northeast1": "ca", "northamerica-northeast2": "ca",
		"europe-west1": "eu", "europe-west3": "eu", "europe-west4": "eu",
		"europe-west8": "eu", "europe-west9": "eu", "europe-north1": "eu",
		"europe-southwest1": "eu", "europe-central2": "eu",
		"europe-west2": "uk", "europe-west6": "ch",
		"asia-southeast1": "sg", "australia-southeast1": "au", "asia-northeast1": "jp",
		"asia-northeast3": "kr", "asia-south1": "in", "southamerica-east1": "br",
	},
}

// GeoOf returns the geography of a known region, or "" when the region is not
// in cellfabric's table.
func GeoOf(cloud Cloud, region string) string {
	return regionGeo[cloud][strings.ToLower(region)]
}

// KnownRegion reports whether the region is in cellfabric's table for cloud.
func KnownRegion(cloud Cloud, region string) bool {
	_, ok := regionGeo[cloud][strings.ToLower(region)]
	return ok
}
