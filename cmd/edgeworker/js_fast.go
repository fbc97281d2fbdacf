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

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// The fast path's calls (fast.go describes the two paths). The shim calls
// route(head) and, when it answers, done(id, status) once the cell's
// response came, then resume(id, request, response, error, resolve,
// reject) when done says Go goes on with the request. route and done run
// synchronously and never wait; resume serves in a goroutine, as fetch
// does.

// Answers of done.
const (
	donePassed = 0 // the shim passes the response on
	doneResume = 1 // the shim calls resume: Go goes on
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

// route is called by the shim as route(head), head the request's head
// (readRequestHead's string). It returns null when the request takes the
// slow path, else the plan of its first attempt in lines: an id for done
// and resume, the cell's URL, the timeout for its response headers in
// milliseconds, the number n of lines of request header edits, n lines of
// edits to a copy of the request's headers, then the edits to the
// response's headers (the shim's edit lines: op, name, value).
func (h *handlers) route(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if r := recover(); r != nil {
			h.logger.Error("panic while routing a request on the fast path; serving it on the slow path", "panic", fmt.Sprint(r))
			out = nil
		}
	}()
	if h.err != nil {
		return nil
	}
	start := time.Now()
	head := parseRequestHead(arg(args, 0).String())
	if u, err := url.Parse(head.url); err != nil || isControl(u) || isCellState(u) || (h.memStats && u.Path == edgeconf.MemStatsPath) {
		return nil
	}
	in := inbound{Method: head.method, URL: head.url, Header: head.header, HasBody: head.hasBody}
	w, err := h.edge.prepare(in, true)
	if err != nil || w.done {
		return nil // refusals too: they are no warm request to speed up
	}
	a := w.next()
	if a == nil {
		return nil
	}
	var req, ans headerEdits
	req.upstream(head)
	req.attempt(a)
	ans.answer(&result{Cell: a.Cell, RequestID: w.res.RequestID})
	if req.direct || ans.direct || strings.ContainsAny(a.URL, "\r\n") {
		return nil
	}
	id := h.fast.put(&pending{w: w, a: a, head: head, start: start})
	var b strings.Builder
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

// done is called by the shim as done(id, status) when the cell answered
// the fast path's attempt with status. It returns donePassed when the
// answer ends the request (it is then recorded), doneResume when Go is to
// go on with it (resume): a status to retry on the next cell, a 421.
func (h *handlers) done(_ js.Value, args []js.Value) (out any) {
	id, status := arg(args, 0).Int(), arg(args, 1).Int()
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
