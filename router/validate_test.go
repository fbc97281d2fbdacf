package router

import (
	"errors"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(r *Registry)
		want   []string // "path: message fragment", each must appear
	}{
		{name: "valid", modify: func(*Registry) {}},
		{name: "wrong version", modify: func(r *Registry) { r.Version = 2 }, want: []string{"version: got 2"}},
		{name: "zero epoch", modify: func(r *Registry) { r.Epoch = 0 }, want: []string{"epoch: must be positive"}},
		{name: "no cells", modify: func(r *Registry) { r.Cells = nil; r.Tenants = nil; r.SharedRoutes = nil }, want: []string{"cells: at least one cell"}},
		{name: "too many cells", modify: func(r *Registry) {
			for i := 0; i <= MaxCells; i++ {
				c := r.Cells[0]
				c.ID = "c" + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + itoa(i)
				r.Cells = append(r.Cells, c)
			}
		}, want: []string{"cells: 1029 cells, over the limit"}},
		{name: "bad cell id", modify: func(r *Registry) { r.Cells[1].ID = "Azure_WEU" }, want: []string{`cells[1].id: "Azure_WEU" is not a valid cell id`, `tenants[1].failover[1]: unknown cell "azure-weu"`}},
		{name: "cell id starting with digit", modify: func(r *Registry) { r.Cells[0].ID = "1aws" }, want: []string{`cells[0].id: "1aws" is not a valid cell id`}},
		{name: "duplicate cell", modify: func(r *Registry) { r.Cells[3].ID = "aws-use1" }, want: []string{`cells[3].id: duplicate cell "aws-use1" (also cells[0])`}},
		{name: "bad cloud", modify: func(r *Registry) { r.Cells[0].Cloud = "AWS" }, want: []string{`cells[0].cloud: "AWS" is not a cloud cellfabric runs cells on`}},
		{name: "empty region", modify: func(r *Registry) { r.Cells[0].Region = "" }, want: []string{`cells[0].region: "" is not a valid region`}},
		{name: "region with space", modify: func(r *Registry) { r.Cells[0].Region = "us east" }, want: []string{`cells[0].region`}},
		{name: "missing endpoint", modify: func(r *Registry) { r.Cells[0].Endpoint = "" }, want: []string{"cells[0].endpoint: required"}},
		{name: "endpoint not http", modify: func(r *Registry) { r.Cells[0].Endpoint = "ftp://x.example.com" }, want: []string{"cells[0].endpoint: \"ftp://x.example.com\": the endpoint must be an http or https URL"}},
		{name: "endpoint with path", modify: func(r *Registry) { r.Cells[0].Endpoint = "https://x.example.com/api" }, want: []string{"cells[0].endpoint: \"https://x.example.com/api\": the endpoint must be a base URL"}},
		{name: "endpoint with query", modify: func(r *Registry) { r.Cells[0].Endpoint = "https://x.example.com?a=b" }, want: []string{"cells[0].endpoint:", "base URL"}},
		{name: "endpoint without host", modify: func(r *Registry) { r.Cells[0].Endpoint = "https://" }, want: []string{"cells[0].endpoint: \"https://\": the endpoint has no host"}},
		{name: "endpoint with credentials", modify: func(r *Registry) { r.Cells[0].Endpoint = "https://u:p@x.example.com" }, want: []string{"cells[0].endpoint: the endpoint must not carry credentials"}},
		{name: "endpoint with fragment", modify: func(r *Registry) { r.Cells[0].Endpoint = "https://x.example.com#f" }, want: []string{"cells[0].endpoint:", "fragment"}},
		{name: "endpoint unparsable", modify: func(r *Registry) { r.Cells[0].Endpoint = "https://x .com:bad" }, want: []string{"cells[0].endpoint:", "is not a URL"}},
		{name: "bad health url", modify: func(r *Registry) { r.Cells[0].HealthURL = "/healthz" }, want: []string{"cells[0].healthUrl: \"/healthz\": the health URL must be an http or https URL"}},
		{name: "negative weight", modify: func(r *Registry) { r.Cells[0].Weight = -1 }, want: []string{"cells[0].weight: -1 is out of range"}},
		{name: "huge weight", modify: func(r *Registry) { r.Cells[0].Weight = MaxWeight + 1 }, want: []string{"cells[0].weight: 1000001 is out of range"}},
		{name: "bad cell state", modify: func(r *Registry) { r.Cells[0].State = "up" }, want: []string{`cells[0].state: unknown state "up"`}},
		{name: "bad tenant id", modify: func(r *Registry) { r.Tenants[0].ID = "-acme" }, want: []string{`tenants[0].id: "-acme" is not a valid tenant id`}},
		{name: "tenant id too long", modify: func(r *Registry) { r.Tenants[0].ID = strings.Repeat("a", 64) }, want: []string{`tenants[0].id:`}},
		{name: "duplicate tenant", modify: func(r *Registry) { r.Tenants[3].ID = "acme" }, want: []string{`tenants[3].id: duplicate tenant "acme" (also tenants[0])`}},
		{name: "tenant without cell", modify: func(r *Registry) { r.Tenants[0].Cell = "" }, want: []string{"tenants[0].cell: required"}},
		{name: "tenant unknown cell", modify: func(r *Registry) { r.Tenants[3].Cell = "x" }, want: []string{`tenants[3].cell: unknown cell "x"`}},
		{name: "failover unknown", modify: func(r *Registry) { r.Tenants[1].Failover[1] = "nope" }, want: []string{`tenants[1].failover[1]: unknown cell "nope"`}},
		{name: "failover is primary", modify: func(r *Registry) { r.Tenants[0].Failover = []string{"aws-use1"} }, want: []string{`tenants[0].failover[0]: "aws-use1" is the tenant's primary cell`}},
		{name: "failover twice", modify: func(r *Registry) { r.Tenants[0].Failover = []string{"gcp-usc1", "gcp-usc1"} }, want: []string{`tenants[0].failover[1]: cell "gcp-usc1" is listed twice`}},
		{name: "too many failovers", modify: func(r *Registry) {
			r.Tenants[0].Failover = []string{"gcp-usc1", "azure-weu", "gcp-euw1", "a", "b", "c", "d", "e"}
		}, want: []string{"tenants[0].failover: 8 failover cells, over the limit of 7"}},
		{name: "bad tenant state", modify: func(r *Registry) { r.Tenants[0].State = "pinned" }, want: []string{`tenants[0].state: unknown state "pinned"`}},
		{name: "bad residency", modify: func(r *Registry) { r.Tenants[0].Residency = "e u" }, want: []string{`tenants[0].residency`}},
		{name: "bad prefix", modify: func(r *Registry) { r.SharedRoutes[0].Prefix = "catalog" }, want: []string{`sharedRoutes[0].prefix: "catalog" is not a valid path prefix`}},
		{name: "prefix with query", modify: func(r *Registry) { r.SharedRoutes[0].Prefix = "/c?x" }, want: []string{`sharedRoutes[0].prefix`}},
		{name: "duplicate prefix", modify: func(r *Registry) { r.SharedRoutes[1].Prefix = "/catalog" }, want: []string{`sharedRoutes[1].prefix: duplicate prefix "/catalog" (also sharedRoutes[0])`}},
		{name: "route without cells", modify: func(r *Registry) { r.SharedRoutes[0].Cells = nil }, want: []string{"sharedRoutes[0].cells: at least one cell"}},
		{name: "route unknown cell", modify: func(r *Registry) { r.SharedRoutes[0].Cells[1].Cell = "zz" }, want: []string{`sharedRoutes[0].cells[1].cell: unknown cell "zz"`}},
		{name: "route cell twice", modify: func(r *Registry) { r.SharedRoutes[0].Cells[1].Cell = "aws-use1" }, want: []string{`sharedRoutes[0].cells[1].cell: cell "aws-use1" is listed twice`}},
		{name: "route negative weight", modify: func(r *Registry) { r.SharedRoutes[0].Cells[0].Weight = -5 }, want: []string{"sharedRoutes[0].cells[0].weight: -5 is out of range"}},
		{name: "route all zero", modify: func(r *Registry) { r.SharedRoutes[1].Cells[0].Weight = 0; r.SharedRoutes[1].Cells[1].Weight = 0 }, want: []string{"sharedRoutes[1].cells: every weight is 0"}},
		{name: "bad balance", modify: func(r *Registry) { r.SharedRoutes[0].Balance = "fastest" }, want: []string{`sharedRoutes[0].balance: unknown balance "fastest"`}},
		{name: "bad policy", modify: func(r *Registry) { r.UnknownTenants = "allow" }, want: []string{`unknownTenants: unknown policy "allow"`}},
		{name: "every problem at once", modify: func(r *Registry) {
			r.Epoch = -1
			r.Cells[0].Cloud = ""
			r.Tenants[2].Cell = "x"
			r.UnknownTenants = "?"
		}, want: []string{"epoch:", "cells[0].cloud:", "tenants[2].cell:", "unknownTenants:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := testRegistry()
			tt.modify(r)
			err := r.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: no error, want %q", tt.want)
			}
			var ps fabric.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, want Problems", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			// Compile must refuse exactly what Validate refuses.
			if _, cerr := Compile(r); cerr == nil {
				t.Errorf("Compile accepted an invalid registry")
			}
		})
	}
}

func TestProblemsErrorIsCapped(t *testing.T) {
	t.Parallel()
	r := testRegistry()
	for i := 0; i < 250; i++ {
		r.Tenants = append(r.Tenants, Tenant{ID: "t" + itoa(i), Cell: "missing"})
	}
	err := r.Validate()
	var ps fabric.Problems
	if !errors.As(err, &ps) || len(ps.List) != 250 {
		t.Fatalf("want 250 problems, got %d (%v)", len(ps.List), err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "250 problem(s)") || !strings.Contains(msg, "... and 150 more") {
		t.Errorf("message not summarised: %.300s", msg)
	}
	if got := strings.Count(msg, "unknown cell"); got != fabric.MaxProblems {
		t.Errorf("listed %d problems, want %d", got, fabric.MaxProblems)
	}
	var one fabric.Problem
	if !errors.As(err, &one) || one.Path != "tenants[4].cell" {
		t.Errorf("errors.As(Problem) = %+v, want the first problem", one)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
