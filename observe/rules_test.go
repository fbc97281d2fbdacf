package observe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/stacks"
)

// devTopology is the dev stack's topology, the one every example uses.
func devTopology(t *testing.T) *stacks.Topology {
	t.Helper()
	topo, err := stacks.LoadFile("../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func devRules(t *testing.T) (*stacks.Topology, RuleFile) {
	t.Helper()
	topo := devTopology(t)
	f, err := Rules(topo)
	if err != nil {
		t.Fatal(err)
	}
	return topo, f
}

// TestGolden pins what `cellfabric observe --stack dev` writes; review a
// change to testdata/dev like code (go test ./observe -update rewrites it).
func TestGolden(t *testing.T) {
	t.Parallel()
	topo, f := devRules(t)
	rules, err := f.Marshal(topo.Stack)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "testdata/dev/rules.yml", rules)
	d, err := NewDashboard(topo)
	if err != nil {
		t.Fatal(err)
	}
	dash, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "testdata/dev/dashboard.json", dash)
}

// variants are topologies the rules must also be right for: the dev stack,
// one without an edge, one with a cell declared down and SLOs of its own.
func variants(t *testing.T) map[string]*stacks.Topology {
	t.Helper()
	noEdge := devTopology(t)
	noEdge.Edge.Disabled = true
	mixed := devTopology(t)
	mixed.Cells[1].State = fabric.CellDown
	mixed.Cells[0].SLO = 99.95
	mixed.Cells[2].SLO = 99
	return map[string]*stacks.Topology{"dev": devTopology(t), "edge disabled": noEdge, "a cell down, SLOs per cell": mixed}
}

// TestRulesPassPromtoolCheck runs `promtool check rules` on the rules of
// each variant: every expression parses, every name and label is valid,
// no rule is duplicated.
func TestRulesPassPromtoolCheck(t *testing.T) {
	t.Parallel()
	for name, topo := range variants(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := Rules(topo)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeRules(t, dir, f)
			out := runPromtool(t, dir, "check", "rules", "rules.yml")
			if !strings.Contains(out, "SUCCESS") {
				t.Fatalf("promtool check rules did not report success:\n%s", out)
			}
		})
	}
}

// TestHealthyFleetFiresNothing runs every variant's alerts over a healthy
// fleet: at 30 minutes and once the 6-hour windows are full, no alert of
// any name fires.
func TestHealthyFleetFiresNothing(t *testing.T) {
	t.Parallel()
	for name, topo := range variants(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := Rules(topo)
			if err != nil {
				t.Fatal(err)
			}
			var checks []alertTest
			for _, at := range []string{"30m", "6h30m"} {
				for _, a := range alertNames(f) {
					checks = append(checks, alertTest{EvalTime: at, AlertName: a})
				}
			}
			if len(checks) < 8 {
				t.Fatalf("only %d checks: the rules define too few alerts (%v)", len(checks), alertNames(f))
			}
			runUnitTests(t, f, unitTest{Interval: "1m", InputSeries: healthyFleet(topo).series(), AlertTests: checks})
		})
	}
}

// TestAlertsFire runs the dev stack's rules over a fleet with one fault
// each, and checks which alerts fire, when, and with which labels and
// annotations: the fault's alert fires for the faulty cell or router only,
// and not before its `for` has passed.
func TestAlertsFire(t *testing.T) {
	t.Parallel()
	topo, f := devRules(t)
	cell := cellsByCloud(topo)[0]
	r1, r2 := routerInstances[0], routerInstances[1]
	downFrom10m := fmt.Sprintf("1x10 0x%d", samples-11)
	// errorsPer sets the cell's requests to ok good and bad 5xx a minute
	// at every router.
	errorsPer := func(ok, bad int) func(*testing.T, *fleet) {
		return func(t *testing.T, fl *fleet) {
			for _, inst := range routerInstances {
				fl.override(t, keyCode(cell.ID, inst, "200"), steady(ok))
				fl.override(t, keyCode(cell.ID, inst, "500"), steady(bad))
			}
		}
	}
	none := func(at, alert string) alertTest { return alertTest{EvalTime: at, AlertName: alert} }
	fires := func(at, alert string, want ...expectAlert) alertTest {
		return alertTest{EvalTime: at, AlertName: alert, ExpAlerts: want}
	}
	fast, slow := BurnWindows[0].Alert, BurnWindows[1].Alert
	cases := []struct {
		name   string
		fault  func(*testing.T, *fleet)
		checks []alertTest
	}{
		{
			name: "a cell down at every router fires CellDown after 2m",
			fault: func(t *testing.T, fl *fleet) {
				fl.override(t, keyHealthy(cell.ID, r1), downFrom10m)
				fl.override(t, keyHealthy(cell.ID, r2), downFrom10m)
			},
			checks: []alertTest{
				none("10m", AlertCellDown),
				none("12m", AlertCellDown), // unhealthy since 11m: pending
				fires("14m", AlertCellDown, firing(findAlert(t, f, AlertCellDown, cell.ID), nil)),
			},
		},
		{
			name:   "a cell down at one router only fires nothing",
			fault:  func(t *testing.T, fl *fleet) { fl.override(t, keyHealthy(cell.ID, r1), downFrom10m) },
			checks: []alertTest{none("30m", AlertCellDown), none("30m", AlertEdgeRouterDisagree)},
		},
		{
			name:  "5% server errors burn the budget fast: the fast burn fires at once, the slow burn after 15m",
			fault: errorsPer(95, 5),
			checks: []alertTest{
				fires("10m", fast, firing(findAlert(t, f, fast, cell.ID), nil)),
				none("10m", slow),
				fires("30m", slow, firing(findAlert(t, f, slow, cell.ID), nil)),
			},
		},
		{
			name:   "1% server errors fire the slow burn only (over 6×, under 14.4× a 0.1% budget)",
			fault:  errorsPer(99, 1),
			checks: []alertTest{none("1h", fast), fires("1h", slow, firing(findAlert(t, f, slow, cell.ID), nil))},
		},
		{
			name:   "0.5% server errors stay under both burn rates",
			fault:  errorsPer(199, 1),
			checks: []alertTest{none("6h30m", fast), none("6h30m", slow)},
		},
		{
			name: "a registry that stops syncing fires RegistryStale past 10m",
			fault: func(t *testing.T, fl *fleet) {
				fl.override(t, keyLastSync(r1), fmt.Sprintf("0+60x30 1800x%d", samples-31))
			},
			checks: []alertTest{
				none("40m", AlertRegistryStale), // exactly 10m since the last sync
				fires("45m", AlertRegistryStale, firing(findAlert(t, f, AlertRegistryStale, ""),
					map[string]string{"job": routerJob, "instance": r1})),
			},
		},
		{
			name:  "the edge sees a cell down that the routers see healthy: Disagree after 10m",
			fault: func(t *testing.T, fl *fleet) { fl.override(t, keyEdgeHealthy(cell.ID), downFrom10m) },
			checks: []alertTest{
				none("20m", AlertEdgeRouterDisagree),
				fires("25m", AlertEdgeRouterDisagree, firing(findAlert(t, f, AlertEdgeRouterDisagree, cell.ID), nil)),
				none("25m", AlertCellDown),
			},
		},
		{
			name: "the routers see a cell down that the edge sees healthy: Disagree and CellDown",
			fault: func(t *testing.T, fl *fleet) {
				fl.override(t, keyHealthy(cell.ID, r1), downFrom10m)
				fl.override(t, keyHealthy(cell.ID, r2), downFrom10m)
			},
			checks: []alertTest{
				fires("25m", AlertEdgeRouterDisagree, firing(findAlert(t, f, AlertEdgeRouterDisagree, cell.ID), nil)),
				fires("25m", AlertCellDown, firing(findAlert(t, f, AlertCellDown, cell.ID), nil)),
			},
		},
		{
			name: "a stale edge document fires EdgeHealthStale and silences Disagree",
			fault: func(t *testing.T, fl *fleet) {
				fl.override(t, keyEdgeChecked, fmt.Sprintf("0+60x10 600x%d", samples-11))
				fl.override(t, keyEdgeHealthy(cell.ID), downFrom10m)
			},
			checks: []alertTest{
				none("20m", AlertEdgeHealthStale),
				fires("25m", AlertEdgeHealthStale, firing(findAlert(t, f, AlertEdgeHealthStale, ""), nil)),
				none("25m", AlertEdgeRouterDisagree),
			},
		},
		{
			name: "the edge sees a cell fail that the routers see serve: EdgeErrors after 5m",
			fault: func(t *testing.T, fl *fleet) {
				fl.override(t, keyEdgeClass(cell.ID, "5xx"), fmt.Sprintf("0x10 1x%d", samples-11))
			},
			checks: []alertTest{
				none("10m", AlertEdgeErrors),
				none("14m", AlertEdgeErrors), // failing since 11m: pending
				fires("20m", AlertEdgeErrors, firing(findAlert(t, f, AlertEdgeErrors, cell.ID), nil)),
				none("20m", fast),
			},
		},
		{
			name: "the edge and the routers see the same errors: the burn alert, not EdgeErrors",
			fault: func(t *testing.T, fl *fleet) {
				fl.override(t, keyEdgeClass(cell.ID, "5xx"), fmt.Sprintf("0x10 1x%d", samples-11))
				for _, inst := range routerInstances {
					fl.override(t, keyCode(cell.ID, inst, "500"), fmt.Sprintf("0x10 0+50x%d", samples-11))
				}
			},
			checks: []alertTest{
				none("30m", AlertEdgeErrors),
				fires("30m", fast, firing(findAlert(t, f, fast, cell.ID), nil)),
			},
		},
		{
			name:  "an exporter that cannot read the document fires EdgeHealthUnreadable after 10m",
			fault: func(t *testing.T, fl *fleet) { fl.override(t, keyEdgeUp, downFrom10m) },
			checks: []alertTest{
				none("15m", AlertEdgeHealthUnreadable),
				fires("25m", AlertEdgeHealthUnreadable, firing(findAlert(t, f, AlertEdgeHealthUnreadable, ""), nil)),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fl := healthyFleet(topo)
			tc.fault(t, fl)
			runUnitTests(t, f, unitTest{Interval: "1m", InputSeries: fl.series(), AlertTests: tc.checks})
		})
	}
}

// TestAlertShape checks what every alert carries: a severity, the cell's
// cell, cloud and region on cell alerts, and a summary, description and
// runbook; and that no rule groups by, or filters on, a tenant.
func TestAlertShape(t *testing.T) {
	t.Parallel()
	topo, f := devRules(t)
	cells := map[string]stacks.Cell{}
	for _, c := range topo.Cells {
		cells[c.ID] = c
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if strings.Contains(r.Expr, "tenant") {
				t.Errorf("%s %s reads a tenant: %s", g.Name, r.Record+r.Alert, r.Expr)
			}
			if r.Alert == "" {
				continue
			}
			name := g.Name + "/" + r.Alert
			if sev := r.Labels["severity"]; sev != SeverityCritical && sev != SeverityWarning {
				t.Errorf("%s: severity %q", name, sev)
			}
			for _, a := range []string{"summary", "description", "runbook"} {
				if len(r.Annotations[a]) < 20 {
					t.Errorf("%s: annotation %s is %q", name, a, r.Annotations[a])
				}
			}
			if id, ok := strings.CutPrefix(g.Name, groupCellAlert); ok {
				c := cells[id]
				if r.Labels["cell"] != c.ID || r.Labels["cloud"] != string(c.Cloud) || r.Labels["region"] != c.Region {
					t.Errorf("%s: labels %v, want cell %s, cloud %s, region %s", name, r.Labels, c.ID, c.Cloud, c.Region)
				}
			}
		}
	}
}

// TestDownCellHasNoBurnOrDownAlert: a cell the stack declares down serves
// nothing by design; paging for it would be noise.
func TestDownCellHasNoBurnOrDownAlert(t *testing.T) {
	t.Parallel()
	topo := devTopology(t)
	topo.Cells[1].State = fabric.CellDown
	f, err := Rules(topo)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Labels["cell"] != topo.Cells[1].ID {
				continue
			}
			if r.Alert == AlertCellDown || r.Alert == BurnWindows[0].Alert || r.Alert == BurnWindows[1].Alert {
				t.Errorf("cell %s is down by configuration, yet has alert %s", topo.Cells[1].ID, r.Alert)
			}
		}
	}
}

// TestSLOThresholds checks each cell's burn alert uses its own SLO.
func TestSLOThresholds(t *testing.T) {
	t.Parallel()
	topo := devTopology(t)
	topo.Cells[0].SLO = 99.95
	f, err := Rules(topo)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cell, alert, want string
	}{
		{topo.Cells[0].ID, BurnWindows[0].Alert, "> (14.4 * 0.0005)"},
		{topo.Cells[0].ID, BurnWindows[1].Alert, "> (6 * 0.0005)"},
		{topo.Cells[1].ID, BurnWindows[0].Alert, "> (14.4 * 0.001)"},
	} {
		if r := findAlert(t, f, tc.alert, tc.cell); strings.Count(r.Expr, tc.want) != 2 {
			t.Errorf("%s %s: want both windows %q, got:\n%s", tc.cell, tc.alert, tc.want, r.Expr)
		}
	}
}

// TestCheck refuses an SLO whose fast burn could never fire, with the
// config path, and accepts the lowest one that can.
func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*stacks.Topology)
		path   string
	}{
		{"stack slo too low", func(t *stacks.Topology) {
			t.Observe.SLO = 90
			for i := range t.Cells {
				t.Cells[i].SLO = 90
			}
		}, "observe.slo"},
		{"cell slo too low", func(t *stacks.Topology) { t.Cells[2].SLO = 93 }, "cells[2].slo"},
		{"lowest slo that works", func(t *stacks.Topology) { t.Cells[2].SLO = 93.1 }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			topo := devTopology(t)
			tc.mutate(topo)
			err := Check(topo)
			if tc.path == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ps fabric.Problems
			if !errors.As(err, &ps) || !slices.ContainsFunc(ps.List, func(p fabric.Problem) bool {
				return p.Path == tc.path && strings.Contains(p.Msg, "could never fire") && strings.Contains(p.Msg, "above 93.05")
			}) {
				t.Fatalf("want a problem at %s saying the alert could never fire, got %v", tc.path, err)
			}
			if _, err := Rules(topo); err == nil {
				t.Fatal("Rules generated rules that cannot fire")
			}
			if _, err := NewDashboard(topo); err == nil {
				t.Fatal("NewDashboard accepted the topology")
			}
		})
	}
}

// TestGoldenFilesPassPromtool keeps the reviewed copy honest too.
func TestGoldenFilesPassPromtool(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs("testdata/dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rules.yml")); err != nil {
		t.Fatalf("%v (go test ./observe -update writes it)", err)
	}
	runPromtool(t, dir, "check", "rules", "rules.yml")
}
