package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// The fasthttp engine's tenant listener: the same steps as ServeHTTP
// (request id, admit, decide, the attempts under the forwarding policy,
// signing, the answers) on fasthttp's request and response types. What
// httputil.ReverseProxy does for the net/http engine (hop-by-hop headers,
// X-Forwarded-*) is done here, as ReverseProxy does it.

// newFastServer is the tenant listener's server for EngineFastHTTP.
func (rt *Router) newFastServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:      rt.serveFast,
		ErrorHandler: rt.fastParseError,
		// Headers: the whole head must fit the read buffer; the slack
		// lets the router see, count and answer most oversize requests
		// itself (MaxHeaderBytes), as with net/http; beyond it fasthttp
		// answers 431, uncounted.
		// The buffer is kept for a connection's life.
		ReadBufferSize: 2 * rt.cfg.MaxHeaderBytes,
		// ReadTimeout bounds the head (slowloris); HeaderReceived extends
		// it to ReadTimeout for the body once the head is in. A request
		// without a body reads nothing more before its answer, and the
		// next request's wait starts with the idle deadline, so its
		// deadline is left as it is (one timer update less per request).
		ReadTimeout: rt.cfg.ReadHeaderTimeout,
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			if cl := h.ContentLength(); cl == 0 || cl == -2 {
				return fasthttp.RequestConfig{}
			}
			return fasthttp.RequestConfig{ReadTimeout: rt.cfg.ReadTimeout}
		},
		WriteTimeout: rt.cfg.WriteTimeout,
		IdleTimeout:  rt.cfg.IdleTimeout,
		// Bodies stream to the cell and the router enforces MaxBodyBytes
		// itself (admit, fastBody), to answer and count as net/http's
		// engine does. fasthttp reads up to MaxRequestBodySize (at most
		// 8 KiB) of a body before the handler runs, and a body that fails
		// in that read never reaches the handler: with 1 byte, the
		// handler sees (and classifies) every failure after the first
		// byte, as ServeHTTP does.
		StreamRequestBody:             true,
		MaxRequestBodySize:            1,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: false,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		CloseOnShutdown:               true,
		Logger:                        fastLogger{rt},
		ConnState:                     rt.fastConnState,
	}
}

// fastLogger sends fasthttp's log lines to slog.
type fastLogger struct{ rt *Router }

func (l fastLogger) Printf(format string, args ...any) {
	l.rt.cfg.Logger.Warn("proxy", "detail", fmt.Sprintf(format, args...))
}

// fastParseError answers a request fasthttp could not parse, as net/http
// does: a plain 400 (431 for a head over the buffer), the connection
// closed. Like net/http's, these are not counted as the router's answers.
func (rt *Router) fastParseError(ctx *fasthttp.RequestCtx, err error) {
	fastPlainError(ctx, parseErrorStatus(err))
}

// fastPlainError answers status in plain text and closes the connection.
func fastPlainError(ctx *fasthttp.RequestCtx, status int) {
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.Response.Header.Set("Content-Type", "text/plain; charset=utf-8")
	ctx.SetConnectionClose()
	ctx.SetBodyString(strconv.Itoa(status) + " " + http.StatusText(status))
}

// parseErrorStatus is the status that answers a request fasthttp's
// parser refused with err, as net/http answers the same: 400, 431 for a
// head over the buffer, 408 for one too slow, 501 for a transfer coding
// other than chunked.
func parseErrorStatus(err error) int {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		return http.StatusRequestHeaderFieldsTooLarge
	case isTimeout(err):
		return http.StatusRequestTimeout
	case errors.Is(err, fasthttp.ErrUnsupportedTransferEncoding) || strings.Contains(err.Error(), "unsupported transfer-encoding"):
		return http.StatusNotImplemented // as net/http answers it
	}
	return http.StatusBadRequest
}

// fastHeaders is tenant.Headers over a fasthttp request header.
type fastHeaders struct{ h *fasthttp.RequestHeader }

func (f fastHeaders) Get(name string) string { return string(f.h.Peek(name)) }

// Count lets the resolver see a repeated tenant header, as Values does
// with http.Header, without copying the values.
func (f fastHeaders) Count(name string) int { return len(f.h.PeekAll(name)) }

// Values returns every value of name, as http.Header.Values does.
func (f fastHeaders) Values(name string) []string {
	all := f.h.PeekAll(name)
	vs := make([]string, len(all))
	for i, v := range all {
		vs[i] = string(v)
	}
	return vs
}

// fastHeaderBytes is headerBytes for a fasthttp request head.
func fastHeaderBytes(h *fasthttp.RequestHeader) int {
	n := len(h.Method()) + len(h.RequestURI()) + len(h.Host()) + 16
	for k, v := range h.All() {
		n += len(k) + len(v) + 4
	}
	return n
}

// serveFast proxies one request (EngineFastHTTP).
func (rt *Router) serveFast(ctx *fasthttp.RequestCtx) {
	// What fasthttp's parser lets through that the router does not
	// read, answered as a parse error (uncounted, the connection closed).
	// Host() shows an absolute-form target's authority, not the Host
	// field, which is checked apart.
	if status := unreadable(&ctx.Request.Header); status != 0 {
		fastPlainError(ctx, status)
		return
	}
	if invalidHostField(&ctx.Request.Header) {
		fastPlainError(ctx, http.StatusBadRequest)
		return
	}
	start := time.Now()
	rt.inflight.Add(1)
	defer rt.inflight.Add(-1)
	rt.budget.request()
	in := &ctx.Request.Header
	st := &reqState{requestID: router.RequestID(string(in.Peek("X-Request-ID")))}
	method := methodString(in.Method())
	if rt.tracer != nil {
		rt.traceStart(st, fastCarrier{in}, method)
	}
	defer func() {
		rt.metrics.observe(st.cell, st.status, time.Since(start))
		if st.span != nil {
			rt.traceEnd(st)
		}
	}()

	if r, ok := rt.admit(method, fastHeaderBytes(in), int64(in.ContentLength())); !ok {
		rt.writeFastError(ctx, st, r)
		return
	}
	// The path and query as net/http reads them, so that tenant
	// resolution, the forwarded path and the signature see the same
	// values on both engines.
	u, err := url.ParseRequestURI(string(in.RequestURI()))
	if err != nil {
		rt.fastParseError(ctx, err)
		return
	}
	if r, ok := rt.decide(ctx, method, tenant.Facts{Host: string(in.Host()), Path: u.Path, RawPath: u.RawPath, Header: fastHeaders{in}}, st); !ok {
		rt.writeFastError(ctx, st, r)
		return
	}
	rt.forwardFast(ctx, st, method, u.RawQuery, u.ForceQuery)
}

// hopHeaders are dropped on the way in and out (RFC 9110 §7.6.1), as
// httputil.ReverseProxy drops them.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// dropHopHeaders removes the hop-by-hop headers, those named in
// Connection included, through del. connection holds the value of every
// Connection line of the head (PeekAll): a name on any of them is
// hop-by-hop.
func dropHopHeaders(connection [][]byte, del func(string)) {
	for _, line := range connection {
		for len(line) > 0 {
			var f []byte
			f, line, _ = bytes.Cut(line, []byte{','})
			if f = bytes.TrimSpace(f); len(f) > 0 {
				del(string(f))
			}
		}
	}
	for _, h := range hopHeaders {
		del(h)
	}
}

// methodString returns the method as a string, without allocating for
// the common ones.
func methodString(m []byte) string {
	for _, k := range [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodPatch, http.MethodOptions} {
		if string(m) == k {
			return k
		}
	}
	return string(m)
}

// forwardFast sends the request to the decision's cells under the
// forwarding policy and answers with the first answer kept. forceQuery:
// the client's target had a '?' with nothing after it, which the
// forwarded target keeps ("/a?" is not "/a", RFC 3986 §6.2.3).
func (rt *Router) forwardFast(ctx *fasthttp.RequestCtx, st *reqState, method, rawQuery string, forceQuery bool) {
	ups := *rt.cells.Load()
	in := &ctx.Request.Header
	out := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(out)
	rt.forwardedHead(in, &out.Header, ctx.RemoteAddr(), st)

	// The request target: the forwarded path as net/http would write it.
	path := (&url.URL{Path: st.path, RawPath: st.rawPath}).EscapedPath()
	target := path
	if rawQuery != "" || forceQuery {
		target += "?" + rawQuery
	}
	// fasthttp's ContentLength: the declared length, -1 for chunked, -2
	// for neither (no body, for a request).
	cl := in.ContentLength()
	hasBody := cl > 0 || cl == -1
	var body *fastBody
	if hasBody {
		body = &fastBody{r: ctx.RequestBodyStream(), limit: rt.cfg.MaxBodyBytes, want: int64(cl), hdr: in}
		st.body = &trackedBody{r: body}
		if rt.dirSync != nil && st.tenant != "" {
			// Kept, so that a stale_placement answer can be retried
			// (stale.go).
			var first io.Reader
			st.replay, first = newReplayBody(st.body, int64(cl))
			out.SetBodyStream(first, cl)
		} else {
			out.SetBodyStream(st.body, cl)
		}
	}
	st.attempts = st.decision.Attempts(rt.cfg.Health, method, hasBody, rt.cfg.MaxAttempts)
	a := &st.attempts
	att := &fastAttempt{}
	out.SetUserValue(attemptKey{}, att)
	sig := att.sig[:0]
	for cell := a.Next(); cell != nil; cell = a.Next() {
		u := ups[cell.ID]
		if u == nil || u.fast == nil {
			if !a.Failed(router.FailNotSent, false) {
				break
			}
			continue
		}
		out.SetRequestURI(target)
		if u.scheme == "https" {
			// The HostClient refuses a request whose URI's scheme is not
			// its own; the target written is the path all the same.
			out.URI().SetScheme("https")
		}
		out.UseHostHeader = true
		sig = rt.attemptHead(&out.Header, st, u, cell, method, path, rawQuery, sig)
		resp := fasthttp.AcquireResponse()
		began := time.Now()
		err := u.fast.Do(out, resp)
		if fault := st.body.fault(); fault != nil {
			a.Failed(router.FailClient, true)
			closeFastResponse(resp, att, false)
			st.cell = nil
			ctx.SetConnectionClose()
			st.log(rt.cfg.Logger).Info("request failed by its client", "reason", fault.Reason, logattr.Status, fault.Status, "error", fault.err.Error())
			rt.writeFastError(ctx, st, fault.Refusal)
			return
		}
		if err != nil {
			closeFastResponse(resp, att, false)
			if !rt.attemptFailed(st, cell, err, att.wrote) {
				break
			}
			continue
		}
		if resp.StatusCode() == fasthttp.StatusSwitchingProtocols {
			// This engine forwards no Upgrade (a hop-by-hop header), so
			// a cell that switches protocols broke the request: its
			// connection is closed (never pooled after a 101) and the
			// attempt fails, as on the other engines (errUnaskedSwitch).
			closeFastResponse(resp, att, false)
			if !rt.attemptFailed(st, cell, errUnaskedSwitch, true) {
				break
			}
			continue
		}
		if rt.attemptAnswered(st, cell, resp.StatusCode(), time.Since(began)) {
			drainFastResponse(resp, att)
			continue
		}
		var peek []byte
		if resp.StatusCode() == router.StatusMisdirected {
			var retry bool
			var refusal *router.Refusal
			retry, refusal, peek = rt.misdirectedFast(ctx, st, method, resp, att)
			if retry {
				if st.nextBody != nil {
					out.SetBodyStream(st.nextBody, cl)
				}
				continue
			}
			if refusal != nil {
				st.cell = nil
				rt.writeFastError(ctx, st, *refusal)
				return
			}
		}
		rt.answerFast(ctx, st, u, resp, att, peek)
		return
	}
	if body != nil && !body.done {
		ctx.SetConnectionClose() // the rest of the body is still on the wire
	}
	rt.writeFastError(ctx, st, a.Refusal())
}

// answerFast passes the cell's answer on: status, headers without the
// hop-by-hop ones, the router's headers, and the body as a stream that
// releases the cell's response once written.
// peek is what of the body was read already (misdirectedFast), sent
// first.
func (rt *Router) answerFast(ctx *fasthttp.RequestCtx, st *reqState, u *upstream, resp *fasthttp.Response, att *fastAttempt, peek []byte) {
	w := &ctx.Response
	answerHead(&resp.Header, &w.Header, st, u)
	size := resp.Header.ContentLength()
	if size < 0 {
		size = -1 // chunked to the client, whatever the cell used
	}
	if ctx.IsHead() {
		closeFastResponse(resp, att, true)
		w.SkipBody = true
		return
	}
	att.answer = fastAnswer{resp: resp, finish: att.finish, prefix: peek, conn: att.conn}
	if att.conn != nil {
		att.answer.idle, att.answer.stalled = rt.cfg.UpstreamIdleTimeout, func() {
			rt.logStalled(st, st.cell.ID)
		}
		att.answer.live = &rt.fastLive
		rt.fastLive.addAnswer(&att.answer, att.conn)
	}
	att.finish = nil // the answer owns the connection now
	if size >= 0 && att.conn != nil {
		// The head goes out on its own before a body still to come, so
		// that fasthttp copies the body straight to the client's socket
		// as it arrives: behind a buffered head, its copy fills the
		// client's buffer and, if the cell pauses first, holds what came
		// (the head too) until more does. (A chunked answer is flushed
		// chunk by chunk; an answer whose body came with its head goes
		// in one write, as before.)
		w.ImmediateHeaderFlush = true
	}
	if size < 0 && !ctx.Request.Header.IsHTTP11() {
		rt.answerFastBare(ctx, &att.answer)
		return
	}
	w.SetBodyStream(&att.answer, size)
}

// answerFastBare sends an answer without a length to an HTTP/1.0 client,
// which cannot read chunked (RFC 9112 §6.1): the body's bytes as they
// come, ended by closing the connection. fasthttp frames every streamed
// body of unknown size as chunked, so the connection is taken over once
// the handler returns (Hijack): the head as fasthttp would write it,
// without Content-Length or Transfer-Encoding, then the body. fasthttp's
// Shutdown no longer waits for a hijacked connection, so the answer is
// counted (Router.fastBare) until written, for Serve to wait for it.
//
// fasthttp does not always run the hijack handler: the connection may
// end first (a failed flush of an answer held back for this pipelined
// request, a failed deadline update; Server.serveConn). The answer, and
// with it the cell's connection, is then released when the client's
// connection closes (fastConnState). It waits beside its connection in
// Router.fastLive until the handler or that hook takes it out: the one
// that does owns it, so it is closed once, on either path.
func (rt *Router) answerFastBare(ctx *fasthttp.RequestCtx, answer *fastAnswer) {
	writeTimeout := rt.cfg.WriteTimeout
	w := &ctx.Response
	w.Header.SetContentLength(-2) // neither Content-Length nor Transfer-Encoding
	w.SetConnectionClose()
	head := w.Header.AppendBytes(nil)
	ctx.HijackSetNoResponse(true)
	// The connection fasthttp reports to ConnState: the handler's own,
	// as the server wraps none (no MaxConnsPerIP).
	conn := ctx.Conn()
	rt.fastBare.Add(1)
	rt.fastLive.pend(conn, answer)
	ctx.Hijack(func(c net.Conn) {
		defer rt.fastLive.dropClient(conn) // fasthttp closes it once this returns
		if !rt.fastLive.take(conn, answer) {
			return // released already (fastConnState)
		}
		defer rt.fastBare.Add(-1)
		defer answer.Close()
		if writeTimeout > 0 { // one deadline for the whole answer, as fasthttp sets it
			_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
		}
		if _, err := c.Write(head); err != nil {
			return
		}
		_, _ = io.Copy(c, answer)
		if answer.err != nil {
			resetOnClose(c) // cut: fasthttp's close resets (cutanswer.go)
		}
	})
}

// fastConnState releases the unframed answer (answerFastBare) of a client
// connection fasthttp closed without running its hijack handler: closing
// the cell's connection, which nothing else would, and uncounting it, for
// Serve's shutdown not to wait for it. fasthttp calls it once the
// connection's serving goroutine is done with it (StateClosed), after the
// handler that stored the answer returned; a hijacked connection ends in
// StateHijacked instead, its handler owning the answer.
//
// It also keeps Router.fastLive's list of open client connections.
func (rt *Router) fastConnState(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		rt.fastLive.addClient(c)
		return
	case fasthttp.StateClosed:
		if a := rt.fastLive.dropClient(c); a != nil {
			_ = a.Close()
			rt.fastBare.Add(-1)
		}
	}
	// A hijacked connection is dropped by its handler.
}

// fastAnswer is a cell's response body on its way to the client; fasthttp
// closes it once written (or once writing failed), which releases the
// cell's response and its connection (closed unless the body was read
// to its end).
type fastAnswer struct {
	resp   *fasthttp.Response
	finish func(keep bool)
	eof    bool
	prefix []byte // read from the stream already: sent first
	// conn, when the body is still to be read from it, gets a read
	// deadline idle from each read (UpstreamIdleTimeout); stalled logs a
	// read that met it.
	conn    net.Conn
	idle    time.Duration
	stalled func()
	// err is how reading the body failed, if it did (the answer is cut).
	err error
	// live, when conn is set, lists conn for Serve to close once the
	// shutdown's time is up (fastLive); nil otherwise.
	live *fastLive
}

func (a *fastAnswer) Read(p []byte) (int, error) {
	if len(a.prefix) > 0 {
		n := copy(p, a.prefix)
		a.prefix = a.prefix[n:]
		return n, nil
	}
	s := a.resp.BodyStream()
	if s == nil {
		a.eof = true
		return 0, io.EOF
	}
	if a.conn != nil {
		_ = a.conn.SetReadDeadline(time.Now().Add(a.idle))
	}
	n, err := s.Read(p)
	switch {
	case err == io.EOF:
		a.eof = true
	case err != nil:
		a.err = err
	}
	if err != nil && a.stalled != nil && isTimeout(err) {
		a.stalled()
	}
	return n, err
}

func (a *fastAnswer) Close() error {
	complete := a.eof || a.resp.BodyStream() == nil
	if a.live != nil && !a.live.dropAnswer(a) {
		complete = false // closed by Serve (fastLive.closeAll)
	}
	_ = a.resp.CloseBodyStream()
	if a.finish != nil {
		a.finish(complete)
	}
	fasthttp.ReleaseResponse(a.resp)
	return nil
}

// misdirectedFast looks at a cell's 421 answer (stale.go), reading the
// start of its body: retry means the answer was released and st holds
// the attempt on the tenant's newer placement; refusal, that the router
// answers instead; neither, that resp goes to the client, with peek, the
// part of its body read, sent first.
func (rt *Router) misdirectedFast(ctx *fasthttp.RequestCtx, st *reqState, method string, resp *fasthttp.Response, att *fastAttempt) (retry bool, refusal *router.Refusal, peek []byte) {
	complete := true
	// The transport streams every answer's body (StreamResponseBody);
	// resp.Body() would read all of it.
	if s := resp.BodyStream(); s != nil {
		var err error
		peek, err = io.ReadAll(io.LimitReader(s, router.StaleBodyBytes+1))
		complete = err == nil && len(peek) <= router.StaleBodyBytes
	}
	// A stale_placement answer passed on goes as any answer does.
	_, retry, refusal = rt.stalePlacement(ctx, st, method, resp.StatusCode(), peek)
	if retry || refusal != nil {
		closeFastResponse(resp, att, complete)
		return retry, refusal, nil
	}
	return false, nil, peek
}

// closeFastResponse releases a cell's response that is not passed on, and
// its connection: kept when keep says its body was fully read.
func closeFastResponse(resp *fasthttp.Response, att *fastAttempt, keep bool) {
	_ = resp.CloseBodyStream()
	if att.finish != nil {
		att.finish(keep)
		att.finish = nil
	}
	fasthttp.ReleaseResponse(resp)
}

// drainFastResponse reads up to 64 KiB of a dropped answer's body, so
// that its connection can be kept, as the net/http engine does.
func drainFastResponse(resp *fasthttp.Response, att *fastAttempt) {
	complete := true
	if s := resp.BodyStream(); s != nil {
		n, err := io.Copy(io.Discard, io.LimitReader(s, 64<<10))
		complete = err == nil && n < 64<<10
	}
	closeFastResponse(resp, att, complete)
}

// fastBody reads the client's request body for EngineFastHTTP with
// net/http's outcomes: over limit, a *http.MaxBytesError; ending before
// its declared Content-Length, io.ErrUnexpectedEOF.
type fastBody struct {
	r     io.Reader
	limit int64
	want  int64 // declared length, or -1 (chunked)
	n     int64
	done  bool
	hdr   *fasthttp.RequestHeader // where fasthttp puts a chunked body's trailers
}

func (b *fastBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if rest := b.limit + 1 - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.limit {
		return n, &http.MaxBytesError{Limit: b.limit}
	}
	if err == io.EOF {
		if b.want >= 0 && b.n < b.want {
			return n, io.ErrUnexpectedEOF
		}
		if b.want < 0 && b.hdr != nil {
			// fasthttp's trailer parser, like its head parser, lets a
			// name with a space inside through (headername.go).
			for _, k := range b.hdr.PeekTrailerKeys() {
				if !isToken(k) {
					return n, errTrailerName
				}
			}
		}
		b.done = true
	}
	return n, err
}

// writeFastError is writeError for EngineFastHTTP: the same JSON body
// and headers.
func (rt *Router) writeFastError(ctx *fasthttp.RequestCtx, st *reqState, r router.Refusal) {
	rt.errorAnswer(&ctx.Response, st, r)
}
