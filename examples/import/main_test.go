package main

import (
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
)

// TestProgram runs the example against the recording engine: both cells are
// built under their components on their own providers, and the shared key
// never shows in plain text.
func TestProgram(t *testing.T) {
	t.Parallel()
	rec := recorder.New()
	if err := rec.Run(recorder.Options{Project: "payments-cells", Stack: "example"}, program); err != nil {
		t.Fatal(err)
	}
	for typ, name := range map[string]string{"cellfabric:aws:Cell": "pay-use1", "cellfabric:azure:Cell": "pay-weu"} {
		comp := rec.Get(typ, name)
		if comp == nil {
			t.Fatalf("no %s %s", typ, name)
		}
		if n := len(rec.Descendants(comp.URN)); n < 10 {
			t.Errorf("%s has only %d resources", name, n)
		}
	}
	provs := map[string]string{"aws:ec2/vpc:Vpc": "aws-use1", "azure-native:network:VirtualNetwork": "azure-weu"}
	for typ, want := range provs {
		for _, r := range rec.OfType(typ) {
			if p := rec.ProviderOf(r); p == nil || p.Name != want {
				t.Errorf("%s %s not on provider %s", typ, r.Name, want)
			}
		}
	}
	key := rec.Get("random:index/randomPassword:RandomPassword", "edge-key").Outputs["result"]
	if !key.IsSecret() {
		t.Fatal("edge key not secret")
	}
	plain := key.SecretValue().Element.StringValue()
	for _, r := range rec.Resources() {
		for k, v := range r.Inputs {
			if !v.ContainsSecrets() && strings.Contains(v.String(), plain) {
				t.Errorf("%s %s input %s carries the key in plain text", r.Type, r.Name, k)
			}
		}
	}
}
