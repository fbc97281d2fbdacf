package observe

import (
	"fmt"
	"strings"
	"testing"
)

// standbyLabels are the labels of the healthy fleet's follower series.
func standbyLabels(t *testing.T) map[string]string {
	topo := devTopology(t)
	return map[string]string{"tenant": "acme", "source_cell": topo.Cells[0].ID, "standby_cell": topo.Cells[1].ID,
		"job": StandbyJob, "instance": standbyInst}
}

// firingOn is firing for alerts whose annotations name any label of the
// series they fire on.
func firingOn(r Rule, seriesLabels map[string]string) expectAlert {
	a := firing(r, seriesLabels)
	for k, v := range a.Annotations {
		for name, value := range seriesLabels {
			v = strings.ReplaceAll(v, "{{ $labels."+name+" }}", value)
		}
		a.Annotations[k] = v
	}
	return a
}

// TestStandbyAlertsFire runs the dev stack's rules over a fleet whose
// standby follower goes wrong in one way each: the alert fires for the
// follower's tenant (or its scrape target) once its `for` has passed, and
// not before; a standby at the threshold fires nothing.
func TestStandbyAlertsFire(t *testing.T) {
	t.Parallel()
	_, f := devRules(t)
	lagging, down := findAlert(t, f, AlertStandbyLagging, ""), findAlert(t, f, AlertStandbyDown, "")
	series := standbyLabels(t)
	target := map[string]string{"job": StandbyJob, "instance": standbyInst}
	none := func(at, alert string) alertTest { return alertTest{EvalTime: at, AlertName: alert} }
	fires := func(at, alert string, want ...expectAlert) alertTest {
		return alertTest{EvalTime: at, AlertName: alert, ExpAlerts: want}
	}
	// From the 11th minute on the value is 0 (promtool's 1x10 is 11 ones).
	downFrom11m := fmt.Sprintf("1x10 0x%d", samples-11)
	cases := []struct {
		name   string
		faults map[string]string
		checks []alertTest
	}{
		{
			name: "the standby's age grows past 30 s from the 11th minute: Lagging after 5m",
			faults: map[string]string{
				keyStandbyAge:         fmt.Sprintf("0.2x9 0+60x%d", samples-10), // 60 s at 11m, 120 s at 12m, ...
				keyStandbyLastCurrent: fmt.Sprintf("0+60x9 540x%d", samples-10),
			},
			checks: []alertTest{
				none("15m", AlertStandbyLagging), // over 30 s since 11m: pending
				fires("17m", AlertStandbyLagging, firingOn(lagging, series)),
				none("17m", AlertStandbyDown),
			},
		},
		{
			name:   "an age of exactly the threshold fires nothing",
			faults: map[string]string{keyStandbyAge: constant("30")},
			checks: []alertTest{none("30m", AlertStandbyLagging)},
		},
		{
			name: "a standby never current (still seeding): Lagging after 5m",
			faults: map[string]string{
				keyStandbyAge:         fmt.Sprintf("_x%d", samples),
				keyStandbyLastCurrent: constant("0"),
			},
			checks: []alertTest{
				none("4m", AlertStandbyLagging),
				fires("6m", AlertStandbyLagging, firingOn(lagging, series)),
			},
		},
		{
			name:   "a follower retrying from the 11th minute: Down after 5m",
			faults: map[string]string{keyStandbyUp: downFrom11m},
			checks: []alertTest{
				none("15m", AlertStandbyDown),
				fires("17m", AlertStandbyDown, firingOn(down, series)),
			},
		},
		{
			name:   "a follower that cannot be scraped from the 11th minute: Down after 5m, for its target",
			faults: map[string]string{keyStandbyScrape: downFrom11m},
			checks: []alertTest{
				none("15m", AlertStandbyDown),
				fires("17m", AlertStandbyDown, firingOn(down, target)),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fl := healthyFleet(devTopology(t))
			for key, values := range tc.faults {
				fl.override(t, key, values)
			}
			runUnitTests(t, f, unitTest{Interval: "1m", InputSeries: fl.series(), AlertTests: tc.checks})
		})
	}
}

// TestStandbyMaxAgeConfigurable: observe.standbyMaxAgeSeconds sets the
// age CellfabricStandbyLagging holds standbys to; an age under it fires
// nothing, one over it fires.
func TestStandbyMaxAgeConfigurable(t *testing.T) {
	t.Parallel()
	topo := devTopology(t)
	topo.Observe.StandbyMaxAgeSeconds = 120
	f, err := Rules(topo)
	if err != nil {
		t.Fatal(err)
	}
	lagging := findAlert(t, f, AlertStandbyLagging, "")
	for _, tc := range []struct {
		name  string
		age   string
		fires bool
	}{
		{"60 s, under the stack's 120 s", "60", false},
		{"180 s, over the stack's 120 s", "180", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fl := healthyFleet(topo)
			fl.override(t, keyStandbyAge, constant(tc.age))
			check := alertTest{EvalTime: "30m", AlertName: AlertStandbyLagging}
			if tc.fires {
				check.ExpAlerts = []expectAlert{firingOn(lagging, standbyLabels(t))}
			}
			runUnitTests(t, f, unitTest{Interval: "1m", InputSeries: fl.series(), AlertTests: []alertTest{check}})
		})
	}
}
