package server

import (
	"encoding/json"
	"net"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// The heads the engines on fasthttp's header types write (EngineFastHTTP
// and EngineEvLoop): the request a cell gets, the answer a client gets,
// and the router's own error answers. One copy, so that both engines send
// the same bytes for the same request.

// forwardedHead writes into out the head of the request forwarded for in,
// from a client at remote: in's headers without the hop-by-hop ones and
// with X-Forwarded-*, X-Request-ID and without what only the router may
// set (signature, tenant, epoch, and the trace context, which each
// attempt sets), as httputil.ReverseProxy with SetXForwarded writes them.
// The target, Host and what each attempt adds are attemptHead's. A
// request without Content-Type goes without one: fasthttp's default
// (application/octet-stream, for a body with a length) is off, since a
// proxy does not invent a media type (RFC 9110 §8.3 leaves the guess to
// the recipient).
func (rt *Router) forwardedHead(in, out *fasthttp.RequestHeader, remote net.Addr, st *reqState) {
	in.CopyTo(out)
	out.SetNoDefaultContentType(true)
	if !in.IsHTTP11() {
		// The router speaks its own version to the cell, as
		// ReverseProxy does (RFC 9110 §6.2).
		out.SetProtocol("HTTP/1.1")
	}
	dropHopHeaders(in.PeekAll("Connection"), out.Del)
	out.Del("Forwarded")
	out.Del("X-Forwarded-For")
	out.Del("X-Forwarded-Host")
	out.Del("X-Forwarded-Proto")
	var ipBuf [64]byte
	clientIP := ipBuf[:0]
	if a, ok := remote.(*net.TCPAddr); ok {
		clientIP = a.AddrPort().Addr().Unmap().AppendTo(clientIP)
	}
	// The client's own X-Forwarded-For is not trusted: the cell gets the
	// address the router saw (what SetXForwarded does after Rewrite).
	if len(clientIP) > 0 {
		out.SetBytesV("X-Forwarded-For", clientIP)
	}
	out.SetBytesV("X-Forwarded-Host", in.Host())
	out.Set("X-Forwarded-Proto", "http")
	out.Set("X-Request-ID", st.requestID)
	out.Del(edgeauth.SignatureHeader)
	// The cell learns the tenant and the placement epoch only from the
	// router.
	out.Del(edgeauth.TenantHeader)
	out.Del(edgeauth.EpochHeader)
	if rt.tracer != nil {
		// Each attempt sends its own (traceAttempt).
		out.Del(hdrTraceparent)
		out.Del(hdrTracestate)
	}
}

// attemptHead sets in out what one attempt to cell (through u) adds: the
// cell's Host, the tenant and epoch headers, the edge signature (built in
// sig, returned for reuse) and the trace context.
func (rt *Router) attemptHead(out *fasthttp.RequestHeader, st *reqState, u *upstream, cell *router.Cell, method, path, rawQuery string, sig []byte) []byte {
	out.SetHost(u.host)
	if st.tenant != "" {
		out.Set(edgeauth.TenantHeader, st.tenant)
	}
	if epoch := st.decision.Epoch(); epoch > 0 {
		var eb [20]byte
		out.SetBytesV(edgeauth.EpochHeader, strconv.AppendInt(eb[:0], epoch, 10))
	} else {
		out.Del(edgeauth.EpochHeader)
	}
	if rt.cfg.Signer != nil {
		sig = rt.cfg.Signer.AppendSign(sig[:0], edgeauth.Message{Method: method, Host: u.host, Path: path, Query: rawQuery, Tenant: st.tenant, Epoch: st.decision.Epoch()})
		out.SetBytesV(edgeauth.SignatureHeader, sig)
	}
	if rt.tracer != nil {
		rt.traceAttempt(st, cell, fastCarrier{out})
	}
	return sig
}

// answerHead writes into w the head of the answer passed on from a cell's
// (resp, through u): its status and headers without the hop-by-hop ones,
// and the router's X-Cell-ID, X-Processed-By-Cloud and X-Request-ID. The
// body's framing is the caller's. An answer without Content-Type goes
// without one: CopyTo takes the cell's header's flag for fasthttp's
// default (text/plain), off only in a server's own headers, and a proxy
// does not invent a type.
func answerHead(resp, w *fasthttp.ResponseHeader, st *reqState, u *upstream) {
	resp.CopyTo(w)
	w.SetNoDefaultContentType(true)
	dropHopHeaders(resp.PeekAll("Connection"), w.Del)
	w.Set("X-Cell-ID", u.cellID[0])
	w.Set("X-Processed-By-Cloud", u.cloud[0])
	w.Set("X-Request-ID", st.requestID)
	w.SetStatusCode(resp.StatusCode())
}

// errorAnswer is writeError on a fasthttp response: the same JSON body
// and headers, counted by the refusal's reason.
func (rt *Router) errorAnswer(w *fasthttp.Response, st *reqState, r router.Refusal) {
	w.ResetBody()
	refusalHeaders(w.Header.Set, st, r)
	w.SetStatusCode(r.Status)
	b, _ := json.Marshal(r.Body(st.requestID, st.tenant))
	w.SetBodyRaw(append(b, '\n'))
	st.status, st.reason = r.Status, r.Reason
	rt.metrics.reject(string(r.Reason))
}
