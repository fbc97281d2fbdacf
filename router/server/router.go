package server

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/net/http/httpguts"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// Router is the proxy. Create it with New; it is an http.Handler.
type Router struct {
	cfg      Config
	proxy    *httputil.ReverseProxy
	cells    atomic.Pointer[map[string]*upstream]
	cellsMu  sync.Mutex
	budget   *retryBudget
	metrics  *metrics
	inflight atomic.Int64
	draining atomic.Bool

	dir        *router.Directory // nil without DirectoryFeed and PlaceUnknown
	dirSync    *dirSync          // nil without DirectoryFeed
	dirStart   sync.Once
	dirDone    sync.WaitGroup
	placements placements

	tracer trace.Tracer // nil when tracing is off (Config.Tracing)

	// evPeak is the most bytes EngineEvLoop has held for one client's
	// answer in its outbound buffer (a slow client's), for the tests that
	// assert the slow lane bounds it (evloop_lane.go).
	evPeak atomic.Int64
	// fastBare counts EngineFastHTTP's answers to HTTP/1.0 clients still
	// being written on a hijacked connection (answerFastBare): fasthttp's
	// Shutdown does not wait for those, Serve does (waitNone).
	fastBare atomic.Int64
	// fastLive is what EngineFastHTTP's connections hold open, for Serve
	// to close once the shutdown's time is up (fast_shutdown.go).
	fastLive fastLive
	// upgrades counts EngineNetHTTP's requests whose cell switched
	// protocols (reqState.upgraded) still being served: an upgrade
	// proxied lasts until its connections end, and net/http's Shutdown
	// neither waits for nor closes it; Serve does (waitNone).
	upgrades atomic.Int64
}

// answerFlushInterval is EngineNetHTTP's ReverseProxy.FlushInterval: the
// longest the part of an answer the cell has sent may wait in the
// router's buffers for more.
const answerFlushInterval = 10 * time.Millisecond

var (
	_ http.Handler        = (*Router)(nil)
	_ http.RoundTripper   = (*retryTransport)(nil)
	_ httputil.BufferPool = (*bufferPool)(nil)
	_ io.ReadCloser       = (*trackedBody)(nil)
)

// New builds a Router. It follows the store: every swapped-in snapshot
// updates the health tracker and the per-cell transports.
func New(cfg Config) (*Router, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rt := &Router{
		cfg:     cfg,
		budget:  &retryBudget{ratio: cfg.RetryRatio, min: int64(cfg.MinRetriesPerSecond)},
		metrics: newMetrics(),
	}
	if cfg.Tracing != nil {
		rt.tracer = cfg.Tracing.Tracer("github.com/cellfabric/cellfabric/router/server")
	}
	empty := map[string]*upstream{}
	rt.cells.Store(&empty)
	if cfg.DirectoryFeed != nil || cfg.PlaceUnknown != nil {
		rt.dir = router.NewDirectory()
	}
	if cfg.DirectoryFeed != nil {
		rt.dirSync = newDirSync(cfg, rt.dir)
	}
	rt.proxy = &httputil.ReverseProxy{
		Rewrite:      rt.rewrite,
		Transport:    (*retryTransport)(rt),
		BufferPool:   newBufferPool(),
		ErrorHandler: rt.proxyError,
		ErrorLog:     log.New(slogWriter{cfg.Logger}, "", 0),
		// What of an answer with a Content-Length waits in the
		// ResponseWriter's buffers is flushed at most this long after it
		// was written (and the head this long after it, if no body came
		// yet), so a cell that pauses does not hold back what it sent
		// (answers without a length ReverseProxy flushes at each write
		// itself). An answer copied whole within it, most of them, is
		// written as before, in one write at the end, its timer stopped
		// unfired; -1 would flush each write, the head alone first.
		FlushInterval: answerFlushInterval,
	}
	cfg.Store.OnSwap(func(_, cur *router.Snapshot, _ []byte) { rt.follow(cur) })
	if snap := cfg.Store.Snapshot(); snap != nil {
		rt.follow(snap)
	}
	if cfg.Signer == nil {
		cfg.Logger.Warn("edge signing is off: cells cannot tell the router's requests from anyone else's; set an edge key")
	}
	return rt, nil
}

// follow applies a new snapshot to the health tracker and the transports.
func (rt *Router) follow(snap *router.Snapshot) {
	rt.cfg.Health.Sync(snap)
	rt.syncUpstreams(snap)
	rt.metrics.addCells(snap)
}

// Health returns the health tracker (for SetOverride and Status).
func (rt *Router) Health() *health.Tracker { return rt.cfg.Health }

// Store returns the registry store.
func (rt *Router) Store() *router.Store { return rt.cfg.Store }

// Directory returns the router's tenant directory, or nil when it has none
// (no DirectoryFeed and no PlaceUnknown).
func (rt *Router) Directory() *router.Directory { return rt.dir }

// startDirectory starts following the directory feed, once, until ctx is
// done; stopDirectory waits for that.
func (rt *Router) startDirectory(ctx context.Context) {
	if rt.dirSync == nil {
		return
	}
	rt.dirStart.Do(func() {
		rt.dirDone.Add(1)
		go func() {
			defer rt.dirDone.Done()
			rt.dirSync.run(ctx)
		}()
	})
}

// reqState travels with a request through the proxy.
type reqState struct {
	requestID string
	// requestIDs is []string{requestID}, the value of the X-Request-ID
	// headers set on the way out and back (read-only once set).
	requestIDs []string
	tenant     string
	path       string
	rawPath    string
	decision   router.Decision
	placement  router.Placement // the directory's entry, when it had one
	given      router.Tenant    // what DecideFor decided on (decision points at it)
	attempts   router.Attempts
	body       *trackedBody
	// replay keeps the body for a retry after a stale_placement answer
	// (stale.go); nextBody is the body of that retry. nil without a
	// directory feed or a body.
	replay   *replayBody
	nextBody io.ReadCloser
	// refusal, when set, is the router's answer instead of a cell's (the
	// fresh placement after a stale_placement answer refuses the request).
	refusal *router.Refusal

	// trace tells the transport's attempts apart: wrote is set once an
	// attempt's request headers are written, and cleared before each.
	trace httptrace.ClientTrace
	wrote atomic.Bool
	// cut says reading the cell's answer body failed (net/http engine):
	// the answer passed on is cut short (resetCut). Cleared before each
	// attempt and when the router answers itself (proxyError).
	cut atomic.Bool

	// upgraded says the cell answered 101 (net/http engine): counted in
	// Router.upgrades until ServeHTTP returns.
	upgraded bool

	// answer is the net/http engine's answer headers (the
	// ResponseWriter's), for the transport to mark an answer without
	// Content-Type; nil on the other engines.
	answer http.Header

	cell   *router.Cell // the cell that answered or failed last
	status int
	reason router.Reason // why the router answered itself, when it did

	// Tracing (trace.go), all nil when it is off: the request's server
	// span and its context, and the current attempt's client span.
	span    trace.Span
	spanCtx context.Context
	attempt trace.Span
}

type stateKey struct{}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// Canonical header keys, worked out once (http.Header.Set would
// canonicalise "X-Request-ID" and the others on every request).
var (
	keyRequestID = textproto.CanonicalMIMEHeaderKey("X-Request-ID")
	keyCellID    = textproto.CanonicalMIMEHeaderKey("X-Cell-ID")
	keyCloud     = textproto.CanonicalMIMEHeaderKey("X-Processed-By-Cloud")
	keyTenant    = textproto.CanonicalMIMEHeaderKey(edgeauth.TenantHeader)
	keySignature = textproto.CanonicalMIMEHeaderKey(edgeauth.SignatureHeader)
	keyEpoch     = textproto.CanonicalMIMEHeaderKey(edgeauth.EpochHeader)
)

// ServeHTTP proxies one request.
func (rt *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if badTrailerName(req.Trailer) || req.URL.Host != "" && !httpguts.ValidHostHeader(req.Host) {
		// A request the other engines cannot read (headername.go), or an
		// absolute-form target whose authority, which stands for the Host
		// field (RFC 9112 §3.2.2), is no valid Host value (net/http's
		// server checks the field, so an origin-form request's Host is
		// not checked again): refused as net/http's server refuses an
		// invalid Host field, before it is counted.
		w.Header().Set("Connection", "close")
		http.Error(w, "400 Bad Request", http.StatusBadRequest)
		return
	}
	start := time.Now()
	rt.inflight.Add(1)
	defer rt.inflight.Add(-1)
	rt.budget.request()
	st := &reqState{requestID: router.RequestID(req.Header.Get("X-Request-ID"))}
	if rt.tracer != nil {
		rt.traceStart(st, propagation.HeaderCarrier(req.Header), req.Method)
	}
	defer func() {
		if st.upgraded {
			rt.upgrades.Add(-1)
		}
		rt.metrics.observe(st.cell, st.status, time.Since(start))
		if st.span != nil {
			rt.traceEnd(st)
		}
	}()

	if r, ok := rt.admit(req.Method, headerBytes(req), req.ContentLength); !ok {
		rt.writeError(w, st, r)
		return
	}
	if r, ok := rt.decide(req.Context(), req.Method, tenant.Facts{Host: req.Host, Path: req.URL.Path, RawPath: req.URL.RawPath, Header: req.Header}, st); !ok {
		rt.writeError(w, st, r)
		return
	}
	if req.Body != nil && req.Body != http.NoBody {
		var r io.Reader = http.MaxBytesReader(w, req.Body, rt.cfg.MaxBodyBytes)
		if len(req.TransferEncoding) > 0 { // trailers come with a chunked body only
			r = trailerCheck{r: r, req: req}
		}
		st.body = &trackedBody{r: r}
		req.Body = st.body
	}
	st.requestIDs = []string{st.requestID}
	st.answer = w.Header()
	st.trace.WroteHeaders = func() { st.wrote.Store(true) }
	ctx := httptrace.WithClientTrace(context.WithValue(req.Context(), stateKey{}, st), &st.trace)
	defer resetCut(w, req, st) // an unframed answer cut short: reset, not closed
	pw := w
	if !req.ProtoAtLeast(1, 1) {
		pw = no1xx{w}
		// Nor an upgrade, whose 101 is a 1xx too: a server ignores
		// Upgrade in an HTTP/1.0 request (RFC 9110 §7.8), and
		// ReverseProxy would ask it of the cell and pass the 101 on.
		req.Header.Del("Upgrade")
	}
	rt.proxy.ServeHTTP(pw, req.WithContext(ctx))
}

// no1xx is the ResponseWriter of an answer to an HTTP/1.0 client, which
// has no 1xx answers (RFC 9110 §15.2): ReverseProxy passes a cell's
// interim answers on, which such a client would read as the answer to its
// request, and each answer after it as the one to the request before.
// They are dropped. (101 is left to ReverseProxy's upgrade, which fails
// (502) for an HTTP/1.0 request: ServeHTTP drops its Upgrade, so a 101
// was not asked for.)
type no1xx struct{ http.ResponseWriter }

func (w no1xx) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (ReverseProxy's flushes, its
// upgrades) reach the server's writer.
func (w no1xx) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// rewrite shapes the outgoing request; the transport sets the cell's
// address and signs it for each attempt.
func (rt *Router) rewrite(pr *httputil.ProxyRequest) {
	st := stateOf(pr.In.Context())
	pr.Out.URL.Path, pr.Out.URL.RawPath = st.path, st.rawPath
	// The query as the client sent it: ReverseProxy drops the parameters
	// url.ParseQuery refuses (those with ';'), which the router never
	// reads; the other engines, the Worker and nginx pass it unchanged.
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery
	pr.SetXForwarded()
	h := pr.Out.Header
	h[keyRequestID] = st.requestIDs
	delete(h, keySignature)
	// The cell learns the tenant and the placement epoch only from the
	// router.
	delete(h, keyTenant)
	delete(h, keyEpoch)
	if rt.tracer != nil {
		// Each attempt sends its own (traceAttempt).
		delete(h, hdrTraceparent)
		delete(h, hdrTracestate)
	}
}

// headerBytes approximates the size of the request line and headers as
// sent.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Host) + 16
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// trackedBody remembers whether the request body was read (then a failed
// attempt cannot be retried) and how reading it failed, if it did: every
// such failure is the client's (malformed or short body, over the size
// limit, too slow, gone), never the cell's, and is recorded apart from the
// transport's own errors. Close is left to the server, so a failed attempt
// does not close a body that a retry will send.
type trackedBody struct {
	r    interface{ Read([]byte) (int, error) }
	read atomic.Bool
	err  atomic.Pointer[clientFault] // the first read error, classified
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.read.Store(true)
	}
	if err != nil && err != io.EOF {
		b.err.CompareAndSwap(nil, bodyFault(err))
	}
	return n, err
}

// fault returns how reading the body failed, or nil.
func (b *trackedBody) fault() *clientFault {
	if b == nil {
		return nil
	}
	return b.err.Load()
}

func (b *trackedBody) Close() error { return nil }

// bufferPool recycles the proxy's 32 KiB copy buffers.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(s []byte) { b.p.Put(&s) }

// slogWriter sends the proxy's log.Logger output to slog.
type slogWriter struct{ l *slog.Logger }

func (s slogWriter) Write(p []byte) (int, error) {
	s.l.Warn("proxy", "detail", string(p))
	return len(p), nil
}
