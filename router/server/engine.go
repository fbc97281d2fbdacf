package server

import "fmt"

// Engine is the HTTP implementation of the tenant (proxy) listener. The
// admin listener is always net/http.
type Engine string

// Engines.
const (
	// EngineNetHTTP serves the tenant listener with net/http and forwards
	// with httputil.ReverseProxy and an http.Transport per cell. One gap
	// its server leaves that the router cannot close from a handler: an
	// HTTP/1.0 request with Transfer-Encoding has the header removed and
	// is read as having no body (Go's server ignores transfer codings on
	// HTTP/1.0), and if it asked for keep-alive its body's bytes are read
	// as the next request; the other engines answer it 501 and close.
	// Behind a front proxy that forwards such requests as they are, use
	// another engine.
	EngineNetHTTP Engine = "nethttp"
	// EngineFastHTTP serves the tenant listener with valyala/fasthttp and
	// forwards with a fasthttp.HostClient per cell: the same decision,
	// forwarding policy, signing, limits and error answers at about half
	// the CPU per request of EngineNetHTTP (BENCHMARKS.md); the default
	// where EngineEvLoop does not run (other systems than Linux). It speaks
	// HTTP/1.1 only, on both sides, does not proxy protocol upgrades
	// (WebSocket) or trailers, and does not notice a client that leaves
	// while its request waits for a cell.
	EngineFastHTTP Engine = "fasthttp"
	// EngineEvLoop (issue 15; Linux only, and the default there) serves the
	// tenant listener on event loops (panjf2000/gnet v2), one per
	// GOMAXPROCS, with the same decision, forwarding policy, signing,
	// limits and answers as EngineFastHTTP: the heads are fasthttp's
	// types, parsed by fasthttp's parser and written by the same
	// functions (fast_head.go), and every engine test runs on it.
	//
	// Who owns what: an accepting goroutine hands each accepted
	// connection to a loop (round robin); from then on only that loop
	// touches it. Each loop keeps, per cell address, its own pool of
	// keep-alive connections to the cells; a request goes to an idle
	// one of its client's loop, or to one dialled in a goroutine and
	// enrolled on that same loop. The cell's answer is read in that
	// connection's OnTraffic and written to the client from there, so
	// waiting for the client and for the cell is one epoll wait, with no
	// goroutine park or cross-thread wake per request. Two rare steps
	// run off the loop and come back to it through the loop's task
	// queue: placing an unknown tenant (Config.PlaceUnknown) and reading
	// the directory again after a stale_placement answer.
	//
	// Bodies: a request body (Content-Length, or chunked, decoded
	// strictly and sent chunked again without extensions or trailers)
	// leaves the client's buffer only as it is written to the cell, so
	// an attempt that never reached its cell leaves it whole for the
	// next one; it is kept up to 64 KiB for a stale_placement retry, as
	// on the other engines. An answer goes out as it arrives: with its
	// Content-Length, or chunked when the cell's was chunked or
	// close-delimited; 1xx interim answers are dropped.
	//
	// Timeouts: gnet's connections have no deadlines; a clock goroutine
	// asks each loop, every tick (an eighth of the shortest timeout,
	// 10-250 ms), to scan its connections (evloop_timer.go): idle and
	// head (ReadHeaderTimeout, 408), body (ReadTimeout, 408
	// client_timeout), the cell's head (UpstreamTimeout, 504), a pause
	// in the cell's answer body (UpstreamIdleTimeout: broken off), a
	// client that does not read (WriteTimeout: closed), idle cell
	// connections (90 s). A deadline is met up to one tick late.
	//
	// Shutdown: the listener closes, idle client connections close at
	// once and busy ones after their answer; Serve waits for the
	// requests in flight, and for what is left of their answers to reach
	// slow clients, up to ShutdownTimeout, then stops the loops. (A
	// connection closed with bytes still to send is closed once they
	// are sent, not at once: gnet would drop them.) A
	// client that leaves while its request waits for a cell is noticed
	// (its cell connection is closed, the request counts 499).
	//
	// Back-pressure: gnet cannot stop reading one connection, so an
	// answer its client takes slower than its cell sends it piles up in
	// the client's outbound buffer. Past 256 KiB of it (evSlowHigh) in
	// the middle of an answer, the cell's connection leaves gnet (a
	// duplicate of its descriptor) and the rest of the answer is read
	// by a goroutine, one 64 KiB read at a time handed to the loop,
	// only once less than 64 KiB (evSlowLow) waits for the client
	// (evloop_lane.go): the cell is slowed down by TCP, as on the other
	// engines, and the answer arrives whole however large, with about
	// evSlowHigh held per slow client. That connection is closed after
	// the answer, not pooled. Answers to pipelined requests, each whole
	// when written, are bounded the same way: while more than evSlowHigh
	// of them waits for the client, its next request is held back (taken
	// once less than evSlowLow waits), so a client is served at the pace
	// it reads, as the other engines serve it one request at a time. A
	// client that takes none of them is closed after WriteTimeout, or
	// without one after IdleTimeout (90 s without either), and one that
	// sends more than 1 MiB of requests meanwhile (evMaxAhead) at once.
	// One case cannot take the lane and is bounded by 8 MiB
	// (evMaxOutbound) instead, past which the request is given up as the
	// client's (499) and both connections close: an answer that outruns
	// its request's body (still being sent).
	//
	// Other limits and what it does not do: a request body waiting for
	// a slow cell is bounded by MaxBodyBytes; what a client sends
	// behind its request in flight (pipelining) by 1 MiB (evMaxAhead),
	// past which the request is given
	// up the same way. It speaks HTTP/1.1 to cells, does not proxy
	// upgrades (WebSocket) or trailers, and has no TLS listener.
	//
	// https cells: gnet has no TLS, so a loop's connection to an https
	// cell is one end of a local socket pair, bridged to the TLS
	// connection by two goroutines that copy between them
	// (evloop_tls.go). The goroutine that dials also does the handshake
	// (each within DialTimeout; the certificate verified against
	// Config.CellRootCAs). To the loop it is a cell connection like any
	// other, so pools, timeouts, failover between http and https cells,
	// stale_placement retries and streaming are the same; such a
	// connection costs two goroutines and two more descriptors, and its
	// bytes one more copy through the kernel each way. Plain cells pay
	// nothing for it.
	//
	// BENCHMARKS.md, "An event-loop engine (gnet), measured", has its
	// cost.
	EngineEvLoop Engine = "evloop"
)

// Engines lists the engines this build runs, for flags, errors and the
// tests: EngineEvLoop on Linux only (evLoopEngines).
var Engines = append([]Engine{EngineNetHTTP, EngineFastHTTP}, evLoopEngines...)

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
	return fmt.Errorf("router server: engine %q: want %s, %s or %s (Linux only)", e, EngineNetHTTP, EngineFastHTTP, EngineEvLoop)
}
