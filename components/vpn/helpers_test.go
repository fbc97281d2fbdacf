package vpn

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	awsprov "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	gcpprov "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// Resource types the mesh registers.
const (
	tVGW        = "aws:ec2/vpnGateway:VpnGateway"
	tPropagate  = "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"
	tCGW        = "aws:ec2/customerGateway:CustomerGateway"
	tVPNConn    = "aws:ec2/vpnConnection:VpnConnection"
	tSGIn       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tSGOut      = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tPCX        = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
	tPCXAccept  = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
	tRoute      = "aws:ec2/route:Route"
	tPIP        = "azure-native:network:PublicIPAddress"
	tVNG        = "azure-native:network:VirtualNetworkGateway"
	tLNG        = "azure-native:network:LocalNetworkGateway"
	tAzConn     = "azure-native:network:VirtualNetworkGatewayConnection"
	tNSGRule    = "azure-native:network:SecurityRule"
	tVNetPeer   = "azure-native:network:VirtualNetworkPeering"
	tHAVPN      = "gcp:compute/haVpnGateway:HaVpnGateway"
	tRouter     = "gcp:compute/router:Router"
	tExtGW      = "gcp:compute/externalVpnGateway:ExternalVpnGateway"
	tTunnel     = "gcp:compute/vPNTunnel:VPNTunnel"
	tRouterIf   = "gcp:compute/routerInterface:RouterInterface"
	tRouterPeer = "gcp:compute/routerPeer:RouterPeer"
	tFirewall   = "gcp:compute/firewall:Firewall"
	tGCPPeering = "gcp:compute/networkPeering:NetworkPeering"
	tPassword   = "random:index/randomPassword:RandomPassword"
)

const (
	testMesh  = "mesh"
	testStack = "dev"
	testGCP   = "cellfabric-dev"
)

// devCell is one cell of Pulumi.dev.yaml with fake network inputs shaped
// like the cells' real outputs.
type devCell struct {
	id     string
	cloud  fabric.Cloud
	region string
	cidr   string
	asn    int64
}

var devCells = []devCell{
	{"aws-use1", fabric.AWS, "us-east-1", "10.10.0.0/16", 64610},
	{"azure-weu", fabric.Azure, "westeurope", "10.20.0.0/16", 64620},
	{"gcp-euw1", fabric.GCP, "europe-west1", "10.30.0.0/16", 64630},
	{"gcp-usc1", fabric.GCP, "us-central1", "10.40.0.0/16", 64640},
}

// Fake network inputs of the dev cells.
func awsRouteTables(id string) []string {
	return []string{"rtb-" + id + "-private-0", "rtb-" + id + "-private-1", "rtb-" + id + "-public"}
}
func awsTaskSG(id string) string { return "sg-" + id + "-task" }
func azureRG(id string) string   { return "rg-" + id }
func azureVnet(id string) string { return "vnet-" + id }
func azureVnetID(id string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s", recorder.FakeAzureSubscription, azureRG(id), azureVnet(id))
}
func azureGatewaySubnet(id string) string { return azureVnetID(id) + "/subnets/GatewaySubnet" }
func azureNSG(id string) string           { return "nsg-" + id + "-apps" }
func gcpNetwork(id string) string {
	return "https://www.googleapis.com/compute/v1/projects/" + testGCP + "/global/networks/" + id + "-net"
}

// providerName is the logical name of a cell's provider in the fixture.
func providerName(id string) string { return "provider-" + id }

// newProvider registers the explicit provider of a dev cell.
func newProvider(ctx *pulumi.Context, c devCell) (pulumi.ProviderResource, error) {
	switch c.cloud {
	case fabric.AWS:
		return awsprov.NewProvider(ctx, providerName(c.id), &awsprov.ProviderArgs{Region: pulumi.String(c.region)})
	case fabric.Azure:
		return azurenative.NewProvider(ctx, providerName(c.id), &azurenative.ProviderArgs{Location: pulumi.String(c.region)})
	default:
		return gcpprov.NewProvider(ctx, providerName(c.id), &gcpprov.ProviderArgs{Project: pulumi.String(testGCP), Region: pulumi.String(c.region)})
	}
}

// cellNetwork is the CellNetwork of a dev cell on provider p.
func cellNetwork(c devCell, p pulumi.ProviderResource) CellNetwork {
	n := CellNetwork{ID: c.id, Cloud: c.cloud, Region: c.region, CIDR: c.cidr, ASN: c.asn, Provider: p}
	switch c.cloud {
	case fabric.AWS:
		var rts []pulumi.StringInput
		for _, rt := range awsRouteTables(c.id) {
			rts = append(rts, pulumi.String(rt))
		}
		n.AWS = &AWSNetwork{VpcID: pulumi.String("vpc-" + c.id), RouteTableIDs: rts,
			SecurityGroupIDs: []pulumi.StringInput{pulumi.String(awsTaskSG(c.id))}}
	case fabric.Azure:
		n.Azure = &AzureNetwork{ResourceGroupName: pulumi.String(azureRG(c.id)), VnetName: pulumi.String(azureVnet(c.id)),
			VnetID: pulumi.String(azureVnetID(c.id)), GatewaySubnetID: pulumi.String(azureGatewaySubnet(c.id)), NsgName: pulumi.String(azureNSG(c.id))}
	case fabric.GCP:
		n.GCP = &GCPNetwork{NetworkSelfLink: pulumi.String(gcpNetwork(c.id)), Project: pulumi.String(testGCP)}
	}
	return n
}

// devArgs are the dev stack's MeshArgs over the given providers.
func devArgs(cells []devCell, provs map[string]pulumi.ProviderResource) MeshArgs {
	a := MeshArgs{AzureGCPTunnels: 2, IKEVersion: 2, Tags: map[string]string{"team": "platform", "env": "dev"}}
	for _, c := range cells {
		a.Cells = append(a.Cells, cellNetwork(c, provs[c.id]))
	}
	return a
}

// deployment is one recorded run of NewMesh.
type deployment struct {
	rec  *recorder.Recorder
	mesh *Mesh
	comp *recorder.Resource
}

// run records NewMesh over cells; edit may change the args first.
func run(cells []devCell, edit func(*MeshArgs)) (*deployment, error) {
	d := &deployment{rec: recorder.New()}
	err := d.rec.Run(recorder.Options{Stack: testStack}, func(ctx *pulumi.Context) error {
		provs := map[string]pulumi.ProviderResource{}
		for _, c := range cells {
			p, err := newProvider(ctx, c)
			if err != nil {
				return err
			}
			provs[c.id] = p
		}
		args := devArgs(cells, provs)
		if edit != nil {
			edit(&args)
		}
		m, err := NewMesh(ctx, testMesh, args)
		d.mesh = m
		return err
	})
	d.comp = d.rec.Get(ComponentType, testMesh)
	return d, err
}

// devOnce is the dev mesh, recorded once and shared by the tests that only
// read it.
var devOnce = sync.OnceValues(func() (*deployment, error) { return run(devCells, nil) })

func dev(t *testing.T) *deployment {
	t.Helper()
	d, err := devOnce()
	if err != nil {
		t.Fatalf("building the dev mesh: %v", err)
	}
	return d
}

// get returns the resource of typ named "<mesh>-<parts...>", failing the
// test when there is none.
func (d *deployment) get(t *testing.T, typ string, parts ...string) *recorder.Resource {
	t.Helper()
	name := strings.Join(append([]string{testMesh}, parts...), "-")
	r := d.rec.Get(typ, name)
	if r == nil {
		t.Fatalf("no %s named %s", typ, name)
	}
	return r
}

// byID returns the resource of typ whose fake id is id.
func (d *deployment) byID(t *testing.T, typ, id string) *recorder.Resource {
	t.Helper()
	for _, r := range d.rec.OfType(typ) {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no %s with id %q", typ, id)
	return nil
}

// at reads the value at a path of keys (string) and indexes (int) in m as
// plain Go values (recorder.At), nil when absent.
func at(m resource.PropertyMap, path ...any) any {
	return recorder.Plain(recorder.At(resource.NewObjectProperty(m), path...))
}

// in and out read a string input or output by path, "" when absent.
func in(r *recorder.Resource, path ...any) string  { return recorder.String(r.Input(path...)) }
func out(r *recorder.Resource, path ...any) string { return recorder.String(r.Output(path...)) }

// num reads a number input, -1 when absent.
func num(r *recorder.Resource, path ...any) float64 {
	f, ok := recorder.Plain(r.Input(path...)).(float64)
	if !ok {
		return -1
	}
	return f
}

// strs reads a string-array input.
func strs(r *recorder.Resource, path ...any) []string { return recorder.StringList(r.Input(path...)) }

// isSecret reports whether the input at key is a secret.
func isSecret(r *recorder.Resource, key string) bool {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	return ok && (v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret))
}

// await resolves an output.
var await = celltest.Await

// allTunnels are the planned tunnels of d, in plan order.
func (d *deployment) allTunnels() []plan.Tunnel {
	var ts []plan.Tunnel
	for _, p := range d.mesh.Plan.Pairs {
		ts = append(ts, p.Tunnels...)
	}
	return ts
}

// resourceRef is a recorded resource and the cell whose side it is on.
type resourceRef struct {
	res  *recorder.Resource
	cell string
}
