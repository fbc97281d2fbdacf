//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// record writes res's data point to the Analytics Engine dataset bound as
// edgeconf.AnalyticsBinding (analytics.go); without the binding it does
// nothing. writeDataPoint does not wait for the write, and whatever it
// throws is dropped: recording never fails a request.
func record(res result, start time.Time) {
	ds := analyticsDataset()
	if ds.Type() != js.TypeObject {
		return
	}
	p := pointOf(res, time.Since(start))
	dp := object(
		"blobs", []any{p.Cell, p.Cloud, p.Class, p.Status, p.Reason},
		"doubles", []any{p.Millis, p.Attempts},
	)
	if p.Cell != "" {
		dp.Set("indexes", []any{p.Cell})
	}
	_, _ = call(func() js.Value { return ds.Call("writeDataPoint", dp) })
}

// analyticsDataset is the binding, read once: an isolate's bindings do not
// change.
var analyticsDataset = sync.OnceValue(func() js.Value { return js.Global().Get(edgeconf.AnalyticsBinding) })

// refusalResult is the result of a request the Worker refused before
// routing it (misconfigured bindings).
func refusalResult(r router.Refusal) result { return result{Refusal: &r} }
