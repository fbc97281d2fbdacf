package observe

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/stacks"
)

// Defaults of the generated alerts, in one place.
const (
	// CellDownFor is how long no router may see a cell healthy before
	// CellfabricCellDown fires: long enough to ride out a deploy's restart
	// (a router marks a cell down after two failed checks, 2 s apart).
	CellDownFor = 2 * time.Minute
	// DisagreeFor is how long the edge and every router may disagree on a
	// cell's health before CellfabricEdgeRouterDisagree fires: the Worker
	// probes once a minute at most, so shorter would flag every change.
	DisagreeFor = 10 * time.Minute
	// RegistryStaleAfter is how long a router may go without confirming it
	// serves what its registry source holds before
	// CellfabricRegistryStale fires (it polls every 2 s by default).
	RegistryStaleAfter = 10 * time.Minute
	// EdgeHealthMaxAge is the age beyond which the Worker ignores its
	// health document and routes as if every cell were healthy
	// (edgeconf.DefaultHealthMaxAgeSeconds): CellfabricEdgeHealthStale
	// fires past it.
	EdgeHealthMaxAge = edgeconf.DefaultHealthMaxAgeSeconds * time.Second
	// EdgeErrorsFor is how long the edge may see a cell fail at the fast
	// burn rate, unseen by the routers, before CellfabricEdgeErrors fires.
	EdgeErrorsFor = 5 * time.Minute
	// EdgeUnreadableFor is how long the edge-health exporter may fail to
	// read the document before CellfabricEdgeHealthUnreadable fires.
	EdgeUnreadableFor = 10 * time.Minute
	// StandbyLaggingFor is how long a standby's data may stay older than
	// the stack's observe.standbyMaxAgeSeconds (or never be current)
	// before CellfabricStandbyLagging fires: a burst of writes or a short
	// network blip catches up well within it.
	StandbyLaggingFor = 5 * time.Minute
	// StandbyDownFor is how long a follower may retry an unreachable cell,
	// have stopped, or fail to be scraped before CellfabricStandbyDown
	// fires: its backoff tops out at 2 s, so a cell back within it is
	// followed again well before.
	StandbyDownFor = 5 * time.Minute
	// StandbyJob is the Prometheus job name under which the rules expect
	// the standby followers' /metrics to be scraped (README: Observing
	// cells); a target of that job that cannot be scraped counts as a
	// follower down.
	StandbyJob = "cellfabric-standby"
)

// BurnWindow is one multi-window, multi-burn-rate alert, after the Google
// SRE workbook ("Alerting on SLOs"): it fires when the cell burns its error
// budget Factor times faster than the SLO allows, over both the Long window
// (enough budget spent to matter) and the Short one (still burning now, so
// the alert resets soon after the cause is gone).
type BurnWindow struct {
	// Alert is the alert's name.
	Alert string
	// Long and Short are the two windows.
	Long, Short time.Duration
	// Factor is the burn rate: 14.4 over 1 h spends 2% of a 30-day budget.
	Factor float64
	// For is how long both must hold.
	For time.Duration
	// Severity is the alert's severity label.
	Severity string
	// Spent says, for the alert's description, how much of a 30-day
	// budget this burn spends over Long.
	Spent string
}

// BurnWindows are the two page-worthy burns of the workbook: 2% of a
// 30-day budget in an hour, 5% in six hours.
var BurnWindows = []BurnWindow{
	{Alert: "CellfabricCellErrorBudgetFastBurn", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4, For: 2 * time.Minute, Severity: SeverityCritical, Spent: "2% of its 30-day error budget in one hour"},
	{Alert: "CellfabricCellErrorBudgetSlowBurn", Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6, For: 15 * time.Minute, Severity: SeverityCritical, Spent: "5% of its 30-day error budget in six hours"},
}

// Severities of the generated alerts: critical pages someone, warning
// makes a ticket.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// budget is the error budget of an SLO given in percent, as a ratio:
// 99.9 → 0.001.
func budget(slo float64) float64 { return (100 - slo) / 100 }

// num writes a number for PromQL and for people, without the float noise
// of binary arithmetic: 0.0010000000000000009 is 0.001.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

// promDuration writes a duration the way PromQL and rule files spell it:
// 5m, 1h, 90s.
func promDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return fmt.Sprintf("%ds", d/time.Second)
	}
}

// Check reports the problems of a topology that make rules it cannot hold:
// an SLO so low that a burn-rate alert could never fire (the fast burn
// needs more than 100% of requests to fail below 93.06%). stacks.Validate
// has checked the range already; Check adds what only the alerts' factors
// decide, with the same config paths, like infra/program.Check does for
// the VPN mesh.
func Check(t *stacks.Topology) error {
	c := fabric.Collector{In: stacks.ProblemsIn}
	fastest := BurnWindows[0]
	for _, w := range BurnWindows {
		if w.Factor > fastest.Factor {
			fastest = w
		}
	}
	floor := 100 - 100/fastest.Factor
	check := func(path string, slo float64) {
		if slo > 0 && slo < 100 && budget(slo)*fastest.Factor >= 1 {
			c.Add(path, "%s leaves an error budget of %s%%: %s fires at %s× the budget, more than every request failing, so it could never fire; use an SLO above %s",
				num(slo), num(100-slo), fastest.Alert, num(fastest.Factor), num(floor))
		}
	}
	if t.Observe.SLO != 0 {
		check("observe.slo", t.Observe.SLO)
	}
	for i, cell := range t.Cells {
		if cell.SLO != t.Observe.SLO {
			check(fmt.Sprintf("cells[%d].slo", i), cell.SLO)
		}
	}
	return c.Err()
}
