package program_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/infra/synth"
	"github.com/cellfabric/cellfabric/stacks"
)

// Keys of the rotation tests: the one in use before, the one after.
const (
	oldKey = "rotation-old-key-8d1f0b6e4a2c97"
	newKey = "rotation-new-key-3b7e5a90c1d4f2"
)

const (
	cfgSigningKey = "cellfabric:edgeSigningKey"
	cfgExtraKey   = "cellfabric:edgeExtraKey"
)

// rotation is one stack state of the rotation procedure.
type rotation struct {
	signing, keyID string // edgeSigningKey and edge.keyId ("" leaves keyId at its default)
	extra, extraID string // edgeExtraKey and edge.extraKeyId ("" leaves them unset)
	plainSigning   bool   // set edgeSigningKey as plain config
	plainExtra     bool   // set edgeExtraKey as plain config
}

// apply writes the rotation state into a stack file.
func (r rotation) apply(t *testing.T, sf *stacks.StackFile) {
	t.Helper()
	setSecret := func(key, value string, secret bool) {
		sf.Config[key] = value
		if secret {
			sf.Secrets = append(sf.Secrets, key)
		}
	}
	if r.signing != "" {
		setSecret(cfgSigningKey, r.signing, !r.plainSigning)
	}
	if r.extra != "" {
		setSecret(cfgExtraKey, r.extra, !r.plainExtra)
	}
	var edge map[string]any
	if err := json.Unmarshal([]byte(sf.Config["cellfabric:edge"]), &edge); err != nil {
		t.Fatal(err)
	}
	if r.keyID != "" {
		edge["keyId"] = r.keyID
	}
	if r.extraID != "" {
		edge["extraKeyId"] = r.extraID
	}
	b, err := json.Marshal(edge)
	if err != nil {
		t.Fatal(err)
	}
	sf.Config["cellfabric:edge"] = string(b)
}

// TestRotationKeysReachEveryCell runs the stack states of the README's
// rotation procedure: every cell the stack builds stores the extra key as
// "<id>=<secret>" in a secret of its own, the key never shows in plain
// text, nothing outside the cells holds it, and the Worker signs with the
// signing key alone.
func TestRotationKeysReachEveryCell(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		role  stacks.Role
		state rotation
		cells []string
	}{
		{name: "role all, step 1: cells learn k2", role: stacks.RoleAll,
			state: rotation{signing: oldKey, extra: newKey, extraID: "k2"},
			cells: []string{"aws-use1", "azure-weu", "gcp-euw1", "gcp-usc1"}},
		{name: "role all, step 2: k2 signs, k1 stays accepted", role: stacks.RoleAll,
			state: rotation{signing: newKey, keyID: "k2", extra: oldKey, extraID: "k1"},
			cells: []string{"aws-use1", "azure-weu", "gcp-euw1", "gcp-usc1"}},
		{name: "role cell, step 1", role: stacks.RoleCell,
			state: rotation{signing: oldKey, extra: newKey, extraID: "k2"},
			cells: []string{"gcp-usc1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, err := runStack("../../Pulumi.dev.yaml", func(sf *stacks.StackFile) {
				if tc.role == stacks.RoleCell {
					sf.Config["cellfabric:role"] = string(tc.role)
					sf.Config["cellfabric:cell"] = tc.cells[0]
				}
				tc.state.apply(t, sf)
			})
			if err != nil {
				t.Fatal(err)
			}
			entry := tc.state.extraID + "=" + tc.state.extra
			held := map[string]int{}    // cell → secret inputs holding exactly the entry
			current := map[string]int{} // cell → secret inputs holding exactly the signing key
			for _, r := range rec.Resources() {
				comp := rec.Component(r)
				inCell := comp != nil && strings.HasSuffix(comp.Type, ":Cell")
				walkSecret(r.Inputs, func(s string) {
					switch {
					case inCell && s == entry:
						held[comp.Name]++
					case inCell && s == tc.state.signing:
						current[comp.Name]++
					case !inCell && strings.Contains(s, tc.state.extra):
						t.Errorf("%s %s outside the cells holds the extra key", r.Type, r.Name)
					}
				})
				for what, m := range map[string]resource.PropertyMap{"input": r.Inputs, "output": r.Outputs} {
					walkPlain(m, "", func(path, s string) {
						if strings.Contains(s, oldKey) || strings.Contains(s, newKey) {
							t.Errorf("%s %s: %s %s holds a key in plain text", r.Type, r.Name, what, path)
						}
					})
				}
			}
			if len(held) != len(tc.cells) || len(current) != len(tc.cells) {
				t.Errorf("cells holding the extra entry: %v, the signing key: %v; want each of %v once", held, current, tc.cells)
			}
			for _, c := range tc.cells {
				if held[c] != 1 || current[c] != 1 {
					t.Errorf("cell %s stores the extra entry %d times and the signing key %d times, want once each", c, held[c], current[c])
				}
			}
			if tc.role != stacks.RoleAll {
				if n := len(rec.OfType(tWorkerScript)); n != 0 {
					t.Errorf("role %s built %d Workers", tc.role, n)
				}
				return
			}
			if b := edgeKeyBinding(t, rec); !b.IsSecret() || b.SecretValue().Element.StringValue() != tc.state.signing {
				t.Error("the Worker does not sign with edgeSigningKey")
			}
			wantID := tc.state.keyID
			if wantID == "" {
				wantID = fabric.DefaultKeyID
			}
			if got := workerKeyID(t, rec); got != wantID {
				t.Errorf("the Worker signs as %q, want %q", got, wantID)
			}
		})
	}
}

// workerKeyID returns the Worker's EDGE_KEY_ID binding.
func workerKeyID(t *testing.T, rec *recorder.Recorder) string {
	t.Helper()
	for _, b := range rec.OfType(tWorkerScript)[0].Inputs["plainTextBindings"].ArrayValue() {
		if obj := b.ObjectValue(); obj["name"].StringValue() == "EDGE_KEY_ID" {
			return obj["text"].StringValue()
		}
	}
	t.Fatal("the Worker has no EDGE_KEY_ID binding")
	return ""
}

// TestRotationConfigErrors: a half-set or plain-text extra key fails the
// stack before anything is registered, saying which command fixes it.
func TestRotationConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		role  stacks.Role
		state rotation
		want  []string
	}{
		{name: "id without key", role: stacks.RoleAll, state: rotation{extraID: "k2"},
			want: []string{"edge.extraKeyId is k2 but cellfabric:edgeExtraKey is not set", "pulumi config set --secret cellfabric:edgeExtraKey"}},
		{name: "key without id", role: stacks.RoleAll, state: rotation{extra: newKey},
			want: []string{"edge.extraKeyId is not", "pulumi config set --path cellfabric:edge.extraKeyId"}},
		{name: "plain-text key", role: stacks.RoleAll, state: rotation{extra: newKey, extraID: "k2", plainExtra: true},
			want: []string{"cellfabric:edgeExtraKey is set in plain text", "pulumi config set --secret cellfabric:edgeExtraKey"}},
		{name: "short key", role: stacks.RoleAll, state: rotation{extra: "short", extraID: "k2"},
			want: []string{"cellfabric:edgeExtraKey is 5 bytes", "openssl rand"}},
		{name: "role cell: no signing key and an id without key", role: stacks.RoleCell, state: rotation{extraID: "k2"},
			want: []string{"pulumi config set --secret cellfabric:edgeSigningKey", "pulumi config set --secret cellfabric:edgeExtraKey"}},
		{name: "role cell: plain signing key and plain extra key", role: stacks.RoleCell,
			state: rotation{signing: oldKey, plainSigning: true, extra: newKey, extraID: "k2", plainExtra: true},
			want:  []string{"cellfabric:edgeSigningKey is set in plain text", "cellfabric:edgeExtraKey is set in plain text"}},
		{name: "extra id is the key id", role: stacks.RoleAll, state: rotation{extra: newKey, extraID: "k1"},
			want: []string{"edge.extraKeyId", "also edge.keyId"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, err := runStack("../../Pulumi.dev.yaml", func(sf *stacks.StackFile) {
				if tc.role == stacks.RoleCell {
					sf.Config["cellfabric:role"] = string(tc.role)
					sf.Config["cellfabric:cell"] = "aws-use1"
				}
				tc.state.apply(t, sf)
			})
			if err == nil {
				t.Fatal("the stack ran")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), newKey) || strings.Contains(err.Error(), oldKey) {
				t.Error("the error shows a key")
			}
			if n := len(rec.Resources()); n != 0 {
				t.Errorf("%d resources registered before the error", n)
			}
		})
	}
}

// TestRotationEdgeRoleSignsWithOneKey: an edge stack that carries the
// rotation config too (as with a shared stack file) still uploads only the
// signing key; the cell stacks it reads were built with the extra key.
func TestRotationEdgeRoleSignsWithOneKey(t *testing.T) {
	t.Parallel()
	sf, _ := splitStack(t, stacks.RoleEdge)
	rotation{signing: newKey, keyID: "k2", extra: oldKey, extraID: "k1"}.apply(t, sf)
	topo, err := sf.Topology()
	if err != nil {
		t.Fatal(err)
	}
	outs, err := synth.SimulateCellStacks(sf, topo, program.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := recorder.New()
	if err := rec.Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config, SecretKeys: sf.Secrets, StackOutputs: outs}, runProgram); err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Resources() {
		walkSecret(r.Inputs, func(s string) {
			if strings.Contains(s, oldKey) {
				t.Errorf("%s %s in the edge stack holds the extra key", r.Type, r.Name)
			}
		})
	}
	if b := edgeKeyBinding(t, rec); !b.IsSecret() || b.SecretValue().Element.StringValue() != newKey {
		t.Error("the Worker does not sign with edgeSigningKey")
	}
	if got := workerKeyID(t, rec); got != "k2" {
		t.Errorf("the Worker signs as %q, want k2", got)
	}
}

// TestDevStackHasNoExtraKey: without edgeExtraKey the dev stack builds
// nothing for a second key.
func TestDevStackHasNoExtraKey(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	for _, r := range rec.Resources() {
		if strings.Contains(r.Name, "extra") {
			t.Errorf("%s %s in a stack without an extra key", r.Type, r.Name)
		}
		walkStrings(r.Inputs, "", func(path, s string) {
			if strings.Contains(s, "CELLFABRIC_EDGE_KEYS") {
				t.Errorf("%s %s: %s sets CELLFABRIC_EDGE_KEYS", r.Type, r.Name, path)
			}
		})
	}
}
