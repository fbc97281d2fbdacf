package router

import (
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

// geoRegistry is testRegistry with geographies on its cells.
func geoRegistry() *Registry {
	r := testRegistry()
	for i, geo := range []string{"us", "eu", "eu", ""} {
		r.Cells[i].Geo = geo
	}
	return r
}

func TestCheckTenant(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, geoRegistry())
	tests := []struct {
		name string
		t    Tenant
		want []string // fragments; none: valid
	}{
		{name: "valid", t: Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}}},
		{name: "valid with residency", t: Tenant{ID: "acme", Cell: "azure-weu", Failover: []string{"gcp-euw1"}, Residency: "eu"}},
		{name: "bad id", t: Tenant{ID: "Acme", Cell: "aws-use1"}, want: []string{`in tenant "Acme":`, `id: "Acme" is not a valid tenant id`}},
		{name: "no cell", t: Tenant{ID: "acme"}, want: []string{"cell: required"}},
		{name: "unknown cell", t: Tenant{ID: "acme", Cell: "nowhere"}, want: []string{`cell: unknown cell "nowhere"`}},
		{name: "unknown failover", t: Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"nope"}}, want: []string{`failover[0]: unknown cell "nope"`}},
		{name: "failover is primary", t: Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"aws-use1"}}, want: []string{`failover[0]: "aws-use1" is the tenant's primary cell`}},
		{name: "failover twice", t: Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1", "gcp-usc1"}}, want: []string{`failover[1]: cell "gcp-usc1" is listed twice`}},
		{name: "too many failovers", t: Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"a", "b", "c", "d", "e", "f", "g", "h"}}, want: []string{"failover: 8 failover cells, over the limit of 7"}},
		{name: "bad state", t: Tenant{ID: "acme", Cell: "aws-use1", State: "pinned"}, want: []string{`state: unknown state "pinned"`}},
		{name: "bad residency", t: Tenant{ID: "acme", Cell: "aws-use1", Residency: "e u"}, want: []string{"residency:"}},
		{name: "negative epoch", t: Tenant{ID: "acme", Cell: "aws-use1", Epoch: -1}, want: []string{"epoch: -1 is negative"}},
		{name: "primary outside residency", t: Tenant{ID: "acme", Cell: "aws-use1", Residency: "eu"}, want: []string{`cell: tenant "acme" must stay in "eu" but primary cell "aws-use1" is in "us" (aws us-east-1)`}},
		{name: "failover outside residency", t: Tenant{ID: "acme", Cell: "azure-weu", Failover: []string{"aws-use1"}, Residency: "eu"}, want: []string{`failover[0]: tenant "acme" must stay in "eu" but failover cell "aws-use1" is in "us"`}},
		{name: "cell without geo", t: Tenant{ID: "acme", Cell: "gcp-usc1", Residency: "us"}, want: []string{`cell: tenant "acme" must stay in "us" but primary cell "gcp-usc1" has no geo`}},
		{name: "every problem at once", t: Tenant{ID: "acme", Cell: "nowhere", Failover: []string{"aws-use1"}, State: "x", Residency: "eu"}, want: []string{"3 problem(s)", "cell: unknown", "failover[0]: tenant", "state:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := s.CheckTenant(&tt.t)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckTenant: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckTenant accepted %+v", tt.t)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// The registry's own tenant checks and CheckTenant are one rule: the same
// message for the same mistake.
func TestCheckTenantSameMessagesAsValidate(t *testing.T) {
	t.Parallel()
	r := testRegistry()
	r.Tenants[0].Failover = []string{"aws-use1"}
	verr := r.Validate()
	s := mustCompile(t, testRegistry())
	cerr := s.CheckTenant(&r.Tenants[0])
	if verr == nil || cerr == nil {
		t.Fatalf("Validate: %v, CheckTenant: %v", verr, cerr)
	}
	const msg = `"aws-use1" is the tenant's primary cell; list only other cells`
	if !strings.Contains(verr.Error(), "tenants[0].failover[0]: "+msg) || !strings.Contains(cerr.Error(), "failover[0]: "+msg) {
		t.Errorf("messages differ:\n%v\n%v", verr, cerr)
	}
}

func TestRendezvous(t *testing.T) {
	t.Parallel()
	r := testRegistry()
	r.Cells[1].State = fabric.CellDown // azure-weu; gcp-euw1 is draining
	s := mustCompile(t, r)
	r2 := testRegistry()
	r2.Cells[1].State = fabric.CellDown
	s2 := mustCompile(t, r2)
	for i := range 200 {
		id := "t" + itoa(i)
		got := s.Rendezvous(id)
		if len(got) != 2 || !slices.Contains(got, "aws-use1") || !slices.Contains(got, "gcp-usc1") {
			t.Fatalf("Rendezvous(%s) = %v, want the two active cells", id, got)
		}
		// The same on another snapshot of an equal registry.
		if again := s2.Rendezvous(id); !slices.Equal(again, got) {
			t.Fatalf("Rendezvous(%s) = %v on one snapshot, %v on another", id, got, again)
		}
	}
	none := testRegistry()
	for i := range none.Cells {
		none.Cells[i].State = fabric.CellDown
	}
	if got := mustCompile(t, none).Rendezvous("acme"); len(got) != 0 {
		t.Errorf("every cell down: Rendezvous = %v, want none", got)
	}
}

// RendezvousExcept leaves the skipped cells out and keeps the others in
// Rendezvous's order, also when more cells are skipped than Rendezvous
// returns (a cell ranked below the first MaxCandidates moves up).
func TestRendezvousExcept(t *testing.T) {
	t.Parallel()
	r := testRegistry()
	r.Cells = nil
	for i := range MaxCandidates + 2 {
		id := "aws-c" + itoa(i)
		r.Cells = append(r.Cells, Cell{ID: id, Cloud: "aws", Region: "us-east-1", Endpoint: "https://" + id + ".example.com", Weight: 100, State: fabric.CellActive})
	}
	r.Tenants, r.SharedRoutes = nil, nil
	s := mustCompile(t, r)
	all := s.RendezvousExcept("acme", map[string]bool{})
	if len(all) != MaxCandidates || !slices.Equal(all, s.Rendezvous("acme")) {
		t.Fatalf("nothing skipped: %v, want Rendezvous's %v", all, s.Rendezvous("acme"))
	}
	tests := []struct {
		name string
		skip []string
	}{
		{name: "the first", skip: all[:1]},
		{name: "one in the middle", skip: all[3:4]},
		{name: "every cell Rendezvous returns", skip: all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			skip := map[string]bool{}
			for _, id := range tt.skip {
				skip[id] = true
			}
			got := s.RendezvousExcept("acme", skip)
			if len(got) == 0 {
				t.Fatalf("skipping %v left no cell of %d", tt.skip, len(r.Cells))
			}
			for _, id := range got {
				if skip[id] {
					t.Fatalf("RendezvousExcept = %v holds skipped %s", got, id)
				}
			}
			// Without the skipped cells, the rest keep their order.
			var kept []string
			for _, id := range all {
				if !skip[id] {
					kept = append(kept, id)
				}
			}
			if !slices.Equal(got[:len(kept)], kept) {
				t.Fatalf("RendezvousExcept = %v, want %v first", got, kept)
			}
		})
	}
}

func TestRendezvousMatchesPlacement(t *testing.T) {
	t.Parallel()
	r := testRegistry()
	r.UnknownTenants = fabric.PolicyPlace
	s := mustCompile(t, r)
	for i := range 100 {
		id := "new" + itoa(i)
		d := s.Decide(Request{Method: "GET", Tenant: id}, nil)
		got := s.Rendezvous(id)
		if d.Len() != len(got) {
			t.Fatalf("%s: Decide has %d candidates, Rendezvous %v", id, d.Len(), got)
		}
		for j := range got {
			if d.Cell(j).ID != got[j] {
				t.Fatalf("%s: candidate %d is %s in Decide, %s in Rendezvous", id, j, d.Cell(j).ID, got[j])
			}
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "valid", in: `{"id":"acme","cell":"aws-use1"}`},
		{name: "unknown field", in: `{"id":"acme","cel":"aws-use1"}`, want: `unknown field "cel"`},
		{name: "duplicate key", in: `{"id":"acme","id":"other"}`, want: "duplicate key"},
		{name: "trailing data", in: `{"id":"acme"} {}`, want: "trailing data"},
		{name: "empty", in: ``, want: "empty document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Tenant
			err := DecodeStrict([]byte(tt.in), &got)
			if tt.want == "" {
				if err != nil || got.ID != "acme" {
					t.Fatalf("DecodeStrict = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DecodeStrict(%s) = %v, want an error containing %q", tt.in, err, tt.want)
			}
		})
	}
}
