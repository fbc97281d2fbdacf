//go:build js && wasm

package main

import (
	"strconv"
	"strings"
	"syscall/js"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// Every js.Value that crosses into Go (an object, a string, a function)
// carries a finalizer, and the runtime inserts finalizers into a list per
// memory span one at a time, walking the list each time: per request that
// was the Worker's largest single cost. So the request path reads and
// writes headers through the shim (components/edge/bundle/shim.js) in one
// call each, with the fields packed into one string, rather than a call per
// field.

// The shim's functions for headers.
const (
	// requestHeadGlobal returns a request's method, URL, whether it has a
	// body and its headers, as lines of one string.
	requestHeadGlobal = "__cellfabricRequestHead"
	// copyHeadersGlobal copies a Headers object and applies edits to it.
	copyHeadersGlobal = "__cellfabricCopyHeaders"
	// respondGlobal makes a Response and applies edits to its headers.
	respondGlobal = "__cellfabricRespond"
)

// readRequestHead reads req's head with one call to the shim.
func readRequestHead(req js.Value) requestHead {
	return parseRequestHead(js.Global().Call(requestHeadGlobal, req).String())
}

// headerEdits are changes to a Headers object, made in one call to the
// shim.
type headerEdits struct {
	ops []headerOp
	// direct is set when a name or value holds a line break, which the
	// packed form cannot carry: the edits are then made one call each, and
	// Headers refuses the value as it always did.
	direct bool
}

type headerOp struct {
	op          byte // 'd' delete, 's' set, 'a' append
	name, value string
}

func (e *headerEdits) add(op byte, name, value string) {
	if strings.ContainsAny(name, "\r\n") || strings.ContainsAny(value, "\r\n") {
		e.direct = true
	}
	e.ops = append(e.ops, headerOp{op, name, value})
}

func (e *headerEdits) del(name string)        { e.add('d', name, "") }
func (e *headerEdits) set(name, value string) { e.add('s', name, value) }

// upstream adds the edits every attempt starts from: the client's
// headers without Host (fetch sets it from the URL) and without any
// signature, tenant, epoch or trace context a client sent, plus
// X-Forwarded-For from CF-Connecting-IP. Only headers the request has are
// deleted: each edit is a call into the runtime.
func (e *headerEdits) upstream(head requestHead) {
	for _, name := range []string{"Host", edgeauth.SignatureHeader, edgeauth.TenantHeader, edgeauth.EpochHeader, traceparentHeader, tracestateHeader} {
		if _, ok := head.header.lookup(name); ok {
			e.del(name)
		}
	}
	if ip, ok := head.header.lookup("CF-Connecting-IP"); ok {
		e.add('a', "X-Forwarded-For", ip)
	}
}

// attempt adds the headers of attempt a: tenant, epoch, signature, request
// id, forwarded host and scheme, trace context.
func (e *headerEdits) attempt(a *attempt) {
	if a.Tenant != "" {
		e.set(edgeauth.TenantHeader, a.Tenant)
	}
	if a.Epoch > 0 {
		e.set(edgeauth.EpochHeader, strconv.FormatInt(a.Epoch, 10))
	}
	e.set(edgeauth.SignatureHeader, a.Signature)
	e.set("X-Request-ID", a.RequestID)
	e.set("X-Forwarded-Host", a.ForwardedHost)
	e.set("X-Forwarded-Proto", a.ForwardedProto)
	if a.Traceparent != "" {
		e.set(traceparentHeader, a.Traceparent)
	}
}

// answer adds what the Worker tells the client about the cell that
// answered res.
func (e *headerEdits) answer(res *result) {
	e.set("X-Cell-ID", res.Cell.ID)
	e.set("X-Processed-By-Cloud", string(res.Cell.Cloud))
	e.set("X-Request-ID", res.RequestID)
}

// packed returns the edits as the shim's lines: op, name, value.
func (e *headerEdits) packed() string {
	var b strings.Builder
	e.pack(&b)
	return b.String()
}

// pack writes the edits as the shim's lines to b.
func (e *headerEdits) pack(b *strings.Builder) {
	for i, o := range e.ops {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte(o.op)
		b.WriteByte('\n')
		b.WriteString(o.name)
		b.WriteByte('\n')
		b.WriteString(o.value)
	}
}

// applyDirect makes the edits on h one call each.
func (e *headerEdits) applyDirect(h js.Value) {
	for _, o := range e.ops {
		switch o.op {
		case 'd':
			h.Call("delete", o.name)
		case 's':
			h.Call("set", o.name, o.value)
		case 'a':
			h.Call("append", o.name, o.value)
		}
	}
}

// copyOf returns a copy of the Headers object h with the edits made.
func (e *headerEdits) copyOf(h js.Value) js.Value {
	if e.direct {
		c := js.Global().Get("Headers").New(h)
		e.applyDirect(c)
		return c
	}
	return js.Global().Call(copyHeadersGlobal, h, e.packed())
}

// respond returns new Response(body, init) with the edits made to its
// headers.
func (e *headerEdits) respond(body, init js.Value) js.Value {
	if e.direct {
		out := js.Global().Get("Response").New(body, init)
		e.applyDirect(out.Get("headers"))
		return out
	}
	return js.Global().Call(respondGlobal, body, init, e.packed())
}
