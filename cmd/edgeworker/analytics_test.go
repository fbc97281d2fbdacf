//go:build !(js && wasm)

package main

import (
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// TestPointOf checks the data point each way a request ends gives: a
// cell's answer names the cell, the Worker's own names its reason, and the
// latency is never negative.
func TestPointOf(t *testing.T) {
	t.Parallel()
	cell := &router.Cell{ID: "aws-use1", Cloud: fabric.Cloud("aws")}
	for _, tc := range []struct {
		name    string
		res     result
		elapsed time.Duration
		want    dataPoint
	}{
		{"a cell's answer", result{Reply: &fakeReply{status: 200}, Cell: cell, Attempts: 1}, 1500 * time.Microsecond,
			dataPoint{Cell: "aws-use1", Cloud: "aws", Class: "2xx", Status: "200", Millis: 1.5, Attempts: 1}},
		{"a cell's error after a retry", result{Reply: &fakeReply{status: 503}, Cell: cell, Attempts: 2}, 20 * time.Millisecond,
			dataPoint{Cell: "aws-use1", Cloud: "aws", Class: "5xx", Status: "503", Millis: 20, Attempts: 2}},
		{"an unknown tenant", result{Refusal: &router.Refusal{Status: 404, Reason: "unknown_tenant"}}, 0,
			dataPoint{Class: "4xx", Status: "404", Reason: "unknown_tenant"}},
		{"no cell answered", result{Refusal: &router.Refusal{Status: 502, Reason: "upstream_unavailable"}, Attempts: 3}, time.Second,
			dataPoint{Class: "5xx", Status: "502", Reason: "upstream_unavailable", Millis: 1000, Attempts: 3}},
		{"a clock that went back", result{Refusal: &router.Refusal{Status: 400, Reason: "bad_request"}}, -time.Second,
			dataPoint{Class: "4xx", Status: "400", Reason: "bad_request"}},
		{"nothing at all", result{}, 0,
			dataPoint{Class: "5xx", Status: "500", Reason: string(ReasonWorkerError)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := pointOf(tc.res, tc.elapsed); got != tc.want {
				t.Errorf("pointOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]string{100: "1xx", 204: "2xx", 301: "3xx", 404: "4xx", 599: "5xx", 0: "5xx", 600: "5xx"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", status, got, want)
		}
	}
}
