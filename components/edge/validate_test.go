package edge

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestValidateRefuses: one case per rule; each names the bad field, and New
// registers nothing.
func TestValidateRefuses(t *testing.T) {
	t.Parallel()
	route := func(a *Args) *router.SharedRoute { return &a.Routing.SharedRoutes[0] }
	editCell := func(a *Args, id string, edit func(*router.Cell)) {
		c := a.Routing.Cells[id]
		edit(&c)
		a.Routing.Cells[id] = c
	}
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
		{"tenant host with the tenant inside a label", "tenantHost", func(a *Args) { a.TenantHost = "{tenant}-app." + testDomain }},
		{"tenant host with the tenant below the first label", "tenantHost", func(a *Args) { a.TenantHost = "app.{tenant}." + testDomain }},
		{"control key id", "controlKeyId", func(a *Args) { a.ControlKeyID = "c/1" }},
		{"shared host", "sharedHost", func(a *Args) { a.SharedHost = "*.api." + testDomain }},
		{"shared host outside the zone", "sharedHost", func(a *Args) { a.SharedHost = "api.example.org" }},
		{"tenant id", "routing.tenants[2].id", func(a *Args) { a.Routing.Tenants[2].ID = "Hooli" }},
		{"tenant twice", "routing.tenants[1].id", func(a *Args) { a.Routing.Tenants[1].ID = "acme" }},
		{"tenant on the shared host", "routing.tenants[1].id", func(a *Args) { a.Routing.Tenants[1].ID = "api" }},
		{"no cells", "routing.cells", func(a *Args) { a.Routing.Cells = nil; a.Routing.SharedRoutes = nil }},
		{"cell id", "routing.cells.1aws", func(a *Args) { a.Routing.Cells["1aws"] = a.Routing.Cells["aws-use1"] }},
		{"cell cloud", "routing.cells.azure-weu.cloud", func(a *Args) { editCell(a, "azure-weu", func(c *router.Cell) { c.Cloud = "ibm" }) }},
		{"cell weight", "routing.cells.aws-use1.weight", func(a *Args) { editCell(a, "aws-use1", func(c *router.Cell) { c.Weight = -1 }) }},
		{"cell state", "routing.cells.gcp-euw1.state", func(a *Args) { editCell(a, "gcp-euw1", func(c *router.Cell) { c.State = "paused" }) }},
		{"route prefix", "routing.sharedRoutes[0].prefix", func(a *Args) { route(a).Prefix = "catalog" }},
		{"route prefix twice", "routing.sharedRoutes[1].prefix", func(a *Args) {
			a.Routing.SharedRoutes = append(a.Routing.SharedRoutes, a.Routing.SharedRoutes[0])
		}},
		{"route without cells", "routing.sharedRoutes[0].cells", func(a *Args) { route(a).Cells = nil }},
		{"route to an unknown cell", "routing.sharedRoutes[0].cells[1].cell", func(a *Args) { route(a).Cells[1].Cell = "gcp-asia1" }},
		{"route weight", "routing.sharedRoutes[0].cells[2].weight", func(a *Args) { route(a).Cells[2].Weight = 2_000_000 }},
		{"geo without regions", "steering", func(a *Args) {
			for id := range a.Routing.Cells {
				editCell(a, id, func(c *router.Cell) { c.Region = "nowhere-1" })
			}
		}},
		{"cell outputs", "cellOutputs", func(a *Args) { a.CellOutputs = cell.CellsOutput{} }},
		{"worker script", "workerScript", func(a *Args) { a.WorkerScript = nil }},
		{"worker wasm", "workerWasm", func(a *Args) { a.WorkerWasm = nil }},
		{"worker config", "workerConfig", func(a *Args) { a.WorkerConfig = nil }},
		{"edge key", "edgeKey", func(a *Args) { a.EdgeKey = nil }},
		{"control key", "controlKey", func(a *Args) { a.ControlKey = nil }},
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
	a.AccountID, a.Steering, a.EdgeKey = "", "fastest", nil
	c := a.Routing.Cells["aws-use1"]
	c.Weight = -5
	a.Routing.Cells["aws-use1"] = c
	var ps fabric.Problems
	if err := a.Validate(); !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	paths := map[string]bool{}
	for _, p := range ps.List {
		paths[p.Path] = true
	}
	for _, want := range []string{"accountId", "steering", "routing.cells.aws-use1.weight", "edgeKey"} {
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
		{"defaults left empty", func(a *Args) { a.Steering, a.HealthCron, a.EdgeKeyID, a.ControlKeyID, a.Name = "", "", "", "", "" }},
		{"tenant host is the zone apex", func(a *Args) { a.TenantHost = "{tenant}." + testDomain; a.Domain = testDomain }},
		{"no tenants", func(a *Args) { a.Routing.Tenants = nil }},
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
