package server

import (
	"net"
	"net/http"
)

// An answer cut short. When a cell's answer breaks off after its head went
// to the client (the cell reset its connection, a read failed, or it sent
// nothing for UpstreamIdleTimeout), the client must be able to tell it
// from a whole answer. A chunked answer then lacks its last chunk and one
// with a Content-Length its last bytes, so the client's connection is
// closed as usual. An answer with neither (unframed: to an HTTP/1.0
// client, which cannot read chunked, an answer without a length) ends
// where its connection closes, so a clean close (FIN) would read as its
// end: every engine resets such a connection instead (TCP RST: SO_LINGER
// 0, then close), and the client reads an error. A whole unframed answer
// still ends with a clean close. The bytes passed on before the cut are
// written first; a reset drops those the kernel had not sent yet.
//
// Per engine: EngineEvLoop sets the option on the client's socket
// (evCell.broken); EngineFastHTTP on the connection it took over to write
// the answer (answerFastBare); EngineNetHTTP, where ReverseProxy ends a
// cut answer by panicking with http.ErrAbortHandler, after which net/http
// flushes and closes the connection cleanly (FIN), takes the connection
// over first (http.ResponseController.Hijack) and resets it (resetCut).

// resetOnClose makes c's close a reset (SO_LINGER 0). c is a TCP
// connection, or fasthttp's wrapper of one; other connections are left
// as they are.
func resetOnClose(c net.Conn) {
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok { // fasthttp's hijacked connection
		c = u.UnsafeConn()
	}
	if l, ok := c.(interface{ SetLinger(sec int) error }); ok {
		_ = l.SetLinger(0)
	}
}

// resetCut is deferred around the net/http engine's proxy: when the
// cell's answer body failed (st.cut) and the answer is unframed, the
// client's connection is taken over and reset. ReverseProxy ends such an
// answer by panicking with http.ErrAbortHandler, and net/http would then
// flush and close the connection cleanly; resetCut runs first, while the
// panic goes up (it does not recover it), and net/http leaves a
// connection taken over alone.
func resetCut(w http.ResponseWriter, req *http.Request, st *reqState) {
	if !st.cut.Load() || req.ProtoAtLeast(1, 1) || w.Header().Get("Content-Length") != "" {
		return
	}
	// Hijack writes what of the answer is buffered first.
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		resetOnClose(c)
		_ = c.Close()
	}
}
