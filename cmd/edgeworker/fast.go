package main

import "sync/atomic"

// The Worker's two paths for a request (shim.js, js_fast.go):
//
//   - the fast path, for a request without a body whose decision the
//     isolate's caches make alone (registry and health not due for a read,
//     the tenant's directory entry fresh): the shim calls Go once,
//     synchronously, with the request head, and gets back the first
//     attempt's URL, its timeout and the header edits of the attempt and
//     of the answer, in one string. The shim then makes the fetch and
//     passes the cell's response on itself, after a second synchronous
//     call that tells Go the status (Go records the request and checks
//     that the answer ends the walk). When it does not (a status to retry
//     on the next cell, a 421 to look into) or the fetch fails, the shim
//     hands the response or the error to Go, which goes on from there as
//     the slow path would: the attempt's outcome is settled by the same
//     walk (walk.go).
//   - the slow path, for everything else (a KV read due, a directory miss,
//     a tenant to place, a body, the control API and cell-state routes):
//     Go serves the request in a goroutine and awaits each promise.
//
// Per warm request the fast path saves the goroutine, every promise Go
// would await, and most crossings between Go and JavaScript: those were
// most of the Worker's CPU per request (BENCHMARKS.md, issue 15).

// The isolate's requests by path, the keys of memStatsReport's Paths.
const (
	pathFast    = "fast"    // fast path, answered by the shim
	pathResumed = "resumed" // fast path, finished by Go (retry, 421, fetch failure)
	pathSlow    = "slow"    // slow path
)

// pathNames lists the paths in the order of pathCounts.
var pathNames = [...]string{pathFast, pathResumed, pathSlow}

// pathCounts counts the isolate's routed requests by path.
type pathCounts [len(pathNames)]atomic.Uint64

func (c *pathCounts) add(path string) {
	for i, p := range pathNames {
		if p == path {
			c[i].Add(1)
			return
		}
	}
}

// report returns the counts by path, every path present.
func (c *pathCounts) report() map[string]uint64 {
	m := make(map[string]uint64, len(pathNames))
	for i, p := range pathNames {
		m[p] = c[i].Load()
	}
	return m
}

// statusReply is a cell's answer as the fast path knows it in Go: its
// status; the response itself stays with the shim.
type statusReply int

var _ reply = statusReply(0)

func (s statusReply) Status() int           { return int(s) }
func (statusReply) Discard()                {}
func (statusReply) Peek(int) ([]byte, bool) { return nil, false }
