package program_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/stacks"
)

const cfgControlKey = "cellfabric:controlKey"

// scriptBinding returns the Worker's binding of list named name.
func scriptBinding(t *testing.T, rec *recorder.Recorder, list, name string) resource.PropertyValue {
	t.Helper()
	scripts := rec.OfType(tWorkerScript)
	if len(scripts) != 1 {
		t.Fatalf("%d Worker scripts, want 1", len(scripts))
	}
	for _, b := range scripts[0].Inputs[resource.PropertyKey(list)].ArrayValue() {
		obj := b.ObjectValue()
		if obj["name"].StringValue() == name {
			return obj["text"]
		}
	}
	t.Fatalf("the Worker has no %s binding %s", list, name)
	return resource.PropertyValue{}
}

// runExports runs the program on the dev stack, edited, and returns the
// recorder and the stack's exports.
func runExports(t *testing.T, edit func(*stacks.StackFile)) (*recorder.Recorder, pulumi.Map, error) {
	t.Helper()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(sf)
	}
	rec := recorder.New()
	var exports pulumi.Map
	err = rec.Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config, SecretKeys: sf.Secrets}, func(ctx *pulumi.Context) error {
		var err error
		exports, err = program.RunWith(ctx, program.Options{Worker: program.PlaceholderWorker})
		return err
	})
	return rec, exports, err
}

// TestControlKey: the control key is generated when the stack sets none, or
// taken from secret config; it reaches the Worker only as a secret and the
// stack exports it only as a secret.
func TestControlKey(t *testing.T) {
	t.Parallel()
	const configured = "configured-control-key-0123456789"
	tests := []struct {
		name string
		edit func(*stacks.StackFile)
		want string // "" : the generated key
	}{
		{"generated", nil, ""},
		{"from secret config", func(sf *stacks.StackFile) {
			sf.Config[cfgControlKey] = configured
			sf.Secrets = append(sf.Secrets, cfgControlKey)
		}, configured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, exports, err := runExports(t, tt.edit)
			if err != nil {
				t.Fatal(err)
			}
			pw := rec.Get("random:index/randomPassword:RandomPassword", "control-key")
			want := tt.want
			if want == "" {
				if pw == nil {
					t.Fatal("no generated control key")
				}
				want = pw.Outputs["result"].SecretValue().Element.StringValue()
				if len(want) != program.ControlKeyLength {
					t.Errorf("generated key of %d characters", len(want))
				}
			} else if pw != nil {
				t.Fatal("a control key was generated although the stack sets one")
			}
			b := scriptBinding(t, rec, "secretTextBindings", "CONTROL_KEY")
			if !b.IsSecret() || b.SecretValue().Element.StringValue() != want {
				t.Errorf("CONTROL_KEY binding %v, want the control key as a secret", b)
			}
			if id := scriptBinding(t, rec, "plainTextBindings", "CONTROL_KEY_ID"); id.StringValue() != "c1" {
				t.Errorf("CONTROL_KEY_ID %v", id)
			}
			if edgeKey := scriptBinding(t, rec, "secretTextBindings", "EDGE_KEY"); edgeKey.SecretValue().Element.StringValue() == want {
				t.Error("the control key is the edge key")
			}
			out, ok := exports[program.OutputControlKey]
			if !ok {
				t.Fatalf("no %s output", program.OutputControlKey)
			}
			aw, err := recorder.Await(out.(pulumi.StringOutput))
			if err != nil || !aw.Secret || aw.Value != want {
				t.Errorf("output %s: secret %v, equal %v (%v)", program.OutputControlKey, aw.Secret, aw.Value == want, err)
			}
		})
	}
}

// TestControlKeyRefused: a control key in plain text, too short, or equal
// to the edge key stops the stack before it registers anything, naming the
// config key; synth's placeholder for an encrypted value passes.
func TestControlKeyRefused(t *testing.T) {
	t.Parallel()
	const edgeKey = "shared-edge-key-0123456789abcdef"
	set := func(value string, secret bool) func(*stacks.StackFile) {
		return func(sf *stacks.StackFile) {
			sf.Config[cfgControlKey] = value
			if secret {
				sf.Secrets = append(sf.Secrets, cfgControlKey)
			}
			sf.Config[cfgSigningKey] = edgeKey
			sf.Secrets = append(sf.Secrets, cfgSigningKey)
		}
	}
	tests := []struct {
		name string
		edit func(*stacks.StackFile)
		want string // "" : accepted
	}{
		{"plain text", set("plain-control-key-0123456789", false), "cellfabric:controlKey is set in plain text"},
		{"too short", set("short-key", true), "cellfabric:controlKey is 9 bytes"},
		{"the edge key", set(edgeKey, true), "cellfabric:controlKey is the same as cellfabric:edgeSigningKey"},
		{"placeholder of an encrypted value", set(stacks.SecretPlaceholder, true), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, _, err := runExports(t, tt.edit)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), edgeKey) {
				t.Error("the error shows the key")
			}
			if n := len(rec.OfType(tWorkerScript)); n != 0 {
				t.Errorf("the Worker was registered despite the refused key")
			}
		})
	}
}
