package vpn

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// TestInvalidArgs runs NewMesh with one thing wrong per case (and one case
// with several) and checks the error names each problem, unwraps to its
// kind, and that nothing but the test's providers was registered.
func TestInvalidArgs(t *testing.T) {
	t.Parallel()
	twoAzure := append(append([]devCell{}, devCells...), devCell{"azure-neu", fabric.Azure, "northeurope", "10.50.0.0/16", 64650})
	tests := []struct {
		name  string
		cells []devCell
		edit  func(a *MeshArgs)
		kinds []error
		paths []string
	}{
		{name: "one cloud", cells: devCells[2:], kinds: []error{plan.ErrOneCloud}, paths: []string{"cells: every cell is on gcp"}},
		{name: "missing provider", edit: func(a *MeshArgs) { a.Cells[1].Provider = nil },
			kinds: []error{ErrProvider}, paths: []string{"cells[1].provider"}},
		{name: "missing cloud section", edit: func(a *MeshArgs) { a.Cells[2].GCP = nil },
			kinds: []error{ErrNetwork}, paths: []string{"cells[2].gcp: missing"}},
		{name: "section of another cloud", edit: func(a *MeshArgs) { a.Cells[0].Azure = &AzureNetwork{} },
			kinds: []error{ErrNetwork}, paths: []string{"cells[0].azure: set on AWS cell aws-use1"}},
		{name: "aws fields missing", edit: func(a *MeshArgs) { a.Cells[0].AWS = &AWSNetwork{} },
			kinds: []error{ErrNetwork}, paths: []string{"cells[0].aws.vpcId", "cells[0].aws.routeTableIds", "cells[0].aws.securityGroupIds"}},
		{name: "nil route table", edit: func(a *MeshArgs) { a.Cells[0].AWS.RouteTableIDs[1] = nil },
			kinds: []error{ErrNetwork}, paths: []string{"cells[0].aws.routeTableIds[1]"}},
		{name: "azure fields missing", edit: func(a *MeshArgs) { a.Cells[1].Azure = &AzureNetwork{} },
			kinds: []error{ErrNetwork}, paths: []string{"cells[1].azure.resourceGroupName", "cells[1].azure.vnetName", "cells[1].azure.gatewaySubnetId", "cells[1].azure.nsgName"}},
		{name: "azure vnet id needed for peering", cells: twoAzure, edit: func(a *MeshArgs) { a.Cells[4].Azure.VnetID = nil },
			kinds: []error{ErrNetwork}, paths: []string{"cells[4].azure.vnetId"}},
		{name: "gcp network missing", edit: func(a *MeshArgs) { a.Cells[3].GCP.NetworkSelfLink = nil },
			kinds: []error{ErrNetwork}, paths: []string{"cells[3].gcp.networkSelfLink"}},
		{name: "asn clash", edit: func(a *MeshArgs) { a.Cells[3].ASN = 64630 },
			kinds: []error{plan.ErrASNClash}, paths: []string{"cells[3].asn: 64630 is already the ASN of cells[2]"}},
		{name: "azure sku", edit: func(a *MeshArgs) { a.AzureGatewaySKU = "VpnGw1" },
			kinds: []error{ErrSKU}, paths: []string{"azureGatewaySku"}},
		{name: "tunnel count", edit: func(a *MeshArgs) { a.AzureGCPTunnels = 3 },
			kinds: []error{plan.ErrTunnels}, paths: []string{"azureGcpTunnels"}},
		{name: "every problem at once", edit: func(a *MeshArgs) {
			a.Cells[0].Provider = nil
			a.Cells[3].ASN = 64630
			a.AzureGatewaySKU = "Basic"
			a.Cells[1].Azure.NsgName = nil
		},
			kinds: []error{ErrProvider, plan.ErrASNClash, ErrSKU, ErrNetwork},
			paths: []string{"cells[0].provider", "cells[3].asn", "azureGatewaySku", "cells[1].azure.nsgName"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cells := tc.cells
			if cells == nil {
				cells = devCells
			}
			d, err := run(cells, tc.edit)
			if err == nil {
				t.Fatal("NewMesh accepted the args")
			}
			for _, k := range tc.kinds {
				if !errors.Is(err, k) {
					t.Errorf("error does not unwrap to %v:\n%v", k, err)
				}
			}
			for _, p := range tc.paths {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error does not mention %q:\n%v", p, err)
				}
			}
			for _, r := range d.rec.Resources() {
				if !r.IsProvider() {
					t.Errorf("%s %s registered despite the error", r.Type, r.Name)
				}
			}
		})
	}
}

// TestValidateAlone checks MeshArgs.Validate agrees with NewMesh without a
// Pulumi context.
func TestValidateAlone(t *testing.T) {
	t.Parallel()
	args := devArgs(devCells, map[string]pulumi.ProviderResource{})
	if err := args.Validate(); !errors.Is(err, ErrProvider) || strings.Count(err.Error(), ".provider") != len(devCells) {
		t.Errorf("Validate without providers: %v; want one provider problem per cell", err)
	}
}

// TestErrorSaysVPNMeshOnce: NewMesh's error for bad args says "vpn mesh"
// once, at its start ("vpn mesh: N problem(s): ..."), with no other context
// stacked in front, whether the planner or the mesh found the problem.
func TestErrorSaysVPNMeshOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(a *MeshArgs)
	}{
		{"planner problem", func(a *MeshArgs) { a.Cells[3].ASN = 64630 }},
		{"mesh problem", func(a *MeshArgs) { a.Cells[1].Provider = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := run(devCells, tc.edit)
			if err == nil {
				t.Fatal("NewMesh accepted the args")
			}
			msg := err.Error()
			if n := strings.Count(msg, "vpn mesh"); n != 1 || !strings.Contains(msg, "* 1 problem(s) in the vpn mesh:") {
				t.Errorf("want one \"1 problem(s) in the vpn mesh:\" heading the error (the recorder lists it as \"* ...\"), got:\n%s", msg)
			}
		})
	}
}
