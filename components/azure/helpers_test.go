package azure

import (
	"sync"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
)

// Type tokens of what the cell builds.
const (
	tRG        = "azure-native:resources:ResourceGroup"
	tVNet      = "azure-native:network:VirtualNetwork"
	tSubnet    = "azure-native:network:Subnet"
	tNSG       = "azure-native:network:NetworkSecurityGroup"
	tWorkspace = "azure-native:operationalinsights:Workspace"
	tEnv       = "azure-native:app/v20240301:ManagedEnvironment"
	tApp       = "azure-native:app/v20240301:ContainerApp"
	tIdentity  = "azure-native:managedidentity:UserAssignedIdentity"
	tRole      = "azure-native:authorization:RoleAssignment"
	tRoleDef   = "azure-native:authorization:RoleDefinition"
	tAccount   = "azure-native:storage:StorageAccount"
	tTable     = "azure-native:storage:Table"
	tVault     = "azure-native:keyvault:Vault"
	tSecret    = "azure-native:keyvault:Secret"
	tDiag      = "azure-native:insights:DiagnosticSetting"
)

const (
	testEdgeKey = "edge-key-plaintext-do-not-leak-7d1f0c"
	testImage   = "ghcr.io/cellfabric/cell:0.1.0"
	testStack   = "test"
)

// cloudflareV4 and cloudflareV6 are a sample of the edge's ranges.
var (
	cloudflareV4 = []string{"103.21.244.0/22", "104.16.0.0/13", "173.245.48.0/20"} // sorted, as cell.ParseIngress returns them
	cloudflareV6 = []string{"2400:cb00::/32", "2606:4700::/32"}
)

// validArgs are the dev stack's Azure cell with the edge's ranges.
func validArgs() cell.Args {
	return cell.Args{
		ID:           "azure-weu",
		Region:       "westeurope",
		CIDR:         "10.20.0.0/16",
		Image:        pulumi.String(testImage),
		Env:          pulumi.StringMap{"LOG_LEVEL": pulumi.String("debug")},
		MinInstances: 1,
		MaxInstances: 5,
		Tenants:      []string{"initech"},
		Tags:         map[string]string{"team": "platform"},
		EdgeKey:      pulumi.ToSecret(pulumi.String(testEdgeKey)).(pulumi.StringOutput),
		IngressCIDRs: pulumi.ToStringArray(append(append([]string{}, cloudflareV4...), cloudflareV6...)),
	}
}

// run is one recorded run of NewCell with an explicit Azure Native provider.
type run = celltest.Run[*Cell]

// runCell records NewCell(args) behind an explicit provider passed with
// pulumi.Provider.
func runCell(args cell.Args) *run { return runCellWith(args, false) }

// runCellWith records NewCell(args) behind an explicit provider, passed in
// a pulumi.Providers list (as the infra program does) when asList is set.
func runCellWith(args cell.Args, asList bool) *run {
	return celltest.Setup[*Cell]{
		New: NewCell, Type: ComponentType, Name: "cell", Stack: testStack, Providers: asList,
		Provider: func(ctx *pulumi.Context) (pulumi.ProviderResource, error) {
			return azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String(args.Region)})
		},
	}.Record(args)
}

// shared is one valid run, reused by the tests that only read it.
var shared = sync.OnceValue(func() *run { return runCell(validArgs()) })

// mustShared returns the shared run, failing the test if it failed.
func mustShared(t *testing.T) *run {
	t.Helper()
	r := shared()
	if r.Err != nil {
		t.Fatalf("NewCell: %v", r.Err)
	}
	return r
}

// at walks a property value by object keys (string) and array indices
// (int), looking through secrets (recorder.At). It returns a null value
// when the path is missing.
func at(v resource.PropertyValue, path ...any) resource.PropertyValue {
	return recorder.Reveal(recorder.At(v, path...))
}

// in is at over a resource's inputs.
func in(res *recorder.Resource, path ...any) resource.PropertyValue {
	return recorder.Reveal(res.Input(path...))
}

// out is at over a resource's outputs.
func out(res *recorder.Resource, path ...any) resource.PropertyValue {
	return recorder.Reveal(res.Output(path...))
}

// s is the string at path in the inputs, or "".
func s(res *recorder.Resource, path ...any) string { return recorder.String(res.Input(path...)) }

// strs is the string array v, or nil.
func strs(v resource.PropertyValue) []string { return recorder.StringList(v) }

// awaitString resolves a string output of a finished run.
var awaitString = celltest.AwaitString
