//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall/js"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// handlersGlobal is the global through which the shim reaches the handlers
// main registers.
const handlersGlobal = "__cellfabricEdge"

// goStartGlobal is the global where the shim notes where it started the
// Go program: "global scope" or "event" (memStatsReport.GoStart).
const goStartGlobal = "__cellfabricGoStart"

// main runs at the script's global scope, when the isolate starts (the
// shim starts it there), registers the handlers and then waits for events
// for the isolate's lifetime. It reads no binding: setUp does, in the
// first event.
func main() {
	h := &handlers{}
	fastHandlers = h
	js.Global().Set(handlersGlobal, object(
		"fetch", js.FuncOf(h.fetch),
		"scheduled", js.FuncOf(h.scheduled),
		"resume", js.FuncOf(h.resume), // js_fast.go

	))
	select {}
}

// setUp reads the bindings and builds the edge, once, in the isolate's
// first event (fetch, scheduled, or the fast path's route), not at global
// scope where main runs: there the clocks read 0 (the edge's caches, signer
// and logger read the clock), KV reads are refused as I/O, and a Worker in
// the modules format would have no bindings yet.
func (h *handlers) setUp() {
	h.once.Do(func() {
		logger := newLineLogger(os.Stderr, time.Now)
		b := bindings{
			Config: text(edgeconf.ConfigBinding), Key: text(edgeconf.KeyBinding), KeyID: text(edgeconf.KeyIDBinding),
			ControlKey: text(edgeconf.ControlKeyBinding), ControlKeyID: text(edgeconf.ControlKeyIDBinding),
			Settle: text(edgeconf.SettleBinding),
		}
		e, err := newEdge(b, namespace(edgeconf.KVBinding), namespace(edgeconf.DirectoryBinding), wallClock, logger)
		if err != nil {
			logger.Error("the edge worker is misconfigured and forwards nothing", "error", err)
		} else {
			e.wait = jsWait
		}
		h.edge, h.err, h.logger, h.memStats = e, err, logger, text(edgeconf.MemStatsBinding) == "1"
	})
}

// wallClock is time.Now without its monotonic reading: the runtime's
// monotonic clock is not comparable across requests.
func wallClock() time.Time { return time.Now().Round(0) }

// handlers serve the isolate's events. Their fields are set by setUp, in
// the first event.
type handlers struct {
	once   sync.Once
	edge   *edge
	err    error // set when the bindings are unusable
	logger router.Logger
	// memStats is set when the test-only MemStatsBinding is: the Worker
	// then answers edgeconf.MemStatsPath itself.
	memStats bool
	// fast holds the requests on the fast path (js_fast.go).
	fast pendings
}

// namespace returns the KV namespace bound as name, or nil.
func namespace(name string) directory.KV {
	if ns := js.Global().Get(name); ns.Type() == js.TypeObject {
		return jsKV{ns}
	}
	return nil
}

// fetch is called by the shim as fetch(request, resolve, reject) and
// resolves with the Response.
func (h *handlers) fetch(_ js.Value, args []js.Value) any {
	req, resolve := arg(args, 0), arg(args, 1)
	h.setUp()
	go func() {
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("panic while serving a request", "panic", fmt.Sprint(r))
				resolve.Invoke(refusalResponse(&router.Refusal{Status: statusInternalError, Reason: ReasonWorkerError, Msg: "the edge worker failed"}, router.RequestID(""), ""))
			}
		}()
		resolve.Invoke(h.serve(req))
	}()
	return nil
}

func (h *handlers) serve(req js.Value) js.Value {
	start := time.Now()
	if h.err != nil {
		res := refusalResult(router.Refusal{Status: statusInternalError, Reason: ReasonMisconfigured, Msg: h.err.Error()})
		record(res, start)
		return refusalResponse(res.Refusal, router.RequestID(""), "")
	}
	if h.memStats {
		if r, ok := h.memStatsResponse(req); ok {
			return r
		}
	}
	head := readRequestHead(req)
	u, err := url.Parse(head.url)
	if err == nil && isControl(u) {
		return h.serveControl(req, u)
	} else if err == nil && isCellState(u) {
		return h.serveCellState(req, u) // js_cellstate.go
	}
	in := inbound{
		Method:  head.method,
		URL:     head.url,
		Header:  head.header,
		HasBody: head.hasBody,
	}
	if err == nil {
		in.parsed = u
	}
	res := h.edge.serve(in, newUpstream(req, head))
	h.edge.paths.add(pathSlow)
	return answer(res, start)
}

// answer records res (analytics.go) and returns the Response for it.
func answer(res result, start time.Time) js.Value {
	record(res, start)
	if res.Refusal != nil {
		return refusalResponse(res.Refusal, res.RequestID, res.Tenant)
	}
	cell := res.Reply.(*jsReply)
	var ed headerEdits
	ed.answer(&res)
	return ed.respond(cell.body, cell.r)
}

// memStatsResponse answers edgeconf.MemStatsPath with the isolate's memory
// figures (memStats), for the runtime tests and the benchmark.
func (h *handlers) memStatsResponse(req js.Value) (js.Value, bool) {
	u := js.Global().Get("URL").New(req.Get("url"))
	if u.Get("pathname").String() != edgeconf.MemStatsPath {
		return js.Undefined(), false
	}
	m := h.edge.memStats()
	m.FastPending = h.fast.len()
	if s := js.Global().Get(goStartGlobal); s.Type() == js.TypeString {
		m.GoStart = s.String()
	}
	body, _ := json.Marshal(m)
	return js.Global().Get("Response").New(string(body), object("status", 200, "headers", object("Content-Type", "application/json", "Cache-Control", "no-store"))), true
}

// refusalResponse is the JSON answer to a request the Worker does not
// forward.
func refusalResponse(r *router.Refusal, reqID, tenantID string) js.Value {
	hs := object(
		"Content-Type", "application/json",
		"X-Content-Type-Options", "nosniff",
		"Cache-Control", "no-store",
		"X-Request-ID", reqID,
	)
	if r.RetryAfter > 0 {
		hs.Set("Retry-After", strconv.Itoa(r.RetryAfter))
	}
	return js.Global().Get("Response").New(string(refusalBody(r, reqID, tenantID)), object("status", r.Status, "headers", hs))
}

// scheduled is called by the shim as scheduled(time, cron, resolve,
// reject) on the Cron Trigger.
func (h *handlers) scheduled(_ js.Value, args []js.Value) any {
	resolve, reject := arg(args, 2), arg(args, 3)
	h.setUp()
	go func() {
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("panic while probing cells", "panic", fmt.Sprint(r))
				reject.Invoke(js.Global().Get("Error").New("the edge worker failed while probing cells"))
			}
		}()
		if h.err != nil {
			reject.Invoke(js.Global().Get("Error").New(h.err.Error()))
			return
		}
		if _, err := h.edge.probeAll(jsProber{}); err != nil {
			h.logger.Error("health probe run failed", "error", err)
			reject.Invoke(js.Global().Get("Error").New(err.Error()))
			return
		}
		resolve.Invoke()
	}()
	return nil
}
