package server

import (
	"crypto/tls"
	"net/url"
)

// TLS towards the cells: a cell whose endpoint is https is reached over
// TLS on every engine, its certificate verified against
// Config.CellRootCAs (the system's roots when nil) and its host name (or
// address) in the endpoint. net/http's transport and fasthttp's
// HostClient do the handshake themselves from cellTLS; the event-loop
// engine's connections to such a cell go through a bridge
// (evloop_tls.go) configured by evCellTLS.

// evTLSKey starts the pool key (upstream.evAddr) of an https cell on
// EngineEvLoop, before its host:port, so that it never shares a pool with
// a plain cell at the same address.
const evTLSKey = "https://"

// cellTLS is the TLS configuration of the engines' clients to cells: the
// roots trusted; the clients set the server name from the endpoint.
func (rt *Router) cellTLS() *tls.Config {
	return &tls.Config{RootCAs: rt.cfg.CellRootCAs}
}

// evCellTLS is the TLS configuration of EngineEvLoop's connections to an
// https cell at parsed: its host name to verify, HTTP/1.1 (the loops speak
// nothing else), and a session cache so that a new connection resumes
// the session of an earlier one.
func (rt *Router) evCellTLS(parsed *url.URL) *tls.Config {
	c := rt.cellTLS()
	c.ServerName = parsed.Hostname()
	c.NextProtos = []string{"http/1.1"}
	c.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	return c
}
