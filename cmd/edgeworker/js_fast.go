//go:build js && wasm

package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// The fast path's calls (fast.go describes the two paths). route and
// done are exported by the wasm module itself (go:wasmexport): the shim
// calls them directly, with numbers, and the strings go through fastBuf,
// in the module's memory. Such a call costs a fraction of a microsecond,
// where a js.FuncOf call costs tens of them in workerd (it wakes the Go
// scheduler, and every object and string crossing into Go gets a
// finalizer). They run synchronously and never wait. resume, which waits
// for fetches, is a js.FuncOf and serves in a goroutine, as fetch does.
//
// The shim calls, per request: cellfabricFastBuffer to learn where to
// write the head, cellfabricRoute, and cellfabricFastBuffer again to read
// the plan; when the cell answered, cellfabricDone; when done says so, or
// the fetch failed, the handlers' resume.

// fastBuf is where the shim writes a request's head (UTF-8) and route
// writes its plan. It only grows; its address changes when it does.
var fastBuf = make([]byte, 16<<10)

// fastHandlers are the handlers the exports serve with, set by main.
var fastHandlers *handlers

// fastBuffer makes fastBuf hold at least n bytes and returns its address.
//
//go:wasmexport cellfabricFastBuffer
//lint:ignore U1000 called by the host (go:wasmexport), which staticcheck does not see
func fastBuffer(n uint32) uint32 {
	if int(n) > len(fastBuf) {
		fastBuf = make([]byte, int(n)+int(n)/2)
	}
	return uint32(uintptr(unsafe.Pointer(&fastBuf[0])))
}

// fastRoute routes the request whose head (readRequestHead's string) the
// shim wrote to fastBuf[:n]. It returns 0 when the request takes the slow
// path, else the length of the plan it wrote to fastBuf (route).
//
//go:wasmexport cellfabricRoute
//lint:ignore U1000 called by the host (go:wasmexport), which staticcheck does not see
func fastRoute(n uint32) uint32 {
	if fastHandlers == nil || int(n) > len(fastBuf) {
		return 0
	}
	fastHandlers.setUp()
	plan := fastHandlers.route(string(fastBuf[:n]))
	if plan == "" {
		return 0
	}
	fastBuffer(uint32(len(plan)))
	return uint32(copy(fastBuf, plan))
}

// fastDone is done, for the shim.
//
//go:wasmexport cellfabricDone
//lint:ignore U1000 called by the host (go:wasmexport), which staticcheck does not see
func fastDone(id, status uint32) uint32 {
	if fastHandlers == nil {
		return donePassed
	}
	return fastHandlers.done(int(id), int(status))
}

// Answers of done.
const (
	donePassed uint32 = 0 // the shim passes the response on
	doneResume uint32 = 1 // the shim calls resume: Go goes on
)

// pending is a request on the fast path between route and done (or
// resume): its walk and the attempt the shim makes.
type pending struct {
	w     *walk
	a     *attempt
	head  requestHead
	start time.Time
}

// pendings holds the fast path's requests by id.
type pendings struct {
	mu   sync.Mutex
	next int
	m    map[int]*pending
}

func (p *pendings) put(r *pending) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[int]*pending{}
	}
	p.next = (p.next + 1) & (1<<31 - 1)
	p.m[p.next] = r
	return p.next
}

// len returns the number of requests held.
func (p *pendings) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

func (p *pendings) get(id int) *pending {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id]
}

func (p *pendings) take(id int) *pending {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.m[id]
	delete(p.m, id)
	return r
}

// route routes a request on the fast path, head its head
// (readRequestHead's string). It returns "" when the request takes the
// slow path, else the plan of its first attempt in lines: an id for done
// and resume, the cell's URL, the timeout for its response headers in
// milliseconds, the number n of lines of request header edits, n lines of
// edits to a copy of the request's headers, then the edits to the
// response's headers (the shim's edit lines: op, name, value).
func (h *handlers) route(headText string) (plan string) {
	defer func() {
		if r := recover(); r != nil {
			h.logger.Error("panic while routing a request on the fast path; serving it on the slow path", "panic", fmt.Sprint(r))
			plan = ""
		}
	}()
	if h.err != nil {
		return ""
	}
	start := time.Now()
	head := parseRequestHead(headText)
	u, err := url.Parse(head.url)
	if err != nil || isControl(u) || isCellState(u) || (h.memStats && u.Path == edgeconf.MemStatsPath) {
		return ""
	}
	in := inbound{Method: head.method, URL: head.url, Header: head.header, HasBody: head.hasBody, parsed: u}
	w, err := h.edge.prepare(in, true)
	if err != nil || w.done {
		return "" // refusals too: they are no warm request to speed up
	}
	a := w.next()
	if a == nil {
		return ""
	}
	var ops [16]headerOp // room for every edit a request makes
	req, ans := headerEdits{ops: ops[:0:13]}, headerEdits{ops: ops[13:13]}
	req.upstream(head)
	req.attempt(a)
	ans.answer(&result{Cell: a.Cell, RequestID: w.res.RequestID})
	if req.direct || ans.direct || strings.ContainsAny(a.URL, "\r\n") {
		return ""
	}
	id := h.fast.put(&pending{w: w, a: a, head: head, start: start})
	var b strings.Builder
	b.Grow(len(a.URL) + 512)
	b.WriteString(strconv.Itoa(id))
	b.WriteByte('\n')
	b.WriteString(a.URL)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(a.Timeout.Milliseconds(), 10))
	b.WriteByte('\n')
	b.WriteString(strconv.Itoa(3 * len(req.ops)))
	b.WriteByte('\n')
	req.pack(&b)
	b.WriteByte('\n')
	ans.pack(&b)
	return b.String()
}

// done is called (cellfabricDone) when the cell answered the fast path's
// attempt id with status. It returns donePassed when the
// answer ends the request (it is then recorded), doneResume when Go is to
// go on with it (resume): a status to retry on the next cell, a 421.
func (h *handlers) done(id, status int) (out uint32) {
	defer func() {
		if r := recover(); r != nil {
			h.fast.take(id)
			h.logger.Error("panic while recording a request on the fast path", "panic", fmt.Sprint(r))
			out = donePassed
		}
	}()
	p := h.fast.get(id)
	if p == nil {
		return donePassed
	}
	if !p.w.passes(status) {
		return doneResume
	}
	h.fast.take(id)
	p.w.settle(p.a, statusReply(status), nil)
	record(p.w.res, p.start)
	h.edge.paths.add(pathFast)
	return donePassed
}

// resume is called by the shim as resume(id, request, response, error,
// resolve, reject) when the fast path's attempt failed (error set) or its
// response is not to be passed on as it is (done said so). Go settles the
// attempt with it and goes on as the slow path would, resolving with the
// Response.
func (h *handlers) resume(_ js.Value, args []js.Value) any {
	id, req, resp, fail, resolve := arg(args, 0).Int(), arg(args, 1), arg(args, 2), arg(args, 3), arg(args, 4)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				h.logger.Error("panic while serving a request", "panic", fmt.Sprint(r))
				resolve.Invoke(refusalResponse(&router.Refusal{Status: statusInternalError, Reason: ReasonWorkerError, Msg: "the edge worker failed"}, router.RequestID(""), ""))
			}
		}()
		p := h.fast.take(id)
		if p == nil {
			panic("the fast path's request is unknown")
		}
		h.edge.paths.add(pathResumed)
		var (
			rep reply
			err error
		)
		if resp.Type() == js.TypeObject {
			rep = &jsReply{r: resp, body: resp.Get("body")}
		} else {
			err = fetchError(errorOf(fail))
		}
		p.w.up = newUpstream(req, p.head)
		p.w.settle(p.a, rep, err)
		p.w.rest()
		resolve.Invoke(answer(p.w.res, p.start))
	}()
	return nil
}
