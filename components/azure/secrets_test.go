package azure

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/cellfabric/cellfabric/components/cell"
)

// toValue makes a PropertyValue of a value or map.
func toValue(v any) resource.PropertyValue {
	switch x := v.(type) {
	case resource.PropertyValue:
		return x
	case resource.PropertyMap:
		return resource.NewObjectProperty(x)
	}
	return resource.NewNullProperty()
}

// walk calls fn for every string in v, saying whether it sits inside a
// secret.
func walk(v resource.PropertyValue, secret bool, fn func(s string, secret bool)) {
	switch {
	case v.IsSecret():
		walk(v.SecretValue().Element, true, fn)
	case v.IsString():
		fn(v.StringValue(), secret)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			walk(e, secret, fn)
		}
	case v.IsObject():
		for k, e := range v.ObjectValue() {
			fn(string(k), secret)
			walk(e, secret, fn)
		}
	case v.IsOutput():
		walk(v.OutputValue().Element, secret || v.OutputValue().Secret, fn)
	}
}

// TestEdgeKeyOnlyInTheVault: the edge key reaches one input, the Key Vault
// secret's value, marked secret; it appears nowhere unmarked in any
// recorded input, output or invoke. The Log Analytics key likewise stays
// secret.
func TestEdgeKeyOnlyInTheVault(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	for _, plain := range []string{testEdgeKey, "fake-primary-shared-key"} {
		holders := map[string]bool{}
		for _, res := range r.Rec.Resources() {
			for side, m := range map[string]resource.PropertyMap{"input": res.Inputs, "output": res.Outputs} {
				walk(resource.NewObjectProperty(m), false, func(str string, secret bool) {
					if !strings.Contains(str, plain) {
						return
					}
					if !secret {
						t.Errorf("%s %s: %s holds %q unmarked", res.Type, res.Name, side, plain)
					}
					if side == "input" {
						holders[res.Type] = true
					}
				})
			}
		}
		for _, inv := range r.Rec.Invokes() {
			walk(resource.NewObjectProperty(inv.Args), false, func(str string, secret bool) {
				if strings.Contains(str, plain) {
					t.Errorf("invoke %s was sent %q", inv.Token, plain)
				}
			})
		}
		if plain == testEdgeKey && (len(holders) != 1 || !holders[tSecret]) {
			t.Errorf("edge key is an input of %v, want only %s", holders, tSecret)
		}
	}
	sec := r.One(t, tSecret)
	if v := sec.Inputs["properties"]; !containsSecret(v, testEdgeKey) {
		t.Error("the Key Vault secret's value is not the edge key marked secret")
	}
}

// TestEdgeKeyReachesAppAsReference: the app's environment names the edge
// key only through secretRef, and that secret is a Key Vault reference with
// the cell's identity, not a value.
func TestEdgeKeyReachesAppAsReference(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	app := r.One(t, tApp)
	secrets := in(app, "configuration", "secrets")
	if !secrets.IsArray() || len(secrets.ArrayValue()) != 1 {
		t.Fatalf("app secrets = %v, want one", secrets)
	}
	kvSecret := r.One(t, tSecret)
	identity := r.One(t, tIdentity)
	if got := s(app, "configuration", "secrets", 0, "name"); got != edgeKeySecretName {
		t.Errorf("secret name = %q", got)
	}
	if got, want := s(app, "configuration", "secrets", 0, "keyVaultUrl"), out(kvSecret, "properties", "secretUri").StringValue(); got == "" || got != want {
		t.Errorf("keyVaultUrl = %q, want the secret's URI %q", got, want)
	}
	if got := s(app, "configuration", "secrets", 0, "identity"); got != identity.ID {
		t.Errorf("secret identity = %q, want %q", got, identity.ID)
	}
	if !in(app, "configuration", "secrets", 0, "value").IsNull() {
		t.Error("the app's edge-key secret carries a value")
	}
	env := in(app, "template", "containers", 0, "env")
	found := false
	for i := range env.ArrayValue() {
		e := at(env, i)
		if at(e, "name").StringValue() != cell.EnvEdgeKey {
			continue
		}
		found = true
		if got := at(e, "secretRef").StringValue(); got != edgeKeySecretName {
			t.Errorf("%s secretRef = %q", cell.EnvEdgeKey, got)
		}
		if !at(e, "value").IsNull() {
			t.Errorf("%s has a plain value", cell.EnvEdgeKey)
		}
	}
	if !found {
		t.Errorf("no %s in the container's environment", cell.EnvEdgeKey)
	}
}
