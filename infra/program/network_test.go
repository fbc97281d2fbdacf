package program_test

import (
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/infra/synth"
	"github.com/cellfabric/cellfabric/stacks"
)

var cellStackNames = `["acme/cellfabric/cell-aws-use1","acme/cellfabric/cell-azure-weu","acme/cellfabric/cell-gcp-euw1","acme/cellfabric/cell-gcp-usc1"]`

// splitStack is the dev topology as a stack of another role reading the
// four cell stacks.
func splitStack(t *testing.T, role stacks.Role) (*stacks.StackFile, *stacks.Topology) {
	t.Helper()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sf.Stack = string(role)
	sf.Config["cellfabric:role"] = string(role)
	sf.Config["cellfabric:cellStacks"] = cellStackNames
	sf.Config["cellfabric:edgeSigningKey"] = "shared-edge-key-0123456789abcdef"
	sf.Secrets = append(sf.Secrets, "cellfabric:edgeSigningKey")
	topo, err := sf.Topology()
	if err != nil {
		t.Fatal(err)
	}
	return sf, topo
}

// splitRun runs the program as a split stack of role (network or edge)
// against the simulated cell stacks; edit, when set, may change the stack
// file and the simulated outputs first.
func splitRun(t *testing.T, role stacks.Role, edit func(sf *stacks.StackFile, outs map[string]map[string]any)) (*recorder.Recorder, error) {
	t.Helper()
	sf, topo := splitStack(t, role)
	outs, err := synth.SimulateCellStacks(sf, topo, program.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(sf, outs)
	}
	rec := recorder.New()
	err = rec.Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config, SecretKeys: sf.Secrets, StackOutputs: outs}, runProgram)
	return rec, err
}

// TestNetworkRoleMatchesAllInOne: a network stack reading the four cell
// stacks through StackReferences builds the same mesh as the dev stack
// (same tunnels, addresses and ASNs), on providers of its own.
func TestNetworkRoleMatchesAllInOne(t *testing.T) {
	t.Parallel()
	rec, err := splitRun(t, stacks.RoleNetwork, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.OfType("pulumi:pulumi:StackReference")); n != 4 {
		t.Fatalf("%d stack references, want one per cell stack", n)
	}
	for _, r := range rec.Resources() {
		if strings.HasSuffix(r.Type, ":Cell") {
			t.Fatalf("the network stack built a cell: %s", r.Name)
		}
	}
	all := dev(t)
	for _, typ := range []string{"aws:ec2/vpnConnection:VpnConnection", "azure-native:network:VirtualNetworkGatewayConnection", "gcp:compute/vPNTunnel:VPNTunnel", "gcp:compute/routerPeer:RouterPeer"} {
		a, b := all.OfType(typ), rec.OfType(typ)
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("%s: %d in the dev stack, %d in the network stack", typ, len(a), len(b))
		}
		for i := range a {
			for _, k := range []string{"tunnel1InsideCidr", "tunnel2InsideCidr", "ipRange", "peerIpAddress", "peerAsn"} {
				if a[i].Inputs[resourceKey(k)].String() != b[i].Inputs[resourceKey(k)].String() {
					t.Errorf("%s %s: %s differs between the dev and the network stack", typ, a[i].Name, k)
				}
			}
		}
	}
	// The VGW attaches to the VPC the cell stack exported.
	for _, gw := range rec.OfType("aws:ec2/vpnGateway:VpnGateway") {
		if v := gw.Inputs["vpcId"]; !v.IsString() || !strings.HasPrefix(v.StringValue(), "aws-use1-vpc") {
			t.Errorf("VPN gateway attached to %v, not the aws-use1 VPC", v)
		}
	}
}

// TestNetworkRoleMissingCellStack: a cell no cell stack exports fails with a
// message that says what to do.
func TestNetworkRoleMissingCellStack(t *testing.T) {
	t.Parallel()
	_, err := splitRun(t, stacks.RoleNetwork, func(_ *stacks.StackFile, outs map[string]map[string]any) {
		outs["acme/cellfabric/cell-gcp-usc1"] = map[string]any{}
	})
	if err == nil || !strings.Contains(err.Error(), "no cell stack exports \"networks\" for cell(s) gcp-usc1") {
		t.Fatalf("err = %v", err)
	}
}

// TestNetworkOutputHasNoSecret: the dev stack's `network` output lists every
// tunnel with both ends' addresses, and no pre-shared key.
func TestNetworkOutputHasNoSecret(t *testing.T) {
	t.Parallel()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := synth.Synthesize(sf, program.Options{})
	if err != nil {
		t.Fatal(err)
	}
	network, ok := plan.Outputs[program.OutputNetwork].(map[string]any)
	if !ok {
		t.Fatalf("network output = %#v", plan.Outputs[program.OutputNetwork])
	}
	tunnels, _ := network["tunnels"].([]any)
	if len(tunnels) != 16 {
		t.Fatalf("%d tunnels in the network output, want 16 (AWS-Azure 4, AWS-GCP 4+4, Azure-GCP 2+2)", len(tunnels))
	}
	keys := map[string]bool{}
	for _, r := range dev(t).OfType("random:index/randomPassword:RandomPassword") {
		keys[r.Outputs["result"].SecretValue().Element.StringValue()] = true
	}
	for i, tv := range tunnels {
		tun := tv.(map[string]any)
		a, b := tun["a"].(map[string]any), tun["b"].(map[string]any)
		for _, end := range []map[string]any{a, b} {
			for _, k := range []string{"bgpAddress", "publicIp", "cell"} {
				if s, _ := end[k].(string); s == "" || s == synth.Masked {
					t.Errorf("tunnel %d: end %v lacks %s", i, end["cell"], k)
				}
			}
		}
		if a["bgpAddress"] == b["bgpAddress"] {
			t.Errorf("tunnel %d: both ends have BGP address %v", i, a["bgpAddress"])
		}
	}
	walkAny(network, func(s string) {
		if keys[s] || s == synth.Masked {
			t.Errorf("the network output holds a secret value")
		}
	})
}

func walkAny(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			walkAny(e, fn)
		}
	case []any:
		for _, e := range x {
			walkAny(e, fn)
		}
	}
}
