package program_test

import (
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/stacks"
)

// devRun is one recorded run of the program on the dev stack, shared by the
// invariant tests (the run is deterministic, so sharing loses nothing).
var devRun = sync.OnceValues(func() (*recorder.Recorder, error) {
	return runStack("../../Pulumi.dev.yaml", nil)
})

// runProgram is the program as `pulumi up` runs it, but with the
// placeholder Worker: the tests do not compile the router to wasm.
func runProgram(ctx *pulumi.Context) error {
	_, err := program.RunWith(ctx, program.Options{Worker: program.PlaceholderWorker})
	return err
}

func runStack(path string, edit func(*stacks.StackFile)) (*recorder.Recorder, error) {
	sf, err := stacks.ReadStackFile(path)
	if err != nil {
		return nil, err
	}
	if edit != nil {
		edit(sf)
	}
	rec := recorder.New()
	err = rec.Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config, SecretKeys: sf.Secrets}, runProgram)
	return rec, err
}

func dev(t *testing.T) *recorder.Recorder {
	t.Helper()
	rec, err := devRun()
	if err != nil {
		t.Fatalf("dev stack: %v", err)
	}
	return rec
}

// TestEveryResourceUnderAComponent: the parent chain of every resource other
// than a provider reaches a cellfabric component.
func TestEveryResourceUnderAComponent(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	for _, r := range rec.Resources() {
		if r.IsProvider() {
			continue
		}
		if !r.Custom {
			if !strings.HasPrefix(r.Type, "cellfabric:") {
				t.Errorf("component %s %s is not a cellfabric component", r.Type, r.Name)
			}
			continue
		}
		if rec.Component(r) == nil {
			t.Errorf("%s %s hangs off the stack, outside every component", r.Type, r.Name)
		}
	}
}

// TestEveryCellBuiltWithItsParts is the acceptance list: for each
// cloud, network, compute, state store, identity, secret and log resources
// under the cell component.
func TestEveryCellBuiltWithItsParts(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	parts := map[string]map[string][]string{
		"aws": {
			"network":  {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"},
			"compute":  {"aws:ecs/service:Service", "aws:lb/loadBalancer:LoadBalancer"},
			"state":    {"aws:dynamodb/table:Table"},
			"identity": {"aws:iam/role:Role"},
			"secret":   {"aws:secretsmanager/secret:Secret"},
			"logs":     {"aws:cloudwatch/logGroup:LogGroup"},
		},
		"azure": {
			"network":  {"azure-native:network:VirtualNetwork", "azure-native:network:Subnet"},
			"compute":  {"azure-native:app/v20240301:ContainerApp"},
			"state":    {"azure-native:storage:Table"},
			"identity": {"azure-native:managedidentity:UserAssignedIdentity"},
			"secret":   {"azure-native:keyvault:Secret"},
			"logs":     {"azure-native:operationalinsights:Workspace"},
		},
		"gcp": {
			"network":  {"gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork"},
			"compute":  {"gcp:cloudrunv2/service:Service"},
			"state":    {"gcp:firestore/database:Database"},
			"identity": {"gcp:serviceaccount/account:Account"},
			"secret":   {"gcp:secretmanager/secret:Secret"},
			"logs":     {"gcp:logging/projectBucketConfig:ProjectBucketConfig"},
		},
	}
	topo, err := stacks.LoadFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range topo.Cells {
		comp := rec.Get("cellfabric:"+string(c.Cloud)+":Cell", c.ID)
		if comp == nil {
			t.Errorf("cell %s: no cellfabric:%s:Cell component", c.ID, c.Cloud)
			continue
		}
		have := map[string]bool{}
		for _, r := range rec.Descendants(comp.URN) {
			have[r.Type] = true
		}
		for part, types := range parts[string(c.Cloud)] {
			for _, typ := range types {
				if !have[typ] {
					t.Errorf("cell %s: no %s resource (%s) under the cell", c.ID, part, typ)
				}
			}
		}
	}
}

// TestTagsCarryTheCell: every resource that takes tags or labels carries the
// three cellfabric tags, naming its own cell and cloud and the stack.
func TestTagsCarryTheCell(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	tagged := 0
	for _, r := range rec.Resources() {
		comp := rec.Component(r)
		if comp == nil || !strings.HasSuffix(comp.Type, ":Cell") || r.IsProvider() {
			continue
		}
		for _, key := range []resource.PropertyKey{"tags", "labels"} {
			v, ok := r.Inputs[key]
			if !ok || !v.IsObject() {
				continue
			}
			tagged++
			tags := v.ObjectValue()
			cloud := strings.Split(comp.Type, ":")[1]
			want := map[string]string{cell.TagCell: comp.Name, cell.TagCloud: cloud, cell.TagStack: "dev", "env": "dev", "team": "platform"}
			for k, w := range want {
				if got := tags[resource.PropertyKey(k)]; !got.IsString() || got.StringValue() != w {
					t.Errorf("%s %s: %s %s = %v, want %q", r.Type, r.Name, key, k, got, w)
				}
			}
		}
	}
	if tagged < 40 {
		t.Fatalf("only %d tagged resources in the dev stack", tagged)
	}
}

// TestNoOpenIngress: no rule anywhere lets the whole internet in. An
// all-addresses block may appear only in egress rules and routes.
func TestNoOpenIngress(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	for _, r := range rec.Resources() {
		if isEgressOrRoute(r) {
			continue
		}
		walkStrings(r.Inputs, "", func(path, s string) {
			if isEgressPath(path) {
				return
			}
			switch s {
			case "0.0.0.0/0", "::/0":
				t.Errorf("%s %s: %s = %s outside an egress rule or route", r.Type, r.Name, path, s)
			case "*", "Internet", "Any":
				lp := strings.ToLower(path)
				if strings.Contains(lp, "sourceaddressprefix") || strings.Contains(lp, "srciprange") || strings.Contains(lp, "sourcerange") {
					t.Errorf("%s %s: %s = %q opens ingress to everyone", r.Type, r.Name, path, s)
				}
			}
		})
	}
}

func isEgressOrRoute(r *recorder.Resource) bool {
	t := strings.ToLower(r.Type)
	if strings.Contains(t, "route") || strings.Contains(t, "egress") {
		return true
	}
	if d := r.Inputs["direction"]; d.IsString() && (d.StringValue() == "EGRESS" || d.StringValue() == "Outbound") {
		return true
	}
	if ty := r.Inputs["type"]; ty.IsString() && ty.StringValue() == "egress" {
		return true
	}
	return false
}

// isEgressPath reports whether an input path lies inside an egress rule: an
// "egress" list (AWS security groups), an outbound NSG rule is handled by
// walkStrings' direction check.
func isEgressPath(path string) bool {
	return strings.Contains(strings.ToLower(path), "egress")
}

// walkStrings calls fn for every string leaf, with its dotted path. Inside an
// object whose "direction" is outbound (an Azure NSG rule), it does not
// descend.
func walkStrings(m resource.PropertyMap, prefix string, fn func(path, s string)) {
	for k, v := range m {
		walkValue(v, join(prefix, string(k)), fn)
	}
}

func walkValue(v resource.PropertyValue, path string, fn func(path, s string)) {
	switch {
	case v.IsSecret():
		walkValue(v.SecretValue().Element, path, fn)
	case v.IsString():
		fn(path, v.StringValue())
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			walkValue(e, path+"[]", fn)
		}
	case v.IsObject():
		obj := v.ObjectValue()
		if d := obj["direction"]; d.IsString() && (d.StringValue() == "Outbound" || d.StringValue() == "EGRESS") {
			return
		}
		// A rule that denies (Cloud Armor's mandatory default rule, a deny
		// NSG rule) opens nothing, whatever it matches.
		for _, k := range []resource.PropertyKey{"action", "access"} {
			if a := obj[k]; a.IsString() && strings.HasPrefix(strings.ToLower(a.StringValue()), "deny") {
				return
			}
		}
		walkStrings(obj, path, fn)
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// TestSecretsStaySecret: the generated edge key appears in no recorded input
// or output except as a secret value, and every input that carries key
// material is marked secret.
func TestSecretsStaySecret(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	var secrets []string
	for _, r := range rec.OfType("random:index/randomPassword:RandomPassword") {
		v := r.Outputs["result"]
		if !v.IsSecret() {
			t.Fatalf("%s result is not secret", r.Name)
		}
		secrets = append(secrets, v.SecretValue().Element.StringValue())
	}
	if len(secrets) == 0 {
		t.Fatal("no generated secrets in the dev stack")
	}
	plainLeak := func(r *recorder.Resource, where string, m resource.PropertyMap) {
		walkPlain(m, "", func(path, s string) {
			for _, sec := range secrets {
				if strings.Contains(s, sec) {
					t.Errorf("%s %s: %s %s carries a secret in plain text", r.Type, r.Name, where, path)
				}
			}
		})
	}
	carriers := 0
	for _, r := range rec.Resources() {
		plainLeak(r, "input", r.Inputs)
		plainLeak(r, "output", r.Outputs)
		walkSecret(r.Inputs, func(s string) {
			for _, sec := range secrets {
				if strings.Contains(s, sec) {
					carriers++
				}
			}
		})
	}
	// The edge key reaches one secret-store entry per cell.
	if carriers < 4 {
		t.Fatalf("the edge key reached only %d secret inputs; want one per cell", carriers)
	}
}

// walkPlain visits string leaves that are not under a secret, with their
// paths.
func walkPlain(m resource.PropertyMap, prefix string, fn func(path, s string)) {
	recorder.Strings(resource.NewObjectProperty(m), prefix, func(path, s string, secret bool) {
		if !secret {
			fn(path, s)
		}
	})
}

// walkSecret visits string leaves under a secret.
func walkSecret(m resource.PropertyMap, fn func(s string)) {
	recorder.Strings(resource.NewObjectProperty(m), "", func(_, s string, secret bool) {
		if secret {
			fn(s)
		}
	})
}

// TestCellNetworksDoNotOverlap: the address blocks the cells' networks were
// given (VPC, VNet, subnetworks) never overlap between two cells.
func TestCellNetworksDoNotOverlap(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	type block struct {
		cell string
		pfx  netip.Prefix
	}
	var blocks []block
	for _, r := range rec.Resources() {
		comp := rec.Component(r)
		if comp == nil || !strings.HasSuffix(comp.Type, ":Cell") {
			continue
		}
		var cidrs []string
		for _, k := range []resource.PropertyKey{"cidrBlock", "ipCidrRange"} {
			if v := r.Inputs[k]; v.IsString() {
				cidrs = append(cidrs, v.StringValue())
			}
		}
		if as := r.Inputs["addressSpace"]; as.IsObject() {
			if ps := as.ObjectValue()["addressPrefixes"]; ps.IsArray() {
				for _, p := range ps.ArrayValue() {
					cidrs = append(cidrs, p.StringValue())
				}
			}
		}
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				t.Fatalf("%s %s: %q: %v", r.Type, r.Name, c, err)
			}
			blocks = append(blocks, block{comp.Name, p})
		}
	}
	cells := map[string]bool{}
	for i, a := range blocks {
		cells[a.cell] = true
		for _, b := range blocks[i+1:] {
			if a.cell != b.cell && a.pfx.Overlaps(b.pfx) {
				t.Errorf("cell %s block %s overlaps cell %s block %s", a.cell, a.pfx, b.cell, b.pfx)
			}
		}
	}
	if len(cells) != 4 {
		t.Fatalf("found network blocks for %d cells, want 4", len(cells))
	}
}

// TestCellsOutputIsTheContract: the `cells` export holds every dev cell with
// every contract field set.
func TestCellsOutputIsTheContract(t *testing.T) {
	t.Parallel()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var exports pulumi.Map
	err = recorder.New().Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config}, func(ctx *pulumi.Context) error {
		var err error
		exports, err = program.RunWith(ctx, program.Options{Worker: program.PlaceholderWorker})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	aw, err := recorder.Await(exports[program.OutputCells].(pulumi.Map).ToMapOutput())
	if err != nil {
		t.Fatal(err)
	}
	if aw.Secret {
		t.Fatal("the cells output is secret; the registry is built from it and it must stay public")
	}
	cells := aw.Value.(map[string]any)
	if len(cells) != 4 {
		t.Fatalf("%d cells exported, want 4", len(cells))
	}
	for id, v := range cells {
		m := v.(map[string]any)
		for _, k := range []string{"id", "cloud", "region", "endpoint", "healthUrl",
			"networkId", "cidr", "stateStoreId", "workloadIdentity"} {
			if s, _ := m[k].(string); s == "" {
				t.Errorf("cells.%s.%s is empty", id, k)
			}
		}
		if m["id"] != id {
			t.Errorf("cells.%s.id = %v", id, m["id"])
		}
	}
}

// TestBadStackRegistersNothing: a stack that fails validation fails before a
// single resource is registered, naming every problem.
func TestBadStackRegistersNothing(t *testing.T) {
	t.Parallel()
	rec, err := runStack("../../Pulumi.dev.yaml", func(sf *stacks.StackFile) {
		sf.Config["cellfabric:tenants"] = `[{"id":"acme","cell":"nowhere"},{"id":"acme","cell":"aws-use1"}]`
		sf.Config["cellfabric:network"] = `{"ikeVersion":3}`
	})
	if err == nil {
		t.Fatal("bad stack ran")
	}
	for _, want := range []string{`tenants[0].cell: primary cell "nowhere"`, `tenants[1].id: duplicate id "acme"`, "network.ikeVersion"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if n := len(rec.Resources()); n != 0 {
		t.Fatalf("%d resources registered", n)
	}
}

// TestRoleCellBuildsOneCell: a cell stack builds its one cell and needs the
// shared edge key as secret config.
func TestRoleCellBuildsOneCell(t *testing.T) {
	t.Parallel()
	setRole := func(sf *stacks.StackFile) {
		sf.Config["cellfabric:role"] = "cell"
		sf.Config["cellfabric:cell"] = "azure-weu"
	}
	if _, err := runStack("../../Pulumi.dev.yaml", setRole); err == nil || !strings.Contains(err.Error(), "pulumi config set --secret cellfabric:edgeSigningKey") {
		t.Fatalf("role cell without the shared key: %v", err)
	}
	if _, err := runStack("../../Pulumi.dev.yaml", func(sf *stacks.StackFile) {
		setRole(sf)
		sf.Config["cellfabric:edgeSigningKey"] = "plain-text-key-0123456789"
	}); err == nil || !strings.Contains(err.Error(), "set in plain text") {
		t.Fatalf("role cell with a plain-text key: %v", err)
	}
	rec, err := runStack("../../Pulumi.dev.yaml", func(sf *stacks.StackFile) {
		setRole(sf)
		sf.Config["cellfabric:edgeSigningKey"] = "shared-secret-key-0123456789"
		sf.Secrets = append(sf.Secrets, "cellfabric:edgeSigningKey")
	})
	if err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, r := range rec.Resources() {
		if !r.Custom && strings.HasSuffix(r.Type, ":Cell") {
			cells = append(cells, r.Name)
		}
	}
	if len(cells) != 1 || cells[0] != "azure-weu" {
		t.Fatalf("role cell built %v", cells)
	}
	if len(rec.OfType("random:index/randomPassword:RandomPassword")) != 0 {
		t.Fatal("role cell generated its own edge key instead of using the shared one")
	}
}

func resourceKey(k string) resource.PropertyKey { return resource.PropertyKey(k) }
