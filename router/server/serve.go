package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Serve runs the proxy on ln and the admin API on admin (may be nil) until
// ctx is done, then stops accepting, reports not-ready, and waits up to
// ShutdownTimeout for in-flight requests to finish (upgraded connections
// too); past it, it closes the client connections still open and the
// cell connections their answers read from, and returns an error saying
// so. It also starts the health checks and, with a DirectoryFeed, the
// directory's load and polls (in the background: requests are served
// meanwhile). It returns nil after a clean drain.
func (rt *Router) Serve(ctx context.Context, ln, admin net.Listener) error {
	rt.cfg.Health.Start(ctx)
	dctx, stopDirectory := context.WithCancel(ctx)
	rt.startDirectory(dctx)
	defer func() { stopDirectory(); rt.dirDone.Wait() }()
	errLog := log.New(slogWriter{rt.cfg.Logger}, "", 0)
	// The proxy's requests' contexts, ended once the shutdown's time is
	// up: what ends the upgraded connections (ReverseProxy closes an
	// upgrade's cell connection when its request's context ends, and the
	// client's then), which Shutdown and Close leave alone.
	reqCtx, endRequests := context.WithCancel(context.Background())
	defer endRequests()
	proxy := &http.Server{
		Handler:           rt,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		ReadHeaderTimeout: rt.cfg.ReadHeaderTimeout,
		ReadTimeout:       rt.cfg.ReadTimeout,
		WriteTimeout:      rt.cfg.WriteTimeout,
		IdleTimeout:       rt.cfg.IdleTimeout,
		// Go refuses headers beyond this itself (431, not counted). The
		// router's own, counted, limit is MaxHeaderBytes; the slack lets it
		// see and count most oversize requests.
		MaxHeaderBytes: 4 * rt.cfg.MaxHeaderBytes,
		ErrorLog:       errLog,
	}
	var servers []*http.Server
	errc := make(chan error, 2)
	var fast *fasthttp.Server
	var ev *evServer
	switch rt.cfg.Engine {
	case EngineFastHTTP:
		fast = rt.newFastServer()
		go func() { errc <- fast.Serve(ln) }()
	case EngineEvLoop:
		var err error
		if ev, err = rt.newEvServer(); err != nil {
			return err
		}
		go func() { errc <- ev.serve(ln) }()
	default:
		servers = append(servers, proxy)
		go func() { errc <- proxy.Serve(ln) }()
	}
	if admin != nil {
		as := &http.Server{
			Handler:           rt.AdminHandler(),
			ReadHeaderTimeout: rt.cfg.ReadHeaderTimeout,
			ReadTimeout:       rt.cfg.ReadTimeout,
			IdleTimeout:       rt.cfg.IdleTimeout,
			MaxHeaderBytes:    rt.cfg.MaxHeaderBytes,
			ErrorLog:          errLog,
		}
		servers = append(servers, as)
		go func() { errc <- as.Serve(admin) }()
	}
	listening := []any{"listen", ln.Addr().String(), "engine", string(rt.cfg.Engine)}
	if admin != nil { // else there is none, or the caller serves it
		listening = append(listening, "admin", admin.Addr().String())
	}
	rt.cfg.Logger.Info("router listening", listening...)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	rt.draining.Store(true)
	rt.cfg.Logger.Info("router draining", "in_flight", rt.inflight.Load())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rt.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if fast != nil {
		err := fast.ShutdownWithContext(sctx)
		if err != nil && sctx.Err() != nil {
			err = fmt.Errorf("proxy: connections still busy after the shutdown timeout, closed: %w", err)
		} else if err == nil {
			err = waitNone(sctx, &rt.fastBare, "proxy: %d answers to HTTP/1.0 clients still being sent after the shutdown timeout: %w")
		}
		if err != nil {
			errs = append(errs, err)
			// What fasthttp leaves open: the busy client connections and
			// the cell connections their answers read from.
			rt.fastLive.closeAll()
		}
	}
	if ev != nil {
		if err := ev.shutdown(sctx); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			// The connections still busy: closing them ends their
			// requests' contexts, which ends the reads of their cells.
			_ = s.Close()
			errs = append(errs, err)
		}
		if s == proxy {
			if err := waitNone(sctx, &rt.upgrades, "proxy: %d upgraded connections still open after the shutdown timeout, closed: %w"); err != nil {
				endRequests()
				errs = append(errs, err)
			}
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, serveErr)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("router: %w", err)
	}
	rt.cfg.Logger.Info("router stopped")
	return nil
}

// ListenAndServe listens on the addresses and calls Serve. admin may be "".
func (rt *Router) ListenAndServe(ctx context.Context, listen, admin string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("router: listening on %s: %w", listen, err)
	}
	var al net.Listener
	if admin != "" {
		if al, err = net.Listen("tcp", admin); err != nil {
			ln.Close()
			return fmt.Errorf("router: admin listener on %s: %w", admin, err)
		}
	}
	return rt.Serve(ctx, ln, al)
}

// waitNone waits until n, a count of what the servers' own Shutdown does
// not wait for (EngineNetHTTP's upgraded connections, Router.upgrades;
// EngineFastHTTP's unframed answers to HTTP/1.0 clients, Router.fastBare),
// reads 0, or ctx is done; then the error is format's, with the count
// left and ctx's error.
func waitNone(ctx context.Context, n *atomic.Int64, format string) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for n.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf(format, n.Load(), ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
