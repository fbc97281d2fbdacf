package observe

import (
	"fmt"

	"github.com/cellfabric/cellfabric/stacks"
)

// Alert names of the warm standbys.
const (
	AlertStandbyLagging = "CellfabricStandbyLagging"
	AlertStandbyDown    = "CellfabricStandbyDown"
)

// standbyMaxAge is the age, in seconds, standbys are held to: the
// stack's observe.standbyMaxAgeSeconds, or its default.
func standbyMaxAge(t *stacks.Topology) int {
	if t.Observe.StandbyMaxAgeSeconds <= 0 {
		return stacks.DefaultStandbyMaxAgeSeconds
	}
	return t.Observe.StandbyMaxAgeSeconds
}

// standbyAlerts are the alerts about the warm standbys that `cellfabric
// standby run` keeps. Which tenants have one is decided by who runs a
// follower, not by the topology, so the rules hold every follower that is
// scraped to the same age and alert per tenant with the labels of its
// series (tenant, source_cell, standby_cell, job, instance): the tenant
// label's values are the tenants named on the followers' command lines.
// Without followers the rules read nothing and never fire.
func standbyAlerts(t *stacks.Topology) []Rule {
	maxAge := standbyMaxAge(t)
	return []Rule{
		{
			Alert: AlertStandbyLagging,
			Expr: fmt.Sprintf("%s > %d\nor\n%s == 0",
				mStandbyAge, maxAge, mStandbyLastCurrent),
			For:    promDuration(StandbyLaggingFor),
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary": "The warm standby of tenant {{ $labels.tenant }} on {{ $labels.standby_cell }} is behind its primary {{ $labels.source_cell }}.",
				"description": fmt.Sprintf("For %s, the standby of tenant {{ $labels.tenant }} has not held every write its primary {{ $labels.source_cell }} acknowledged for more than %d seconds (observe.standbyMaxAgeSeconds), or has never been current since its follower ({{ $labels.instance }}) started: a failover to {{ $labels.standby_cell }} now would lose the writes of that time. Serving is not affected.",
					promDuration(StandbyLaggingFor), maxAge),
				"runbook": "1. Look at the follower: `cellfabric standby run` prints each tenant's lag, and its log says what it retries (with CellfabricStandbyDown firing too, follow that alert's runbook first). " +
					"2. cellfabric_standby_lag_records growing: the primary takes writes faster than the standby applies them; give the follower more import parallelism or a standby cell closer to the primary. " +
					"3. Never current (cellfabric_standby_last_current_timestamp_seconds 0): the follower is still seeding a large tenant from the primary's export; it becomes current when the seed and the change feed written meanwhile are applied. " +
					"4. A failover now: `cellfabric tenants promote TENANT --to CELL` says how far behind the standby is, and refuses to lose writes unless told --accept-loss.",
			},
		},
		{
			Alert:  AlertStandbyDown,
			Expr:   fmt.Sprintf("%s == 0\nor\n%s{job=%q} == 0", mStandbyUp, mScrapeUp, StandbyJob),
			For:    promDuration(StandbyDownFor),
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary": "A warm standby follower ({{ $labels.instance }}) is not following its tenants.",
				"description": fmt.Sprintf("For %s, the follower at {{ $labels.instance }} has been retrying an unreachable primary or standby cell, or has stopped following (the directory placed the tenant elsewhere, or another follower holds the standby), or cannot be scraped at all (job %s). Meanwhile the standby's data ages and a failover to it loses more writes. Serving is not affected.",
					promDuration(StandbyDownFor), StandbyJob),
				"runbook": "1. Read the follower's log: it names the side it retries (primary or standby) and the error, or why it stopped. " +
					"2. A cell unreachable: check it as for CellfabricCellDown (its health URL, its state API, the network from the follower's host). The follower resumes by itself once it answers. " +
					"3. Stopped because the tenant was moved or promoted: start `cellfabric standby run` again for the tenant's new primary, or stop scraping it. " +
					"4. The target cannot be scraped: the follower process is gone; restart it (it resumes from the position it journaled on the standby cell).",
			},
		},
	}
}
