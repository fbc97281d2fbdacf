package edge

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/stacks"
)

func devTopology(t *testing.T) *stacks.Topology {
	t.Helper()
	topo, err := stacks.LoadFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// TestArgsFromTheDevTopology: the dev stack gives valid args whose cells,
// regions, tenants, routes and Worker config are the topology's, and whose
// registry is `cellfabric registry`'s.
func TestArgsFromTheDevTopology(t *testing.T) {
	t.Parallel()
	topo := devTopology(t)
	a, err := ArgsFromTopology(topo, cellsOutput(devOutputs().Cells))
	if err != nil {
		t.Fatal(err)
	}
	a.WorkerScript, a.WorkerWasm, a.EdgeKey, a.ControlKey = pulumi.String(testScript), pulumi.String(testWasm), pulumi.String(testKey), pulumi.String(testControlKey)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.AccountID != topo.Edge.AccountID || a.ZoneID != topo.Edge.ZoneID || a.TenantHost != "{tenant}.cellfabric.example.com" ||
		a.SharedHost != "api.cellfabric.example.com" || a.Steering != "geo" || a.EdgeKeyID != "k1" {
		t.Errorf("args %+v", a)
	}
	if !slices.Equal(a.tenantIDs(), devTenants) {
		t.Errorf("tenants = %v", a.tenantIDs())
	}
	// The routing half is the one the stack exports (trimmed) and the
	// fixture holds.
	if got, want := a.Routing.Trimmed(), devOutputs().Routing; !reflect.DeepEqual(got, want) {
		t.Errorf("routing from the topology:\n%+v\nthe outputs' routing:\n%+v", got, want)
	}
	wantCells := map[string]struct {
		region string
		weight int
	}{"aws-use1": {"ENAM", 100}, "azure-weu": {"WEU", 100}, "gcp-euw1": {"WEU", 100}, "gcp-usc1": {"ENAM", 50}}
	for _, c := range a.routedCells() {
		if w := wantCells[c.ID]; lbRegion(c) != w.region || lbWeight(c) != w.weight {
			t.Errorf("cell %s region %q weight %d, want %+v", c.ID, lbRegion(c), lbWeight(c), w)
		}
	}
	if r := a.Routing.SharedRoutes; len(r) != 1 || r[0].Prefix != "/catalog" || len(r[0].Cells) != 3 || r[0].Cells[2].Weight != 50 {
		t.Errorf("shared routes = %+v", r)
	}
	var cfgOut pulumi.StringOutput
	rec := recorder.New()
	err = rec.Run(recorder.Options{Stack: "dev"}, func(ctx *pulumi.Context) error {
		cfgOut = a.WorkerConfig.ToStringOutput()
		_, err := New(ctx, testName, a)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := recorder.Await(cfgOut)
	cfg, err := edgeconf.Parse([]byte(got.Value.(string)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.TenantModes, []string{edgeconf.ModeHost}) || cfg.HostPattern != a.TenantHost || cfg.CacheSeconds != topo.Edge.CacheSeconds {
		t.Errorf("worker config = %+v", cfg)
	}
	value := []byte(strIn(get(t, rec, tKV, testName+"-registry"), "value"))
	epoch := int64(get(t, rec, tStatic, testName+"-registry-epoch").Outputs["unix"].NumberValue())
	if string(value) != string(cliRegistry(t, devOutputsJSON(), epoch)) {
		t.Errorf("registry from topology args differs from `cellfabric registry`")
	}
	// The monitors probe what the cells' outputs say.
	mon := get(t, rec, tMonitor, testName+"-monitor-gcp-usc1")
	if strIn(mon, "path") != "/status/ready" {
		t.Errorf("gcp-usc1 monitor path %q", strIn(mon, "path"))
	}
}

// TestArgsFromTopologyVariants: placed unknown tenants get the wildcard; a
// cell that is not active carries no load-balancer weight; a tenant host
// the Worker cannot match is refused.
func TestArgsFromTopologyVariants(t *testing.T) {
	t.Parallel()
	cells := cellsOutput(devOutputs().Cells)
	t.Run("directory cache settings reach the Worker's config", func(t *testing.T) {
		t.Parallel()
		topo := devTopology(t)
		topo.Edge.DirectoryCacheEntries, topo.Edge.DirectoryNegativeSeconds = 2000, 3
		a, err := ArgsFromTopology(topo, cells)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := recorder.Await(a.WorkerConfig.ToStringOutput())
		cfg, err := edgeconf.Parse([]byte(got.Value.(string)))
		if err != nil || cfg.DirectoryCacheEntries != 2000 || cfg.DirectoryNegativeSeconds != 3 {
			t.Fatalf("Worker config %v: %+v", err, cfg)
		}
	})
	t.Run("analytics: on unless the stack turns it off", func(t *testing.T) {
		t.Parallel()
		off := false
		for _, tc := range []struct {
			set  *bool
			want bool
		}{{nil, true}, {&off, false}} {
			topo := devTopology(t)
			topo.Edge.Analytics = tc.set
			a, err := ArgsFromTopology(topo, cells)
			if err != nil {
				t.Fatal(err)
			}
			if a.Analytics != tc.want {
				t.Errorf("edge.analytics %v: Args.Analytics %v, want %v", tc.set, a.Analytics, tc.want)
			}
		}
	})
	t.Run("directory cache the Worker refuses", func(t *testing.T) {
		t.Parallel()
		topo := devTopology(t)
		topo.Edge.DirectoryNegativeSeconds = 4000
		if _, err := ArgsFromTopology(topo, cells); err == nil || !strings.Contains(err.Error(), "directoryNegativeSeconds") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("draining cell", func(t *testing.T) {
		t.Parallel()
		topo := devTopology(t)
		c, _ := topo.CellByID("gcp-euw1")
		c.State = fabric.CellDraining
		a, err := ArgsFromTopology(topo, cells)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range a.routedCells() {
			if (c.ID == "gcp-euw1") != (lbWeight(c) == 0) {
				t.Errorf("cell %s load-balancer weight %d", c.ID, lbWeight(c))
			}
		}
		if got := planLB(a).Default; slices.Contains(got, "gcp-euw1") {
			t.Errorf("the draining cell is a default pool: %v", got)
		}
	})
	t.Run("tenant host the Worker cannot match", func(t *testing.T) {
		t.Parallel()
		topo := devTopology(t)
		topo.Edge.TenantHost = "{tenant}-app.cellfabric.example.com"
		if _, err := ArgsFromTopology(topo, cells); err == nil {
			t.Fatal("no error")
		}
	})
}
