package stacks

import (
	"maps"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// regionFacts is what cellfabric knows of a cloud region.
type regionFacts struct {
	// geo is the geography tenants name in Tenant.Residency.
	geo string
	// edge is the Cloudflare load-balancing region whose visitors the
	// region is nearest to (developers.cloudflare.com/load-balancing/
	// reference/region-mapping-api). Cloudflare splits the US and Canada by
	// state: the central US regions (Iowa, Texas) fall in ENAM, the Pacific
	// and mountain ones in WNAM.
	edge string
}

// regions is cellfabric's one table of cloud regions: to support a new
// region, add it here (and, on Azure, to components/azure's zone table when
// it has availability zones). A cell in a region missing from this table
// sets Cell.Geo itself and takes part in geo steering only as a fallback.
var regions = map[fabric.Cloud]map[string]regionFacts{
	fabric.AWS: {
		"us-east-1":      {geo: "us", edge: "ENAM"},
		"us-east-2":      {geo: "us", edge: "ENAM"},
		"us-west-1":      {geo: "us", edge: "WNAM"},
		"us-west-2":      {geo: "us", edge: "WNAM"},
		"ca-central-1":   {geo: "ca", edge: "ENAM"},
		"ca-west-1":      {geo: "ca", edge: "WNAM"},
		"eu-west-1":      {geo: "eu", edge: "WEU"},
		"eu-west-2":      {geo: "uk", edge: "WEU"},
		"eu-west-3":      {geo: "eu", edge: "WEU"},
		"eu-central-1":   {geo: "eu", edge: "WEU"},
		"eu-central-2":   {geo: "ch", edge: "WEU"},
		"eu-north-1":     {geo: "eu", edge: "WEU"},
		"eu-south-1":     {geo: "eu", edge: "WEU"},
		"eu-south-2":     {geo: "eu", edge: "WEU"},
		"ap-southeast-1": {geo: "sg", edge: "SEAS"},
		"ap-southeast-2": {geo: "au", edge: "OC"},
		"ap-northeast-1": {geo: "jp", edge: "NEAS"},
		"ap-northeast-2": {geo: "kr", edge: "NEAS"},
		"ap-northeast-3": {geo: "jp", edge: "NEAS"},
		"ap-south-1":     {geo: "in", edge: "SAS"},
		"sa-east-1":      {geo: "br", edge: "SSAM"},
	},
	fabric.Azure: {
		"eastus":             {geo: "us", edge: "ENAM"},
		"eastus2":            {geo: "us", edge: "ENAM"},
		"centralus":          {geo: "us", edge: "ENAM"},
		"westus":             {geo: "us", edge: "WNAM"},
		"westus2":            {geo: "us", edge: "WNAM"},
		"westus3":            {geo: "us", edge: "WNAM"},
		"northcentralus":     {geo: "us", edge: "ENAM"},
		"southcentralus":     {geo: "us", edge: "ENAM"},
		"canadacentral":      {geo: "ca", edge: "ENAM"},
		"canadaeast":         {geo: "ca", edge: "ENAM"},
		"westeurope":         {geo: "eu", edge: "WEU"},
		"northeurope":        {geo: "eu", edge: "WEU"},
		"francecentral":      {geo: "eu", edge: "WEU"},
		"germanywestcentral": {geo: "eu", edge: "WEU"},
		"swedencentral":      {geo: "eu", edge: "WEU"},
		"italynorth":         {geo: "eu", edge: "WEU"},
		"polandcentral":      {geo: "eu", edge: "EEU"},
		"spaincentral":       {geo: "eu", edge: "WEU"},
		"uksouth":            {geo: "uk", edge: "WEU"},
		"ukwest":             {geo: "uk", edge: "WEU"},
		"switzerlandnorth":   {geo: "ch", edge: "WEU"},
		"southeastasia":      {geo: "sg", edge: "SEAS"},
		"australiaeast":      {geo: "au", edge: "OC"},
		"japaneast":          {geo: "jp", edge: "NEAS"},
		"koreacentral":       {geo: "kr", edge: "NEAS"},
		"centralindia":       {geo: "in", edge: "SAS"},
		"brazilsouth":        {geo: "br", edge: "SSAM"},
	},
	fabric.GCP: {
		"us-central1":             {geo: "us", edge: "ENAM"},
		"us-east1":                {geo: "us", edge: "ENAM"},
		"us-east4":                {geo: "us", edge: "ENAM"},
		"us-east5":                {geo: "us", edge: "ENAM"},
		"us-west1":                {geo: "us", edge: "WNAM"},
		"us-west2":                {geo: "us", edge: "WNAM"},
		"us-west4":                {geo: "us", edge: "WNAM"},
		"us-south1":               {geo: "us", edge: "ENAM"},
		"northamerica-northeast1": {geo: "ca", edge: "ENAM"},
		"northamerica-northeast2": {geo: "ca", edge: "ENAM"},
		"europe-west1":            {geo: "eu", edge: "WEU"},
		"europe-west3":            {geo: "eu", edge: "WEU"},
		"europe-west4":            {geo: "eu", edge: "WEU"},
		"europe-west8":            {geo: "eu", edge: "WEU"},
		"europe-west9":            {geo: "eu", edge: "WEU"},
		"europe-north1":           {geo: "eu", edge: "EEU"},
		"europe-southwest1":       {geo: "eu", edge: "WEU"},
		"europe-central2":         {geo: "eu", edge: "EEU"},
		"europe-west2":            {geo: "uk", edge: "WEU"},
		"europe-west6":            {geo: "ch", edge: "WEU"},
		"asia-southeast1":         {geo: "sg", edge: "SEAS"},
		"australia-southeast1":    {geo: "au", edge: "OC"},
		"asia-northeast1":         {geo: "jp", edge: "NEAS"},
		"asia-northeast3":         {geo: "kr", edge: "NEAS"},
		"asia-south1":             {geo: "in", edge: "SAS"},
		"southamerica-east1":      {geo: "br", edge: "SSAM"},
	},
}

// GeoOf returns the geography of a known region, or "" when the region is not
// in cellfabric's table.
func GeoOf(cloud fabric.Cloud, region string) string {
	return regions[cloud][strings.ToLower(region)].geo
}

// EdgeRegionOf returns the Cloudflare load-balancing region nearest to a
// known cloud region, and false when the region is not in cellfabric's table.
func EdgeRegionOf(cloud fabric.Cloud, region string) (string, bool) {
	f, ok := regions[cloud][strings.ToLower(region)]
	return f.edge, ok
}

// Regions returns the regions of cloud in cellfabric's table, sorted.
func Regions(cloud fabric.Cloud) []string {
	return slices.Sorted(maps.Keys(regions[cloud]))
}

// KnownRegion reports whether the region is in cellfabric's table for cloud.
func KnownRegion(cloud fabric.Cloud, region string) bool {
	_, ok := regions[cloud][strings.ToLower(region)]
	return ok
}
