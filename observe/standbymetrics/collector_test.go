package standbymetrics

import (
	"maps"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cellfabric/cellfabric/control/mover"
)

// fixedLag is a follower's report as a mover.Follower gives it.
type fixedLag mover.Lag

func (l *fixedLag) Lag() mover.Lag { return mover.Lag(*l) }

// gather collects c and returns each metric's value by name, checking
// every series is a gauge labelled with acme's tenant and cells.
func gather(t *testing.T, c *Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"tenant": "acme", "source_cell": "cell-a", "standby_cell": "cell-b"}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, p := range m.GetLabel() {
				labels[p.GetName()] = p.GetValue()
			}
			if !maps.Equal(labels, want) || m.GetGauge() == nil {
				t.Errorf("%s: labels %v, gauge %v; want %v and a gauge", f.GetName(), labels, m.GetGauge(), want)
			}
			got[f.GetName()] = m.GetGauge().GetValue()
		}
	}
	return got
}

// TestCollector: what each state of a follower exports. A current one is
// up with its age and last current time; one never current has no age
// and a last current time of 0; one retrying, or stopped, is down.
func TestCollector(t *testing.T) {
	t.Parallel()
	at := time.Unix(1_700_000_000, 500_000_000)
	base := mover.Lag{Tenant: "acme", Primary: "cell-a", Standby: "cell-b", Applied: 25}
	with := func(f func(*mover.Lag)) mover.Lag { l := base; f(&l); return l }
	const (
		up, records, position = "cellfabric_standby_up", "cellfabric_standby_lag_records", "cellfabric_standby_applied_position"
		last, age             = "cellfabric_standby_last_current_timestamp_seconds", "cellfabric_standby_age_seconds"
	)
	for _, tc := range []struct {
		name    string
		lag     mover.Lag
		stopped bool
		want    map[string]float64
	}{
		{"current", with(func(l *mover.Lag) { l.CurrentAt, l.Age = at, 1500*time.Millisecond }), false,
			map[string]float64{up: 1, records: 0, position: 25, last: 1_700_000_000.5, age: 1.5}},
		{"never current yet", with(func(l *mover.Lag) { l.Records = 7 }), false,
			map[string]float64{up: 1, records: 7, position: 25, last: 0}},
		{"retrying", with(func(l *mover.Lag) { l.CurrentAt, l.Age, l.Retrying = at, time.Minute, "following the primary" }), false,
			map[string]float64{up: 0, records: 0, position: 25, last: 1_700_000_000.5, age: 60}},
		{"stopped", with(func(l *mover.Lag) { l.CurrentAt, l.Age = at, 2*time.Second }), true,
			map[string]float64{up: 0, records: 0, position: 25, last: 1_700_000_000.5, age: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := fixedLag(tc.lag)
			c := New(&src)
			if tc.stopped {
				c.Stopped(&src)
			}
			if got := gather(t, c); !maps.Equal(got, tc.want) {
				t.Errorf("exported %v, want %v", got, tc.want)
			}
		})
	}
}
