package router

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestParseStackOutputsRefusesMaskedValues: `pulumi stack output --json`
// without --show-secrets, and every `cellfabric synth` plan, print a secret
// output as "[secret]". A masked value the registry uses is refused with its
// path (a masked region or residency would otherwise pass validation and
// reach the routers); one it ignores is not.
func TestParseStackOutputsRefusesMaskedValues(t *testing.T) {
	t.Parallel()
	dev, err := os.ReadFile("testdata/outputs-dev.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{name: "endpoint", old: `"endpoint": "https://gcp-euw1.cells.cellfabric.example.com"`, new: `"endpoint": "[secret]"`, want: `cells.gcp-euw1.endpoint: the value is masked as "[secret]"`},
		{name: "region", old: `"region": "us-east-1"`, new: `"region": "[secret]"`, want: `cells.aws-use1.region: the value is masked`},
		{name: "residency", old: `"residency": "eu"`, new: `"residency": "[secret]"`, want: `routing.tenants[3].residency: the value is masked`},
		{name: "failover", old: `"gcp-usc1"
        ]`, new: `"[secret]"
        ]`, want: `routing.tenants[0].failover[0]: the value is masked`},
		{name: "whole cells output", old: `"cells": {
    "aws-use1"`, new: `"cellz": {
    "aws-use1"`, want: "--show-secrets"},
		{name: "state store is not used", old: `"stateStoreId": "arn:aws:dynamodb:us-east-1:123456789012:table/cellfabric-aws-use1"`, new: `"stateStoreId": "[secret]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(string(dev), tt.old, tt.new, 1)
			if doc == string(dev) {
				t.Fatalf("%q not in the dev outputs", tt.old)
			}
			if tt.name == "whole cells output" {
				doc = strings.Replace(doc, `{`, `{"cells": "[secret]",`, 1)
			}
			_, err := ParseStackOutputs([]byte(doc))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ParseStackOutputs = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--show-secrets") {
				t.Fatalf("err = %v, want it to contain %q and the --show-secrets advice", err, tt.want)
			}
		})
	}
}

// TestParseStackOutputsNoCells: the missing cells output has a sentinel, so
// that `cellfabric registry` can tell it from other failures.
func TestParseStackOutputsNoCells(t *testing.T) {
	t.Parallel()
	if _, err := ParseStackOutputs([]byte(`{"routing":{}}`)); !errors.Is(err, ErrNoCells) {
		t.Fatalf("err = %v, want ErrNoCells", err)
	}
}
