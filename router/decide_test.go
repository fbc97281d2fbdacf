package router

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	placeReg := testRegistry()
	placeReg.UnknownTenants = fabric.PolicyPlace
	downReg := testRegistry()
	downReg.Cells[0].State = fabric.CellDown
	tests := []struct {
		name       string
		reg        *Registry
		req        Request
		health     HealthView
		wantStatus int
		wantReason Reason
		wantVia    Via
		wantCells  []string
		wantRetry  int
		wantMsg    string
	}{
		{name: "primary", req: Request{Method: "GET", Tenant: "acme"}, wantVia: ViaPrimary, wantCells: []string{"aws-use1", "gcp-usc1"}},
		{name: "primary unhealthy goes to failover", req: Request{Method: "POST", Tenant: "acme"}, health: HealthMap{"aws-use1": false}, wantVia: ViaFailover, wantCells: []string{"gcp-usc1"}},
		{name: "primary down in registry", reg: downReg, req: Request{Method: "GET", Tenant: "acme"}, wantVia: ViaFailover, wantCells: []string{"gcp-usc1"}},
		{name: "failovers in order", req: Request{Method: "GET", Tenant: "globex"}, health: HealthMap{"gcp-usc1": false}, wantVia: ViaFailover, wantCells: []string{"aws-use1", "azure-weu"}},
		{name: "second failover", req: Request{Method: "GET", Tenant: "globex"}, health: HealthMap{"gcp-usc1": false, "aws-use1": false}, wantVia: ViaFailover, wantCells: []string{"azure-weu"}},
		{name: "later candidates not checked yet", req: Request{Method: "GET", Tenant: "globex"}, health: HealthMap{"aws-use1": false}, wantVia: ViaPrimary, wantCells: []string{"gcp-usc1", "aws-use1", "azure-weu"}},
		{name: "all cells down", req: Request{Method: "GET", Tenant: "acme"}, health: HealthMap{"aws-use1": false, "gcp-usc1": false}, wantStatus: 503, wantReason: ReasonNoHealthyCell, wantMsg: `every cell that holds tenant "acme" is down or unhealthy (aws-use1, gcp-usc1)`},
		{name: "draining cell keeps its tenants", req: Request{Method: "GET", Tenant: "wayne"}, wantVia: ViaPrimary, wantCells: []string{"gcp-euw1", "azure-weu"}},
		{name: "migrating tenant write", req: Request{Method: "POST", Tenant: "wayne"}, wantStatus: 503, wantReason: ReasonTenantReadonly, wantRetry: WriteRetryAfter, wantMsg: `tenant "wayne" is migrating`},
		{name: "migrating tenant delete", req: Request{Method: "DELETE", Tenant: "wayne"}, wantStatus: 503, wantReason: ReasonTenantReadonly, wantRetry: WriteRetryAfter},
		{name: "readonly tenant put", req: Request{Method: "PUT", Tenant: "frozen"}, wantStatus: 503, wantReason: ReasonTenantReadonly, wantRetry: WriteRetryAfter, wantMsg: "readonly"},
		{name: "readonly tenant head", req: Request{Method: "HEAD", Tenant: "frozen"}, wantVia: ViaPrimary, wantCells: []string{"azure-weu"}},
		{name: "readonly tenant options", req: Request{Method: "OPTIONS", Tenant: "frozen"}, wantVia: ViaPrimary, wantCells: []string{"azure-weu"}},
		{name: "unknown tenant rejected", req: Request{Method: "GET", Tenant: "nobody"}, wantStatus: 404, wantReason: ReasonUnknownTenant, wantMsg: `tenant "nobody" is not in the registry`},
		{name: "unknown tenant placed on active cells only", reg: placeReg, req: Request{Method: "GET", Tenant: "nobody"}, wantVia: ViaPlacement},
		{name: "placement with every active cell unhealthy", reg: placeReg, req: Request{Method: "GET", Tenant: "nobody"}, health: HealthMap{"aws-use1": false, "azure-weu": false, "gcp-usc1": false}, wantStatus: 503, wantReason: ReasonNoHealthyCell, wantMsg: "all cells are down"},
		{name: "shared route", req: Request{Method: "GET", Path: "/catalog/items"}, wantVia: ViaShared},
		{name: "shared route exact", req: Request{Method: "POST", Path: "/catalog"}, wantVia: ViaShared},
		{name: "longest prefix skips draining cell", req: Request{Method: "GET", Path: "/catalog/eu/x"}, wantVia: ViaShared, wantCells: []string{"azure-weu"}},
		{name: "shared route all unhealthy", req: Request{Method: "GET", Path: "/catalog/eu"}, health: HealthMap{"azure-weu": false}, wantStatus: 503, wantReason: ReasonNoHealthyCell, wantMsg: "shared route /catalog/eu"},
		{name: "prefix is not a word prefix", req: Request{Method: "GET", Path: "/catalogue"}, wantStatus: 400, wantReason: ReasonNoTenant},
		{name: "no tenant no route", req: Request{Method: "GET", Path: "/"}, wantStatus: 400, wantReason: ReasonNoTenant, wantMsg: "names no tenant"},
		{name: "tenant wins over shared path", req: Request{Method: "GET", Path: "/catalog", Tenant: "acme"}, wantVia: ViaPrimary, wantCells: []string{"aws-use1", "gcp-usc1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := tt.reg
			if reg == nil {
				reg = testRegistry()
			}
			d := mustCompile(t, reg).Decide(tt.req, tt.health)
			if d.Status != tt.wantStatus || d.Reason != tt.wantReason || d.RetryAfter != tt.wantRetry {
				t.Fatalf("decision = status %d reason %q retry %d, want %d %q %d", d.Status, d.Reason, d.RetryAfter, tt.wantStatus, tt.wantReason, tt.wantRetry)
			}
			if d.Forward() != (tt.wantStatus == 0) {
				t.Errorf("Forward() = %v", d.Forward())
			}
			if d.Via != tt.wantVia {
				t.Errorf("via = %q, want %q", d.Via, tt.wantVia)
			}
			if tt.wantCells != nil {
				var got []string
				for i := 0; i < d.Len(); i++ {
					got = append(got, d.Cell(i).ID)
				}
				if strings.Join(got, ",") != strings.Join(tt.wantCells, ",") {
					t.Errorf("cells = %v, want %v", got, tt.wantCells)
				}
			}
			for i := 0; i < d.Len(); i++ {
				c := d.Cell(i)
				checked := i == 0 || d.Via == ViaPlacement || d.Via == ViaShared
				if c.State == fabric.CellDown || (checked && tt.health != nil && !tt.health.Healthy(c.ID)) {
					t.Errorf("candidate %s is down or unhealthy", c.ID)
				}
				if (d.Via == ViaPlacement || d.Via == ViaShared) && c.EffectiveState() != fabric.CellActive {
					t.Errorf("%s traffic sent to %s cell %s", d.Via, c.State, c.ID)
				}
			}
			if tt.wantMsg != "" && !strings.Contains(d.Message(), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", d.Message(), tt.wantMsg)
			}
		})
	}
}

// TestNotInDirectory: a router that looked for the tenant in its directory
// first says so in the unknown-tenant refusal; other messages are the same.
func TestNotInDirectory(t *testing.T) {
	t.Parallel()
	snap := mustCompile(t, testRegistry())
	for _, tt := range []struct {
		name      string
		tenant    string
		directory bool
		want      string
	}{
		{"registry only", "nobody", false, `tenant "nobody" is not in the registry`},
		{"directory and registry", "nobody", true, `tenant "nobody" is not in the tenant directory or the registry`},
		{"forwarded", "acme", true, "forward to cell aws-use1 (primary)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := snap.Decide(Request{Method: "GET", Tenant: tt.tenant}, nil)
			if tt.directory {
				d.NotInDirectory()
			}
			if got := d.Message(); got != tt.want {
				t.Errorf("Message() = %q, want %q", got, tt.want)
			}
			if !d.Forward() && d.Refusal().Msg != tt.want {
				t.Errorf("Refusal().Msg = %q, want %q", d.Refusal().Msg, tt.want)
			}
		})
	}
}

func TestDecideAllocatesNothing(t *testing.T) {
	reg := testRegistry()
	reg.UnknownTenants = fabric.PolicyPlace
	reg.SharedRoutes[0].Balance = BalanceLatency
	s := mustCompile(t, reg)
	h := latencies{"aws-use1": 5 * time.Millisecond, "gcp-usc1": time.Millisecond}
	reqs := []Request{
		{Method: "GET", Tenant: "acme"},
		{Method: "POST", Tenant: "wayne"},
		{Method: "GET", Tenant: "new-tenant"},
		{Method: "GET", Path: "/catalog/x", Rand: 12345},
		{Method: "GET", Path: "/nothing"},
	}
	for _, r := range reqs {
		if n := testing.AllocsPerRun(100, func() { _ = s.Decide(r, h) }); n != 0 {
			t.Errorf("Decide(%+v) allocates %v times", r, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = s.Lists("acme") || s.Lists("new-tenant") }); n != 0 {
		t.Errorf("Lists allocates %v times", n)
	}
}

// latencies is a HealthView and LatencyView: every cell healthy, with the
// given latencies.
type latencies map[string]time.Duration

func (latencies) Healthy(string) bool              { return true }
func (l latencies) Latency(c string) time.Duration { return l[c] }

func TestSharedRouteWeights(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		balance Balance
		health  HealthView
		wantAWS float64 // expected share of aws-use1 (weight 100 vs gcp-usc1 50)
	}{
		{name: "weighted", balance: BalanceWeighted, health: AllHealthy{}, wantAWS: 2.0 / 3},
		{name: "latency without measurements", balance: BalanceLatency, health: AllHealthy{}, wantAWS: 2.0 / 3},
		// aws is 4x slower: its weight 100 counts as 25 against gcp's 50.
		{name: "latency aware", balance: BalanceLatency, health: latencies{"aws-use1": 40 * time.Millisecond, "gcp-usc1": 10 * time.Millisecond}, wantAWS: 1.0 / 3},
		{name: "weighted ignores latency", balance: BalanceWeighted, health: latencies{"aws-use1": 40 * time.Millisecond, "gcp-usc1": 10 * time.Millisecond}, wantAWS: 2.0 / 3},
		{name: "unhealthy cell gets nothing", balance: BalanceWeighted, health: HealthMap{"aws-use1": false}, wantAWS: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := testRegistry()
			reg.SharedRoutes[0].Balance = tt.balance
			s := mustCompile(t, reg)
			const n = 30000
			aws := 0
			for i := uint64(0); i < n; i++ {
				d := s.Decide(Request{Method: "GET", Path: "/catalog", Rand: mix(i)}, tt.health)
				if !d.Forward() {
					t.Fatalf("not forwarded: %s", d.Message())
				}
				if d.Cell(0).ID == "aws-use1" {
					aws++
				}
			}
			if got := float64(aws) / n; math.Abs(got-tt.wantAWS) > 0.02 {
				t.Errorf("aws-use1 share = %.3f, want %.3f", got, tt.wantAWS)
			}
		})
	}
}

func TestPlacement(t *testing.T) {
	t.Parallel()
	reg := testRegistry()
	reg.UnknownTenants = fabric.PolicyPlace
	s := mustCompile(t, reg)
	const n = 20000
	counts := map[string]int{}
	first := make([]string, n)
	for i := 0; i < n; i++ {
		d := s.Decide(Request{Method: "GET", Tenant: "t" + itoa(i)}, nil)
		if !d.Forward() || d.Via != ViaPlacement {
			t.Fatalf("tenant %d: %s", i, d.Message())
		}
		first[i] = d.Cell(0).ID
		counts[first[i]]++
		// Retry candidates are distinct active cells.
		seen := map[string]bool{}
		for j := 0; j < d.Len(); j++ {
			if seen[d.Cell(j).ID] {
				t.Fatalf("tenant %d: candidate %s twice", i, d.Cell(j).ID)
			}
			seen[d.Cell(j).ID] = true
		}
		if d.Len() != 3 {
			t.Fatalf("tenant %d: %d candidates, want the 3 active cells", i, d.Len())
		}
	}
	// Weights 100:100:50 over the active cells; the draining cell gets none.
	want := map[string]float64{"aws-use1": 0.4, "azure-weu": 0.4, "gcp-usc1": 0.2}
	for id, share := range want {
		if got := float64(counts[id]) / n; math.Abs(got-share) > 0.02 {
			t.Errorf("%s share = %.3f, want %.2f", id, got, share)
		}
	}
	if counts["gcp-euw1"] != 0 {
		t.Errorf("draining cell got %d placements", counts["gcp-euw1"])
	}
	// Minimal disruption: with azure-weu unhealthy only its tenants move.
	h := HealthMap{"azure-weu": false}
	for i := 0; i < n; i++ {
		got := s.Decide(Request{Method: "GET", Tenant: "t" + itoa(i)}, h).Cell(0).ID
		if first[i] != "azure-weu" && got != first[i] {
			t.Fatalf("tenant t%d moved from %s to %s though its cell is healthy", i, first[i], got)
		}
	}
	// Deterministic across snapshots (every router agrees).
	s2 := mustCompile(t, testRegistryPlace())
	for i := 0; i < 100; i++ {
		if got := s2.Decide(Request{Method: "GET", Tenant: "t" + itoa(i)}, nil).Cell(0).ID; got != first[i] {
			t.Fatalf("placement differs between snapshots: %s vs %s", got, first[i])
		}
	}
}

func testRegistryPlace() *Registry {
	r := testRegistry()
	r.UnknownTenants = fabric.PolicyPlace
	return r
}

func TestSnapshotAccessors(t *testing.T) {
	t.Parallel()
	s := mustCompile(t, testRegistry())
	if s.Epoch() != 10 || s.TenantCount() != 4 || s.Policy() != fabric.PolicyReject || len(s.Cells()) != 4 {
		t.Errorf("accessors: epoch %d tenants %d policy %s", s.Epoch(), s.TenantCount(), s.Policy())
	}
	tr, ok := s.Tenant("globex")
	if !ok || strings.Join(tr.Cells, ",") != "gcp-usc1,aws-use1,azure-weu" || tr.State != fabric.TenantActive {
		t.Errorf("Tenant(globex) = %+v %v", tr, ok)
	}
	if _, ok := s.Tenant("nobody"); ok {
		t.Error("Tenant(nobody) found")
	}
	if !s.Lists("globex") || s.Lists("nobody") || s.Lists("") {
		t.Errorf("Lists: globex %v, nobody %v, empty %v", s.Lists("globex"), s.Lists("nobody"), s.Lists(""))
	}
	if c, ok := s.Cell("gcp-euw1"); !ok || c.Cloud != "gcp" {
		t.Errorf("Cell = %+v %v", c, ok)
	}
	if _, ok := s.Cell("x"); ok {
		t.Error("Cell(x) found")
	}
	if _, err := Compile(nil); err == nil {
		t.Error("Compile(nil) succeeded")
	}
}

// TestDecideFor: a placement given by the tenant directory is decided like
// a listed tenant, whatever the registry says of that tenant.
func TestDecideFor(t *testing.T) {
	t.Parallel()
	snap := mustCompile(t, testRegistry())
	tests := []struct {
		name   string
		t      Tenant
		method string
		health HealthMap
		cell   string // "" when refused
		via    Via
		reason Reason
		n      int
	}{
		{"primary", Tenant{ID: "newco", Cell: "azure-weu", Failover: []string{"aws-use1"}}, "GET", nil, "azure-weu", ViaPrimary, "", 2},
		{"overrides the registry's placement", Tenant{ID: "acme", Cell: "gcp-usc1"}, "GET", nil, "gcp-usc1", ViaPrimary, "", 1},
		{"failover when the primary is unhealthy", Tenant{ID: "newco", Cell: "azure-weu", Failover: []string{"aws-use1"}}, "GET", HealthMap{"azure-weu": false}, "aws-use1", ViaFailover, "", 1},
		{"an unknown cell is skipped", Tenant{ID: "newco", Cell: "gone-cell", Failover: []string{"aws-use1"}}, "GET", nil, "aws-use1", ViaFailover, "", 1},
		{"a write to a migrating tenant", Tenant{ID: "newco", Cell: "azure-weu", State: "migrating"}, "PUT", nil, "", "", ReasonTenantReadonly, 0},
		{"a read of a migrating tenant", Tenant{ID: "newco", Cell: "azure-weu", State: "migrating"}, "GET", nil, "azure-weu", ViaPrimary, "", 1},
		{"no healthy cell", Tenant{ID: "newco", Cell: "azure-weu"}, "GET", HealthMap{"azure-weu": false}, "", "", ReasonNoHealthyCell, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := snap.DecideFor(Request{Method: tt.method, Tenant: tt.t.ID}, &tt.t, tt.health)
			if tt.cell == "" {
				if d.Forward() || d.Reason != tt.reason || d.Message() == "" {
					t.Fatalf("decision %+v (%s), want refusal %s", d, d.Message(), tt.reason)
				}
				return
			}
			if !d.Forward() || d.Cell(0).ID != tt.cell || d.Via != tt.via || d.Len() != tt.n {
				t.Fatalf("decision: cell %s via %s, %d candidates; want %s via %s, %d", d.Cell(0).ID, d.Via, d.Len(), tt.cell, tt.via, tt.n)
			}
		})
	}
}

// TestDecideForAllocatesNothing: a directory placement costs no more than
// a listed one. Not parallel: AllocsPerRun refuses to run inside one.
func TestDecideForAllocatesNothing(t *testing.T) {
	snap := mustCompile(t, testRegistry())
	tn := &Tenant{ID: "newco", Cell: "azure-weu", Failover: []string{"aws-use1"}}
	if n := testing.AllocsPerRun(100, func() {
		_ = snap.DecideFor(Request{Method: "GET", Tenant: "newco"}, tn, nil)
	}); n != 0 {
		t.Errorf("DecideFor allocates %v times", n)
	}
}
