//go:build linux

package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
// the client there.

// evCell is a connection to a cell, owned by one loop.
type evCell struct {
	loop *evLoop
	c    gnet.Conn
	addr string

	client  *evClient // the request on it; nil while idle
	used    bool      // it has carried a request before this one
	got     bool      // bytes of the current answer arrived
	closed  bool
	resp    fasthttp.ResponseHeader
	head    bool // the answer's head is in
	drop    bool // the answer is not passed on (retried elsewhere)
	rest    int  // answer body bytes still to come
	keepRsp bool // the connection may carry another request after this answer
}

// errCellClosed is a cell connection closed with a request on it.
var errCellClosed = errors.New("the cell closed the connection before answering")

// sendTo sends cl's request (cl.out) to the cell at addr on an idle
// connection of the loop, or on a new one. fresh asks for a new one.
func (l *evLoop) sendTo(addr string, cl *evClient, fresh bool) {
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
	l.dial(addr, cl)
}

// dial connects to addr in a goroutine and enrolls the connection on
// this loop; its OnOpen sends cl's request (opened).
func (l *evLoop) dial(addr string, cl *evClient) {
	cc := &evCell{loop: l, addr: addr, client: cl}
	d := net.Dialer{Timeout: l.s.rt.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	fail := func(err error) {
		_ = l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			cc.dialFailed(err)
			return nil
		}))
	}
	go func() {
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			fail(err)
			return
		}
		res, err := l.el.Enroll(gnet.NewContext(context.Background(), cc), nc)
		if err != nil {
			nc.Close()
			fail(err)
			return
		}
		if r := <-res; r.Err != nil {
			fail(r.Err)
		}
	}()
}

// dialFailed fails the attempt whose connection could not be made.
func (cc *evCell) dialFailed(err error) {
	cl := cc.client
	cc.client = nil
	if cl == nil || cl.closed {
		if cl != nil {
			cl.abandon()
		}
		return
	}
	cl.failed(fmt.Errorf("dialing %s: %w", cc.addr, err), false)
}

// opened is OnOpen of a dialled connection: it sends its request, or
// waits idle when the client left meanwhile.
func (cc *evCell) opened(c gnet.Conn) {
	cc.c = c
	cl := cc.client
	cc.client = nil
	switch {
	case cl == nil:
		cc.idle()
	case cl.closed:
		cl.abandon()
		cc.idle()
	default:
		cc.send(cl)
	}
}

// send writes cl's request head to the cell.
func (cc *evCell) send(cl *evClient) {
	cc.client, cc.head, cc.drop, cc.got, cc.rest = cl, false, false, false, 0
	b := cl.out.AppendBytes(cc.loop.buf[:0])
	if _, err := cc.c.Write(b); err != nil && cc.client == cl {
		// gnet closed the connection; onClose has not seen a client
		// only if it ran before: fail here.
		cc.client = nil
		cl.failed(err, false)
	}
}

// idle puts the connection in its loop's pool.
func (cc *evCell) idle() {
	cc.client, cc.used = nil, true
	cc.loop.idle[cc.addr] = append(cc.loop.idle[cc.addr], cc)
}

// onTraffic reads the answer: its head, then its body, written to the
// client as it comes.
func (cc *evCell) onTraffic() gnet.Action {
	cl := cc.client
	if cl == nil {
		return gnet.Close // bytes from an idle cell connection: unusable
	}
	cc.got = true
	rt := cc.loop.s.rt
	buf, _ := cc.c.Peek(-1)
	if !cc.head {
		if !headEnd(buf) {
			if len(buf) > 64<<10 {
				cc.client = nil
				cl.failed(errors.New("the cell's answer head is over 64 KiB"), true)
				return gnet.Close
			}
			return gnet.None
		}
		cc.resp.Reset()
		n, err := cc.loop.parse.response(&cc.resp, buf)
		if err != nil {
			cc.client = nil
			cl.failed(fmt.Errorf("reading the cell's answer: %w", err), true)
			return gnet.Close
		}
		cc.head = true
		status := cc.resp.StatusCode()
		switch size := cc.resp.ContentLength(); {
		case cl.method == http.MethodHead || status < 200 || status == http.StatusNoContent || status == http.StatusNotModified:
			cc.rest = 0
		case size >= 0:
			cc.rest = size
		default:
			cc.client = nil
			cl.failed(errors.New("the cell's answer has no Content-Length, which the evloop engine does not pass on yet"), true)
			return gnet.Close
		}
		cc.keepRsp = !cc.resp.ConnectionClose()
		if rt.attemptAnswered(&cl.st, cl.cell, status, time.Since(cl.began)) {
			cc.drop = true
		} else if cl.closed {
			cc.drop = true
		}
		// The head goes out with as much of the body as is here, in one
		// write.
		var out []byte
		if !cc.drop {
			answerHead(&cc.resp, &cl.w, &cl.st, cl.u)
			cl.w.SetNoDefaultContentType(true)
			if cl.closeAfter {
				cl.w.SetConnectionClose()
			}
			out = cl.w.AppendBytes(cc.loop.buf[:0])
		}
		k := min(len(buf)-n, cc.rest)
		if !cc.drop {
			out = append(out, buf[n:n+k]...)
			cl.write(out)
		}
		cc.rest -= k
		_, _ = cc.c.Discard(n + k)
	} else if cc.rest > 0 {
		k := min(len(buf), cc.rest)
		if !cc.drop {
			cl.write(buf[:k])
		}
		cc.rest -= k
		_, _ = cc.c.Discard(k)
	}
	if cc.rest > 0 {
		return gnet.None
	}
	// The answer is through.
	drop := cc.drop
	cc.client = nil
	if left, _ := cc.c.Peek(-1); len(left) > 0 || !cc.keepRsp {
		cc.closed = true
		_ = cc.c.Close() // bytes beyond the answer: the connection is unusable
	} else {
		cc.idle()
	}
	switch {
	case cl.closed:
		cl.abandon()
	case drop:
		cl.send() // the policy retries on the next cell
	default:
		cl.finish()
	}
	return gnet.None
}

// onClose fails the request on the connection, if any: sent again once
// on a fresh connection when a kept-alive one was closed before any
// answer (as the fasthttp engine's transport does for requests without a
// body), else an attempt failed.
func (cc *evCell) onClose(err error) {
	cc.closed = true
	cl := cc.client
	cc.client = nil
	if cl == nil {
		return
	}
	if cl.closed {
		cl.abandon()
		return
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = errCellClosed
	}
	if cc.used && !cc.got && !cl.resent && router.Idempotent(cl.method) {
		cl.resent = true
		cc.loop.sendTo(cc.addr, cl, true)
		return
	}
	if cc.head {
		// The answer is partly written: the client's connection cannot
		// carry a complete one any more.
		cl.closeAfter = true
		cl.finish()
		return
	}
	cl.failed(err, true)
}

// abandon ends a request whose client left before its answer.
func (cl *evClient) abandon() {
	cl.st.status = router.StatusClientClosed
	cl.finish()
}
