package server

import (
	"time"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
)

// What an attempt's outcome does to health, metrics, the retry budget and
// the logs, the same for both engines: each engine sends the attempts of
// st.attempts in turn and reports each outcome here.

// attemptFailed records an attempt to cell that got no answer (err; sent
// says whether the request may have reached the cell) and reports whether
// the request goes on to the next cell.
func (rt *Router) attemptFailed(st *reqState, cell *router.Cell, err error, sent bool) (next bool) {
	st.cell = cell
	f := classify(err, sent)
	rt.cfg.Health.Observe(cell.ID, f.CountsAgainstCell(), 0)
	rt.metrics.upstreamError(cell.ID)
	st.log(rt.cfg.Logger).Warn("cell request failed", logattr.Cell, cell.ID, logattr.Cloud, cell.Cloud, "sent", sent, "error", err)
	next = st.attempts.Failed(f, st.body != nil && st.body.read.Load()) && rt.budget.allow()
	st.traceAttemptEnd(0, err, next)
	return next
}

// attemptAnswered records cell's answer with status after took and
// reports whether the answer is dropped for the next cell (a gateway
// error under the policy, within the retry budget).
func (rt *Router) attemptAnswered(st *reqState, cell *router.Cell, status int, took time.Duration) (next bool) {
	st.cell = cell
	rt.cfg.Health.Observe(cell.ID, status >= 500, took)
	if st.attempts.RetryStatus(status) && rt.budget.allow() {
		st.log(rt.cfg.Logger).Info("retrying on the next cell", logattr.Cell, cell.ID, logattr.Status, status)
		st.traceAttemptEnd(status, nil, true)
		return true
	}
	st.status = status
	st.traceAttemptEnd(status, nil, false)
	return false
}
