package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"
)

// invalidHeaderName reports a request header whose name is not a token
// (RFC 9110 §5.1). fasthttp's parser lets a name with a space inside it
// through (uncanonicalised; it refuses other bytes), where net/http's
// server answers 400: the fasthttp and evloop engines refuse such a
// request too, before anything else, rather than forward a field that a
// cell, or a server behind it, may read as another one.
func invalidHeaderName(h *fasthttp.RequestHeader) bool {
	for k := range h.All() {
		if !isToken(k) {
			return true
		}
	}
	return false
}

// isToken reports whether b is an RFC 9110 token: one or more tchars.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !httpguts.IsTokenRune(rune(c)) {
			return false
		}
	}
	return true
}

// errTrailerName ends a chunked request body with a trailer whose name is
// not a token. Every engine refuses such a body (400 bad_request_body), as
// a field line it cannot read: the evloop engine as it reads the trailer
// section (evloop_body.go), the fasthttp engine once its reader has parsed
// it (fastBody), and the net/http engine at the body's end (trailerCheck),
// since both parsers let a name with a space inside through.
var errTrailerName = errors.New("malformed chunked encoding: a trailer name that is not a token")

// badTrailerName reports a name in a request's Trailer that is not a
// token: one the Trailer header declared (net/http's server takes it, and
// its transport then refuses to send the request, where fasthttp's
// parser refuses the request 400) or, once the body is read, one of the
// trailers that came.
func badTrailerName(trailer http.Header) bool {
	for k := range trailer {
		if !isToken([]byte(k)) {
			return true
		}
	}
	return false
}

// trailerCheck is the net/http engine's request body: at its end, the
// trailers net/http's reader put in req.Trailer must have tokens for
// names.
type trailerCheck struct {
	r   io.Reader
	req *http.Request
}

func (c trailerCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF && badTrailerName(c.req.Trailer) {
		return n, errTrailerName
	}
	return n, err
}
