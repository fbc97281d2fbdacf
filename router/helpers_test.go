package router

import (
	"encoding/json"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

// testRegistry is a small valid registry: four cells, a few tenants, one
// shared route. Tests modify a fresh copy.
func testRegistry() *Registry {
	return &Registry{
		Version: SchemaVersion,
		Epoch:   10,
		Cells: []Cell{
			{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: "https://aws-use1.example.com", HealthURL: "https://aws-use1.example.com/healthz", Weight: 100, State: fabric.CellActive},
			{ID: "azure-weu", Cloud: "azure", Region: "westeurope", Endpoint: "https://azure-weu.example.com", Weight: 100, State: fabric.CellActive},
			{ID: "gcp-euw1", Cloud: "gcp", Region: "europe-west1", Endpoint: "http://127.0.0.1:8081", Weight: 100, State: fabric.CellDraining},
			{ID: "gcp-usc1", Cloud: "gcp", Region: "us-central1", Endpoint: "https://gcp-usc1.example.com:8443", Weight: 50},
		},
		Tenants: []Tenant{
			{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}},
			{ID: "globex", Cell: "gcp-usc1", Failover: []string{"aws-use1", "azure-weu"}, State: fabric.TenantActive},
			{ID: "wayne", Cell: "gcp-euw1", Failover: []string{"azure-weu"}, State: fabric.TenantMigrating},
			{ID: "frozen", Cell: "azure-weu", State: fabric.TenantReadonly},
		},
		SharedRoutes: []SharedRoute{
			{Prefix: "/catalog", Cells: []WeightedCell{{Cell: "aws-use1", Weight: 100}, {Cell: "gcp-usc1", Weight: 50}}},
			{Prefix: "/catalog/eu", Cells: []WeightedCell{{Cell: "azure-weu", Weight: 1}, {Cell: "gcp-euw1", Weight: 1}}},
		},
		UnknownTenants: fabric.PolicyReject,
	}
}

func mustCompile(t testing.TB, reg *Registry) *Snapshot {
	t.Helper()
	s, err := Compile(reg)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return s
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
