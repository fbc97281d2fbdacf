//go:build linux

package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// The event-loop engine's slow lane (EngineEvLoop): back-pressure towards
// a client that reads its answer slower than its cell sends it.
//
// gnet reads every readable connection and cannot be told to stop
// reading one, so an answer its client does not take piles up in the
// client's outbound buffer. Once more than evSlowHigh waits there in the
// middle of an answer (passBody), the cell's connection leaves gnet: its
// descriptor is duplicated, what gnet read of it but did not pass on is
// kept, and gnet's connection is closed at once (gnet takes the
// descriptor out of its epoll and closes it, without shutdown(2), so the
// socket lives on in the duplicate). A goroutine then reads the rest of
// the answer from the duplicate through Go's netpoller, one read at a
// time, and hands each to the loop (Execute), which passes it on with the
// same framing as before (forward) and lets the goroutine read again only
// once less than evSlowLow waits for the client. Meanwhile the cell's
// bytes stay in the kernel: its socket's receive window closes and TCP
// slows the cell down, as on the other engines.
//
// gnet tells nothing when a connection's outbound buffer drains, so while
// the client's is over evSlowLow the goroutine asks the loop again after
// a pause that doubles from evLanePollMin to evLanePollMax; the kernel's
// send buffer towards the client (up to megabytes) keeps it busy
// meanwhile.
//
// The connection is closed after the answer, never pooled. The lane is
// taken only when the request's body is all sent (nothing is left to
// write to the cell) and the answer is passed on (not dropped for a
// retry); otherwise the engine buffers up to evMaxOutbound, as before.
//
// What the engine holds for one slow client: its outbound buffer, at most
// evSlowHigh plus one read of gnet's (64 KiB) when the lane is taken and
// evSlowLow plus one read of the lane's after, and the lane's read
// buffer (evLaneRead).

const (
	// evLanePollMin and evLanePollMax bound the pause before the slow
	// lane asks the loop again whether its client took enough.
	evLanePollMin = time.Millisecond
	evLanePollMax = 64 * time.Millisecond
)

// evLane is a cell connection's answer read at its client's pace.
type evLane struct {
	nc   net.Conn
	idle time.Duration // UpstreamIdleTimeout: the most each read may wait
	buf  []byte        // the goroutine reads into it, the loop passes it on, in turns
	// pend is what was read but is not passed on yet (the start of a
	// chunk line); the loop's.
	pend []byte
	// next tells the goroutine to read (0) or to ask again after a
	// pause; closed: stop. The loop sends once per task of the
	// goroutine's, so a send never blocks.
	next chan time.Duration
	poll time.Duration // the last pause; the loop's
}

// slowLane takes the rest of the answer off gnet, to be read at the
// client's pace; false: it cannot (the caller bounds what it buffers).
func (cc *evCell) slowLane(cl *evClient) bool {
	if cc.drop || cc.staleWait || cc.noLane || cc.c == nil || !cl.body.done || cc.c.OutboundBuffered() > 0 {
		return false
	}
	nc, err := dupConn(cc.c)
	if err != nil {
		cc.noLane = true
		cl.st.log(cc.loop.s.rt.cfg.Logger).Warn("the answer to a slow client cannot be slowed down (its cell connection could not be duplicated); buffering it, up to evMaxOutbound", "error", err)
		return false
	}
	buf, _ := cc.c.Peek(-1)
	ln := &evLane{nc: nc, idle: cc.loop.s.rt.cfg.UpstreamIdleTimeout, buf: make([]byte, evLaneRead), pend: bytes.Clone(buf), next: make(chan time.Duration, 1)}
	c := cc.c
	c.SetContext(nil) // its OnClose is nobody's
	cc.c, cc.lane = nil, ln
	_ = cc.loop.el.Close(c)
	go ln.run(cc.loop.el, cc, cc.loop.s.clockDone)
	cc.laneNext(ln, cl)
	return true
}

// dupConn is a net.Conn on a duplicate of c's descriptor.
func dupConn(c gnet.Conn) (net.Conn, error) {
	fd, err := c.Dup()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "cell")
	defer f.Close()
	return net.FileConn(f) // a duplicate of its own
}

// run reads the answer when the loop says so, until the loop stops the
// lane or the server stops (done).
func (ln *evLane) run(el gnet.EventLoop, cc *evCell, done <-chan struct{}) {
	defer ln.nc.Close()
	var pause *time.Timer
	defer func() {
		if pause != nil {
			pause.Stop()
		}
	}()
	for {
		var d time.Duration
		select {
		case v, ok := <-ln.next:
			if !ok {
				return
			}
			d = v
		case <-done:
			return
		}
		var task func()
		if d > 0 {
			if pause == nil {
				pause = time.NewTimer(d)
			} else {
				pause.Reset(d)
			}
			select {
			case <-pause.C:
			case <-done:
				return
			}
			task = func() { cc.laneCheck(ln) }
		} else {
			// The loop asked for this read: the client is waiting for it,
			// so a pause here is the cell's.
			_ = ln.nc.SetReadDeadline(time.Now().Add(ln.idle))
			n, err := ln.nc.Read(ln.buf)
			task = func() { cc.laneRead(ln, n, err) }
		}
		if el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			task()
			return nil
		})) != nil {
			return // the loops stopped
		}
	}
}

// stop ends the lane: its connection closes, its goroutine returns.
func (ln *evLane) stop() {
	_ = ln.nc.Close()
	close(ln.next)
}

// laneRead passes on what the lane read (n bytes, then err), and ends the
// attempt once the answer is through.
func (cc *evCell) laneRead(ln *evLane, n int, err error) {
	if cc.lane != ln {
		return // stopped meanwhile (the client left, or timed out)
	}
	cl := cc.client
	data := ln.buf[:n]
	if len(ln.pend) > 0 {
		ln.pend = append(ln.pend, data...)
		data = ln.pend
	}
	used, ok := cc.forward(cl, nil, data)
	if !ok || cc.lane != ln {
		return // the answer broke, or the client left as it was written to
	}
	if !cc.untilClose && cc.ans.done {
		cc.close() // never pooled: the connection is off its loop
		cl.cc = nil
		if cl.closed {
			cl.abandon()
			return
		}
		cl.finish()
		return
	}
	ln.pend = append(ln.pend[:0], data[used:]...)
	if err != nil {
		cc.laneEnded(cl, err)
		return
	}
	ln.poll = 0
	cc.laneNext(ln, cl)
}

// laneEnded ends an answer whose cell connection ended before the
// answer's end: a close-delimited one ends there at a clean close, any
// other broke off.
func (cc *evCell) laneEnded(cl *evClient, err error) {
	if b := cc.bridge; b != nil && errors.Is(err, io.EOF) {
		if broke := b.broken(); broke != nil {
			err = broke // the TLS connection broke: not a clean end
		}
	}
	cc.close()
	cl.cc = nil
	clean := errors.Is(err, io.EOF)
	if cc.untilClose && clean {
		if cl.closed {
			cl.abandon()
			return
		}
		if !cc.bare { // a bare answer ends with its client's connection
			cl.write([]byte("0\r\n\r\n"))
		}
		cl.finish()
		return
	}
	if clean {
		err = errCellClosed
	}
	cc.broken(cl, err)
}

// laneCheck lets the lane read once its client took enough, else has it
// ask again later.
func (cc *evCell) laneCheck(ln *evLane) {
	if cc.lane != ln {
		return
	}
	cc.laneNext(ln, cc.client)
}

// laneNext lets the lane read at once when less than evSlowLow waits for
// the client; else it has it ask again after a pause, longer each time
// (evLanePollMin doubling up to evLanePollMax).
func (cc *evCell) laneNext(ln *evLane, cl *evClient) {
	held := cl.c.OutboundBuffered()
	cc.loop.s.rt.notePeak(held + len(ln.pend))
	if held < evSlowLow {
		ln.poll = 0
		ln.next <- 0
		return
	}
	ln.poll = min(max(2*ln.poll, evLanePollMin), evLanePollMax)
	ln.next <- ln.poll
}

// notePeak records n bytes held for one client, when it is the most yet
// (Router.evPeak).
func (rt *Router) notePeak(n int) {
	for {
		p := rt.evPeak.Load()
		if int64(n) <= p || rt.evPeak.CompareAndSwap(p, int64(n)) {
			return
		}
	}
}
