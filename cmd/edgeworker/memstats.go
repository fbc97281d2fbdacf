package main

import "runtime"

// memStatsReport is the isolate's memory after a garbage collection, and
// its counts, as the Worker run with the test-only edgeconf.MemStatsBinding
// reports it.
type memStatsReport struct {
	// HeapInuse is the Go heap's bytes in in-use spans
	// (runtime.MemStats.HeapInuse).
	HeapInuse uint64 `json:"heapInuse"`
	// HeapAlloc is the bytes of live heap objects.
	HeapAlloc uint64 `json:"heapAlloc"`
	// Sys is the memory the Go runtime obtained: the wasm linear memory it
	// uses.
	Sys uint64 `json:"sys"`
	// DirectoryEntries is the number of tenants in the directory cache.
	DirectoryEntries int `json:"directoryEntries"`
	// StalePlacements counts the cells' 421 stale_placement answers the
	// isolate met, by outcome (stale.go), every outcome present.
	StalePlacements map[string]uint64 `json:"stalePlacements"`
	// Paths counts the routed requests by the path they took (fast.go),
	// every path present.
	Paths map[string]uint64 `json:"paths"`
	// FastPending is the number of fast-path requests between route and
	// their end (done passed them on, or resume finished them): 0 once
	// every request has ended (js_fast.go).
	FastPending int `json:"fastPending"`
	// GoStart is where the shim started the Go program: "global scope"
	// (the isolate's start, before any event) or "event" (js_main.go).
	GoStart string `json:"goStart"`
}

// memStats collects garbage and reads the heap figures. Values that held
// JavaScript objects (syscall/js) are freed only once their finalizers have
// run, after a first collection: a second one frees them.
func (e *edge) memStats() memStatsReport {
	runtime.GC()
	runtime.Gosched() // let the finalizers run
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memStatsReport{HeapInuse: m.HeapInuse, HeapAlloc: m.HeapAlloc, Sys: m.Sys, DirectoryEntries: e.dir.len(), StalePlacements: e.stale.report(), Paths: e.paths.report()}
}
