package observe

import (
	"fmt"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// Alert names that are not burn windows (BurnWindows names those).
const (
	AlertCellDown             = "CellfabricCellDown"
	AlertEdgeRouterDisagree   = "CellfabricEdgeRouterDisagree"
	AlertRegistryStale        = "CellfabricRegistryStale"
	AlertEdgeHealthStale      = "CellfabricEdgeHealthStale"
	AlertEdgeHealthUnreadable = "CellfabricEdgeHealthUnreadable"
	AlertEdgeErrors           = "CellfabricEdgeErrors"
)

// cellLabels are the labels of every alert about one cell.
func cellLabels(c stacks.Cell, severity string) map[string]string {
	return map[string]string{"cell": c.ID, "cloud": string(c.Cloud), "region": c.Region, "severity": severity}
}

// cellAlerts are the alerts about one cell. A cell the stack declares down
// is expected to serve nothing and be unreachable: it gets no burn or down
// alert (regenerate the rules when its state changes).
func cellAlerts(t *stacks.Topology, c stacks.Cell) []Rule {
	var rs []Rule
	if c.State != fabric.CellDown {
		for _, w := range BurnWindows {
			rs = append(rs, burnAlert(c, w))
		}
		rs = append(rs, Rule{
			Alert:  AlertCellDown,
			Expr:   cellSelector(rCellHealthyMax, c.ID) + " == 0",
			For:    promDuration(CellDownFor),
			Labels: cellLabels(c, SeverityCritical),
			Annotations: map[string]string{
				"summary": fmt.Sprintf("Cell %s (%s, %s) is down: no router sees it healthy.", c.ID, c.Cloud, c.Region),
				"description": fmt.Sprintf("For %s, every router has marked cell %s unhealthy (failed active health checks on its health URL, passive ejection after errors, or an operator override). Its tenants are served by their failover cells; tenants without a failover cell get 503 no_healthy_cell.",
					promDuration(CellDownFor), c.ID),
				"runbook": fmt.Sprintf("1. See why: GET /admin/cells on a router's admin listener shows %[1]s's last check, its error and whether it is ejected or overridden. "+
					"2. Probe the cell's health URL yourself, from the router's network and from outside. "+
					"3. Look at the cell on %[2]s in %[3]s: its instances, its last deploy, its store (the reference cell answers 503 on /healthz when its store does not answer). "+
					"4. Check the tenants homed on %[1]s have a failover cell (the dashboard's Fleet row shows no_healthy_cell answers). "+
					"5. Roll back a bad deploy, or set the cell's state to draining or down in the stack and run pulumi up while you repair it.", c.ID, c.Cloud, c.Region),
			},
		})
	}
	if edgeWatched(t) {
		rs = append(rs, disagreeAlert(c))
	}
	if edgeCounted(t) && c.State != fabric.CellDown {
		rs = append(rs, edgeErrorsAlert(c))
	}
	return rs
}

// edgeErrorsAlert fires while the edge sees a cell answer 5xx at the fast
// burn rate and the routers do not: the errors are on the way from
// Cloudflare to the cell (or there are no routers to see them), which the
// burn alerts, read from the routers, miss.
func edgeErrorsAlert(c stacks.Cell) Rule {
	threshold := num(BurnWindows[0].Factor) + " * " + num(budget(c.SLO))
	return Rule{
		Alert: AlertEdgeErrors,
		Expr: fmt.Sprintf("%s > (%s)\nunless\n%s > (%s)",
			cellSelector(rCellEdgeErrorRatio, c.ID), threshold, cellSelector(rCellErrorRatio+"5m", c.ID), threshold),
		For:    promDuration(EdgeErrorsFor),
		Labels: cellLabels(c, SeverityCritical),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("The edge sees cell %s (%s, %s) fail requests that the routers do not.", c.ID, c.Cloud, c.Region),
			"description": fmt.Sprintf("For %s, more than %s%% of the requests the Worker sent to cell %s were answered 5xx (as its Analytics Engine data points say), %s× the cell's error budget, while the routers' share of 5xx for the cell stays under that (or no router reports it).",
				promDuration(EdgeErrorsFor), num(100*BurnWindows[0].Factor*budget(c.SLO)), c.ID, num(BurnWindows[0].Factor)),
			"runbook": fmt.Sprintf("1. Open the dashboard's row for %[1]s: its Edge panel shows the edge's and the routers' share of 5xx side by side. "+
				"2. The Worker's 502/504 (no answer from the cell in time) point at the way from Cloudflare to the cell: its hostname's DNS and TLS, the cloud's firewall or WAF rules for Cloudflare's ranges, Authenticated Origin Pulls. "+
				"3. 5xx from the cell itself that the routers do not see: the cell refuses the edge's signature (a key rotation half done: edge.keyId and the cells' keys) or answers the edge's requests differently. "+
				"4. The Worker's logs (Cloudflare dashboard, Workers > the router Worker > Logs) have one line per failed attempt with the cell and the error.", c.ID),
		},
	}
}

// burnAlert is one burn window's alert for one cell.
func burnAlert(c stacks.Cell, w BurnWindow) Rule {
	b := budget(c.SLO)
	threshold := num(w.Factor) + " * " + num(b)
	long, short := promDuration(w.Long), promDuration(w.Short)
	return Rule{
		Alert: w.Alert,
		Expr: fmt.Sprintf("%s > (%s)\nand\n%s > (%s)",
			cellSelector(rCellErrorRatio+long, c.ID), threshold, cellSelector(rCellErrorRatio+short, c.ID), threshold),
		For:    promDuration(w.For),
		Labels: cellLabels(c, w.Severity),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Cell %s (%s, %s) is burning its error budget %s× too fast.", c.ID, c.Cloud, c.Region, num(w.Factor)),
			"description": fmt.Sprintf("More than %s%% of the requests cell %s answered were server errors (5xx) over the last %s and the last %s: %s× its error budget of %s%% (SLO %s%%), which spends %s.",
				num(100*w.Factor*b), c.ID, long, short, num(w.Factor), num(100*b), num(c.SLO), w.Spent),
			"runbook": fmt.Sprintf("1. Open the dashboard's row for %[1]s: which codes (502/504 from the router mean the cell did not answer in time or at all; other 5xx come from the cell), since when, and whether latency rose with them. "+
				"2. Compare with the other cells of %[2]s and the Fleet row: one cell (a bad deploy, its store) or the whole cloud or region (a provider incident). "+
				"3. A deploy in the window: roll it back. "+
				"4. Still burning and the tenants have failover cells: set %[1]s's state to draining (or down) in the stack and run pulumi up to move its traffic, then investigate. "+
				"5. Per-tenant detail: the router's logs carry cellfabric.tenant, cellfabric.cell and request_id for every failed attempt, and the cell's access log one line per request with the same names (README, Logs in each cloud).", c.ID, c.Cloud),
		},
	}
}

// disagreeAlert fires while the edge and every router disagree on a cell's
// health, with the edge's document fresh enough for the Worker to route on.
func disagreeAlert(c stacks.Cell) Rule {
	edge, hi, lo := cellSelector(rCellEdgeHealthy, c.ID), cellSelector(rCellHealthyMax, c.ID), cellSelector(rCellHealthyMin, c.ID)
	return Rule{
		Alert: AlertEdgeRouterDisagree,
		Expr: fmt.Sprintf("(\n  (%[1]s == 1 and on (cell) %[2]s == 0)\n  or\n  (%[1]s == 0 and on (cell) %[3]s == 1)\n)\nand on () (time() - max(%[4]s) < %[5]d)",
			edge, hi, lo, mEdgeCheckedAt, int(EdgeHealthMaxAge.Seconds())),
		For:    promDuration(DisagreeFor),
		Labels: cellLabels(c, SeverityWarning),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("The edge and the routers disagree on whether cell %s (%s, %s) is healthy.", c.ID, c.Cloud, c.Region),
			"description": fmt.Sprintf("For %s, the Worker's health probe and every router server have seen cell %s differently: one side sends its tenants there while the other fails them over. The edge probes from Cloudflare once per health cron; the routers check every few seconds from their own network and also eject a cell after errors.",
				promDuration(DisagreeFor), c.ID),
			"runbook": fmt.Sprintf("1. Compare the views: the edge's last probe of %[1]s (the exporter's cellfabric_edge_cell_healthy, or the health document in Workers KV, whose probes map says the status or error) and the routers' (GET /admin/cells: last check, error, ejection, override). "+
				"2. Edge says down, routers up: the path from Cloudflare to the cell (DNS of its hostname, TLS, the cloud's firewall or WAF rules for Cloudflare's ranges, the edge signature on the probe). "+
				"3. Edge says up, routers down: the path from the routers (the VPN mesh, security groups), a router-only override left on, or errors the routers see that a probe of the health URL does not. "+
				"4. Fix the path; the alert resolves when both views agree.", c.ID),
		},
	}
}

// fleetAlerts are the alerts about the routers' registry and the edge's
// health document: they concern a router or the edge, not one cell, so they
// carry the router's own labels (job, instance) instead of cell labels.
func fleetAlerts(t *stacks.Topology) []Rule {
	rs := []Rule{{
		Alert:  AlertRegistryStale,
		Expr:   fmt.Sprintf("time() - %s > %d", mRegistryLastSync, int(RegistryStaleAfter.Seconds())),
		For:    "1m",
		Labels: map[string]string{"severity": SeverityWarning},
		Annotations: map[string]string{
			"summary": "A router has not confirmed its registry for " + promDuration(RegistryStaleAfter) + ".",
			"description": "Router {{ $labels.instance }} has not read its registry source and served the document it holds for more than " + promDuration(RegistryStaleAfter) +
				": the source cannot be read, or it holds a document the router refused. The router keeps serving its last good registry, so tenants placed or moved since then are routed by old data.",
			"runbook": "1. Find why on that router: cellfabric_router_registry_reload_failures_total by reason (fetch: the file or URL cannot be read; parse, invalid, too_large: the document is bad; stale: its epoch is not newer than the one served), and the router's log lines about the registry, which name the source and the problem. " +
				"2. A bad document: fix it at the source (cellfabric registry --from the stack outputs builds a good one; a new epoch must be greater than the one served). " +
				"3. An unreadable source: restore the file or the URL (the router keeps serving meanwhile, and starts from its --last-known-good copy if it restarts). " +
				"4. The alert resolves on the router's next good read.",
		},
	}}
	if !edgeWatched(t) {
		return rs
	}
	maxAge := int(EdgeHealthMaxAge.Seconds())
	rs = append(rs,
		Rule{
			Alert:  AlertEdgeHealthStale,
			Expr:   fmt.Sprintf("time() - max(%s) > %d", mEdgeCheckedAt, maxAge),
			For:    "1m",
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary":     "The edge routes without cell health: its health document is older than " + promDuration(EdgeHealthMaxAge) + ".",
				"description": fmt.Sprintf("The Worker's health cron has not written a health document to Workers KV for more than %d seconds. Past that age the Worker ignores the document and counts every cell as healthy, so tenants of a dead cell are sent to it until a request fails over.", maxAge),
				"runbook": "1. Look at the Worker's cron trigger in Cloudflare (Workers > the router Worker > Triggers, and its logs): is it scheduled (edge.healthCron) and does it run? " +
					"2. Its log says why a run failed: no registry in KV (run pulumi up of the edge stack), or a KV write refused. " +
					"3. A healthCron slower than every ten minutes keeps the document stale by design: schedule it more often. " +
					"4. The alert resolves when the cron writes a fresh document.",
			},
		},
		Rule{
			Alert:  AlertEdgeHealthUnreadable,
			Expr:   fmt.Sprintf("max(%s) == 0", mEdgeUp),
			For:    promDuration(EdgeUnreadableFor),
			Labels: map[string]string{"severity": SeverityWarning},
			Annotations: map[string]string{
				"summary":     "The edge-health exporter cannot read the edge's health document.",
				"description": "For " + promDuration(EdgeUnreadableFor) + ", `cellfabric edge-health` has failed to read the health document from Workers KV, so the edge/router disagreement alerts are blind. Routing is not affected.",
				"runbook": "1. The exporter's log says why each read failed. " +
					"2. 401 or 403: the API token (CLOUDFLARE_API_TOKEN) needs Workers KV Storage: Read on the account. " +
					"3. 404: the namespace id (--namespace) is wrong, or the cron has never written the document (see CellfabricEdgeHealthStale). " +
					"4. A document that does not parse: the Worker and the exporter are from different cellfabric versions; upgrade the older.",
			},
		},
	)
	return rs
}
