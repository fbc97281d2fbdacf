package edge

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestOnePoolAndMonitorPerCell: each cell has a monitor probing its own
// health path on its own host, with expected codes, and a pool whose one
// origin is the cell's host, checked by that monitor.
func TestOnePoolAndMonitorPerCell(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	if n, m := len(rec.OfType(tPool)), len(rec.OfType(tMonitor)); n != 4 || m != 4 {
		t.Fatalf("%d pools and %d monitors, want 4 of each", n, m)
	}
	tests := []struct {
		cell, host, path, scheme, region string
		port                             float64
	}{
		{"aws-use1", "aws-use1.cells.cellfabric.example.com", "/healthz", "https", "ENAM", 0},
		{"azure-weu", "azure-weu-app.kindsea-1a2b3c4d.westeurope.azurecontainerapps.io", "/healthz", "https", "WEU", 0},
		{"gcp-euw1", "gcp-euw1.cells.cellfabric.example.com", "/healthz", "https", "WEU", 0},
		{"gcp-usc1", "gcp-usc1.cells.cellfabric.example.com", "/status/ready", "https", "ENAM", 8443},
	}
	for _, tt := range tests {
		t.Run(tt.cell, func(t *testing.T) {
			t.Parallel()
			mon := get(t, rec, tMonitor, testName+"-monitor-"+tt.cell)
			pool := get(t, rec, tPool, testName+"-pool-"+tt.cell)
			for k, want := range map[string]string{"path": tt.path, "type": tt.scheme, "expectedCodes": DefaultExpectedCodes, "method": "GET", "accountId": testAccount} {
				if got := strIn(mon, k); got != want {
					t.Errorf("monitor %s = %q, want %q", k, got, want)
				}
			}
			if p := plain(mon.Inputs["port"]); (tt.port == 0) != (p.IsNull() || !p.HasValue()) || (tt.port != 0 && p.NumberValue() != tt.port) {
				t.Errorf("monitor port = %v, want %v", p, tt.port)
			}
			if h := header(objects(mon, "headers"), "Host"); !slices.Equal(h, []string{tt.host}) {
				t.Errorf("monitor Host header = %v, want %s", h, tt.host)
			}
			if got := strIn(pool, "monitor"); got != mon.ID {
				t.Errorf("pool monitor = %q, want %q", got, mon.ID)
			}
			if got := strIn(pool, "name"); got != "cellfabric-dev-"+tt.cell {
				t.Errorf("pool name = %q", got)
			}
			if got := strs(pool.Inputs["checkRegions"]); !slices.Equal(got, []string{tt.region}) {
				t.Errorf("check regions = %v, want [%s]", got, tt.region)
			}
			origins := objects(pool, "origins")
			if len(origins) != 1 {
				t.Fatalf("%d origins, want 1", len(origins))
			}
			if got := plain(origins[0]["address"]).StringValue(); got != tt.host {
				t.Errorf("origin address = %q, want %q", got, tt.host)
			}
			if h := header(objectsOf(origins[0]["headers"]), "Host"); !slices.Equal(h, []string{tt.host}) {
				t.Errorf("origin Host header = %v, want %s", h, tt.host)
			}
			// The provider's trap: never delete a pool or monitor before
			// its replacement exists (the load balancer still uses it).
			if pool.DeleteBeforeReplace || mon.DeleteBeforeReplace {
				t.Error("pool or monitor is delete-before-replace: Cloudflare refuses to delete a referenced pool")
			}
		})
	}
}

func objectsOf(v resource.PropertyValue) []resource.PropertyMap {
	var out []resource.PropertyMap
	if v = plain(v); v.IsArray() {
		for _, e := range v.ArrayValue() {
			out = append(out, plain(e).ObjectValue())
		}
	}
	return out
}

func header(hs []resource.PropertyMap, name string) []string {
	for _, h := range hs {
		if plain(h["header"]).StringValue() == name {
			return strs(h["values"])
		}
	}
	return nil
}

// poolIDs maps pool ids back to cell ids.
func poolIDs(rec *recorder.Recorder) map[string]string {
	out := map[string]string{}
	for _, p := range rec.OfType(tPool) {
		out[p.ID] = plain(objects(p, "origins")[0]["name"]).StringValue()
	}
	return out
}

func cellsOf(ids []string, pools map[string]string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = pools[id]
		if out[i] == "" {
			out[i] = "?" + id
		}
	}
	return out
}

// TestLoadBalancerSteering: the shared host's load balancer is proxied,
// uses the cells of the shared routes as default pools (heaviest first),
// falls back to the heaviest, and steers as asked.
func TestLoadBalancerSteering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		steering string
		regions  map[string][]string
		weights  map[string]float64
	}{
		{steering: "off"},
		{steering: "dynamic_latency"},
		{steering: "geo", regions: map[string][]string{
			"ENAM": {"aws-use1", "gcp-usc1", "gcp-euw1"},
			"WEU":  {"gcp-euw1", "aws-use1", "gcp-usc1"},
		}},
		{steering: "random", weights: map[string]float64{"aws-use1": 1, "gcp-euw1": 1, "gcp-usc1": 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.steering, func(t *testing.T) {
			t.Parallel()
			rec, _ := mustRun(t, func(a *Args) { a.Steering = tt.steering })
			lb := get(t, rec, tLB, testName+"-lb")
			pools := poolIDs(rec)
			if strIn(lb, "name") != "api."+testDomain || strIn(lb, "zoneId") != testZone || !plain(lb.Inputs["proxied"]).BoolValue() {
				t.Errorf("lb %q in %q proxied %v", strIn(lb, "name"), strIn(lb, "zoneId"), lb.Inputs["proxied"])
			}
			if got := strIn(lb, "steeringPolicy"); got != tt.steering {
				t.Errorf("steering = %q, want %q", got, tt.steering)
			}
			if got := cellsOf(strs(lb.Inputs["defaultPoolIds"]), pools); !slices.Equal(got, []string{"aws-use1", "gcp-euw1", "gcp-usc1"}) {
				t.Errorf("default pools = %v", got)
			}
			if got := pools[strIn(lb, "fallbackPoolId")]; got != "aws-use1" {
				t.Errorf("fallback pool = %q, want aws-use1", got)
			}
			gotRegions := map[string][]string{}
			for _, rp := range objects(lb, "regionPools") {
				gotRegions[plain(rp["region"]).StringValue()] = cellsOf(strs(rp["poolIds"]), pools)
			}
			if len(gotRegions) != len(tt.regions) {
				t.Errorf("region pools = %v, want %v", gotRegions, tt.regions)
			}
			for r, want := range tt.regions {
				if !slices.Equal(gotRegions[r], want) {
					t.Errorf("region %s pools = %v, want %v", r, gotRegions[r], want)
				}
			}
			rs := objects(lb, "randomSteerings")
			if (len(rs) > 0) != (tt.weights != nil) {
				t.Fatalf("random steerings = %v", rs)
			}
			if len(rs) > 0 {
				pw := plain(rs[0]["poolWeights"]).ObjectValue()
				if len(pw) != len(tt.weights) {
					t.Errorf("pool weights = %v", pw)
				}
				for id, w := range pw {
					if want := tt.weights[pools[string(id)]]; plain(w).NumberValue() != want {
						t.Errorf("pool %s weight %v, want %v", pools[string(id)], w, want)
					}
				}
			}
		})
	}
}

// TestNoSharedRoutesNoLoadBalancer: without shared routes there is nothing
// to balance: no load balancer, pools or monitors.
func TestNoSharedRoutesNoLoadBalancer(t *testing.T) {
	t.Parallel()
	rec, e := mustRun(t, func(a *Args) { a.Routing.SharedRoutes = nil })
	for _, typ := range []string{tLB, tPool, tMonitor} {
		if n := len(rec.OfType(typ)); n != 0 {
			t.Errorf("%d %s without shared routes", n, typ)
		}
	}
	got, err := recorder.Await(e.LoadBalancerHost)
	if err != nil || got.Value != "" {
		t.Errorf("LoadBalancerHost = %v (%v), want empty", got.Value, err)
	}
}

func TestPlanLB(t *testing.T) {
	t.Parallel()
	// Cells in eu-west-1 are in Cloudflare's WEU, us-east-1 in ENAM; ccc is
	// draining (it weighs nothing in the load balancer); ccc and eee are in
	// a region the table does not know.
	cells := map[string]router.Cell{
		"aaa": {Cloud: fabric.AWS, Region: "eu-west-1", Weight: 100},
		"bbb": {Cloud: fabric.AWS, Region: "us-east-1", Weight: 30},
		"ccc": {Cloud: fabric.AWS, Region: "mars-1", Weight: 20, State: fabric.CellDraining},
		"ddd": {Cloud: fabric.AWS, Region: "eu-west-1", Weight: 1},
		"eee": {Cloud: fabric.AWS, Region: "mars-1", Weight: 20},
	}
	type WeightedCell = router.WeightedCell
	type SharedRoute = router.SharedRoute
	route := func(ws ...WeightedCell) []SharedRoute { return []SharedRoute{{Prefix: "/x", Cells: ws}} }
	tests := []struct {
		name     string
		steering string
		routes   []SharedRoute
		want     lbPlan
	}{
		{"order by total route weight, then id", "off",
			append(route(WeightedCell{Cell: "bbb", Weight: 50}, WeightedCell{Cell: "aaa", Weight: 10}), SharedRoute{Prefix: "/y", Cells: []WeightedCell{{Cell: "aaa", Weight: 10}, {Cell: "ddd", Weight: 50}}}),
			lbPlan{Default: []string{"bbb", "ddd", "aaa"}, Fallback: "bbb"}},
		{"zero-weight cells left out", "off", route(WeightedCell{Cell: "aaa", Weight: 1}, WeightedCell{Cell: "ddd", Weight: 0}),
			lbPlan{Default: []string{"aaa"}, Fallback: "aaa"}},
		{"a cell that is not active weighs nothing", "off", route(WeightedCell{Cell: "aaa", Weight: 1}, WeightedCell{Cell: "ccc", Weight: 5}),
			lbPlan{Default: []string{"aaa"}, Fallback: "aaa"}},
		{"all zero keeps every cell", "off", route(WeightedCell{Cell: "ccc", Weight: 0}, WeightedCell{Cell: "aaa", Weight: 0}),
			lbPlan{Default: []string{"aaa", "ccc"}, Fallback: "aaa"}},
		{"geo puts a region's cells first", "geo", route(WeightedCell{Cell: "aaa", Weight: 5}, WeightedCell{Cell: "bbb", Weight: 9}, WeightedCell{Cell: "eee", Weight: 1}),
			lbPlan{Default: []string{"bbb", "aaa", "eee"}, Fallback: "bbb", Regions: []regionPools{
				{"ENAM", []string{"bbb", "aaa", "eee"}}, {"WEU", []string{"aaa", "bbb", "eee"}},
			}}},
		{"random weights in tenths of the heaviest", "random", route(WeightedCell{Cell: "aaa", Weight: 1}, WeightedCell{Cell: "bbb", Weight: 1}, WeightedCell{Cell: "ddd", Weight: 1}),
			lbPlan{Default: []string{"aaa", "bbb", "ddd"}, Fallback: "aaa", Weights: map[string]float64{"aaa": 1, "bbb": 0.3, "ddd": 0.1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := planLB(Args{Routing: router.Routing{Cells: cells, SharedRoutes: tt.routes}, Steering: tt.steering})
			if !slices.Equal(got.Default, tt.want.Default) || got.Fallback != tt.want.Fallback {
				t.Errorf("default %v fallback %s, want %v %s", got.Default, got.Fallback, tt.want.Default, tt.want.Fallback)
			}
			if len(got.Regions) != len(tt.want.Regions) {
				t.Fatalf("regions %v, want %v", got.Regions, tt.want.Regions)
			}
			for i := range got.Regions {
				if got.Regions[i].Region != tt.want.Regions[i].Region || !slices.Equal(got.Regions[i].Cells, tt.want.Regions[i].Cells) {
					t.Errorf("region %d = %v, want %v", i, got.Regions[i], tt.want.Regions[i])
				}
			}
			if len(got.Weights) != len(tt.want.Weights) {
				t.Errorf("weights %v, want %v", got.Weights, tt.want.Weights)
			}
			for id, w := range tt.want.Weights {
				if got.Weights[id] != w {
					t.Errorf("weight %s = %v, want %v", id, got.Weights[id], w)
				}
			}
		})
	}
}
