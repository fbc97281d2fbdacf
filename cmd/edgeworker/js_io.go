//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"strconv"
	"syscall/js"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// jsKV is a KV namespace binding. The context is not passed on: the
// binding's calls cannot be cancelled, and the runtime ends them with the
// request.
type jsKV struct{ ns js.Value }

var (
	_ directory.KV          = jsKV{}
	_ directory.ValueLister = jsKV{}
)

func (k jsKV) Get(_ context.Context, key string) ([]byte, bool, error) {
	v, err := callAwait(func() js.Value { return k.ns.Call("get", key, "arrayBuffer") })
	if err != nil {
		return nil, false, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, false, nil
	}
	return bytesOf(v), true, nil
}

func (k jsKV) Put(_ context.Context, key string, value []byte, ttlSeconds int) error {
	opts := object()
	if ttlSeconds > 0 {
		opts.Set("expirationTtl", ttlSeconds)
	}
	if v, ok := listedValue(value); ok {
		opts.Set("metadata", object(metadataValue, v))
	}
	_, err := callAwait(func() js.Value { return k.ns.Call("put", key, uint8Array(value), opts) })
	return err
}

func (k jsKV) Delete(_ context.Context, key string) error {
	_, err := callAwait(func() js.Value { return k.ns.Call("delete", key) })
	return err
}

func (k jsKV) List(_ context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	v, next, err := k.list(prefix, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	ks := v.Get("keys")
	keys := make([]string, ks.Length())
	for i := range keys {
		keys[i] = ks.Index(i).Get("name").String()
	}
	return keys, next, nil
}

// list calls the binding's list and returns its answer and the cursor
// that continues it ("" at the end).
func (k jsKV) list(prefix, cursor string, limit int) (js.Value, string, error) {
	if limit <= 0 || limit > directory.DefaultListLimit {
		limit = directory.DefaultListLimit
	}
	opts := object("prefix", prefix, "limit", limit)
	if cursor != "" {
		opts.Set("cursor", cursor)
	}
	v, err := callAwait(func() js.Value { return k.ns.Call("list", opts) })
	if err != nil {
		return js.Undefined(), "", err
	}
	next := ""
	if !v.Get("list_complete").Truthy() {
		next = v.Get("cursor").String()
	}
	return v, next, nil
}

// ListValues lists keys with their values (directory.ValueLister), so
// that a listing of the directory costs one KV operation per page rather
// than one per key: the value of a key put by Put comes with the listing,
// in its metadata (listedValue). A key without it (put by an older Worker,
// or a value too large for metadata) is read with a Get.
func (k jsKV) ListValues(ctx context.Context, prefix, cursor string, limit int) ([]directory.KeyValue, string, error) {
	v, next, err := k.list(prefix, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	ks := v.Get("keys")
	out := make([]directory.KeyValue, 0, ks.Length())
	for i := range ks.Length() {
		kv := ks.Index(i)
		name := kv.Get("name").String()
		if md := kv.Get("metadata"); md.Type() == js.TypeObject {
			if val := md.Get(metadataValue); val.Type() == js.TypeString {
				out = append(out, directory.KeyValue{Key: name, Value: []byte(val.String())})
				continue
			}
		}
		val, found, err := k.Get(ctx, name)
		if err != nil {
			return nil, "", fmt.Errorf("reading %s: %w", name, err)
		}
		if found {
			out = append(out, directory.KeyValue{Key: name, Value: val})
		}
	}
	return out, next, nil
}

// timedFetch calls fetch and aborts it when the response headers have not
// arrived within timeout; the timer is cleared as soon as they do, so a
// long body is never cut short. A watch over the request body (shim.js),
// when given, may abort the fetch too, when the client's body fails. The
// shim does it all in one call (its cellfabricTimedFetch).
func timedFetch(url string, init js.Value, timeout time.Duration, watch js.Value) (js.Value, error) {
	if watch.Type() != js.TypeObject {
		watch = js.Null()
	}
	resp, err := callAwait(func() js.Value {
		return js.Global().Call(timedFetchGlobal, url, init, timeout.Milliseconds(), watch)
	})
	return resp, fetchError(err)
}

// fetchError is err, the way timedFetchGlobal failed, with its abort
// turned into errTimeout.
func fetchError(err error) error {
	if je, ok := err.(*jsError); ok && je.name == fetchAbortedName {
		return errTimeout
	}
	return err
}

// jsUpstream forwards one incoming request with fetch.
type jsUpstream struct {
	method  string
	headers js.Value // the request's headers, cleaned for the cells
	body    js.Value // the request's body stream, or null
	length  int64    // the body's Content-Length, -1 when unknown
	watch   js.Value // the shim's watch over the body, once forwarded
	// kept is the whole body (a Uint8Array) when Keep held all of it:
	// every attempt sends it.
	kept js.Value
}

// The W3C trace context headers: the client's are removed, the Worker's
// traceparent set (trace.go).
const (
	traceparentHeader = "traceparent"
	tracestateHeader  = "tracestate"
)

// The shim's functions (components/edge/bundle/shim.js).
const (
	// forwardBodyGlobal passes a body on and records whether the client's
	// side of it failed.
	forwardBodyGlobal = "__cellfabricForwardBody"
	// keepBodyGlobal reads the start of a body and returns what it read and
	// the body whole again.
	keepBodyGlobal = "__cellfabricKeepBody"
	// timedFetchGlobal calls fetch with a timeout for the response headers.
	timedFetchGlobal = "__cellfabricTimedFetch"
	// fetchAbortedName is the name of the error timedFetchGlobal rejects
	// with when the fetch failed after an abort.
	fetchAbortedName = "cellfabric.aborted"
)

var _ upstream = (*jsUpstream)(nil)

// newUpstream prepares the headers every attempt starts from: the client's,
// without Host (fetch sets it from the URL) and without any signature,
// tenant, epoch or trace context a client sent, plus X-Forwarded-For from
// CF-Connecting-IP.
// head is req's, read by readRequestHead; the copy is made with one call to
// the shim.
func newUpstream(req js.Value, head requestHead) *jsUpstream {
	var ed headerEdits
	ed.upstream(head)
	length := int64(-1)
	if cl, ok := head.header.lookup("Content-Length"); ok {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			length = n
		}
	}
	body := js.Null()
	if head.hasBody {
		body = req.Get("body")
	}
	return &jsUpstream{method: head.method, headers: ed.copyOf(req.Get("headers")), body: body, length: length, watch: js.Undefined(), kept: js.Undefined()}
}

// keptBody is what the shim's keepBody read of a stream.
type keptBody struct {
	// head is the start of the body read (a Uint8Array), all of it when
	// whole.
	head js.Value
	// whole is true when the body ended within the limit without error.
	whole bool
	// rest is the body again from its start, when not whole: head, then
	// what was not read yet (or the read's error).
	rest js.Value
	// err is how reading failed, nil when it did not.
	err error
}

// keepBody reads up to limit bytes of stream with the shim (a chunk may
// take it a little over); ok is false when the shim lacks the function,
// and then stream was not touched.
func keepBody(stream js.Value, limit int) (k keptBody, ok bool) {
	if js.Global().Get(keepBodyGlobal).Type() != js.TypeFunction {
		return k, false
	}
	out, err := callAwait(func() js.Value { return js.Global().Call(keepBodyGlobal, stream, limit) })
	if err != nil {
		return keptBody{head: js.Global().Get("Uint8Array").New(0), rest: js.Null(), err: err}, true
	}
	k = keptBody{head: out.Get("kept"), whole: out.Get("complete").Bool(), rest: out.Get("stream")}
	if ce := out.Get("error"); !ce.IsNull() && !ce.IsUndefined() {
		k.err = errorOf(ce)
	}
	return k, true
}

// hasBody reports whether the request has a body.
func (u *jsUpstream) hasBody() bool { return !u.body.IsNull() && !u.body.IsUndefined() }

// Keep reads the body ahead of the first attempt when it may fit in
// replayMaxBytes (a declared length within it, or none declared): a body
// that fits is sent whole by every attempt; one that does not goes on as
// a stream, the part read first.
func (u *jsUpstream) Keep() error {
	if !u.hasBody() || u.length > replayMaxBytes || u.kept.Type() == js.TypeObject {
		return nil
	}
	k, ok := keepBody(u.body, replayMaxBytes)
	switch {
	case !ok:
		return nil
	case k.err != nil:
		return fmt.Errorf("%w: %w", errClientBody, k.err)
	case k.whole:
		u.kept = k.head
		u.headers.Call("delete", "Transfer-Encoding") // fetch sends a buffer with its Content-Length
	default:
		u.body = k.rest
	}
	return nil
}

// Replayable reports whether the request can be sent again as it was.
func (u *jsUpstream) Replayable() bool { return !u.hasBody() || u.kept.Type() == js.TypeObject }

// forwardedBody returns what to give fetch for the request body: the whole
// body Keep held, or the shim's watched copy of the stream (see shim.js),
// or the stream itself should the shim lack the function. A stream is
// forwarded once: requests with a body that was not kept are never sent
// again.
func (u *jsUpstream) forwardedBody() js.Value {
	if u.kept.Type() == js.TypeObject {
		return u.kept
	}
	if u.watch.IsUndefined() {
		w, err := call(func() js.Value { return js.Global().Call(forwardBodyGlobal, u.body, float64(u.length)) })
		if err != nil {
			return u.body
		}
		u.watch = w
	}
	return u.watch.Get("stream")
}

// clientBodyError returns how the client's side of the body failed, or nil.
func (u *jsUpstream) clientBodyError() error {
	if u.watch.Type() != js.TypeObject {
		return nil
	}
	if ce := u.watch.Get("clientError"); !ce.IsNull() && !ce.IsUndefined() {
		return errorOf(ce)
	}
	return nil
}

func (u *jsUpstream) Send(a *attempt) (reply, error) {
	var ed headerEdits
	ed.attempt(a)
	init := object("method", u.method, "headers", ed.copyOf(u.headers), "redirect", "manual")
	if u.hasBody() {
		init.Set("body", u.forwardedBody())
	}
	resp, err := timedFetch(a.URL, init, a.Timeout, u.watch)
	if err != nil {
		if ce := u.clientBodyError(); ce != nil {
			return nil, fmt.Errorf("%w: %w", errClientBody, ce)
		}
		return nil, err
	}
	return &jsReply{r: resp, body: resp.Get("body")}, nil
}

// jsReply is a cell's Response.
type jsReply struct {
	r js.Value
	// body is the body to pass on: the response's, or after Peek the same
	// bytes from another stream (or buffer).
	body js.Value
}

var _ reply = (*jsReply)(nil)

func (r *jsReply) Status() int { return r.r.Get("status").Int() }

func (r *jsReply) Discard() {
	if b := r.body; b.Type() == js.TypeObject && b.Get("cancel").Type() == js.TypeFunction {
		_, _ = call(func() js.Value { return b.Call("cancel") })
	}
}

// Peek reads the start of the body with the shim, which gives back the
// body whole (the bytes read, then the rest) to pass on.
func (r *jsReply) Peek(max int) ([]byte, bool) {
	if r.body.IsNull() || r.body.IsUndefined() {
		return nil, true
	}
	k, ok := keepBody(r.body, max)
	if !ok {
		return nil, false
	}
	if k.whole {
		r.body = k.head
	} else if k.rest.Type() == js.TypeObject {
		r.body = k.rest
	}
	head := k.head
	if n := head.Get("byteLength").Int(); n > max+1 {
		head = head.Call("subarray", 0, max+1)
	}
	return bytesOf(head), k.whole && k.err == nil
}

// jsProber probes health URLs with fetch.
type jsProber struct{}

var _ prober = jsProber{}

func (jsProber) Probe(url, signature string, timeout time.Duration) (int, error) {
	init := object("method", "GET", "redirect", "manual", "headers", object(edgeauth.SignatureHeader, signature))
	resp, err := timedFetch(url, init, timeout, js.Undefined())
	if err != nil {
		return 0, err
	}
	(&jsReply{r: resp, body: resp.Get("body")}).Discard()
	return resp.Get("status").Int(), nil
}
