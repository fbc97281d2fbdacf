//go:build linux

package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/fasthttp"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// A client's connection on an event loop (EngineEvLoop): its requests one
// at a time, each parsed, decided and sent to a cell connection of the
// same loop (evloop_pool.go), whose answer comes back through answer and
// finish. Bytes the client sends while its request is with a cell stay in
// the connection's buffer until the answer is written (pipelining).

// evLoop is one event loop's state; only that loop touches it.
type evLoop struct {
	s      *evServer
	el     gnet.EventLoop
	parse  *evParser
	idle   map[string][]*evCell // keep-alive cell connections, by address
	conns  map[*evClient]struct{}
	buf    []byte            // scratch for heads written
	errOut fasthttp.Response // scratch for the router's own answers
}

func newEvLoop(s *evServer, el gnet.EventLoop) *evLoop {
	return &evLoop{
		s:     s,
		el:    el,
		parse: newEvParser(max(2*s.rt.cfg.MaxHeaderBytes, 64<<10)),
		idle:  map[string][]*evCell{},
		conns: map[*evClient]struct{}{},
		buf:   make([]byte, 0, 4<<10),
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

	closed     bool // the connection is gone
	busy       bool // a request is with a cell
	closeAfter bool // close once the answer is written

	in  fasthttp.RequestHeader
	out fasthttp.RequestHeader
	w   fasthttp.ResponseHeader
	st  reqState

	start    time.Time
	method   string
	path     string
	rawQuery string
	target   string
	sig      [128]byte

	// The attempt in flight.
	u     *upstream
	cell  *router.Cell
	began time.Time
	// resent says the attempt was sent again on a fresh connection after
	// a kept-alive one turned out closed.
	resent bool
}

func (l *evLoop) newClient(c gnet.Conn) *evClient {
	cl := &evClient{loop: l, c: c}
	l.conns[cl] = struct{}{}
	return cl
}

// onTraffic reads what the client sent: the next request, unless one is
// in flight.
func (cl *evClient) onTraffic() gnet.Action {
	if !cl.busy {
		cl.next()
	}
	return gnet.None
}

// onClose forgets the connection. A request in flight goes on; its
// answer is dropped (evCell.onTraffic).
func (cl *evClient) onClose(error) {
	cl.closed = true
	delete(cl.loop.conns, cl)
}

// close closes the connection once what was written is sent.
func (cl *evClient) close() {
	if !cl.closed {
		cl.closed = true
		_ = cl.c.Close()
	}
}

// write sends b to the client (gnet keeps what the socket does not take).
func (cl *evClient) write(b []byte) {
	if !cl.closed {
		_, _ = cl.c.Write(b)
	}
}

// next serves the requests buffered, until one goes to a cell or the
// buffer has no whole head.
func (cl *evClient) next() {
	rt := cl.loop.s.rt
	for !cl.busy && !cl.closed {
		buf, _ := cl.c.Peek(-1)
		if len(buf) == 0 {
			return
		}
		if !headEnd(buf) {
			if len(buf) > 2*rt.cfg.MaxHeaderBytes {
				cl.plainError(http.StatusRequestHeaderFieldsTooLarge)
			}
			return
		}
		cl.in.Reset()
		n, err := cl.loop.parse.request(&cl.in, buf)
		if err != nil {
			cl.plainError(http.StatusBadRequest)
			return
		}
		_, _ = cl.c.Discard(n)
		cl.serve()
	}
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
	cl.start = time.Now()
	rt.inflight.Add(1)
	rt.budget.request()
	cl.st = reqState{requestID: router.RequestID(string(in.Peek("X-Request-ID")))}
	st := &cl.st
	cl.method = methodString(in.Method())
	if in.ConnectionClose() {
		cl.closeAfter = true
	}
	if rt.tracer != nil {
		rt.traceStart(st, fastCarrier{in}, cl.method)
	}
	cl.busy = true
	if r, ok := rt.admit(cl.method, fastHeaderBytes(in), int64(in.ContentLength())); !ok {
		cl.refuse(r)
		return
	}
	if n := in.ContentLength(); n > 0 || n == -1 {
		cl.busy = false
		rt.inflight.Add(-1)
		cl.plainError(http.StatusNotImplemented) // bodies: not yet
		return
	}
	u, err := url.ParseRequestURI(string(in.RequestURI()))
	if err != nil {
		cl.busy = false
		rt.inflight.Add(-1)
		cl.plainError(http.StatusBadRequest)
		return
	}
	cl.rawQuery = u.RawQuery
	if r, ok := rt.decide(context.Background(), cl.method, tenant.Facts{Host: string(in.Host()), Path: u.Path, RawPath: u.RawPath, Header: fastHeaders{in}}, st); !ok {
		cl.refuse(r)
		return
	}
	cl.out.Reset()
	rt.forwardedHead(in, &cl.out, cl.c.RemoteAddr(), st)
	cl.path = (&url.URL{Path: st.path, RawPath: st.rawPath}).EscapedPath()
	cl.target = cl.path
	if cl.rawQuery != "" {
		cl.target += "?" + cl.rawQuery
	}
	cl.out.SetRequestURI(cl.target)
	st.attempts = st.decision.Attempts(rt.cfg.Health, cl.method, false, rt.cfg.MaxAttempts)
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
		cl.loop.sendTo(u.evAddr, cl, false)
		return
	}
	cl.refuse(a.Refusal())
}

// failed records the attempt's failure (sent: the request may have
// reached the cell) and makes the next attempt or answers.
func (cl *evClient) failed(err error, sent bool) {
	rt := cl.loop.s.rt
	if !rt.attemptFailed(&cl.st, cl.cell, err, sent) {
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
	cl.loop.s.rt.errorAnswer(w, &cl.st, r)
	body := w.Body()
	w.Header.SetContentLength(len(body))
	if cl.closeAfter {
		w.Header.SetConnectionClose()
	}
	b := w.Header.AppendBytes(l.buf[:0])
	if cl.method != http.MethodHead {
		b = append(b, body...)
	}
	cl.write(b)
	cl.finish()
}

// finish ends the request: metrics, trace, and the next request (or the
// connection's close).
func (cl *evClient) finish() {
	rt := cl.loop.s.rt
	st := &cl.st
	rt.metrics.observe(st.cell, st.status, time.Since(cl.start))
	if st.span != nil {
		rt.traceEnd(st)
	}
	rt.inflight.Add(-1)
	cl.busy = false
	cl.u, cl.cell = nil, nil
	if cl.closeAfter {
		cl.close()
		return
	}
	cl.next()
}
