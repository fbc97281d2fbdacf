//go:build linux

package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/sys/unix"

	"github.com/cellfabric/cellfabric/internal/logattr"
)

// The event-loop engine's timeouts. gnet's connections have no deadlines
// of their own; a goroutine of the server asks every loop, each tick, to
// scan its connections (one wake of each loop per tick, none per
// request) and act on those past a deadline:
//
//   - a client connection waiting for its next request: IdleTimeout with
//     nothing buffered, ReadHeaderTimeout from a head's first byte with
//     part of it (408);
//   - a request whose body is still coming: ReadTimeout from its head
//     (408 client_timeout, the client's fault);
//   - an attempt waiting for its cell's head: UpstreamTimeout from when
//     its head was written (a timeout under the forwarding policy: 504);
//   - an answer whose cell sends nothing more for UpstreamIdleTimeout
//     (broken off: the client's connection closes);
//   - a client that takes nothing of what waits for it: WriteTimeout
//     from its last taking any, whichever answer it was of (the
//     connection is closed);
//   - an idle cell connection: 90 s, as the other engines' pools.
//
// A deadline is acted on up to one tick late; the tick is an eighth of
// the shortest timeout, between 10 ms and 250 ms.

// evCellIdle is how long a cell connection stays idle in a loop's pool.
const evCellIdle = 90 * time.Second

// errUpstreamTimeout is an attempt whose cell sent no head in time; it
// says Timeout, so that classify counts it as a timeout.
var errUpstreamTimeout error = fasthttp.ErrTimeout

// errUpstreamIdle is an answer whose cell paused for UpstreamIdleTimeout.
var errUpstreamIdle = errors.New("the cell sent nothing for the upstream idle timeout in the middle of its answer")

// tick is the scan period.
func (s *evServer) tick() time.Duration {
	c := s.rt.cfg
	d := evCellIdle
	for _, t := range []time.Duration{c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, c.UpstreamTimeout, c.UpstreamIdleTimeout} {
		if t > 0 {
			d = min(d, t)
		}
	}
	return min(max(d/8, 10*time.Millisecond), 250*time.Millisecond)
}

// clock asks every loop to scan, each tick, until done is closed.
func (s *evServer) clock(done <-chan struct{}) {
	t := time.NewTicker(s.tick())
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		for _, l := range s.loops {
			_ = l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				l.scan(time.Now())
				return nil
			}))
		}
		s.mu.Unlock()
	}
}

// scan acts on the loop's connections past a deadline.
func (l *evLoop) scan(now time.Time) {
	c := l.s.rt.cfg
	for cl := range l.conns {
		if cl.closed || cl.offLoop {
			continue // an off-loop step is under way: its own bounds apply
		}
		if cl.c.OutboundBuffered() == 0 {
			cl.stallSince = time.Time{}
		} else if c.WriteTimeout > 0 && cl.stalled(now) > c.WriteTimeout {
			cl.closeAfter = true
			if cc := cl.cc; cc != nil {
				cl.cc = nil
				cc.close()
			}
			cl.closeNow()
			if cl.busy {
				cl.abandon()
			}
			continue
		}
		switch {
		case !cl.busy:
			if cl.held {
				// Requests held back for a client that takes nothing of
				// its answers: without a WriteTimeout (above), it may
				// take nothing for as long as a closed connection may
				// (evDrainStall), not forever.
				if c.WriteTimeout == 0 && cl.stalled(now) > evDrainStall(c) {
					cl.closeNow()
				}
			} else if cl.c.InboundBuffered() == 0 {
				if c.IdleTimeout > 0 && now.Sub(cl.waitSince) > c.IdleTimeout {
					cl.close()
				}
			} else if c.ReadHeaderTimeout > 0 && !cl.headSince.IsZero() && now.Sub(cl.headSince) > c.ReadHeaderTimeout {
				cl.plainError(http.StatusRequestTimeout)
			}
		case cl.body.on && !cl.body.done && cl.replay == nil:
			if c.ReadTimeout > 0 && now.Sub(cl.start) > c.ReadTimeout {
				cl.bodyFault(timeoutError{})
			}
		case cl.cc != nil && cl.cc.c != nil && cl.cc.head && !cl.cc.staleWait:
			// The answer's body is coming on gnet's side, which reads
			// whatever the cell sends: no progress is the cell's pause.
			// (In the slow lane, cc.c is nil: its reads have deadlines.)
			cc := cl.cc
			switch {
			case cc.taken != cc.seen || cc.seenAt.IsZero():
				cc.seen, cc.seenAt = cc.taken, now
			case now.Sub(cc.seenAt) > c.UpstreamIdleTimeout:
				if cc.drop {
					// An answer dropped for the next cell: nothing of it
					// went to the client, so its attempt is just over.
					cl.st.log(c.Logger).Warn("cell sent nothing in the middle of an answer being dropped for the upstream idle timeout; trying the next cell", logattr.Cell, cl.cell.ID, "timeout", c.UpstreamIdleTimeout)
					cc.close()
					cl.cc = nil
					cl.send()
					continue
				}
				l.s.rt.logStalled(&cl.st, cl.cell.ID)
				cc.broken(cl, errUpstreamIdle)
			}
		case cl.cc != nil && cl.cc.c != nil && !cl.cc.head && !cl.cc.staleWait:
			if c.UpstreamTimeout > 0 && !cl.sentAt.IsZero() && now.Sub(cl.sentAt) > c.UpstreamTimeout {
				cc := cl.cc
				cc.close()
				cl.cc = nil
				cl.failed(errUpstreamTimeout, true)
			}
		}
	}
	for cl, d := range l.draining {
		if cl.c.OutboundBuffered() == 0 {
			cl.closeNow()
		} else if took := cl.took(); took != d.took {
			d.took, d.since = took, now
		} else if now.Sub(d.since) > evDrainStall(c) {
			cl.closeNow() // the client takes nothing more
		}
	}
	for addr, idle := range l.idle {
		kept := idle[:0]
		for _, cc := range idle {
			switch {
			case cc.closed:
			case now.Sub(cc.idleAt) > evCellIdle:
				cc.close()
			default:
				kept = append(kept, cc)
			}
		}
		if len(kept) == 0 {
			delete(l.idle, addr)
		} else {
			l.idle[addr] = kept
		}
	}
}

// stalled is how long the client has taken nothing of the bytes
// waiting for it, as of now. Whatever it takes starts the count again,
// whichever answer the bytes are of: a client that keeps reading is not
// cut by a count that began with an earlier answer.
func (cl *evClient) stalled(now time.Time) time.Duration {
	if took := cl.took(); took != cl.tookSeen || cl.stallSince.IsZero() {
		cl.stallSince, cl.tookSeen = now, took
	}
	return now.Sub(cl.stallSince)
}

// took is how much of what was written to the client its side has
// acknowledged: all written, less what waits in gnet's buffer and in the
// kernel's send queue (SIOCOUTQ). The kernel's queue, megabytes on a fast
// link, lets gnet's buffer drain only once a third of it is free, so
// gnet's buffer alone would show a client reading steadily but slowly as
// taking nothing for seconds at a time.
func (cl *evClient) took() int64 {
	queued, err := unix.IoctlGetInt(cl.c.Fd(), unix.SIOCOUTQ)
	if err != nil {
		queued = 0 // gnet's buffer alone tells
	}
	return cl.wrote - int64(cl.c.OutboundBuffered()) - int64(queued)
}

// timeoutError is a client's body that did not arrive within ReadTimeout
// (bodyFault reads it as a timeout).
type timeoutError struct{}

func (timeoutError) Error() string   { return "the request body did not arrive within the read timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ interface{ Timeout() bool } = timeoutError{}

// evDrainStall is how long a closed connection with bytes left to send
// may go without taking any before it is dropped: WriteTimeout, else
// IdleTimeout, else evCellIdle.
func evDrainStall(c Config) time.Duration {
	switch {
	case c.WriteTimeout > 0:
		return c.WriteTimeout
	case c.IdleTimeout > 0:
		return c.IdleTimeout
	}
	return evCellIdle
}
