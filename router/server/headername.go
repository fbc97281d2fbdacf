package server

import (
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
