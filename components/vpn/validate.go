package vpn

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// Kinds of problem NewMesh finds besides the planner's (plan.Err*), for
// errors.Is.
var (
	ErrProvider = errors.New("missing provider")          // a cell has no explicit provider
	ErrNetwork  = errors.New("invalid cell network")      // a cell's cloud section is missing, extra or incomplete
	ErrSKU      = errors.New("invalid Azure gateway SKU") // not an active-active, BGP, AZ SKU
)

// Validate reports every problem with a at once: the planner's (ids, clouds,
// regions, CIDRs, ASNs, tunnel count, IKE version, capacity) and the
// mesh's own (providers, each cell's cloud section, the Azure SKU). The
// error is a fabric.Problems, so errors.Is works with both plan.Err* and the
// Err* kinds of this package. NewMesh calls it before registering anything.
func (a MeshArgs) Validate() error {
	_, err := a.build()
	return err
}

// build validates a and plans the mesh.
func (a MeshArgs) build() (*plan.Mesh, error) {
	a = a.withDefaults()
	ps := fabric.Collector{In: plan.ProblemsIn}
	add := func(path string, kind error, format string, args ...any) {
		ps.AddKind(kind, path, format, args...)
	}
	if !slices.Contains(azureGatewaySKUs, a.AzureGatewaySKU) {
		add("azureGatewaySku", ErrSKU, "%q: use one of %s (active-active with BGP; non-AZ SKUs can no longer be created)",
			a.AzureGatewaySKU, strings.Join(azureGatewaySKUs, ", "))
	}
	azurePeers := azureCellsWithPeering(a.Cells)
	for i, c := range a.Cells {
		checkCell(add, fmt.Sprintf("cells[%d]", i), c, azurePeers[i])
	}
	m, err := plan.Build(a.PlanInput())
	var planned fabric.Problems
	switch {
	case errors.As(err, &planned):
		for _, p := range planned.List {
			ps.AddProblem(p)
		}
	case err != nil:
		return nil, fmt.Errorf("vpn mesh: planning: %w", err)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

type addFunc func(path string, kind error, format string, args ...any)

// checkCell checks the provider and cloud section of one cell.
func checkCell(add addFunc, p string, c CellNetwork, azurePeering bool) {
	if c.Provider == nil {
		add(p+".provider", ErrProvider, "missing: pass the explicit %s provider of cell %s (%s); the mesh never uses a default provider", cloudName(c.Cloud), c.ID, c.Region)
	}
	sections := map[fabric.Cloud]bool{fabric.AWS: c.AWS != nil, fabric.Azure: c.Azure != nil, fabric.GCP: c.GCP != nil}
	for _, k := range fabric.Clouds {
		if sections[k] && k != c.Cloud {
			add(p+"."+string(k), ErrNetwork, "set on %s cell %s: set only its %s section", cloudName(c.Cloud), c.ID, string(c.Cloud))
		}
	}
	missing := func(field, what string) {
		add(p+"."+string(c.Cloud)+"."+field, ErrNetwork, "missing: %s", what)
	}
	switch c.Cloud {
	case fabric.AWS:
		if c.AWS == nil {
			add(p+".aws", ErrNetwork, "missing: an AWS cell needs its VPC id, route table ids and security group ids")
			return
		}
		if c.AWS.VpcID == nil {
			missing("vpcId", "the VPC the virtual private gateway attaches to")
		}
		if len(c.AWS.RouteTableIDs) == 0 {
			missing("routeTableIds", "at least one route table to propagate the remote cells' routes into")
		}
		for j, id := range c.AWS.RouteTableIDs {
			if id == nil {
				missing(fmt.Sprintf("routeTableIds[%d]", j), "a nil route table id")
			}
		}
		if len(c.AWS.SecurityGroupIDs) == 0 {
			missing("securityGroupIds", "at least one security group to admit the remote cells' CIDRs")
		}
		for j, id := range c.AWS.SecurityGroupIDs {
			if id == nil {
				missing(fmt.Sprintf("securityGroupIds[%d]", j), "a nil security group id")
			}
		}
	case fabric.Azure:
		if c.Azure == nil {
			add(p+".azure", ErrNetwork, "missing: an Azure cell needs its resource group, VNet, GatewaySubnet id and NSG name")
			return
		}
		if c.Azure.ResourceGroupName == nil {
			missing("resourceGroupName", "the resource group the gateway goes in")
		}
		if c.Azure.VnetName == nil {
			missing("vnetName", "the cell's virtual network")
		}
		if c.Azure.GatewaySubnetID == nil {
			missing("gatewaySubnetId", "the id of the cell's GatewaySubnet")
		}
		if c.Azure.NsgName == nil {
			missing("nsgName", "the NSG that must admit the remote cells' CIDRs")
		}
		if azurePeering && c.Azure.VnetID == nil {
			missing("vnetId", "the VNet id, which the peering from the other Azure cell names")
		}
	case fabric.GCP:
		if c.GCP == nil {
			add(p+".gcp", ErrNetwork, "missing: a GCP cell needs its network self link")
			return
		}
		if c.GCP.NetworkSelfLink == nil {
			missing("networkSelfLink", "the VPC network the HA VPN gateway and Cloud Router attach to")
		}
	}
}

// azureCellsWithPeering marks the Azure cells that another Azure cell peers
// with (they need VnetID).
func azureCellsWithPeering(cells []CellNetwork) map[int]bool {
	n := 0
	for _, c := range cells {
		if c.Cloud == fabric.Azure {
			n++
		}
	}
	out := map[int]bool{}
	for i, c := range cells {
		out[i] = c.Cloud == fabric.Azure && n > 1
	}
	return out
}

func cloudName(c fabric.Cloud) string {
	switch c {
	case fabric.AWS:
		return "AWS"
	case fabric.Azure:
		return "Azure"
	case fabric.GCP:
		return "GCP"
	}
	return fmt.Sprintf("%q", string(c))
}
