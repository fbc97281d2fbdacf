package azure

import (
	"sync"
	"testing"

	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
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
type run struct {
	rec      *recorder.Recorder
	cell     *Cell
	provider *recorder.Resource
	err      error
}

// runCell records NewCell(args) behind an explicit provider passed with
// pulumi.Provider.
func runCell(args cell.Args) run { return runCellWith(args, false) }

// runCellWith records NewCell(args) behind an explicit provider, passed in
// a pulumi.Providers list (as the infra program does) when asList is set.
func runCellWith(args cell.Args, asList bool) run {
	rec := recorder.New()
	var c *Cell
	err := rec.Run(recorder.Options{Stack: testStack}, func(ctx *pulumi.Context) error {
		p, err := azurenative.NewProvider(ctx, "azure", &azurenative.ProviderArgs{Location: pulumi.String(args.Region)})
		if err != nil {
			return err
		}
		var opt pulumi.ResourceOption = pulumi.Provider(p)
		if asList {
			opt = pulumi.Providers(p)
		}
		c, err = NewCell(ctx, "cell", args, opt)
		return err
	})
	r := run{rec: rec, cell: c, err: err}
	for _, res := range rec.Resources() {
		if res.IsProvider() {
			r.provider = res
		}
	}
	return r
}

// shared is one valid run, reused by the tests that only read it.
var shared = sync.OnceValue(func() run { return runCell(validArgs()) })

// mustShared returns the shared run, failing the test if it failed.
func mustShared(t *testing.T) run {
	t.Helper()
	r := shared()
	if r.err != nil {
		t.Fatalf("NewCell: %v", r.err)
	}
	return r
}

// one returns the only resource of typ, failing otherwise.
func one(t *testing.T, r run, typ string) *recorder.Resource {
	t.Helper()
	got := r.rec.OfType(typ)
	if len(got) != 1 {
		t.Fatalf("%d resources of %s, want 1", len(got), typ)
	}
	return got[0]
}

// byName returns the resource of typ with the logical name, failing if none.
func byName(t *testing.T, r run, typ, name string) *recorder.Resource {
	t.Helper()
	res := r.rec.Get(typ, name)
	if res == nil {
		t.Fatalf("no %s named %s", typ, name)
	}
	return res
}

// at walks a property value by object keys (string) and array indices
// (int), looking through secrets. It returns a null value when the path is
// missing.
func at(v resource.PropertyValue, path ...any) resource.PropertyValue {
	for _, p := range path {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		switch k := p.(type) {
		case string:
			if !v.IsObject() {
				return resource.NewNullProperty()
			}
			v = v.ObjectValue()[resource.PropertyKey(k)]
		case int:
			if !v.IsArray() || k >= len(v.ArrayValue()) {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[k]
		}
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// in is at over a resource's inputs.
func in(res *recorder.Resource, path ...any) resource.PropertyValue {
	return at(resource.NewObjectProperty(res.Inputs), path...)
}

// out is at over a resource's outputs.
func out(res *recorder.Resource, path ...any) resource.PropertyValue {
	return at(resource.NewObjectProperty(res.Outputs), path...)
}

// s is the string at path in the inputs, or "".
func s(res *recorder.Resource, path ...any) string {
	v := in(res, path...)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// strs is the string array at path in the inputs.
func strs(v resource.PropertyValue) []string {
	var o []string
	if !v.IsArray() {
		return nil
	}
	for _, e := range v.ArrayValue() {
		for e.IsSecret() {
			e = e.SecretValue().Element
		}
		if e.IsString() {
			o = append(o, e.StringValue())
		}
	}
	return o
}

// await resolves an output of a finished run.
func await(t *testing.T, o pulumi.Output) recorder.Awaited {
	t.Helper()
	a, err := recorder.Await(o)
	if err != nil {
		t.Fatalf("awaiting output: %v", err)
	}
	return a
}

// awaitString resolves a string output.
func awaitString(t *testing.T, o pulumi.StringOutput) string {
	t.Helper()
	a := await(t, o)
	v, _ := a.Value.(string)
	return v
}
