package program_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/infra/synth"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/stacks"
)

const (
	tWorkerScript = "cloudflare:index/workerScript:WorkerScript"
	tWorkersKv    = "cloudflare:index/workersKv:WorkersKv"
)

// kvRegistry returns the registry value the edge writes to KV, parsed the
// way a router parses it.
func kvRegistry(t *testing.T, rec *recorder.Recorder) (string, *router.Registry) {
	t.Helper()
	kv := rec.OfType(tWorkersKv)
	if len(kv) != 1 {
		t.Fatalf("%d KV values, want the registry alone", len(kv))
	}
	v := kv[0].Inputs["value"]
	if v.IsSecret() || !v.IsString() {
		t.Fatalf("KV value is %v, want a plain string", v)
	}
	reg, err := router.Parse([]byte(v.StringValue()))
	if err != nil {
		t.Fatalf("a router refuses the KV registry: %v", err)
	}
	return v.StringValue(), reg
}

// cliRegistry is what `cellfabric registry --from outputs.json --epoch N`
// prints for a stack whose `pulumi stack output --json` holds these cells
// and routing outputs.
func cliRegistry(t *testing.T, cells, routing any, epoch int64) string {
	t.Helper()
	outputs, err := json.Marshal(map[string]any{program.OutputCells: cells, program.OutputRouting: routing})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := router.ParseStackOutputs(outputs)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := router.FromStackOutputs(parsed, epoch)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(doc) + "\n"
}

// edgeKeyBinding returns the Worker's EDGE_KEY binding value.
func edgeKeyBinding(t *testing.T, rec *recorder.Recorder) resource.PropertyValue {
	t.Helper()
	scripts := rec.OfType(tWorkerScript)
	if len(scripts) != 1 {
		t.Fatalf("%d Worker scripts, want 1", len(scripts))
	}
	for _, b := range scripts[0].Inputs["secretTextBindings"].ArrayValue() {
		obj := b.ObjectValue()
		if obj["name"].StringValue() == "EDGE_KEY" {
			return obj["text"]
		}
	}
	t.Fatal("the Worker has no EDGE_KEY secret binding")
	return resource.PropertyValue{}
}

// TestEdgeRegistryIsTheCLIRegistry: in the dev stack (role all) the
// registry in KV is exactly what `cellfabric registry` builds from the
// stack's own `cells` and `routing` outputs with the same epoch, and the
// stack exports it as `registry`.
func TestEdgeRegistryIsTheCLIRegistry(t *testing.T) {
	t.Parallel()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := synth.Synthesize(sf, program.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := dev(t)
	value, reg := kvRegistry(t, rec)
	if got := plan.Outputs[program.OutputRegistry]; got != value {
		t.Fatalf("the registry output differs from the KV value:\n%v\n---\n%s", got, value)
	}
	if want := cliRegistry(t, plan.Outputs[program.OutputCells], plan.Outputs[program.OutputRouting], reg.Epoch); want != value {
		t.Fatalf("KV registry:\n%s\nwhat the CLI builds:\n%s", value, want)
	}
	if len(reg.Cells) != 4 || len(reg.Tenants) != 7 || len(reg.SharedRoutes) != 1 {
		t.Fatalf("registry has %d cells, %d tenants, %d shared routes; the dev stack has 4, 7, 1", len(reg.Cells), len(reg.Tenants), len(reg.SharedRoutes))
	}
}

// TestEdgeKeyIsTheCellsKey: the Worker signs with the same generated key
// every cell's secret store holds, and it reaches the Worker only as a
// secret.
func TestEdgeKeyIsTheCellsKey(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	pw := rec.Get("random:index/randomPassword:RandomPassword", "edge-signing-key")
	if pw == nil {
		t.Fatal("no generated edge signing key")
	}
	key := pw.Outputs["result"].SecretValue().Element.StringValue()
	b := edgeKeyBinding(t, rec)
	if !b.IsSecret() {
		t.Fatal("the Worker's EDGE_KEY binding is not secret")
	}
	if got := b.SecretValue().Element.StringValue(); got != key {
		t.Fatal("the Worker does not sign with the key the cells hold")
	}
}

// TestEdgeRole: an edge stack reads the cells from the four cell stacks
// through StackReferences and builds the same edge as the dev stack: the
// registry `cellfabric registry` builds from those stacks' outputs and the
// same routes, records, pools and monitors, with the edge key from its
// secret config. It builds no cell and generates no edge key (only the
// control key, which its config does not set).
func TestEdgeRole(t *testing.T) {
	t.Parallel()
	var outs map[string]map[string]any
	rec, err := splitRun(t, stacks.RoleEdge, func(_ *stacks.StackFile, o map[string]map[string]any) { outs = o })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.OfType("pulumi:pulumi:StackReference")); n != 4 {
		t.Fatalf("%d stack references, want one per cell stack", n)
	}
	for _, r := range rec.Resources() {
		if strings.HasSuffix(r.Type, ":Cell") || (strings.HasPrefix(r.Type, "random:") && r.Name != "control-key") {
			t.Fatalf("the edge stack built %s %s", r.Type, r.Name)
		}
	}
	if rec.Get("random:index/randomPassword:RandomPassword", "control-key") == nil {
		t.Fatal("the edge stack without cellfabric:controlKey generated no control key")
	}
	// The registry is built from the cell stacks' outputs, merged, exactly
	// as `cellfabric registry` builds it from them.
	merged := map[string]any{}
	var routing any
	for _, o := range outs {
		for id, c := range o[program.OutputCells].(map[string]any) {
			merged[id] = c
		}
		routing = o[program.OutputRouting]
	}
	value, reg := kvRegistry(t, rec)
	if want := cliRegistry(t, merged, routing, reg.Epoch); want != value {
		t.Fatalf("the edge stack's registry:\n%s\nwhat the CLI builds from the cell stacks:\n%s", value, want)
	}
	if len(reg.Cells) != 4 || len(reg.Tenants) != 7 {
		t.Fatalf("registry has %d cells and %d tenants, want 4 and 7", len(reg.Cells), len(reg.Tenants))
	}
	all := dev(t)
	for _, typ := range []string{
		"cloudflare:index/workerRoute:WorkerRoute", "cloudflare:index/record:Record",
		"cloudflare:index/loadBalancerPool:LoadBalancerPool", "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor",
		"cloudflare:index/loadBalancer:LoadBalancer", "cloudflare:index/workerCronTrigger:WorkerCronTrigger",
	} {
		var want int
		for _, r := range all.OfType(typ) {
			if all.Component(r).Type == "cellfabric:edge:Edge" {
				want++
			}
		}
		if got := len(rec.OfType(typ)); got != want || want == 0 {
			t.Errorf("%s: %d in the edge stack, %d under the dev stack's edge", typ, got, want)
		}
	}
	b := edgeKeyBinding(t, rec)
	if !b.IsSecret() || b.SecretValue().Element.StringValue() != "shared-edge-key-0123456789abcdef" {
		t.Errorf("EDGE_KEY is %v, want the configured key as a secret", b)
	}
}

// TestEdgeRoleMissingCellStack: a cell that no cell stack exports fails the
// edge stack with the cell named.
func TestEdgeRoleMissingCellStack(t *testing.T) {
	t.Parallel()
	_, err := splitRun(t, stacks.RoleEdge, func(_ *stacks.StackFile, outs map[string]map[string]any) {
		delete(outs["acme/cellfabric/cell-azure-weu"], program.OutputCells)
	})
	if err == nil || !strings.Contains(err.Error(), `no cell stack exports "cells" for cell(s) azure-weu`) {
		t.Fatalf("err = %v", err)
	}
}

// TestEdgeRoleNeedsSharedKey: an edge stack without the shared key in its
// secret config registers nothing and says how to set it.
func TestEdgeRoleNeedsSharedKey(t *testing.T) {
	t.Parallel()
	rec, err := splitRun(t, stacks.RoleEdge, func(sf *stacks.StackFile, _ map[string]map[string]any) {
		delete(sf.Config, "cellfabric:edgeSigningKey")
	})
	if err == nil || !strings.Contains(err.Error(), "pulumi config set --secret cellfabric:edgeSigningKey") {
		t.Fatalf("err = %v", err)
	}
	if n := len(rec.OfType(tWorkerScript)); n != 0 {
		t.Fatalf("%d Worker scripts registered without a key", n)
	}
}

// TestEdgeDisabled: edge.disabled builds cells and no Cloudflare edge.
func TestEdgeDisabled(t *testing.T) {
	t.Parallel()
	rec, err := runStack("../../Pulumi.dev.yaml", func(sf *stacks.StackFile) {
		var e map[string]any
		if err := json.Unmarshal([]byte(sf.Config["cellfabric:edge"]), &e); err != nil {
			t.Fatal(err)
		}
		e["disabled"] = true
		b, _ := json.Marshal(e)
		sf.Config["cellfabric:edge"] = string(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Resources() {
		if r.Type == "cellfabric:edge:Edge" || r.Type == tWorkerScript || r.Type == tWorkersKv {
			t.Fatalf("edge disabled, yet %s %s registered", r.Type, r.Name)
		}
	}
	if len(rec.OfType("cellfabric:aws:Cell")) != 1 {
		t.Fatal("edge disabled removed the cells too")
	}
}

// TestDefaultWorkerReadsPrebuiltBundle: with CELLFABRIC_WORKER_BUNDLE set,
// the program uploads that bundle; a directory without one is an error that
// names the variable.
func TestDefaultWorkerReadsPrebuiltBundle(t *testing.T) {
	dir := t.TempDir()
	want := bundle.Bundle{Script: "// prebuilt\n", Wasm: []byte("\x00asm\x01\x00\x00\x00prebuilt")}
	if err := want.Write(dir); err != nil {
		t.Fatal(err)
	}
	t.Setenv(program.EnvWorkerBundle, dir)
	got, err := program.DefaultWorker()
	if err != nil {
		t.Fatal(err)
	}
	if got.Script != want.Script || string(got.Wasm) != string(want.Wasm) {
		t.Fatalf("DefaultWorker read %q / %q", got.Script, got.Wasm)
	}
	t.Setenv(program.EnvWorkerBundle, t.TempDir())
	if _, err := program.DefaultWorker(); err == nil || !strings.Contains(err.Error(), program.EnvWorkerBundle) {
		t.Fatalf("empty bundle dir: err = %v", err)
	}
}

// TestShortSigningKeyRefused: a configured edge key shorter than the cells
// accept fails before anything is registered, saying how to make one.
func TestShortSigningKeyRefused(t *testing.T) {
	t.Parallel()
	rec, err := splitRun(t, stacks.RoleEdge, func(sf *stacks.StackFile, _ map[string]map[string]any) {
		sf.Config["cellfabric:edgeSigningKey"] = "short"
	})
	if err == nil || !strings.Contains(err.Error(), "is 5 bytes") || !strings.Contains(err.Error(), "openssl rand -hex 32") {
		t.Fatalf("err = %v", err)
	}
	if n := len(rec.Resources()); n > 1 {
		t.Fatalf("%d resources registered with a short key", n)
	}
}
