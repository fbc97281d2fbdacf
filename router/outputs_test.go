package router

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/testkit"
)

// TestFromStackOutputsGolden: testdata/outputs-dev.json (the dev stack's
// outputs) → testdata/registry-dev.golden.json.
func TestFromStackOutputsGolden(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/outputs-dev.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseStackOutputs(data)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := FromStackOutputs(out, 1700000000)
	if err != nil {
		t.Fatalf("FromStackOutputs: %v", err)
	}
	got, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	testkit.Golden(t, filepath.Join("testdata", "registry-dev.golden.json"), got)
	// The golden document (got, byte for byte, once Golden passed) is itself
	// a valid registry.
	if _, err := Parse(got); err != nil {
		t.Errorf("golden registry does not parse: %v", err)
	}
	// Spot checks that do not depend on the golden file.
	byID := map[string]Cell{}
	for _, c := range reg.Cells {
		byID[c.ID] = c
	}
	if c := byID["azure-weu"]; c.Weight != DefaultCellWeight || c.State != fabric.CellActive || c.Cloud != "azure" || c.Region != "westeurope" {
		t.Errorf("azure-weu without a routing entry = %+v, want weight 100, active", c)
	}
	if c := byID["gcp-usc1"]; c.Weight != 50 {
		t.Errorf("gcp-usc1 weight = %d, want 50", c.Weight)
	}
	if ids := []string{reg.Cells[0].ID, reg.Cells[1].ID, reg.Cells[2].ID, reg.Cells[3].ID}; strings.Join(ids, ",") != "aws-use1,azure-weu,gcp-euw1,gcp-usc1" {
		t.Errorf("cells not sorted by id: %v", ids)
	}
	if w := reg.SharedRoutes[0].Cells; w[0].Weight != 100 || w[2].Weight != 50 {
		t.Errorf("shared route weights = %+v, want 100, 100, 50 as the outputs say", w)
	}
	if len(reg.Tenants) != 7 || reg.Tenants[6].ID != "wayne" || reg.Tenants[6].State != fabric.TenantMigrating {
		t.Errorf("tenants = %+v", reg.Tenants)
	}
	if reg.Epoch != 1700000000 || reg.Version != SchemaVersion {
		t.Errorf("epoch/version = %d/%d", reg.Epoch, reg.Version)
	}
}

func TestFromStackOutputsProblems(t *testing.T) {
	t.Parallel()
	base := func() StackOutputs {
		return StackOutputs{
			Cells: map[string]CellOutputs{
				"aws-use1": {ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: "https://a.example.com/", HealthURL: "https://a.example.com/healthz"},
				"gcp-usc1": {ID: "gcp-usc1", Cloud: "gcp", Region: "us-central1", Endpoint: "https://g.example.com", HealthURL: "https://g.example.com/healthz"},
			},
			Routing: Routing{
				Cells:        map[string]Cell{"gcp-usc1": {Weight: 50, State: fabric.CellDraining}},
				Tenants:      []Tenant{{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}}},
				SharedRoutes: []SharedRoute{{Prefix: "/c", Cells: []WeightedCell{{Cell: "gcp-usc1", Weight: 50}}}},
			},
		}
	}
	tests := []struct {
		name   string
		modify func(o *StackOutputs)
		epoch  int64
		want   []string
	}{
		{name: "valid", modify: func(*StackOutputs) {}, epoch: 5},
		{name: "tenant names a cell absent from cells", modify: func(o *StackOutputs) {
			o.Routing.Tenants = append(o.Routing.Tenants, Tenant{ID: "b", Cell: "azure-weu"})
		}, epoch: 5, want: []string{`routing.tenants[1].cell: unknown cell "azure-weu"`}},
		{name: "failover absent", modify: func(o *StackOutputs) { o.Routing.Tenants[0].Failover = []string{"x"} }, epoch: 5, want: []string{`routing.tenants[0].failover[0]: unknown cell "x"`}},
		{name: "routing entry for unknown cell", modify: func(o *StackOutputs) { o.Routing.Cells["gone"] = Cell{} }, epoch: 5, want: []string{`routing.cells.gone: unknown cell "gone"`}},
		{name: "id differs from key", modify: func(o *StackOutputs) {
			c := o.Cells["aws-use1"]
			c.ID = "aws-x"
			o.Cells["aws-use1"] = c
		}, epoch: 5, want: []string{`cells.aws-use1.id: "aws-x" differs from its key "aws-use1"`}},
		{name: "bad endpoint", modify: func(o *StackOutputs) {
			c := o.Cells["gcp-usc1"]
			c.Endpoint = "g.example.com"
			o.Cells["gcp-usc1"] = c
		}, epoch: 5, want: []string{`cells.gcp-usc1.endpoint:`}},
		{name: "bad routing weight", modify: func(o *StackOutputs) {
			o.Routing.Cells["gcp-usc1"] = Cell{Weight: -1}
		}, epoch: 5, want: []string{`routing.cells.gcp-usc1.weight: -1 is out of range`}},
		{name: "bad route", modify: func(o *StackOutputs) { o.Routing.SharedRoutes[0].Prefix = "c" }, epoch: 5, want: []string{`routing.sharedRoutes[0].prefix`}},
		{name: "bad policy", modify: func(o *StackOutputs) { o.Routing.UnknownTenants = "drop" }, epoch: 5, want: []string{`routing.unknownTenants: unknown policy "drop"`}},
		{name: "zero epoch", modify: func(*StackOutputs) {}, epoch: 0, want: []string{"epoch: must be positive"}},
		{name: "no cells", modify: func(o *StackOutputs) { o.Cells = map[string]CellOutputs{}; o.Routing = Routing{} }, epoch: 5, want: []string{"cells: at least one cell"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := base()
			tt.modify(&o)
			reg, err := FromStackOutputs(o, tt.epoch)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if reg.Cells[0].Endpoint != "https://a.example.com" {
					t.Errorf("trailing slash kept: %q", reg.Cells[0].Endpoint)
				}
				if reg.Cells[1].State != fabric.CellDraining || reg.SharedRoutes[0].Cells[0].Weight != 50 {
					t.Errorf("routing settings not applied: %+v %+v", reg.Cells[1], reg.SharedRoutes[0])
				}
				if reg.Tenants[0].State != fabric.TenantActive || o.Routing.Tenants[0].State != "" {
					t.Errorf("tenant state default: registry %q, input %q (input must not change)", reg.Tenants[0].State, o.Routing.Tenants[0].State)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %v", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseStackOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "other outputs ignored", doc: `{"cells":{"a":{"id":"a"}},"vpn":{"x":1},"registry":"..."}`},
		{name: "no cells", doc: `{"routing":{}}`, wantErr: `no "cells" output`},
		{name: "truncated", doc: `{"cells":{"a":`, wantErr: "decoding stack outputs"},
		{name: "not an object", doc: `[1,2]`, wantErr: "decoding stack outputs"},
		{name: "wrong type", doc: `{"cells":{"a":{"id":5}}}`, wantErr: "decoding stack outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseStackOutputs([]byte(tt.doc))
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
