package observe

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/stacks"
)

// The fleet the promtool unit tests simulate: two router servers scraped
// as job cellfabric-router and one edge-health exporter, reporting on the
// topology's cells once a minute. Series values use promtool's expanding
// notation: "0+100x420" counts up by 100 a minute, "1x420" stays at 1.
const (
	routerJob = "cellfabric-router"
	edgeJob   = "cellfabric-edge"
	edgeInst  = "edge-exporter:9464"
	// The standby followers: one `standby run` following tenant acme from
	// the topology's first cell to its second.
	standbyInst = "standby-1:9465"
	samples     = 420 // 7 hours, so the 6-hour windows fill
)

var routerInstances = []string{"r1:9090", "r2:9090"}

// fleet holds the values of every input series, by a key naming it; a
// scenario changes a few of a healthy fleet's (healthyFleet).
type fleet struct {
	topo   *stacks.Topology
	values map[string]string
	labels map[string]string // key → the series, as name{labels}
	order  []string
}

func (f *fleet) set(key, series, values string) {
	if _, ok := f.values[key]; !ok {
		f.order = append(f.order, key)
	}
	f.values[key], f.labels[key] = values, series
}

// override changes an existing series' values; a key that names no series
// is a mistake in the test.
func (f *fleet) override(t *testing.T, key, values string) {
	t.Helper()
	if _, ok := f.values[key]; !ok {
		t.Fatalf("no input series %q (keys: %s)", key, strings.Join(f.order, ", "))
	}
	f.values[key] = values
}

func (f *fleet) series() []inputSeries {
	out := make([]inputSeries, 0, len(f.order))
	for _, k := range f.order {
		out = append(out, inputSeries{Series: f.labels[k], Values: f.values[k]})
	}
	return out
}

// Keys of the series a scenario may change.
func keyCode(cell, inst, code string) string { return "requests/" + cell + "/" + inst + "/" + code }
func keyHealthy(cell, inst string) string    { return "healthy/" + cell + "/" + inst }
func keyEdgeHealthy(cell string) string      { return "edge-healthy/" + cell }
func keyLastSync(inst string) string         { return "last-sync/" + inst }
func keyEdgeClass(cell, class string) string { return "edge-requests/" + cell + "/" + class }

const (
	keyEdgeChecked        = "edge-checked"
	keyEdgeUp             = "edge-up"
	keyStandbyUp          = "standby-up"
	keyStandbyAge         = "standby-age"
	keyStandbyLastCurrent = "standby-last-current"
	keyStandbyScrape      = "standby-scrape"
)

// steady is a counter that grows by perMinute every sample.
func steady(perMinute int) string { return fmt.Sprintf("0+%dx%d", perMinute, samples) }

// constant is a gauge that stays at v.
func constant(v string) string { return fmt.Sprintf("%sx%d", v, samples) }

// clock is a gauge that holds the evaluation time, in seconds since the
// test's start (time() in a promtool test starts at 0): a timestamp that
// keeps being refreshed.
var clock = fmt.Sprintf("0+60x%d", samples)

// healthyFleet is a fleet where every cell serves 100 requests a minute
// per router without a server error, every router and the edge see every
// cell healthy, every router's registry is in sync and the edge's health
// document is fresh.
func healthyFleet(topo *stacks.Topology) *fleet {
	f := &fleet{topo: topo, values: map[string]string{}, labels: map[string]string{}}
	for _, inst := range routerInstances {
		r := fmt.Sprintf(`job=%q, instance=%q`, routerJob, inst)
		for _, c := range topo.Cells {
			cl := fmt.Sprintf(`cell=%q, cloud=%q, %s`, c.ID, c.Cloud, r)
			f.set(keyCode(c.ID, inst, "200"), fmt.Sprintf(`%s{%s, code="200"}`, mRequests, cl), steady(100))
			f.set(keyCode(c.ID, inst, "500"), fmt.Sprintf(`%s{%s, code="500"}`, mRequests, cl), steady(0))
			// 60 of the 100 requests a minute within 5 ms, 95 within 25 ms.
			for _, b := range []struct {
				le  string
				per int
			}{{"0.005", 60}, {"0.025", 95}, {"0.1", 100}, {"+Inf", 100}} {
				f.set("bucket/"+c.ID+"/"+inst+"/"+b.le, fmt.Sprintf(`%s_bucket{cell=%q, le=%q, %s}`, mDuration, c.ID, b.le, r), steady(b.per))
			}
			f.set("upstream/"+c.ID+"/"+inst, fmt.Sprintf(`%s{cell=%q, %s}`, mUpstreamErrors, c.ID, r), steady(0))
			f.set(keyHealthy(c.ID, inst), fmt.Sprintf(`%s{%s}`, mCellHealthy, cl), constant("1"))
			f.set("ejected/"+c.ID+"/"+inst, fmt.Sprintf(`%s{%s}`, mCellEjected, cl), constant("0"))
		}
		// The router's own answers: a few unknown tenants.
		f.set("own/"+inst, fmt.Sprintf(`%s{cell="", cloud="", code="404", %s}`, mRequests, r), steady(2))
		f.set("rejected/"+inst, fmt.Sprintf(`%s{reason="unknown_tenant", %s}`, mRejected, r), steady(2))
		f.set("epoch/"+inst, fmt.Sprintf(`%s{%s}`, mRegistryEpoch, r), constant("1700000000"))
		f.set(keyLastSync(inst), fmt.Sprintf(`%s{%s}`, mRegistryLastSync, r), clock)
		f.set("reload-failures/"+inst, fmt.Sprintf(`%s{reason="fetch", %s}`, mReloadFailures, r), steady(0))
	}
	if edgeWatched(topo) {
		e := fmt.Sprintf(`job=%q, instance=%q`, edgeJob, edgeInst)
		for _, c := range topo.Cells {
			f.set(keyEdgeHealthy(c.ID), fmt.Sprintf(`%s{cell=%q, %s}`, mEdgeCellHealthy, c.ID, e), constant("1"))
		}
		f.set(keyEdgeChecked, fmt.Sprintf(`%s{%s}`, mEdgeCheckedAt, e), clock)
		f.set(keyEdgeUp, fmt.Sprintf(`%s{%s}`, mEdgeUp, e), constant("1"))
	}
	{
		// A follower keeps acme's standby current: its age stays under a
		// second and its last current time keeps up with the clock.
		s := fmt.Sprintf(`job=%q, instance=%q`, StandbyJob, standbyInst)
		l := fmt.Sprintf(`tenant="acme", source_cell=%q, standby_cell=%q, %s`, topo.Cells[0].ID, topo.Cells[1].ID, s)
		f.set(keyStandbyUp, fmt.Sprintf(`%s{%s}`, mStandbyUp, l), constant("1"))
		f.set(keyStandbyAge, fmt.Sprintf(`%s{%s}`, mStandbyAge, l), constant("0.2"))
		f.set(keyStandbyLastCurrent, fmt.Sprintf(`%s{%s}`, mStandbyLastCurrent, l), clock)
		f.set("standby-lag-records", fmt.Sprintf(`%s{%s}`, mStandbyLagRecords, l), constant("0"))
		f.set(keyStandbyScrape, fmt.Sprintf(`%s{%s}`, mScrapeUp, s), constant("1"))
	}
	if edgeCounted(topo) {
		// The edge sends every cell 2 requests a second, none failing, and
		// answers a few unknown tenants itself.
		e := fmt.Sprintf(`job=%q, instance=%q`, edgeJob, edgeInst)
		for _, c := range topo.Cells {
			cl := fmt.Sprintf(`cell=%q, cloud=%q, %s`, c.ID, c.Cloud, e)
			f.set(keyEdgeClass(c.ID, "2xx"), fmt.Sprintf(`%s{%s, class="2xx"}`, mEdgeRequests, cl), constant("2"))
			f.set(keyEdgeClass(c.ID, "5xx"), fmt.Sprintf(`%s{%s, class="5xx"}`, mEdgeRequests, cl), constant("0"))
			for q, v := range map[string]string{"0.5": "0.01", "0.99": "0.05"} {
				f.set("edge-latency/"+c.ID+"/"+q, fmt.Sprintf(`%s{%s, class="2xx", quantile=%q}`, mEdgeDuration, cl, q), constant(v))
			}
		}
		f.set("edge-own", fmt.Sprintf(`%s{cell="", cloud="", class="4xx", %s}`, mEdgeRequests, e), constant("0.1"))
	}
	return f
}

// alertNames lists every alert the rule file defines.
func alertNames(f RuleFile) []string {
	var names []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && !slices.Contains(names, r.Alert) {
				names = append(names, r.Alert)
			}
		}
	}
	return names
}

// findAlert returns the rule of an alert about a cell ("" for the fleet's
// alerts).
func findAlert(t *testing.T, f RuleFile, alert, cell string) Rule {
	t.Helper()
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == alert && r.Labels["cell"] == cell {
				return r
			}
		}
	}
	t.Fatalf("no alert %s for cell %q", alert, cell)
	return Rule{}
}

// firing is what promtool must see of an alert: its labels (the rule's and
// those of the series it fired on) and its annotations, rendered.
func firing(r Rule, seriesLabels map[string]string) expectAlert {
	labels := map[string]string{}
	for k, v := range seriesLabels {
		labels[k] = v
	}
	for k, v := range r.Labels {
		labels[k] = v
	}
	ann := map[string]string{}
	for k, v := range r.Annotations {
		ann[k] = strings.ReplaceAll(v, "{{ $labels.instance }}", labels["instance"])
	}
	return expectAlert{Labels: labels, Annotations: ann}
}
