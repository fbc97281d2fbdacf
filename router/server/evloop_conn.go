//go:build linux

package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// A client's connection on an event loop (EngineEvLoop): its requests one
// at a time, each parsed, decided and sent to a cell connection of the
// same loop (evloop_pool.go), whose answer comes back through it. Bytes
// the client sends after its request stay in the connection's buffer
// until the answer is written (pipelining).

// evLoop is one event loop's state; only that loop touches it.
type evLoop struct {
	s     *evServer
	el    gnet.EventLoop
	parse *evParser
	idle  map[string][]*evCell // keep-alive cell connections, by address
	conns map[*evClient]struct{}
	// draining holds client connections closed with bytes still to
	// send: scan closes them once sent (evClient.close).
	draining map[*evClient]*evDrain
	buf      []byte            // scratch for what is written
	maxIdle  int               // the most idle connections kept per cell address
	errOut   fasthttp.Response // scratch for the router's own answers
}

func newEvLoop(s *evServer, el gnet.EventLoop) *evLoop {
	return &evLoop{
		s:        s,
		el:       el,
		parse:    newEvParser(max(2*s.rt.cfg.MaxHeaderBytes, 64<<10)),
		idle:     map[string][]*evCell{},
		conns:    map[*evClient]struct{}{},
		draining: map[*evClient]*evDrain{},
		buf:      make([]byte, 0, 16<<10),
		// MaxIdlePerCell shared among the loops, each keeping at least one.
		maxIdle: max(1, s.rt.cfg.MaxIdlePerCell/runtime.GOMAXPROCS(0)),
	}
}

// closeIdleClients closes the client connections without a request in
// flight (shutdown); busy ones close after their answer.
func (l *evLoop) closeIdleClients() {
	for cl := range l.conns {
		cl.closeAfter = true
		if !cl.busy {
			cl.close()
		}
	}
}

// evClient is a client connection and its request in flight.
type evClient struct {
	loop *evLoop
	c    gnet.Conn

	closed     bool  // the connection is gone
	busy       bool  // a request is in flight
	closeAfter bool  // close once the answer is written
	accounted  bool  // the request is counted and its trace ended
	drained    int64 // bytes of an unread body dropped (next)
	// offLoop says a goroutine works on the request's state (decideOff,
	// lookStale): the loop leaves st alone until it is back.
	offLoop bool
	// held says the next request is held back until the client takes
	// its answers (holdBack); holdArmed, that a timer will ask again;
	// holdPoll is its last pause.
	held, holdArmed bool
	holdPoll        time.Duration

	in   fasthttp.RequestHeader
	out  fasthttp.RequestHeader
	w    fasthttp.ResponseHeader
	st   reqState
	body evBody
	kept []byte // the body's data, kept for a stale_placement retry

	// Times for the timeouts (evloop_timer.go).
	waitSince  time.Time // waiting for a request since (IdleTimeout)
	headSince  time.Time // the first bytes of a head arrived (ReadHeaderTimeout)
	start      time.Time // the request's head was read
	stallSince time.Time // bytes wait for the client, which took none of them since (WriteTimeout)
	tookSeen   int64     // what the client had taken then (took)
	wrote      int64     // all that was written to the client

	method   string
	path     string
	rawQuery string
	// forceQuery: the target had a '?' with nothing after it, kept in
	// the forwarded target.
	forceQuery bool
	target     string
	sig        [128]byte

	// The attempt in flight.
	u      *upstream
	cell   *router.Cell
	cc     *evCell   // its connection, once it has one
	began  time.Time // the attempt started
	sentAt time.Time // its head was written
	// resent says the attempt was sent again on a fresh connection after
	// a kept-alive one turned out closed.
	resent bool
	// answering says the cell's answer has begun to go to the client: it
	// can no longer be replaced by the router's own, only cut.
	answering bool
	// expecting says the client waits for 100 Continue before it sends
	// its body: refused before that, it sends none, and what follows on
	// the connection is not the body (refuse closes it).
	expecting bool
	// replay is the body of the attempt after a stale_placement answer,
	// sent instead of the client's.
	replay []byte
}

func (l *evLoop) newClient(c gnet.Conn) *evClient {
	cl := &evClient{loop: l, c: c, waitSince: time.Now()}
	cl.body.done = true // no body before the first request
	l.conns[cl] = struct{}{}
	return cl
}

// onTraffic reads what the client sent: the next request, or more of the
// body of the one in flight.
func (cl *evClient) onTraffic() gnet.Action {
	if cl.closed {
		// Closed, its last bytes still being sent (close): what the
		// client sends meanwhile is not kept.
		_, _ = cl.c.Discard(-1)
		return gnet.None
	}
	if !cl.busy {
		cl.next()
		return gnet.None
	}
	// While an off-loop step works on the request (a 421 looked at), its
	// state is not touched: the body waits in the buffer (a fault in it
	// would end the request under that step's feet).
	if !cl.offLoop && cl.cc != nil && cl.cc.c != nil && !cl.body.done {
		cl.pumpBody()
	}
	limit := int64(evMaxAhead)
	if !cl.body.done {
		limit += cl.body.limit // the body itself, while its cell connection is dialled
	}
	if !cl.closed && int64(cl.c.InboundBuffered()) > limit {
		cl.tooMuchAhead()
	}
	return gnet.None
}

// evMaxAhead bounds what a client may send ahead of the answer to its
// request in flight (pipelined requests, or anything): gnet cannot stop
// reading a connection, so past this the request is given up.
const evMaxAhead = 1 << 20

// tooMuchAhead gives up a request whose client sent more than
// evMaxAhead behind it: its connections close, and it counts as the
// client's (499).
func (cl *evClient) tooMuchAhead() {
	cl.st.log(cl.loop.s.rt.cfg.Logger).Warn("client sent too much ahead of its answer; closing it (the evloop engine buffers at most evMaxAhead bytes sent behind a request in flight)", "buffered", cl.c.InboundBuffered(), "limit", evMaxAhead)
	if cl.offLoop {
		cl.closeNow() // the off-loop step ends the request when back
		return
	}
	if cc := cl.cc; cc != nil {
		cl.cc = nil
		cc.close()
	}
	cl.closeNow()
	cl.abandon()
}

// onClose forgets the connection. A request whose body was still coming
// is the client's fault (answered, when the client only half-closed: the
// connection can still be written to here); one waiting for its cell is
// abandoned, its cell connection closed.
func (cl *evClient) onClose(err error) {
	delete(cl.loop.conns, cl)
	delete(cl.loop.draining, cl)
	// accounted: the request's answer is being written; a failed write
	// closes the connection from inside it (gnet), and the writer ends
	// the request.
	if cl.closed || !cl.busy || cl.offLoop || cl.accounted {
		cl.closed = true // an off-loop step finds it closed when back
		return
	}
	if !cl.body.done && cl.replay == nil {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the body ended before its end
		}
		cl.bodyFault(err)
		cl.closed = true
		return
	}
	cl.closed = true
	if cc := cl.cc; cc != nil && !cc.staleWait {
		cl.cc = nil
		cc.close()
		cl.abandon()
	}
}

// evDrain is a closed client connection whose last bytes are being sent.
type evDrain struct {
	since time.Time // the client last took any of them
	took  int64     // what the client had taken then (evClient.took)
}

// close closes the connection once what was written is sent. gnet's
// Close writes what is left once and drops what the socket does not
// take, which would cut the end of an answer to a client reading slower
// than it is written: such a connection is closed by scan once drained.
func (cl *evClient) close() {
	if cl.closed {
		return
	}
	cl.closed = true
	delete(cl.loop.conns, cl)
	if cl.c.OutboundBuffered() > 0 {
		cl.loop.draining[cl] = &evDrain{since: time.Now(), took: cl.took()}
		return
	}
	_ = cl.c.Close()
}

// closeNow closes the connection at once, dropping what is not sent (a
// client given up).
func (cl *evClient) closeNow() {
	_, draining := cl.loop.draining[cl]
	if cl.closed && !draining {
		return // closed already
	}
	delete(cl.loop.draining, cl)
	cl.closed = true
	delete(cl.loop.conns, cl)
	_ = cl.c.Close()
}

// write sends b to the client (gnet keeps what the socket does not take).
func (cl *evClient) write(b []byte) {
	if cl.closed {
		return
	}
	_, _ = cl.c.Write(b)
	cl.wrote += int64(len(b))
	if cl.stallSince.IsZero() && cl.loop.s.rt.cfg.WriteTimeout > 0 && cl.c.OutboundBuffered() > 0 {
		cl.stallSince, cl.tookSeen = time.Now(), cl.took()
	}
}

// next serves the requests buffered, until one is in flight or the
// buffer has no whole head.
func (cl *evClient) next() {
	rt := cl.loop.s.rt
	for !cl.busy && !cl.closed {
		buf, _ := cl.c.Peek(-1)
		if !cl.body.done {
			// The last request's body, unread: dropped, up to
			// maxDrain, as net/http's server does; past that, or
			// malformed, the connection is closed.
			used, _, err := cl.body.take(buf, cl.loop.buf[:0])
			discard(cl.c, used)
			if cl.drained += int64(used); err != nil || cl.drained > maxDrain {
				cl.close()
				return
			}
			if !cl.body.done {
				return
			}
			continue
		}
		if len(buf) == 0 {
			return
		}
		if cl.holdBack() {
			return
		}
		if cl.headSince.IsZero() {
			cl.headSince = time.Now()
		}
		if !headEnd(buf) {
			if len(buf) > 2*rt.cfg.MaxHeaderBytes {
				cl.plainError(http.StatusRequestHeaderFieldsTooLarge)
			}
			return
		}
		cl.in.Reset()
		n, err := cl.loop.parse.head(&cl.in, buf)
		if err != nil {
			cl.plainError(parseErrorStatus(err))
			return
		}
		discard(cl.c, n)
		cl.headSince = time.Time{}
		cl.serve()
	}
}

// maxDrain is the most of an unread request body dropped to keep the
// connection (net/http's server drops up to 256 KiB).
const maxDrain = 256 << 10

// holdBack holds the client's next request back while it leaves more
// than evSlowHigh of its answers unread, until less than evSlowLow waits:
// pipelined requests are taken at the pace the client takes their
// answers, as the other engines take them one at a time, so what waits
// for a client that reads slowly or not at all stays about evSlowHigh
// (each answer is whole when written, so the slow lane never sees
// them). Held, it asks again after a pause that doubles from
// evLanePollMin to evLanePollMax (gnet tells nothing when a buffer
// drains). A client that sends more than evMaxAhead meanwhile is closed.
// True: held.
func (cl *evClient) holdBack() bool {
	out := cl.c.OutboundBuffered()
	if out <= evSlowHigh && (!cl.held || out < evSlowLow) {
		cl.held, cl.holdPoll = false, 0
		return false
	}
	rt := cl.loop.s.rt
	rt.notePeak(out)
	if in := cl.c.InboundBuffered(); in > evMaxAhead {
		rt.cfg.Logger.Warn("client sent too much ahead of the answers it does not read; closing it (the evloop engine buffers at most evMaxAhead bytes of requests held back)", "buffered", in, "limit", evMaxAhead)
		cl.closeNow()
		return true
	}
	cl.held = true
	if cl.holdArmed {
		return true
	}
	cl.holdArmed = true
	cl.holdPoll = min(max(2*cl.holdPoll, evLanePollMin), evLanePollMax)
	el := cl.loop.el
	time.AfterFunc(cl.holdPoll, func() {
		_ = el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			cl.holdArmed = false
			if cl.held && !cl.busy && !cl.closed {
				cl.next()
			}
			return nil
		}))
	})
	return true
}

// chunkedOnly reports whether the request's Transfer-Encoding is just
// "chunked" (fasthttp's parser leaves others to the caller).
func chunkedOnly(h *fasthttp.RequestHeader) bool {
	te := h.Peek("Transfer-Encoding")
	return len(te) == 0 || string(te) == "chunked"
}

// plainError answers a request that could not be read as the fasthttp
// engine does (fastParseError): a plain status, the connection closed,
// not counted.
func (cl *evClient) plainError(status int) {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	b := append(cl.loop.buf[:0], "HTTP/1.1 "...)
	b = append(b, text...)
	b = append(b, "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(text)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, text...)
	cl.write(b)
	cl.close()
}

// serve takes the request parsed into cl.in through the same steps as
// serveFast: admit, decide, then the attempts (send).
func (cl *evClient) serve() {
	rt := cl.loop.s.rt
	in := &cl.in
	// A request that cannot be read is answered as one the parser
	// refuses: before it is counted (inflight, the retry budget, a trace
	// span), as the other engines answer it uncounted, and before
	// anything that may answer and keep the connection: what follows its
	// head cannot be told apart from the next request.
	if status := unreadable(in); status != 0 {
		cl.plainError(status)
		return
	}
	if in.ContentLength() == -1 && !chunkedOnly(in) {
		cl.plainError(http.StatusNotImplemented) // a coding not known: as net/http answers it
		return
	}
	u, err := url.ParseRequestURI(string(in.RequestURI()))
	if err != nil || !httpguts.ValidHostHeader(u.Host) {
		// An absolute-form target's authority stands for the Host field
		// (RFC 9112 §3.2.2): refused as an invalid Host field is.
		cl.plainError(http.StatusBadRequest)
		return
	}
	host := string(in.Host())
	cl.start = time.Now()
	rt.inflight.Add(1)
	rt.budget.request()
	cl.st = reqState{requestID: router.RequestID(string(in.Peek("X-Request-ID")))}
	st := &cl.st
	cl.method = methodString(in.Method())
	cl.replay, cl.resent, cl.answering = nil, false, false
	if in.ConnectionClose() {
		cl.closeAfter = true
	}
	if rt.tracer != nil {
		rt.traceStart(st, fastCarrier{in}, cl.method)
	}
	cl.busy, cl.accounted = true, false
	cl.body.keep = nil
	cl.body.reset(in.ContentLength(), rt.cfg.MaxBodyBytes)
	cl.drained = 0
	// HTTP/1.0 has no 1xx: its expectation is ignored (RFC 9110
	// §10.1.1), as net/http's server ignores it.
	cl.expecting = cl.body.on && in.IsHTTP11() && bytes.EqualFold(in.Peek("Expect"), []byte("100-continue"))
	if r, ok := rt.admit(cl.method, fastHeaderBytes(in), int64(in.ContentLength())); !ok {
		cl.refuse(r)
		return
	}
	cl.rawQuery, cl.forceQuery = u.RawQuery, u.ForceQuery
	if u.Host != "" {
		host = u.Host // absolute form: the target's authority wins (RFC 9112 §3.2.2)
		in.SetHost(host)
	}
	if cl.body.on {
		st.body = &trackedBody{}
		if rt.dirSync != nil {
			cl.kept = cl.kept[:0]
			cl.body.keep = &cl.kept
		}
	}
	facts := tenant.Facts{Host: host, Path: u.Path, RawPath: u.RawPath, Header: fastHeaders{in}}
	if rt.dir != nil && rt.cfg.PlaceUnknown != nil {
		// Placing an unknown tenant calls the placement hook, which may
		// take its time: decided off the loop.
		cl.decideOff(facts)
		return
	}
	r, ok := rt.decide(context.Background(), cl.method, facts, st)
	cl.decided(r, ok)
}

// decideOff runs decide in a goroutine and goes on on the loop.
func (cl *evClient) decideOff(facts tenant.Facts) {
	rt := cl.loop.s.rt
	facts.Header = fastHeaders{h: copyHeader(&cl.in)}
	cl.offLoop = true
	go func() {
		r, ok := rt.decide(context.Background(), cl.method, facts, &cl.st)
		_ = cl.loop.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			cl.offLoop = false
			if cl.closed {
				cl.abandon()
				return nil
			}
			cl.decided(r, ok)
			return nil
		}))
	}()
}

// copyHeader is a copy of h that a goroutine may read while the loop
// goes on.
func copyHeader(h *fasthttp.RequestHeader) *fasthttp.RequestHeader {
	c := &fasthttp.RequestHeader{}
	h.CopyTo(c)
	return c
}

// decided goes on with the decision: the attempts, or the refusal.
func (cl *evClient) decided(r router.Refusal, ok bool) {
	rt := cl.loop.s.rt
	st := &cl.st
	if !ok {
		cl.refuse(r)
		return
	}
	cl.out.Reset()
	rt.forwardedHead(&cl.in, &cl.out, cl.c.RemoteAddr(), st)
	if cl.expecting {
		cl.expecting = false
		// The client waits to be told to send its body, as net/http's and
		// fasthttp's servers tell it once the request is taken; the cell
		// gets the body without being asked.
		cl.out.Del("Expect")
		cl.write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
	}
	cl.path = (&url.URL{Path: st.path, RawPath: st.rawPath}).EscapedPath()
	cl.target = cl.path
	if cl.rawQuery != "" || cl.forceQuery {
		cl.target += "?" + cl.rawQuery
	}
	cl.out.SetRequestURI(cl.target)
	if cl.body.chunked {
		cl.out.SetContentLength(-1)
	}
	st.attempts = st.decision.Attempts(rt.cfg.Health, cl.method, cl.body.on, rt.cfg.MaxAttempts)
	cl.send()
}

// send makes the next attempt under the forwarding policy, or answers
// with the policy's refusal when there is none.
func (cl *evClient) send() {
	rt := cl.loop.s.rt
	st := &cl.st
	a := &st.attempts
	ups := *rt.cells.Load()
	for cell := a.Next(); cell != nil; cell = a.Next() {
		u := ups[cell.ID]
		if u == nil || u.evAddr == "" {
			if !a.Failed(router.FailNotSent, false) {
				break
			}
			continue
		}
		cl.u, cl.cell, cl.resent = u, cell, false
		rt.attemptHead(&cl.out, st, u, cell, cl.method, cl.path, cl.rawQuery, cl.sig[:0])
		cl.began = time.Now()
		cl.loop.sendTo(u.evAddr, u.evTLS, cl, false)
		return
	}
	if cl.body.on && !cl.body.done {
		cl.closeAfter = true // the rest of the body is still on the wire
	}
	cl.refuse(a.Refusal())
}

// pumpBody writes what of the request body is there to the attempt's
// cell connection (or the kept body, for a retry after a
// stale_placement answer).
func (cl *evClient) pumpBody() {
	cc := cl.cc
	if cc == nil || cc.c == nil || cc.closed {
		return
	}
	if cl.replay != nil {
		b := cl.replay
		cl.replay = nil
		_, _ = cc.c.Write(b)
		cl.sentAt = time.Now()
		return
	}
	if cl.body.done {
		return
	}
	buf, _ := cl.c.Peek(-1)
	used, out, err := cl.body.take(buf, cl.loop.buf[:0])
	if used > 0 {
		cl.st.body.read.Store(true)
		discard(cl.c, used)
	}
	if cl.body.done {
		cl.sentAt = time.Now() // UpstreamTimeout counts from the request's end, as on the other engines
	}
	if len(out) > 0 {
		if _, werr := cc.c.Write(out); werr != nil {
			return // gnet closed the cell connection: its onClose failed the attempt
		}
	}
	if err != nil {
		cl.bodyFault(err)
	}
}

// bodyFault ends a request whose body failed because of its client
// (bodyFault classifies err): never counted against the cell, never
// retried; the cell's connection is closed, the client gets the answer
// and its connection is closed.
func (cl *evClient) bodyFault(err error) {
	rt := cl.loop.s.rt
	f := bodyFault(err)
	st := &cl.st
	if cc := cl.cc; cc != nil {
		cl.cc = nil
		cc.close()
	}
	st.attempts.Failed(router.FailClient, true)
	st.cell = nil
	cl.closeAfter = true
	st.log(rt.cfg.Logger).Info("request failed by its client", "reason", f.Reason, logattr.Status, f.Status, "error", f.err.Error())
	if cl.answering {
		// The cell's answer is under way: it is cut (the connection
		// closes), not followed by a second answer.
		st.status, st.reason = f.Status, f.Reason
		rt.metrics.reject(string(f.Reason))
		cl.close()
		cl.finish()
		return
	}
	cl.refuse(f.Refusal)
}

// failed records the attempt's failure (sent: the request may have
// reached the cell) and makes the next attempt or answers.
func (cl *evClient) failed(err error, sent bool) {
	rt := cl.loop.s.rt
	cl.cc = nil
	if !rt.attemptFailed(&cl.st, cl.cell, err, sent) {
		if cl.body.on && !cl.body.done {
			cl.closeAfter = true
		}
		cl.refuse(cl.st.attempts.Refusal())
		return
	}
	cl.send()
}

// refuse answers with the router's own error answer.
func (cl *evClient) refuse(r router.Refusal) {
	l := cl.loop
	w := &l.errOut
	w.Reset()
	w.Header.SetNoDefaultContentType(true)
	l.s.rt.errorAnswer(w, &cl.st, r)
	body := w.Body()
	w.Header.SetContentLength(len(body))
	if cl.expecting && cl.body.n == 0 {
		// Refused before the client was told to go on: it may never send
		// the body, so the bytes that follow cannot be read as it.
		cl.closeAfter = true
	}
	if cl.closeAfter {
		w.Header.SetConnectionClose()
	} else {
		keepAliveHTTP10(&cl.in, &w.Header)
	}
	b := w.Header.AppendBytes(l.buf[:0])
	if cl.method != http.MethodHead {
		b = append(b, body...)
	}
	cl.account()
	cl.write(b)
	cl.finish()
}

// keepAliveHTTP10 tells an HTTP/1.0 client that its connection is kept
// after the answer w (it asked for it: otherwise its request closes the
// connection, closeAfter): HTTP/1.0 takes a connection as closing unless
// the answer says keep-alive (RFC 9112 §C.2.2), as net/http's and
// fasthttp's servers say it.
func keepAliveHTTP10(in *fasthttp.RequestHeader, w *fasthttp.ResponseHeader) {
	if !in.IsHTTP11() {
		w.Set("Connection", "keep-alive")
	}
}

// account counts the request in the metrics and ends its trace, once.
func (cl *evClient) account() {
	if cl.accounted {
		return
	}
	cl.accounted = true
	rt := cl.loop.s.rt
	st := &cl.st
	rt.metrics.observe(st.cell, st.status, time.Since(cl.start))
	if st.span != nil {
		rt.traceEnd(st)
	}
}

// finish ends the request: accounted for, and the next request (or the
// connection's close).
func (cl *evClient) finish() {
	if !cl.busy {
		return // ended already (a close from inside a write ended it)
	}
	rt := cl.loop.s.rt
	cl.account()
	rt.inflight.Add(-1)
	cl.busy = false
	cl.u, cl.cell, cl.cc, cl.replay = nil, nil, nil, nil
	cl.waitSince = time.Now()
	if cl.closeAfter {
		cl.close()
		return
	}
	cl.next()
}
