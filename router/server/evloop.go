//go:build linux

package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// The event-loop engine's server (EngineEvLoop; engine.go has the design):
// the gnet client whose loops own every connection, the goroutine that
// accepts, and the dispatch of gnet's events to client connections
// (evloop_conn.go) and cell connections (evloop_pool.go).

// defaultEngine is EngineEvLoop: Linux runs it.
const defaultEngine = EngineEvLoop

// evLoopEngines is EngineEvLoop: Linux runs it.
var evLoopEngines = []Engine{EngineEvLoop}

// evLoopSupported reports nil: Linux runs EngineEvLoop.
func evLoopSupported() error { return nil }

// evServer is the tenant listener of EngineEvLoop.
type evServer struct {
	gnet.BuiltinEventEngine
	rt  *Router
	cli *gnet.Client
	ln  net.Listener

	mu    sync.Mutex
	loops map[gnet.EventLoop]*evLoop
	// closing is set once shutdown starts: loops close client
	// connections as soon as they are idle.
	closing bool
	// clockDone stops the timeouts' clock (evloop_timer.go) and the
	// slow lanes' goroutines (evloop_lane.go).
	clockDone chan struct{}
	started   bool // the loops run (Start succeeded)
}

var _ gnet.EventHandler = (*evServer)(nil)

// newEvServer makes the event loops, one per GOMAXPROCS, not started.
func (rt *Router) newEvServer() (*evServer, error) {
	s := &evServer{rt: rt, loops: map[gnet.EventLoop]*evLoop{}, clockDone: make(chan struct{})}
	cli, err := gnet.NewClient(s,
		gnet.WithNumEventLoop(runtime.GOMAXPROCS(0)),
		gnet.WithLogger(gnetLogger{rt}),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
	)
	if err != nil {
		return nil, fmt.Errorf("router: starting the event loops: %w", err)
	}
	s.cli = cli
	return s, nil
}

// serve starts the loops and hands every connection accepted on ln to
// one of them, until ln is closed (then it returns http.ErrServerClosed,
// as the other engines' servers do).
func (s *evServer) serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	if err := s.cli.Start(); err != nil {
		return fmt.Errorf("router: starting the event loops: %w", err)
	}
	s.mu.Lock()
	s.started = true
	closing := s.closing
	s.mu.Unlock()
	if closing { // shutdown came first: it did not stop the loops
		_ = s.cli.Stop()
		return http.ErrServerClosed
	}
	go s.clock(s.clockDone)
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return http.ErrServerClosed
			}
			// Out of file descriptors and the like: wait a little, as
			// net/http's server does, rather than spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.rt.cfg.Logger.Warn("proxy: accepting a connection failed; retrying", "error", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		// EnrollContext closes c (the loop keeps a duplicate of its
		// descriptor), on failure too.
		if _, err := s.cli.EnrollContext(c, nil); err != nil {
			s.rt.cfg.Logger.Warn("proxy: handing a connection to an event loop failed; it is closed", "error", err)
		}
	}
}

// shutdown stops accepting, closes idle client connections, waits for
// the requests in flight until ctx is done, and stops the loops (which
// closes every connection left).
func (s *evServer) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	ln, started := s.ln, s.started // not started: serve stops the loops
	loops := make([]*evLoop, 0, len(s.loops))
	for _, l := range s.loops {
		loops = append(loops, l)
	}
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for _, l := range loops {
		_ = l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			l.closeIdleClients()
			return nil
		}))
	}
	var err error
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for s.rt.inflight.Load() > 0 && err == nil {
		select {
		case <-ctx.Done():
			err = fmt.Errorf("proxy: %d requests still in flight after the shutdown timeout: %w", s.rt.inflight.Load(), ctx.Err())
		case <-tick.C:
		}
	}
	// The answers' last bytes, still to be sent to slow clients
	// (evClient.close): stopping the loops would drop them.
	for err == nil && started && s.draining(loops) > 0 {
		select {
		case <-ctx.Done():
			err = fmt.Errorf("proxy: %d answers still being sent after the shutdown timeout: %w", s.draining(loops), ctx.Err())
		case <-tick.C:
		}
	}
	close(s.clockDone)
	if !started {
		return err
	}
	if stopErr := s.cli.Stop(); stopErr != nil {
		err = errors.Join(err, fmt.Errorf("proxy: stopping the event loops: %w", stopErr))
	}
	return err
}

// draining counts the client connections of loops closed with bytes
// still to send, asking each loop.
func (s *evServer) draining(loops []*evLoop) int {
	ch := make(chan int, len(loops))
	asked := 0
	for _, l := range loops {
		err := l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			ch <- len(l.draining)
			return nil
		}))
		if err == nil {
			asked++
		}
	}
	n := 0
	for ; asked > 0; asked-- {
		n += <-ch
	}
	return n
}

// loopOf returns the state of the loop el, made at its first connection.
func (s *evServer) loopOf(el gnet.EventLoop) (*evLoop, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.loops[el]
	if l == nil {
		l = newEvLoop(s, el)
		s.loops[el] = l
	}
	return l, s.closing
}

// OnOpen adopts a connection: a cell connection carries its *evCell as
// its context (evLoop.dial); any other is a client's.
func (s *evServer) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if cc, ok := c.Context().(*evCell); ok {
		cc.opened(c)
		return nil, gnet.None
	}
	l, closing := s.loopOf(c.EventLoop())
	if closing {
		return nil, gnet.Close
	}
	c.SetContext(l.newClient(c))
	return nil, gnet.None
}

// OnTraffic passes bytes read to the connection's owner.
func (s *evServer) OnTraffic(c gnet.Conn) gnet.Action {
	switch x := c.Context().(type) {
	case *evClient:
		return x.onTraffic()
	case *evCell:
		return x.onTraffic()
	}
	return gnet.Close
}

// OnClose tells the connection's owner that it is gone.
func (s *evServer) OnClose(c gnet.Conn, err error) gnet.Action {
	switch x := c.Context().(type) {
	case *evClient:
		x.onClose(err)
	case *evCell:
		x.onClose(err)
	}
	return gnet.None
}

// gnetLogger sends gnet's log lines to slog, below the router's own.
type gnetLogger struct{ rt *Router }

func (l gnetLogger) Debugf(format string, args ...any) {}
func (l gnetLogger) Infof(format string, args ...any)  {}
func (l gnetLogger) Warnf(format string, args ...any) {
	l.rt.cfg.Logger.Warn("proxy event loop", "detail", fmt.Sprintf(format, args...))
}
func (l gnetLogger) Errorf(format string, args ...any) {
	l.rt.cfg.Logger.Error("proxy event loop", "detail", fmt.Sprintf(format, args...))
}
func (l gnetLogger) Fatalf(format string, args ...any) {
	l.rt.cfg.Logger.Error("proxy event loop", "detail", fmt.Sprintf(format, args...))
}
