package edge

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
)

// TestValidateRefuses: one case per rule; each names the bad field, and New
// registers nothing.
func TestValidateRefuses(t *testing.T) {
	t.Parallel()
	route := func(a *Args) *SharedRoute { return &a.SharedRoutes[0] }
	tests := []struct {
		name, path string
		edit       func(*Args)
	}{
		{"name", "name", func(a *Args) { a.Name = "Edge_1" }},
		{"account id", "accountId", func(a *Args) { a.AccountID = "acct" }},
		{"zone id", "zoneId", func(a *Args) { a.ZoneID = strings.ToUpper(testZone) }},
		{"key id", "edgeKeyId", func(a *Args) { a.EdgeKeyID = "k 1" }},
		{"cron", "healthCron", func(a *Args) { a.HealthCron = "every minute" }},
		{"steering", "steering", func(a *Args) { a.Steering = "proximity" }},
		{"compatibility date", "compatibilityDate", func(a *Args) { a.CompatibilityDate = "2025/06/01" }},
		{"domain", "domain", func(a *Args) { a.Domain = "Example.COM" }},
		{"tenant host without placeholder", "tenantHost", func(a *Args) { a.TenantHost = "tenants." + testDomain }},
		{"tenant host with two placeholders", "tenantHost", func(a *Args) { a.TenantHost = "{tenant}.{tenant}." + testDomain }},
		{"tenant host outside the zone", "tenantHost", func(a *Args) { a.TenantHost = "{tenant}.example.org" }},
		{"wildcard tenants need a leading label", "wildcardTenants", func(a *Args) {
			a.WildcardTenants = true
			a.TenantHost = "{tenant}-app." + testDomain
		}},
		{"shared host", "sharedHost", func(a *Args) { a.SharedHost = "*.api." + testDomain }},
		{"shared host outside the zone", "sharedHost", func(a *Args) { a.SharedHost = "api.example.org" }},
		{"tenant id", "tenants[2]", func(a *Args) { a.Tenants = []string{"acme", "globex", "Hooli"} }},
		{"tenant twice", "tenants[1]", func(a *Args) { a.Tenants = []string{"acme", "acme"} }},
		{"tenant on the shared host", "tenants[1]", func(a *Args) { a.Tenants = []string{"acme", "api"} }},
		{"no cells", "cells", func(a *Args) { a.Cells = nil; a.SharedRoutes = nil }},
		{"cell id", "cells[0].id", func(a *Args) { a.Cells[0].ID = "1aws" }},
		{"cell twice", "cells[3].id", func(a *Args) { a.Cells[3].ID = "aws-use1" }},
		{"cell endpoint", "cells[1].endpoint", func(a *Args) { a.Cells[1].Endpoint = nil }},
		{"cell health URL", "cells[2].healthUrl", func(a *Args) { a.Cells[2].HealthURL = nil }},
		{"cell weight", "cells[0].weight", func(a *Args) { a.Cells[0].Weight = -1 }},
		{"cell region", "cells[1].region", func(a *Args) { a.Cells[1].Region = "westeurope" }},
		{"route prefix", "sharedRoutes[0].prefix", func(a *Args) { route(a).Prefix = "catalog" }},
		{"route prefix twice", "sharedRoutes[1].prefix", func(a *Args) { a.SharedRoutes = append(a.SharedRoutes, a.SharedRoutes[0]) }},
		{"route without cells", "sharedRoutes[0].cells", func(a *Args) { route(a).Cells = nil }},
		{"route to an unknown cell", "sharedRoutes[0].cells[1].cell", func(a *Args) { route(a).Cells[1].Cell = "gcp-asia1" }},
		{"route weight", "sharedRoutes[0].cells[2].weight", func(a *Args) { route(a).Cells[2].Weight = 2_000_000 }},
		{"geo without regions", "steering", func(a *Args) {
			for i := range a.Cells {
				a.Cells[i].Region = ""
			}
		}},
		{"cell outputs", "cellOutputs", func(a *Args) { a.CellOutputs = nil }},
		{"routing", "routing", func(a *Args) { a.Routing = nil }},
		{"worker script", "workerScript", func(a *Args) { a.WorkerScript = nil }},
		{"worker wasm", "workerWasm", func(a *Args) { a.WorkerWasm = nil }},
		{"worker config", "workerConfig", func(a *Args) { a.WorkerConfig = nil }},
		{"edge key", "edgeKey", func(a *Args) { a.EdgeKey = nil }},
		{"certificate without its key", "originPullCertificate", func(a *Args) {
			a.AuthenticatedOriginPulls = true
			a.OriginPullCertificate = pulumi.String("cert")
		}},
		{"certificate with origin pulls off", "authenticatedOriginPulls", func(a *Args) {
			a.OriginPullCertificate = pulumi.String("cert")
			a.OriginPullPrivateKey = pulumi.String("key")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := devArgs()
			tt.edit(&args)
			rec := recorder.New()
			err := rec.Run(recorder.Options{Stack: "dev"}, func(ctx *pulumi.Context) error {
				_, err := New(ctx, testName, args)
				return err
			})
			var ps fabric.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("err = %v, want Problems", err)
			}
			found := false
			for _, p := range ps.List {
				found = found || p.Path == tt.path
			}
			if !found {
				t.Errorf("no problem at %s in:\n%v", tt.path, err)
			}
			if n := len(rec.Resources()); n != 0 {
				t.Errorf("%d resources registered before the error", n)
			}
		})
	}
}

// TestValidateListsEveryProblem: one pass reports every problem.
func TestValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	a := devArgs()
	a.AccountID, a.Steering, a.Cells[0].Weight, a.EdgeKey = "", "fastest", -5, nil
	var ps fabric.Problems
	if err := a.Validate(); !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	paths := map[string]bool{}
	for _, p := range ps.List {
		paths[p.Path] = true
	}
	for _, want := range []string{"accountId", "steering", "cells[0].weight", "edgeKey"} {
		if !paths[want] {
			t.Errorf("no problem at %s: %v", want, ps)
		}
	}
	if len(ps.List) != 4 {
		t.Errorf("%d problems, want 4: %v", len(ps.List), ps)
	}
}

// TestValidateAcceptsTheDevArgs: the fixture, and its variants the other
// tests use, are valid.
func TestValidateAcceptsTheDevArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Args)
	}{
		{"dev", func(*Args) {}},
		{"defaults left empty", func(a *Args) { a.Steering, a.HealthCron, a.EdgeKeyID, a.Name = "", "", "", "" }},
		{"wildcard", func(a *Args) { a.WildcardTenants = true }},
		{"tenant host is the zone apex", func(a *Args) { a.TenantHost = "{tenant}." + testDomain; a.Domain = testDomain }},
		{"no tenants", func(a *Args) { a.Tenants = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := devArgs()
			tt.edit(&a)
			if err := a.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
