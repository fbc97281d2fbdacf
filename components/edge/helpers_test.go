package edge

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Resource types the edge registers.
const (
	tComponent = ComponentType
	tNamespace = "cloudflare:index/workersKvNamespace:WorkersKvNamespace"
	tKV        = "cloudflare:index/workersKv:WorkersKv"
	tScript    = "cloudflare:index/workerScript:WorkerScript"
	tCron      = "cloudflare:index/workerCronTrigger:WorkerCronTrigger"
	tRoute     = "cloudflare:index/workerRoute:WorkerRoute"
	tRecord    = "cloudflare:index/record:Record"
	tMonitor   = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
	tPool      = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
	tLB        = "cloudflare:index/loadBalancer:LoadBalancer"
	tAOPCert   = "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate"
	tAOP       = "cloudflare:index/authenticatedOriginPulls:AuthenticatedOriginPulls"
	tStatic    = "time:index/static:Static"
	tProvider  = "pulumi:providers:cloudflare"
)

const (
	testName    = "edge"
	testAccount = "0123456789abcdef0123456789abcdef"
	testZone    = "fedcba9876543210fedcba9876543210"
	testDomain  = "cellfabric.example.com"
	// testKey is the edge key the tests pass in plain text: New must make
	// it secret everywhere.
	testKey = "k3y-ThatMustNeverAppearInPlainText-0123456789"
	// testControlKey is the control key, passed in plain text too.
	testControlKey = "c0ntrol-KeyThatMustNeverAppearInPlainText-987"
	testScript     = "addEventListener('fetch', e => e.respondWith(route(e.request)))"
	testCfgJSON    = `{"tenantModes":["host"],"hostPattern":"{tenant}.cellfabric.example.com","cacheSeconds":30}`
)

// testWasm is a minimal wasm module (magic and version), base64-encoded.
var testWasm = base64.StdEncoding.EncodeToString([]byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00})

var devTenants = []string{"acme", "globex", "hooli", "initech", "umbrella", "stark", "wayne"}

// devOutputsJSON is testdata/dev-outputs.json: what `pulumi stack output
// --json` prints for a dev-like stack of four cells and seven tenants.
var devOutputsJSON = sync.OnceValue(func() []byte {
	data, err := os.ReadFile("testdata/dev-outputs.json")
	if err != nil {
		panic(err)
	}
	return data
})

// devPlain is the fixture decoded as plain values, as a StackReference's
// GetOutput would hold them (numbers are float64).
func devPlain() (cells, routing map[string]any) {
	var doc map[string]map[string]any
	if err := json.Unmarshal(devOutputsJSON(), &doc); err != nil {
		panic(err)
	}
	return doc["cells"], doc["routing"]
}

// devOutputs is the fixture as the router reads it.
func devOutputs() router.StackOutputs {
	out, err := router.ParseStackOutputs(devOutputsJSON())
	if err != nil {
		panic(err)
	}
	return out
}

// devRouting is the fixture's routing as Routing builds it from a topology:
// each cell with its cloud and region too.
func devRouting() router.Routing {
	out := devOutputs()
	r := out.Routing
	cells := map[string]router.Cell{}
	for id, co := range out.Cells {
		c := r.Cells[id]
		if _, ok := r.Cells[id]; !ok {
			c = router.Cell{Weight: router.DefaultCellWeight, State: fabric.CellActive}
		}
		c.ID, c.Cloud, c.Region = id, co.Cloud, co.Region
		cells[id] = c
	}
	r.Cells = cells
	return r
}

// cellsOutput is the cells' outputs as cell.ResolveCells gives them.
func cellsOutput(m map[string]router.CellOutputs) cell.CellsOutput {
	return pulumi.Int(0).ToIntOutput().ApplyT(func(int) map[string]router.CellOutputs { return m }).(cell.CellsOutput)
}

// devArgs are Args for the dev fixture.
func devArgs() Args {
	return Args{
		AccountID:    testAccount,
		ZoneID:       testZone,
		Domain:       testDomain,
		TenantHost:   "{tenant}." + testDomain,
		SharedHost:   "api." + testDomain,
		Routing:      devRouting(),
		CellOutputs:  cellsOutput(devOutputs().Cells),
		Steering:     "geo",
		WorkerScript: pulumi.String(testScript),
		WorkerWasm:   pulumi.String(testWasm),
		WorkerConfig: pulumi.String(testCfgJSON),
		EdgeKey:      pulumi.String(testKey),
		EdgeKeyID:    "k1",
		ControlKey:   pulumi.String(testControlKey),
		HealthCron:   "* * * * *",
	}
}

// run records one program that makes a Cloudflare provider and the edge
// with args (edited by edit, when given). It returns the recorder, the edge
// and the program's error.
func run(edit func(*Args)) (*recorder.Recorder, *Edge, error) {
	args := devArgs()
	if edit != nil {
		edit(&args)
	}
	rec := recorder.New()
	var e *Edge
	err := rec.Run(recorder.Options{Stack: "dev"}, func(ctx *pulumi.Context) error {
		cf, err := cloudflare.NewProvider(ctx, "cloudflare", &cloudflare.ProviderArgs{})
		if err != nil {
			return err
		}
		e, err = New(ctx, testName, args, pulumi.Providers(cf))
		return err
	})
	return rec, e, err
}

// mustRun is run that fails the test on an error.
func mustRun(t testing.TB, edit func(*Args)) (*recorder.Recorder, *Edge) {
	t.Helper()
	rec, e, err := run(edit)
	if err != nil {
		t.Fatalf("recorded run: %v", err)
	}
	return rec, e
}

// devRun is the shared recorded run of the dev args (deterministic, so the
// tests that only read it share it).
var devRun = sync.OnceValues(func() (*recorder.Recorder, error) {
	rec, _, err := run(nil)
	return rec, err
})

func dev(t *testing.T) *recorder.Recorder {
	t.Helper()
	rec, err := devRun()
	if err != nil {
		t.Fatalf("dev run: %v", err)
	}
	return rec
}

// get returns the resource of type typ and logical name, failing the test
// when there is none.
func get(t *testing.T, rec *recorder.Recorder, typ, name string) *recorder.Resource {
	t.Helper()
	r := rec.Get(typ, name)
	if r == nil {
		t.Fatalf("no %s named %s", typ, name)
	}
	return r
}

// plain unwraps a secret and returns the value.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// strIn returns a string input (secret or not) of r.
func strIn(r *recorder.Resource, key string) string {
	v := plain(r.Inputs[resource.PropertyKey(key)])
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// strs returns a string-array input of r.
func strs(v resource.PropertyValue) []string {
	v = plain(v)
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, plain(e).StringValue())
	}
	return out
}

// objects returns an array-of-objects input of r.
func objects(r *recorder.Resource, key string) []resource.PropertyMap {
	v := plain(r.Inputs[resource.PropertyKey(key)])
	if !v.IsArray() {
		return nil
	}
	var out []resource.PropertyMap
	for _, e := range v.ArrayValue() {
		if e = plain(e); e.IsObject() {
			out = append(out, e.ObjectValue())
		}
	}
	return out
}

// keepTenants keeps only the named tenants of a's routing.
func keepTenants(a *Args, ids ...string) {
	var kept []router.Tenant
	for _, t := range a.Routing.Tenants {
		if slices.Contains(ids, t.ID) {
			kept = append(kept, t)
		}
	}
	a.Routing.Tenants = kept
}

// editOutputs changes one cell's outputs in a.
func editOutputs(a *Args, id string, edit func(*router.CellOutputs)) {
	cells := devOutputs().Cells
	c := cells[id]
	edit(&c)
	cells[id] = c
	a.CellOutputs = cellsOutput(cells)
}
