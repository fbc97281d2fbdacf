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
)

// Engines lists the engines, for flags and errors.
var Engines = []Engine{EngineNetHTTP, EngineFastHTTP}

// check reports an unknown engine.
func (e Engine) check() error {
	for _, k := range Engines {
		if e == k {
			return nil
		}
	}
	return fmt.Errorf("router server: engine %q: want %s or %s", e, EngineNetHTTP, EngineFastHTTP)
}
