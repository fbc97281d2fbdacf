package server

import (
	"bytes"
	"net/http"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"
)

// identityCoding reports whether a request read by fasthttp's parser
// (EngineFastHTTP, EngineEvLoop) named a transfer coding the parser
// accepted without applying it: "identity". RFC 9112 §7 no longer has
// it, so it is a coding the router does not know, which takes precedence
// over Content-Length (§6.3) and is answered 501 with the connection
// closed (§6.1), as net/http's server answers it. fasthttp's parser
// instead reads such a request as if it had no Transfer-Encoding at all:
// its body framed by Content-Length, or absent, so that the body's bytes
// would be served as the next request, one that a front proxy honouring
// the header never saw (request smuggling). The parser keeps no trace of
// the header but the raw head, which this scans.
func identityCoding(h *fasthttp.RequestHeader) bool {
	if h.ContentLength() == -1 {
		return false // chunked: the parser refuses any other coding with it
	}
	const name = "Transfer-Encoding"
	raw := h.RawHeaders()
	for len(raw) > 0 {
		var line []byte
		line, raw, _ = bytes.Cut(raw, []byte{'\n'})
		// The parser refuses a space before a field name's colon.
		if len(line) > len(name) && line[len(name)] == ':' && bytes.EqualFold(line[:len(name)], []byte(name)) {
			return true
		}
	}
	return false
}

// unsupportedVersion reports whether a request read by fasthttp's parser
// (EngineFastHTTP, EngineEvLoop) names an HTTP major version other than
// 1 in its request line ("HTTP/2.0", "HTTP/0.9"). It is answered 505 and
// the connection closed, as net/http's server answers it (RFC 9110
// §15.6.6): fasthttp's parser takes any "HTTP/d.d" and would serve it as
// HTTP/1.0.
func unsupportedVersion(h *fasthttp.RequestHeader) bool {
	p := h.Protocol() // "HTTP/d.d": the parser refuses any other form
	return len(p) != len("HTTP/1.1") || p[5] != '1'
}

// missingHost reports whether a request read by fasthttp's parser, of a
// minor version past 1.1 ("HTTP/1.2"), has no Host. Such a request is
// read as HTTP/1.1 (RFC 9110 §2.5), which requires one (RFC 9112 §3.2):
// it is answered 400 and the connection closed, as net/http's server
// answers it. fasthttp's parser requires Host only of "HTTP/1.1" and
// reads any other 1.x as HTTP/1.0 (the connection then closed after the
// answer, a Transfer-Encoding refused: both safe, left as they are).
func missingHost(h *fasthttp.RequestHeader) bool {
	p := h.Protocol()
	return len(p) == len("HTTP/1.1") && p[5] == '1' && p[7] > '1' && len(h.Host()) == 0
}

// invalidHostField reports whether a request read by fasthttp's parser
// has a Host field whose value no host has. Host() is the target's
// authority for an absolute-form target (RFC 9112 §3.2.2), so it does
// not show the field: the raw head is scanned. A server refuses an
// invalid Host field whatever the target (§3.2), as net/http's does.
func invalidHostField(h *fasthttp.RequestHeader) bool {
	const name = "Host"
	raw := h.RawHeaders()
	for len(raw) > 0 {
		var line []byte
		line, raw, _ = bytes.Cut(raw, []byte{'\n'})
		if len(line) > len(name) && line[len(name)] == ':' && bytes.EqualFold(line[:len(name)], []byte(name)) {
			v := bytes.Trim(line[len(name)+1:], " \t\r")
			return !httpguts.ValidHostHeader(string(v))
		}
	}
	return false
}

// unreadable is the status that answers a request fasthttp's parser
// read (EngineFastHTTP, EngineEvLoop) but the router does not, or 0: an
// HTTP major version other than 1 (505), a transfer coding the parser
// accepted without applying it (501), a missing or invalid Host, or a
// header name that is not a token (400). Both engines answer it before
// the request is counted and close the connection, as net/http's server
// answers the same requests: what follows such a head cannot be told
// apart from the next request.
func unreadable(h *fasthttp.RequestHeader) int {
	switch {
	case unsupportedVersion(h):
		return http.StatusHTTPVersionNotSupported
	case identityCoding(h):
		return http.StatusNotImplemented
	case missingHost(h) || !httpguts.ValidHostHeader(string(h.Host())) || invalidHeaderName(h):
		return http.StatusBadRequest
	}
	return 0
}
