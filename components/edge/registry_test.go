package edge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router"
)

// cliRegistry is what `cellfabric registry --from outputs.json --epoch N`
// prints: the same parse, build and encoding as cmd/cellfabric/registry.go.
func cliRegistry(t *testing.T, outputs []byte, epoch int64) []byte {
	t.Helper()
	out, err := router.ParseStackOutputs(outputs)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := router.FromStackOutputs(out, epoch)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(doc, '\n')
}

// decode reads a registry document the way a router does.
func decode(t *testing.T, doc []byte) *router.Registry {
	t.Helper()
	reg, err := router.Parse(doc)
	if err != nil {
		t.Fatalf("a router refuses the document: %v\n%s", err, doc)
	}
	return reg
}

// TestKVValueIsTheCLIRegistry: the value written to KV is, byte for byte and
// once decoded, what `cellfabric registry` builds from the same outputs with
// the same epoch; and it is the golden dev registry.
func TestKVValueIsTheCLIRegistry(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	kv := get(t, rec, tKV, testName+"-registry")
	if got := strIn(kv, "key"); got != KeyRegistry {
		t.Errorf("kv key = %q, want %q", got, KeyRegistry)
	}
	value := []byte(strIn(kv, "value"))
	static := get(t, rec, tStatic, testName+"-registry-epoch")
	epoch := int64(static.Outputs["unix"].NumberValue())
	if epoch <= 0 {
		t.Fatalf("epoch %d", epoch)
	}
	want := cliRegistry(t, devOutputsJSON(), epoch)
	if !bytes.Equal(value, want) {
		t.Errorf("kv value differs from `cellfabric registry`:\n got %s\nwant %s", value, want)
	}
	if got, w := decode(t, value), decode(t, want); !reflect.DeepEqual(got, w) {
		t.Errorf("decoded kv registry differs:\n got %+v\nwant %+v", got, w)
	}
	reg := decode(t, value)
	if reg.Epoch != epoch || len(reg.Cells) != 4 || len(reg.Tenants) != 7 || len(reg.SharedRoutes) != 1 {
		t.Errorf("registry: epoch %d, %d cells, %d tenants, %d shared routes", reg.Epoch, len(reg.Cells), len(reg.Tenants), len(reg.SharedRoutes))
	}
	testkit.Golden(t, filepath.Join("testdata", "dev-registry.golden.json"), value)
}

// TestRegistryJSONFromEveryInputForm: the document is the same whether the
// cells' outputs come from cells in the same program (cell.ResolveCells
// over their typed outputs), from one StackReference (plain values, as
// GetOutput holds them) or from one StackReference per cell stack merged
// (cell.DecodeCells).
func TestRegistryJSONFromEveryInputForm(t *testing.T) {
	t.Parallel()
	const epoch = 1767225600
	plainCells, _ := devPlain()
	typed := map[string]cell.Outputs{}
	for id, co := range devOutputs().Cells {
		s := func(v string) pulumi.StringOutput { return pulumi.String(v).ToStringOutput() }
		typed[id] = cell.Outputs{ID: s(co.ID), Cloud: s(string(co.Cloud)), Region: s(co.Region), Endpoint: s(co.Endpoint), HealthURL: s(co.HealthURL),
			NetworkID: s(co.NetworkID), CIDR: s(co.CIDR), StateStoreID: s(co.StateStoreID), WorkloadIdentity: s(co.WorkloadIdentity)}
	}
	perStack := []pulumi.MapInput{}
	for id, co := range plainCells {
		perStack = append(perStack, pulumi.Any(map[string]any{id: co}).AsMapOutput())
	}
	tests := []struct {
		name  string
		cells func() cell.CellsOutput
	}{
		{"in-program outputs", func() cell.CellsOutput { return cell.ResolveCells(typed) }},
		{"stack reference values in a Map", func() cell.CellsOutput { return cell.DecodeCells(pulumi.ToMap(plainCells)) }},
		{"stack reference AnyOutput", func() cell.CellsOutput { return cell.DecodeCells(pulumi.Any(plainCells).AsMapOutput()) }},
		{"one stack reference per cell stack", func() cell.CellsOutput { return cell.DecodeCells(perStack...) }},
	}
	want := cliRegistry(t, devOutputsJSON(), epoch)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out pulumi.StringOutput
			err := recorder.New().Run(recorder.Options{}, func(ctx *pulumi.Context) error {
				out = RegistryJSON(tt.cells(), devRouting(), pulumi.Int(epoch))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := recorder.Await(out)
			if err != nil {
				t.Fatal(err)
			}
			if got.Value.(string) != string(want) {
				t.Errorf("registry differs from `cellfabric registry`:\n got %s\nwant %s", got.Value, want)
			}
		})
	}
}

// TestRegistryJSONRefusesBadOutputs: outputs the router would refuse fail
// the deployment, naming the problem's path in the outputs.
func TestRegistryJSONRefusesBadOutputs(t *testing.T) {
	t.Parallel()
	routing := devRouting()
	routing.Tenants = append(routing.Tenants, router.Tenant{ID: "ghost", Cell: "nowhere"})
	var out pulumi.StringOutput
	err := recorder.New().Run(recorder.Options{}, func(ctx *pulumi.Context) error {
		out = RegistryJSON(cellsOutput(devOutputs().Cells), routing, pulumi.Int(7))
		return nil
	})
	if err == nil {
		_, err = recorder.Await(out)
	}
	if err == nil || !strings.Contains(err.Error(), "routing.tenants[7].cell") {
		t.Fatalf("err = %v, want the bad tenant's path", err)
	}
}

// TestEpochFollowsContent: the epoch's trigger is the hash of the registry
// without its epoch, so it is the same for the same content (outputs the
// registry does not read included) and differs when routing changes.
func TestEpochFollowsContent(t *testing.T) {
	t.Parallel()
	trigger := func(rec *recorder.Recorder) string {
		st := get(t, rec, tStatic, testName+"-registry-epoch")
		return plain(st.Inputs["triggers"]).ObjectValue()[TriggerRegistry].StringValue()
	}
	base := trigger(dev(t))
	doc := cliRegistry(t, devOutputsJSON(), contentEpoch)
	sum := sha256.Sum256(doc)
	if base != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("trigger %s is not the hash of the epoch-%d registry", base, contentEpoch)
	}
	tests := []struct {
		name string
		edit func(cells map[string]router.CellOutputs, routing *router.Routing)
		same bool
	}{
		{"unchanged", func(map[string]router.CellOutputs, *router.Routing) {}, true},
		{"an output the registry ignores", func(c map[string]router.CellOutputs, _ *router.Routing) {
			co := c["aws-use1"]
			co.NetworkID = "vpc-other"
			c["aws-use1"] = co
		}, true},
		{"a cell weight", func(_ map[string]router.CellOutputs, r *router.Routing) {
			rc := r.Cells["gcp-usc1"]
			rc.Weight = 60
			r.Cells["gcp-usc1"] = rc
		}, false},
		{"a tenant moved", func(_ map[string]router.CellOutputs, r *router.Routing) {
			r.Tenants[0].Cell = "azure-weu"
		}, false},
		{"an endpoint", func(c map[string]router.CellOutputs, _ *router.Routing) {
			co := c["gcp-euw1"]
			co.Endpoint = "https://gcp-euw1-b.cells.cellfabric.example.com"
			c["gcp-euw1"] = co
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, _ := mustRun(t, func(a *Args) {
				cells, routing := devOutputs().Cells, devRouting()
				tt.edit(cells, &routing)
				a.CellOutputs, a.Routing = cellsOutput(cells), routing
			})
			if got := trigger(rec); (got == base) != tt.same {
				t.Errorf("trigger %s vs base %s: same = %v, want %v", got, base, got == base, tt.same)
			}
			// The KV value carries the epoch the time.Static answered.
			st := get(t, rec, tStatic, testName+"-registry-epoch")
			reg := decode(t, []byte(strIn(get(t, rec, tKV, testName+"-registry"), "value")))
			if reg.Epoch != int64(st.Outputs["unix"].NumberValue()) {
				t.Errorf("registry epoch %d, time.Static unix %v", reg.Epoch, st.Outputs["unix"])
			}
		})
	}
}
