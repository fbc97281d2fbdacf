package server

import "fmt"

// Engine is the HTTP implementation of the tenant (proxy) listener. The
// admin listener is always net/http.
type Engine string

// Engines.
const (
	// EngineNetHTTP serves the tenant listener with net/http and forwards
	// with httputil.ReverseProxy and an http.Transport per cell.
	EngineNetHTTP Engine = "nethttp"
	// EngineFastHTTP serves the tenant listener with valyala/fasthttp and
	// forwards with a fasthttp.HostClient per cell: the same decision,
	// forwarding policy, signing, limits and error answers at about half
	// the CPU per request (BENCHMARKS.md), hence the default. It speaks
	// HTTP/1.1 only, on both sides, does not proxy protocol upgrades
	// (WebSocket) or trailers, and does not notice a client that leaves
	// while its request waits for a cell.
	EngineFastHTTP Engine = "fasthttp"
	// EngineEvLoop is an experiment (issue 15), Linux only, never the
	// default: the tenant listener on event loops (panjf2000/gnet), one per
	// core, each owning its client connections and, per cell, a pool of
	// keep-alive connections to the cells; the same decision, forwarding
	// policy, signing and answers as EngineFastHTTP (the heads are
	// fasthttp's types, written by the same functions, fast_head.go).
	//
	// How a request goes: an accepting goroutine hands each accepted
	// connection to a loop (round robin); the loop reads the request
	// head, decides, and writes the request to an idle connection of its
	// own pool for the cell (dialled in a goroutine and enrolled on the
	// same loop when there is none); the cell's answer arrives on that
	// loop, which writes it to the client. Waiting for the client and
	// for the cell is one epoll wait: no goroutine parks or wakes per
	// request.
	//
	// What it does not do (yet): request bodies (refused with 501),
	// answers without a Content-Length (a cell's chunked or
	// close-delimited answer fails the attempt), the stale_placement
	// retry, timeouts other than the dial's, a bound on what a slow
	// client leaves buffered, and a graceful drain beyond waiting for
	// in-flight requests. BENCHMARKS.md, "An event-loop engine (gnet),
	// measured", has what it costs.
	EngineEvLoop Engine = "evloop"
)

// Engines lists the engines that pass every engine test, for flags,
// errors and the tests. EngineEvLoop is accepted besides them.
var Engines = []Engine{EngineNetHTTP, EngineFastHTTP}

// check reports an unknown engine, or one this build cannot run.
func (e Engine) check() error {
	if e == EngineEvLoop {
		return evLoopSupported()
	}
	for _, k := range Engines {
		if e == k {
			return nil
		}
	}
	return fmt.Errorf("router server: engine %q: want %s, %s or %s (experimental, Linux only)", e, EngineNetHTTP, EngineFastHTTP, EngineEvLoop)
}
