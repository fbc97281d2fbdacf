package server

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
)

// fastLive is what EngineFastHTTP holds open that its server's graceful
// shutdown does not close: fasthttp's ShutdownWithContext closes the
// listener and the idle client connections, then waits for the busy
// ones, and when its time is up returns with them still open, their
// goroutines still writing answers. An answer whose cell went quiet
// would hold its client's connection, its cell's and the goroutine
// serving them until UpstreamIdleTimeout, and one whose client reads
// nothing until WriteTimeout (none by default). Serve closes all of them
// once the shutdown's time is up (closeAll): the cell connections wake
// the reads waiting on them, the client connections the writes, so the
// goroutines end at once.
type fastLive struct {
	// clients are the client connections open (fastConnState adds each
	// and takes it out once fasthttp closes it, or, for a connection taken
	// over by answerFastBare, once its handler ends), each with the
	// unframed answer waiting for its hijack handler (answerFastBare), or
	// nil.
	clients sync.Map // net.Conn → *fastAnswer
	// cells are the cell connections of the answers whose body is still
	// to be read from them (answerFast), by answer: an answer takes its
	// own out when it is closed (fastAnswer.Close).
	cells  sync.Map // *fastAnswer → net.Conn
	closed atomic.Bool
}

// addClient notes an accepted client connection (closed at once when the
// server is closed already).
func (l *fastLive) addClient(c net.Conn) {
	l.clients.Store(c, (*fastAnswer)(nil))
	if l.closed.Load() {
		_ = c.Close()
	}
}

// dropClient forgets a client connection fasthttp closed, and returns the
// answer still waiting beside it, which the caller then owns, or nil.
func (l *fastLive) dropClient(c net.Conn) *fastAnswer {
	v, _ := l.clients.LoadAndDelete(c)
	a, _ := v.(*fastAnswer)
	return a
}

// pend notes a as the answer waiting for c's hijack handler.
func (l *fastLive) pend(c net.Conn, a *fastAnswer) { l.clients.Store(c, a) }

// take takes a, pending beside c, out for the hijack handler, and reports
// whether it was still there (dropClient did not take it first): the
// one that takes it owns it.
func (l *fastLive) take(c net.Conn, a *fastAnswer) bool {
	return l.clients.CompareAndSwap(c, a, (*fastAnswer)(nil))
}

// addAnswer notes that answer reads its body from the cell's connection
// conn (closed at once when the server is closed already).
func (l *fastLive) addAnswer(answer *fastAnswer, conn net.Conn) {
	l.cells.Store(answer, conn)
	if l.closed.Load() {
		if _, ok := l.cells.LoadAndDelete(answer); ok {
			closeCellConn(conn)
		}
	}
}

// dropAnswer forgets answer's cell connection; false means closeAll
// closed it already (the answer is cut: its connection is not pooled).
func (l *fastLive) dropAnswer(answer *fastAnswer) bool {
	_, ok := l.cells.LoadAndDelete(answer)
	return ok
}

// closeAll closes every client connection still open and every cell
// connection an answer still reads from, and those that come after.
func (l *fastLive) closeAll() {
	l.closed.Store(true)
	l.cells.Range(func(k, _ any) bool {
		if conn, ok := l.cells.LoadAndDelete(k); ok {
			closeCellConn(conn.(net.Conn))
		}
		return true
	})
	l.clients.Range(func(k, _ any) bool {
		// Left in the list: fasthttp reports the close (fastConnState),
		// which releases an answer still waiting beside it.
		_ = k.(net.Conn).Close()
		return true
	})
}

// closeCellConn closes a cell connection under a read of another
// goroutine: for an https cell, the TCP connection under the TLS one,
// which makes the read return at once without sending a close_notify
// alert (a write that could wait on a cell that reads nothing either).
func closeCellConn(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	_ = c.Close()
}
