package observe

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/stacks"
)

// panelExprs lists every query of a dashboard with where it is, the way
// Grafana would send it with every variable at "All" and a 5-minute rate
// interval.
func panelExprs(d Dashboard) (where, exprs []string) {
	vars := strings.NewReplacer(`"$cloud"`, `".+"`, `"$cell"`, `".+"`, "$__rate_interval", "5m")
	row := ""
	for _, p := range d.Panels {
		if p.Type == "row" {
			row = p.Title
			continue
		}
		for _, tg := range p.Targets {
			where = append(where, fmt.Sprintf("%s / %s / %s", row, p.Title, tg.LegendFormat))
			exprs = append(exprs, vars.Replace(tg.Expr))
		}
	}
	return where, exprs
}

// TestDashboardShape checks the dashboard's structure as Grafana reads it,
// from the JSON it is written as: the current schema version, a
// datasource variable every panel and query uses, cloud and cell
// variables, a Fleet row on top, then exactly one row per cell of the
// topology, grouped by cloud, each with its panels, on a grid without
// overlaps.
func TestDashboardShape(t *testing.T) {
	t.Parallel()
	for name, topo := range variants(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := NewDashboard(topo)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := d.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				UID           string `json:"uid"`
				SchemaVersion int    `json:"schemaVersion"`
				Templating    struct {
					List []struct {
						Name, Type string
						Query      any
						Datasource *Datasource
					} `json:"list"`
				} `json:"templating"`
				Panels []struct {
					ID         int
					Type       string
					Title      string
					GridPos    GridPos
					Datasource *Datasource
					Targets    []struct {
						RefID      string `json:"refId"`
						Expr       string
						Datasource *Datasource
					}
				} `json:"panels"`
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.SchemaVersion != GrafanaSchemaVersion || got.UID != "cellfabric-"+topo.Stack {
				t.Errorf("schemaVersion %d uid %q", got.SchemaVersion, got.UID)
			}
			vars := map[string]string{}
			for _, v := range got.Templating.List {
				vars[v.Name] = v.Type
				if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != "${datasource}") {
					t.Errorf("variable %s does not query ${datasource}", v.Name)
				}
			}
			if vars["datasource"] != "datasource" || vars["cloud"] != "query" || vars["cell"] != "query" {
				t.Errorf("variables %v, want datasource (datasource), cloud and cell (query)", vars)
			}

			var rows []string
			ids := map[int]bool{}
			cover := map[[2]int]string{}
			for _, p := range got.Panels {
				if ids[p.ID] {
					t.Errorf("panel id %d used twice", p.ID)
				}
				ids[p.ID] = true
				for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
					for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
						if other, ok := cover[[2]int{x, y}]; ok {
							t.Fatalf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
						}
						cover[[2]int{x, y}] = p.Title
					}
				}
				if p.GridPos.X+p.GridPos.W > gridW {
					t.Errorf("panel %q is wider than the grid: %+v", p.Title, p.GridPos)
				}
				if p.Type == "row" {
					rows = append(rows, p.Title)
					continue
				}
				if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
					t.Errorf("panel %q: datasource %v, %d queries", p.Title, p.Datasource, len(p.Targets))
				}
				for _, tg := range p.Targets {
					if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" || tg.RefID == "" || tg.Expr == "" {
						t.Errorf("panel %q query %q: datasource %v, refId %q", p.Title, tg.Expr, tg.Datasource, tg.RefID)
					}
				}
			}
			want := []string{"Fleet"}
			for _, c := range cellsByCloud(topo) {
				want = append(want, fmt.Sprintf(rowTitleOf, c.Cloud, c.ID, c.Region))
			}
			if strings.Join(rows, "\n") != strings.Join(want, "\n") {
				t.Fatalf("rows:\n%s\nwant one per cell, grouped by cloud:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
			}
			if len(rows) != len(topo.Cells)+1 {
				t.Fatalf("%d rows for %d cells", len(rows), len(topo.Cells))
			}
		})
	}
}

// TestDashboardQueriesParse loads every query of the dashboard into
// promtool as a recording rule: `promtool check rules` parses each with
// Prometheus's own PromQL parser.
func TestDashboardQueriesParse(t *testing.T) {
	t.Parallel()
	d, err := NewDashboard(devTopology(t))
	if err != nil {
		t.Fatal(err)
	}
	where, exprs := panelExprs(d)
	var g RuleGroup
	g.Name = "dashboard"
	for i, e := range exprs {
		g.Rules = append(g.Rules, Rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: e})
	}
	dir := t.TempDir()
	writeRules(t, dir, RuleFile{Groups: []RuleGroup{g}})
	out := runPromtool(t, dir, "check", "rules", "rules.yml")
	if !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", len(exprs))) {
		t.Fatalf("promtool checked other than the %d queries (%v):\n%s", len(exprs), where, out)
	}
}

// TestDashboardQueriesReturnData evaluates every query of the dashboard,
// with promtool, over a healthy fleet with the generated recording rules
// loaded: each returns at least one series, so none names a metric or a
// recorded series that does not exist.
func TestDashboardQueriesReturnData(t *testing.T) {
	t.Parallel()
	for name, topo := range map[string]*stacks.Topology{"dev": devTopology(t), "edge disabled": variants(t)["edge disabled"]} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := Rules(topo)
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewDashboard(topo)
			if err != nil {
				t.Fatal(err)
			}
			_, exprs := panelExprs(d)
			var checks []exprTest
			for _, e := range exprs {
				checks = append(checks, exprTest{Expr: "count(" + e + ") > bool 0", EvalTime: "6h30m", ExpSamples: []expectSample{{Labels: "{}", Value: 1}}})
			}
			runUnitTests(t, f, unitTest{Interval: "1m", InputSeries: healthyFleet(topo).series(), ExprTests: checks})
		})
	}
}
