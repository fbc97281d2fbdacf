//go:build linux

package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/fasthttp"

	"github.com/cellfabric/cellfabric/router"
)

// The event-loop engine's side towards the cells: each loop keeps its
// own keep-alive connections per cell address, so that a request and its
// answer never leave the loop of the client's connection. A connection
// is dialled in a goroutine when the loop has no idle one and enrolled on
// that same loop; its answers are read in its OnTraffic and written to
// the client there: a Content-Length body as it is, a chunked or
// close-delimited one chunked (as the fasthttp engine answers), or, to
// an HTTP/1.0 client, which cannot read chunked, as bare bytes ended by
// closing the client's connection (reset instead when the cell breaks the
// answer off: cutanswer.go). A connection to an https cell is
// bridged to its TLS connection (evloop_tls.go) and is otherwise the same.

// evCell is a connection to a cell, owned by one loop.
type evCell struct {
	loop *evLoop
	c    gnet.Conn
	addr string      // its pool's key (upstream.evAddr)
	tls  *tls.Config // an https cell's (upstream.evTLS); nil: plain TCP
	// bridge carries an https cell's connection (evloop_tls.go); set
	// before the connection is enrolled.
	bridge *evBridge

	client *evClient // the request on it; nil while idle
	used   bool      // it has carried a request before this one
	got    bool      // bytes of the current answer arrived
	closed bool
	idleAt time.Time // when it went idle

	resp       fasthttp.ResponseHeader
	head       bool   // the answer's head is in and handled
	drop       bool   // the answer is not passed on (retried elsewhere)
	ans        evBody // the answer body's framing
	untilClose bool   // the answer body ends when the cell closes
	// bare: the body goes to the client without framing, ended by
	// closing its connection (an HTTP/1.0 client and no length).
	bare      bool
	keepRsp   bool // the connection may carry another request
	staleLook bool // a 421 whose body's start is to be read (lookStale)
	staleWait bool // a 421 is being looked at off the loop
	// taken counts the answer's body bytes passed on; the loop's scan
	// notes when it last moved (seenAt, at seen) to break off an answer
	// whose cell pauses for UpstreamIdleTimeout (evloop_timer.go).
	taken, seen int64
	seenAt      time.Time
	// lane reads the rest of the answer at the client's pace, off gnet
	// (evloop_lane.go); c is nil then. noLane: the connection could not
	// be taken off gnet for this answer (not tried again).
	lane   *evLane
	noLane bool
}

// errCellClosed is a cell connection closed with a request on it.
var errCellClosed = errors.New("the cell closed the connection before answering")

// sendTo sends cl's request to the cell at addr (over TLS with tc, when
// not nil) on an idle connection of the loop, or on a new one. fresh
// asks for a new one.
func (l *evLoop) sendTo(addr string, tc *tls.Config, cl *evClient, fresh bool) {
	if !fresh {
		idle := l.idle[addr]
		for len(idle) > 0 {
			cc := idle[len(idle)-1]
			idle = idle[:len(idle)-1]
			l.idle[addr] = idle
			if !cc.closed {
				cc.send(cl)
				return
			}
		}
	}
	l.dial(addr, tc, cl)
}

// dial connects to addr (with tc, through TLS) in a goroutine and
// enrolls the connection on this loop; its OnOpen sends cl's request
// (opened).
func (l *evLoop) dial(addr string, tc *tls.Config, cl *evClient) {
	cc := &evCell{loop: l, addr: addr, tls: tc, client: cl}
	cl.cc = cc
	d := net.Dialer{Timeout: l.s.rt.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	fail := func(err error) {
		_ = l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			cc.dialFailed(err)
			return nil
		}))
	}
	go func() {
		var nc net.Conn
		var err error
		if tc != nil {
			nc, cc.bridge, err = dialTLS(&d, strings.TrimPrefix(addr, evTLSKey), tc)
		} else {
			nc, err = d.Dial("tcp", addr)
		}
		if err != nil {
			fail(err)
			return
		}
		res, err := l.el.Enroll(gnet.NewContext(context.Background(), cc), nc)
		if err == nil {
			if r := <-res; r.Err != nil {
				err = r.Err
			}
		} else {
			nc.Close()
		}
		if err != nil {
			if cc.bridge != nil {
				cc.bridge.close()
			}
			fail(err)
		}
	}()
}

// dialFailed fails the attempt whose connection could not be made.
func (cc *evCell) dialFailed(err error) {
	cc.closed = true
	if cl := cc.release(); cl != nil {
		cl.failed(err, false)
	}
}

// release detaches the connection's client: one that left meanwhile is
// abandoned here and nil returned; otherwise the client, whose attempt
// the caller ends.
func (cc *evCell) release() *evClient {
	cl := cc.client
	cc.client = nil
	if cl == nil {
		return nil
	}
	cl.cc = nil
	if cl.closed {
		cl.abandon()
		return nil
	}
	return cl
}

// opened is OnOpen of a dialled connection: it sends its request, or
// waits idle when the client left meanwhile.
func (cc *evCell) opened(c gnet.Conn) {
	cc.c = c
	cl := cc.client
	cc.client = nil
	if cc.closed { // its request ended while it was dialled
		_ = c.Close()
		return
	}
	switch {
	case cl == nil:
		cc.idle()
	case cl.closed:
		cl.cc = nil
		cl.abandon()
		cc.idle()
	default:
		cc.send(cl)
	}
}

// send writes cl's request head to the cell, and what of the body is
// there.
func (cc *evCell) send(cl *evClient) {
	cc.client, cc.head, cc.drop, cc.got, cc.staleLook, cc.staleWait, cc.noLane = cl, false, false, false, false, false, false
	cl.cc = cc
	cl.sentAt = time.Now()
	b := cl.out.AppendBytes(cc.loop.buf[:0])
	if _, err := cc.c.Write(b); err != nil {
		return // gnet closed the connection: onClose failed the attempt
	}
	cl.pumpBody()
}

// idle puts the connection in its loop's pool.
func (cc *evCell) idle() {
	pool := cc.loop.idle[cc.addr]
	if len(pool) >= cc.loop.maxIdle {
		cc.close() // the loop keeps enough of this cell's connections
		return
	}
	cc.client, cc.used, cc.idleAt = nil, true, time.Now()
	cc.loop.idle[cc.addr] = append(pool, cc)
}

// close closes the connection with no request on it any more (in the
// slow lane, the lane's).
func (cc *evCell) close() {
	cc.client = nil
	if !cc.closed {
		cc.closed = true
		if ln := cc.lane; ln != nil {
			cc.lane = nil
			ln.stop()
		} else if cc.c != nil {
			_ = cc.c.Close()
		}
	}
}

// onTraffic reads the answer: its head, then its body, written to the
// client as it comes.
func (cc *evCell) onTraffic() gnet.Action {
	cl := cc.client
	if cl == nil {
		return gnet.Close // bytes from an idle cell connection: unusable
	}
	cc.got = true
	if cc.staleWait {
		return gnet.None // kept until the 421 is decided
	}
	var out []byte // the head, when it goes out with the body's start
	if !cc.head {
		ok, head := cc.readHead(cl)
		if !ok {
			return gnet.None
		}
		out = head
	}
	if cc.client != cl || cc.staleWait {
		return gnet.None
	}
	if cc.staleLook {
		if !cc.lookStale(cl) {
			return gnet.None
		}
		out = cc.answerHead(cl)
	}
	cc.passBody(cl, out)
	return gnet.None
}

// readHead reads and handles the answer's head; false: not (yet) there,
// or the attempt ended. out is the head to pass on, if any.
func (cc *evCell) readHead(cl *evClient) (ok bool, out []byte) {
	rt := cc.loop.s.rt
	for {
		buf, _ := cc.c.Peek(-1)
		if !headEnd(buf) {
			if len(buf) > 64<<10 {
				cc.fail(cl, errors.New("the cell's answer head is over 64 KiB"))
			}
			return false, nil
		}
		cc.resp.Reset()
		n, err := cc.loop.parse.head(&cc.resp, buf)
		if err != nil {
			cc.fail(cl, fmt.Errorf("reading the cell's answer: %w", err))
			return false, nil
		}
		status := cc.resp.StatusCode()
		if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
			discard(cc.c, n) // 1xx: the final answer follows, as net/http reads it
			continue
		}
		if status == http.StatusSwitchingProtocols {
			// The connection now speaks another protocol: never pooled.
			// Upgrades are not proxied (the client asked for none: its
			// Upgrade header is hop-by-hop), so the attempt failed, as on
			// the net/http engine (502).
			cc.fail(cl, errors.New("the cell switched protocols (101), which the evloop engine does not proxy"))
			return false, nil
		}
		cc.untilClose, cc.bare = false, false
		switch size := cc.resp.ContentLength(); {
		case cl.method == http.MethodHead || status < 200 || status == http.StatusNoContent || status == http.StatusNotModified:
			cc.ans.reset(0, math.MaxInt64)
		case size == -2:
			cc.ans.reset(0, math.MaxInt64)
			cc.ans.done, cc.untilClose = false, true
		default:
			cc.ans.reset(size, math.MaxInt64)
		}
		cc.keepRsp = !cc.resp.ConnectionClose() && !cc.untilClose
		discard(cc.c, n)
		cc.head = true
		cc.taken, cc.seen, cc.seenAt = 0, 0, time.Time{}
		if rt.attemptAnswered(&cl.st, cl.cell, status, time.Since(cl.began)) || cl.closed {
			cc.drop = true
			return true, nil
		}
		if status == router.StatusMisdirected && !cc.untilClose {
			cc.staleLook = true // lookStale decides, once the body's start is in
			return true, nil
		}
		return true, cc.answerHead(cl)
	}
}

// answerHead returns the head of the answer to the client, in the loop's
// scratch buffer: passBody appends the body's start and writes both.
func (cc *evCell) answerHead(cl *evClient) []byte {
	answerHead(&cc.resp, &cl.w, &cl.st, cl.u)
	cl.w.SetNoDefaultContentType(true)
	cc.bare = false
	if cc.untilClose || cc.ans.chunked {
		if cl.in.IsHTTP11() {
			cl.w.SetContentLength(-1) // chunked to the client, as the fasthttp engine does
		} else {
			// An HTTP/1.0 client cannot read chunked (RFC 9112 §6.1):
			// the body's end is the connection's close.
			cl.w.SetContentLength(-2)
			cc.bare, cc.ans.bare, cl.closeAfter = true, true, true
		}
	}
	if cl.closeAfter {
		cl.w.SetConnectionClose()
	} else {
		keepAliveHTTP10(&cl.in, &cl.w)
	}
	return cl.w.AppendBytes(cc.loop.buf[:0])
}

// passBody passes on, after out (the head, or nil), what of the answer's
// body is there, and ends the attempt once all of it is through. An
// answer that piles up for its client (over evSlowHigh) goes on in the
// slow lane (evloop_lane.go).
func (cc *evCell) passBody(cl *evClient, out []byte) {
	buf, _ := cc.c.Peek(-1)
	used, ok := cc.forward(cl, out, buf)
	if !ok {
		return
	}
	discard(cc.c, used)
	if cc.untilClose || !cc.ans.done {
		if cc.drop && cc.taken >= evDropRead {
			// A dropped answer is read only so far, as the other engines
			// drain one: its connection is not worth more, and the next
			// cell waits.
			cc.dropRest(cl)
			return
		}
		if cl.closed {
			return
		}
		if n := cl.c.OutboundBuffered(); n > evSlowHigh {
			cc.loop.s.rt.notePeak(n)
			if !cc.slowLane(cl) && n > evMaxOutbound {
				cc.tooSlow(cl)
			}
		}
		return
	}
	// The answer is through.
	drop := cc.drop
	if left := cc.c.InboundBuffered(); left > 0 || !cc.keepRsp || !cl.body.done {
		cc.close() // bytes beyond the answer, or a body not all sent
	} else {
		cc.idle()
	}
	cl.cc = nil
	switch {
	case cl.closed:
		cl.abandon()
	case drop:
		cl.send() // the policy retries on the next cell
	default:
		if !cl.body.done {
			cl.closeAfter = true // the rest of the body is still on the wire
		}
		cl.finish()
	}
}

// forward passes on to the client, after out (the head, or nil), what of
// buf belongs to the answer's body, and returns how many bytes of buf
// that is; false: the answer broke (the request has ended, or gone on to
// its next attempt when the answer was dropped for it). The request
// is accounted for (metrics, trace) before its answer's last bytes are
// written, as the other engines do.
func (cc *evCell) forward(cl *evClient, out, buf []byte) (int, bool) {
	if out == nil {
		out = cc.loop.buf[:0]
	}
	var used int
	switch {
	case cc.untilClose:
		if len(buf) > 0 && cc.bare {
			out = append(out, buf...)
		} else if len(buf) > 0 {
			out = appendChunk(out, buf)
		}
		used = len(buf)
	default:
		var err error
		used, out, err = cc.ans.take(buf, out)
		if err != nil {
			if cc.drop {
				// Dropped for the next cell: its body does not matter.
				cc.dropRest(cl)
				return 0, false
			}
			if len(out) > 0 {
				// The head (when it goes out with the body's start) and
				// the whole chunks before the fault: the client sees the
				// answer cut, as on the other engines, not a connection
				// closed without any answer.
				cl.answering = true
				cl.write(out)
			}
			cc.broken(cl, fmt.Errorf("reading the cell's answer body: %w", err))
			return 0, false
		}
	}
	cc.taken += int64(used)
	if !cc.drop {
		cl.answering = true
	}
	if !cc.drop && !cc.untilClose && cc.ans.done && !cl.closed {
		cl.account()
	}
	if !cc.drop && len(out) > 0 {
		cl.write(out)
	}
	return used, true
}

// dropRest closes the connection of an answer dropped for the next cell
// before its end, and makes the next attempt.
func (cc *evCell) dropRest(cl *evClient) {
	cc.close()
	cl.cc = nil
	if cl.closed {
		cl.abandon()
		return
	}
	cl.send()
}

// evDropRead is the most of an answer dropped for the next cell that is
// read to keep its connection (net/http's and fasthttp's engines drain as
// much); past it the connection is closed and the next cell tried.
const evDropRead = 64 << 10

// evMaxOutbound bounds what the engine buffers for a client that reads
// its answers slower than they come when the slow lane cannot take the
// answer (its request's body is still being sent, or its connection
// could not be duplicated): past this the request is given up (tooSlow).
// (Answers to pipelined requests are bounded by holding the next request
// back instead: evClient.holdBack.)
const evMaxOutbound = 8 << 20

// tooSlow gives up a request whose client does not take its answer fast
// enough (over evMaxOutbound buffered) and whose answer the slow lane
// could not take: both connections close, and the request counts as the
// client's (499).
func (cc *evCell) tooSlow(cl *evClient) {
	cl.st.log(cc.loop.s.rt.cfg.Logger).Warn("client reads its answer slower than the cell sends it, and the answer cannot be slowed down (its request body is still being sent); closing it (the evloop engine buffers at most evMaxOutbound bytes per client then)", "buffered", cl.c.OutboundBuffered(), "limit", evMaxOutbound)
	cc.close()
	cl.cc = nil
	cl.closeNow()
	cl.abandon()
}

// appendChunk appends p to out as one chunk.
func appendChunk(out, p []byte) []byte {
	out = strconv.AppendInt(out, int64(len(p)), 16) // as evBody.take writes a chunk's size
	out = append(out, "\r\n"...)
	out = append(out, p...)
	return append(out, "\r\n"...)
}

// fail ends the attempt on a broken answer before its head was passed
// on: the connection is closed and the policy decides.
func (cc *evCell) fail(cl *evClient, err error) {
	cc.close()
	cl.cc = nil
	if cl.closed {
		cl.abandon()
		return
	}
	cl.failed(err, true)
}

// broken ends a request whose answer broke after its head went to the
// client: the client's connection cannot carry a whole answer any more.
func (cc *evCell) broken(cl *evClient, err error) {
	cc.close()
	cl.cc = nil
	if cl.closed {
		cl.abandon()
		return
	}
	cl.st.log(cc.loop.s.rt.cfg.Logger).Warn("cell answer broke off", "error", err)
	if cc.bare {
		// Unframed: a clean close would read as its end; the close
		// resets instead (cutanswer.go).
		_ = cl.c.SetLinger(0)
	}
	cl.closeAfter = true
	cl.finish()
}

// onClose fails the request on the connection, if any: sent again once
// on a fresh connection when a kept-alive one was closed before any
// answer (as the fasthttp engine's transport does for requests without a
// body), else an attempt failed.
func (cc *evCell) onClose(err error) {
	cc.closed = true
	if b := cc.bridge; b != nil {
		if broke := b.broken(); broke != nil && (err == nil || errors.Is(err, io.EOF)) {
			err = broke // the TLS connection broke: not a clean end
		}
		// In a goroutine: closing a TLS connection may wait to send its
		// close_notify.
		go b.close()
	}
	if cc.staleWait {
		return // staleDecided finds it closed
	}
	cl := cc.release()
	if cl == nil {
		return
	}
	if cc.head && cc.drop {
		cl.send() // the answer was dropped for the next attempt
		return
	}
	clean := err == nil || errors.Is(err, io.EOF)
	if cc.head && cc.untilClose && clean {
		// A close-delimited answer ends here; only at a clean close (a
		// reset or a read error breaks it off: broken below).
		if !cc.bare {
			cl.write([]byte("0\r\n\r\n"))
		}
		if !cl.body.done {
			cl.closeAfter = true
		}
		cl.finish()
		return
	}
	if clean {
		err = errCellClosed
	}
	if cc.head {
		cc.broken(cl, err)
		return
	}
	if cc.used && !cc.got && !cl.resent && !cl.body.on && router.Idempotent(cl.method) {
		cl.resent = true
		cc.loop.sendTo(cc.addr, cc.tls, cl, true)
		return
	}
	cl.failed(err, true)
}

// abandon ends a request whose client left before its answer.
func (cl *evClient) abandon() {
	cl.st.status = router.StatusClientClosed
	if cl.busy {
		cl.finish()
	}
}
