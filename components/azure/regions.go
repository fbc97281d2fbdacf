package azure

import "strings"

// zonalRegions are the Azure regions of cellfabric's region table
// (stacks.Regions) that have availability zones. A cell in one of them
// gets a zone-redundant Container Apps environment and zone-redundant
// storage; elsewhere the environment is regional, because asking for zone
// redundancy in a region without zones fails the deployment. westus, northcentralus,
// canadaeast and ukwest have no zones. A region missing here is treated as
// zoneless: the safe default, at the cost of zone redundancy; add it when
// Azure lists zones for it (learn.microsoft.com/azure/reliability/
// availability-zones-region-support).
var zonalRegions = map[string]bool{
	"eastus": true, "eastus2": true, "centralus": true, "westus2": true, "westus3": true,
	"southcentralus": true, "canadacentral": true,
	"westeurope": true, "northeurope": true, "francecentral": true, "germanywestcentral": true,
	"swedencentral": true, "italynorth": true, "polandcentral": true, "spaincentral": true,
	"uksouth": true, "switzerlandnorth": true,
	"southeastasia": true, "australiaeast": true, "japaneast": true, "koreacentral": true,
	"centralindia": true, "brazilsouth": true,
}

// HasZones reports whether region has availability zones (as far as
// cellfabric's table knows). The VPN mesh asks it too, for the zone
// redundancy of the gateway's public IPs.
func HasZones(region string) bool { return zonalRegions[strings.ToLower(region)] }

// unpairedRegions have no paired region, so geo-redundant storage (GRS,
// GZRS) cannot be created there; their accounts are zone-redundant only
// (Standard_ZRS). Azure: "Azure region pairs and nonpaired regions".
var unpairedRegions = map[string]bool{"italynorth": true, "polandcentral": true, "spaincentral": true}

// Storage SKUs: geo-zone-redundant where the region has zones and a pair,
// geo-redundant where it has a pair only, zone-redundant where it has zones
// only. Every table the cell holds is kept in at least three copies across
// zones or two regions.
const (
	skuGeoZonal = "Standard_GZRS"
	skuGeo      = "Standard_GRS"
	skuZonal    = "Standard_ZRS"
)

// storageSKU returns the storage account SKU for region.
func storageSKU(region string) string {
	r := strings.ToLower(region)
	switch {
	case unpairedRegions[r]:
		return skuZonal
	case HasZones(r):
		return skuGeoZonal
	default:
		return skuGeo
	}
}
