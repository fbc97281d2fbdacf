package vpn_test

import (
	"fmt"
	"slices"
	"testing"

	awsprov "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	gcpprov "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/aws"
	"github.com/cellfabric/cellfabric/components/azure"
	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/gcp"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/components/vpn"
	"github.com/cellfabric/cellfabric/fabric"
)

// cellArgs are valid cell.Args for one dev cell.
func cellArgs(id, region, cidr string) cell.Args {
	return cell.Args{
		ID: id, Region: region, CIDR: cidr,
		Hostname:     id + ".cells.example.com",
		Image:        pulumi.String("ghcr.io/cellfabric/cell:0.1.0"),
		EdgeKey:      pulumi.ToSecret(pulumi.String("edge-key-for-the-mesh-test-0123456789")).(pulumi.StringOutput),
		IngressCIDRs: pulumi.ToStringArray([]string{"173.245.48.0/20", "2400:cb00::/32"}),
	}
}

// value awaits a string output.
func value(t *testing.T, o pulumi.Output) string {
	t.Helper()
	aw, err := recorder.Await(o)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := aw.Value.(string)
	return s
}

func values(t *testing.T, o pulumi.StringArrayOutput) []string {
	t.Helper()
	aw, err := recorder.Await(o)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := aw.Value.([]string)
	return s
}

// TestMeshOnRealCells builds the four dev cells with their own components,
// fills CellNetwork as the package documentation says the infra program
// does, and checks the mesh attaches to the cells' actual network
// resources.
func TestMeshOnRealCells(t *testing.T) {
	t.Parallel()
	rec := recorder.New()
	var (
		awsCell   *aws.Cell
		azureCell *azure.Cell
		gcpCells  []*gcp.Cell
	)
	err := rec.Run(recorder.Options{Stack: "dev"}, func(ctx *pulumi.Context) error {
		ap, err := awsprov.NewProvider(ctx, "provider-aws-use1", &awsprov.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		zp, err := azurenative.NewProvider(ctx, "provider-azure-weu", &azurenative.ProviderArgs{Location: pulumi.String("westeurope")})
		if err != nil {
			return err
		}
		if awsCell, err = aws.NewCell(ctx, "aws-use1", cellArgs("aws-use1", "us-east-1", "10.10.0.0/16"), pulumi.Provider(ap)); err != nil {
			return err
		}
		if azureCell, err = azure.NewCell(ctx, "azure-weu", cellArgs("azure-weu", "westeurope", "10.20.0.0/16"), pulumi.Provider(zp)); err != nil {
			return err
		}
		// The dev stack's default of two zones: two private tables.
		zones := 2
		args := vpn.MeshArgs{Cells: []vpn.CellNetwork{
			{ID: "aws-use1", Cloud: fabric.AWS, Region: "us-east-1", CIDR: "10.10.0.0/16", ASN: 64610, Provider: ap,
				AWS: &vpn.AWSNetwork{
					VpcID:            awsCell.VpcID,
					RouteTableIDs:    append(vpn.StringInputs(awsCell.PrivateRouteTableIDs, zones), vpn.StringInputs(awsCell.PublicRouteTableIDs, 1)...),
					SecurityGroupIDs: []pulumi.StringInput{awsCell.TaskSecurityGroupID},
				}},
			{ID: "azure-weu", Cloud: fabric.Azure, Region: "westeurope", CIDR: "10.20.0.0/16", ASN: 64620, Provider: zp,
				Azure: &vpn.AzureNetwork{ResourceGroupName: azureCell.ResourceGroupName, VnetName: azureCell.VnetName, VnetID: azureCell.VnetID,
					GatewaySubnetID: azureCell.GatewaySubnetID, NsgName: azureCell.NsgName}},
		}}
		for _, c := range []struct {
			id, region, cidr string
			asn              int64
		}{{"gcp-euw1", "europe-west1", "10.30.0.0/16", 64630}, {"gcp-usc1", "us-central1", "10.40.0.0/16", 64640}} {
			gp, err := gcpprov.NewProvider(ctx, "provider-"+c.id, &gcpprov.ProviderArgs{Project: pulumi.String("cellfabric-dev"), Region: pulumi.String(c.region)})
			if err != nil {
				return err
			}
			gc, err := gcp.NewCell(ctx, c.id, cellArgs(c.id, c.region, c.cidr), pulumi.Provider(gp))
			if err != nil {
				return err
			}
			gcpCells = append(gcpCells, gc)
			args.Cells = append(args.Cells, vpn.CellNetwork{ID: c.id, Cloud: fabric.GCP, Region: c.region, CIDR: c.cidr, ASN: c.asn, Provider: gp,
				GCP: &vpn.GCPNetwork{NetworkSelfLink: gc.NetworkSelfLink, Project: gc.Project}})
		}
		_, err = vpn.NewMesh(ctx, "mesh", args)
		return err
	})
	if err != nil {
		t.Fatalf("building the cells and the mesh: %v", err)
	}
	str := func(r *recorder.Resource, k string) string {
		v, ok := r.Inputs[resource.PropertyKey(k)]
		if !ok || !v.IsString() {
			return ""
		}
		return v.StringValue()
	}

	t.Run("aws", func(t *testing.T) {
		vgw := rec.Get("aws:ec2/vpnGateway:VpnGateway", "mesh-aws-use1-vgw")
		if vgw == nil || str(vgw, "vpcId") != value(t, awsCell.VpcID) {
			t.Fatalf("the VGW is not attached to the cell's VPC %s", value(t, awsCell.VpcID))
		}
		want := append(values(t, awsCell.PrivateRouteTableIDs), values(t, awsCell.PublicRouteTableIDs)...)
		var got []string
		for _, p := range rec.OfType("aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation") {
			got = append(got, str(p, "routeTableId"))
		}
		slices.Sort(got)
		slices.Sort(want)
		if len(want) != 3 || !slices.Equal(got, want) {
			t.Errorf("propagation into %v, want the cell's route tables %v", got, want)
		}
		sg := value(t, awsCell.TaskSecurityGroupID)
		for _, r := range rec.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
			if c := rec.Component(r); c != nil && c.Type == vpn.AWSGatewayType && str(r, "securityGroupId") != sg {
				t.Errorf("%s is on %q, not the task group %s", r.Name, str(r, "securityGroupId"), sg)
			}
		}
	})
	t.Run("azure", func(t *testing.T) {
		gw := rec.Get("azure-native:network:VirtualNetworkGateway", "mesh-azure-weu-vpngw")
		if gw == nil {
			t.Fatal("no gateway")
		}
		if str(gw, "resourceGroupName") != value(t, azureCell.ResourceGroupName) {
			t.Errorf("gateway in %q, want the cell's group", str(gw, "resourceGroupName"))
		}
		subnet := value(t, azureCell.GatewaySubnetID)
		confs := gw.Inputs["ipConfigurations"].ArrayValue()
		for _, c := range confs {
			if c.ObjectValue()["subnet"].ObjectValue()["id"].StringValue() != subnet {
				t.Errorf("an ipConfiguration is not in the cell's GatewaySubnet %s", subnet)
			}
		}
		// The self-referencing ipConfiguration ids name the id the gateway
		// actually gets, in the subnet's subscription.
		for i, p := range gw.Inputs["bgpSettings"].ObjectValue()["bgpPeeringAddresses"].ArrayValue() {
			id := p.ObjectValue()["ipconfigurationId"].StringValue()
			if want := fmt.Sprintf("%s/ipConfigurations/instance-%d", gw.ID, i); id != want {
				t.Errorf("bgpPeeringAddresses[%d] names %q, want %s", i, id, want)
			}
		}
		rule := rec.Get("azure-native:network:SecurityRule", "mesh-azure-weu-nsg-mesh")
		if rule == nil || str(rule, "networkSecurityGroupName") != value(t, azureCell.NsgName) {
			t.Errorf("the mesh's NSG rule is not on the cell's NSG %s", value(t, azureCell.NsgName))
		}
	})
	t.Run("gcp", func(t *testing.T) {
		for i, id := range []string{"gcp-euw1", "gcp-usc1"} {
			ha := rec.Get("gcp:compute/haVpnGateway:HaVpnGateway", "mesh-"+id+"-ha-vpn")
			if ha == nil || str(ha, "network") != value(t, gcpCells[i].NetworkSelfLink) || str(ha, "project") != value(t, gcpCells[i].Project) {
				t.Errorf("%s: HA VPN gateway not on the cell's network %s in %s", id, value(t, gcpCells[i].NetworkSelfLink), value(t, gcpCells[i].Project))
			}
		}
	})
}
