package main

import (
	"strconv"
	"time"
)

// The Worker's request metrics: one data point per request it routes,
// written to a Workers Analytics Engine dataset (edgeconf.AnalyticsBinding)
// when the Worker has one bound, and read back by `cellfabric edge-health`
// (observe/edgehealth) through the Analytics Engine SQL API. Recording never
// fails or delays a request: writeDataPoint returns nothing, does not wait,
// and an exception it throws is dropped (js_analytics.go).
//
// Cloudflare's limits on a data point (Analytics Engine "Limits"): at most
// 20 blobs and 20 doubles, one index of at most 96 bytes, 16 KB of blobs in
// all, and 250 data points per Worker invocation. A point here has 5 blobs
// (a cell id is at most 20 bytes, a reason a few words), 2 doubles and the
// cell id as its index, once per request: well within each.
//
// The columns, a contract with observe/edgehealth (its query names them):
//
//	blob1   cell id that answered; "" for the Worker's own answers
//	blob2   that cell's cloud; "" for the Worker's own answers
//	blob3   status class: "2xx", "3xx", "4xx", "5xx" (and "1xx")
//	blob4   status code, e.g. "404"
//	blob5   the Worker's refusal reason (router.Reason) for its own
//	        answers, "" for a cell's
//	double1 latency in milliseconds, to the response headers (>= 0)
//	double2 cells tried
//	index1  the cell id: Analytics Engine samples by index, so a busy
//	        cell's points are thinned without thinning a quiet one's
//
// No tenant column: a tenant id per point would make every query group by
// a value with no bound. Per-tenant views come from the logs (the Worker's
// lines about failed attempts, the cells' access logs), which carry the
// tenant and the request id.

// dataPoint is one request's record.
type dataPoint struct {
	Cell, Cloud, Class, Status, Reason string
	Millis, Attempts                   float64
}

// pointOf describes a finished request that took elapsed.
func pointOf(res result, elapsed time.Duration) dataPoint {
	p := dataPoint{Attempts: float64(res.Attempts), Millis: max(float64(elapsed.Microseconds())/1000, 0)}
	status := statusInternalError
	switch {
	case res.Refusal != nil:
		status, p.Reason = res.Refusal.Status, string(res.Refusal.Reason)
	case res.Reply != nil:
		status = res.Reply.Status()
		if res.Cell != nil {
			p.Cell, p.Cloud = res.Cell.ID, string(res.Cell.Cloud)
		}
	default:
		p.Reason = string(ReasonWorkerError)
	}
	p.Status = strconv.Itoa(status)
	p.Class = statusClass(status)
	return p
}

// statusClass is "2xx" for 200–299 and so on; "5xx" for anything outside
// 100–599, which no answer should have.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "5xx"
	}
	return strconv.Itoa(status/100) + "xx"
}
