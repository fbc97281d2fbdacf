package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/propagation"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
)

// upstream is one cell's address and its own tuned transport, with the
// response header values that name the cell worked out once per registry
// swap (read-only: the proxy copies them into each response).
type upstream struct {
	endpoint  string
	scheme    string
	host      string
	transport *http.Transport
	fast      *fasthttp.HostClient // EngineFastHTTP's pool; nil with net/http
	// evAddr is the key of the cell's connections in EngineEvLoop's
	// pools (each loop keeps its own, evloop_pool.go): its host:port, or
	// for an https cell evTLSKey and its host:port; "" for the other
	// engines.
	evAddr string
	// evTLS is an https cell's TLS configuration on EngineEvLoop; nil
	// for an http cell.
	evTLS  *tls.Config
	cellID []string // X-Cell-ID
	cloud  []string // X-Processed-By-Cloud
}

// syncUpstreams keeps one transport per cell: reused while the endpoint
// stays the same, idle connections closed when a cell goes away.
func (rt *Router) syncUpstreams(snap *router.Snapshot) {
	rt.cellsMu.Lock()
	defer rt.cellsMu.Unlock()
	old := *rt.cells.Load()
	next := make(map[string]*upstream, len(snap.Cells()))
	for _, c := range snap.Cells() {
		hdrs := func(u *upstream) *upstream {
			u.cellID, u.cloud = []string{c.ID}, []string{string(c.Cloud)}
			return u
		}
		if u, ok := old[c.ID]; ok && u.endpoint == c.Endpoint {
			kept := *u // the same connections; the headers anew
			next[c.ID] = hdrs(&kept)
			continue
		}
		parsed, err := url.Parse(c.Endpoint)
		if err != nil { // Validate refuses such endpoints; keep the guard cheap
			continue
		}
		nu := &upstream{endpoint: c.Endpoint, scheme: parsed.Scheme, host: parsed.Host, transport: rt.newTransport()}
		if rt.cfg.Engine == EngineFastHTTP {
			nu.fast = rt.newFastClient(parsed)
		}
		if rt.cfg.Engine == EngineEvLoop {
			nu.evAddr = cellAddr(parsed)
			if parsed.Scheme == "https" {
				nu.evAddr = evTLSKey + nu.evAddr
				nu.evTLS = rt.evCellTLS(parsed)
			}
		}
		next[c.ID] = hdrs(nu)
	}
	rt.cells.Store(&next)
	for id, u := range old {
		if n := next[id]; n == nil || n.transport != u.transport {
			u.transport.CloseIdleConnections()
			if u.fast != nil {
				u.fast.CloseIdleConnections()
			}
		}
	}
}

func (rt *Router) newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: rt.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil, // cells are reached directly, never through HTTP_PROXY
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   rt.cfg.MaxIdlePerCell,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   rt.cfg.DialTimeout,
		TLSClientConfig:       rt.cellTLS(),
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: rt.cfg.UpstreamTimeout,
		DisableCompression:    true, // pass encodings through untouched
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
}

// retryTransport sends an outgoing request to the decision's cells in turn,
// under the forwarding policy of the router core (router.Attempts).
type retryTransport Router

var errNoCell = errors.New("no healthy cell left to try")

// errUnaskedSwitch fails an attempt whose cell answered 101 Switching
// Protocols to a request that asked for no upgrade.
var errUnaskedSwitch = errors.New("the cell switched protocols (101) though the request asked for no upgrade")

// RoundTrip implements http.RoundTripper with the retry rules of the package
// documentation.
func (t *retryTransport) RoundTrip(out *http.Request) (*http.Response, error) {
	rt := (*Router)(t)
	st := stateOf(out.Context())
	ups := *rt.cells.Load()
	hasBody := st.body != nil
	switch {
	case hasBody && rt.dirSync != nil && st.tenant != "":
		// Kept, so that a stale_placement answer can be retried (stale.go);
		// its readers do not close the body either.
		st.replay, out.Body = newReplayBody(out.Body, out.ContentLength)
	case hasBody:
		// A failed attempt closes the body it was given; keep the proxy's
		// body open so that a retry can still send it (the server closes
		// the real body when the handler returns).
		out.Body = keepOpen{out.Body}
	}
	st.attempts = st.decision.Attempts(rt.cfg.Health, out.Method, hasBody, rt.cfg.MaxAttempts)
	a := &st.attempts
	var lastErr error = errNoCell
	for cell := a.Next(); cell != nil; cell = a.Next() {
		u := ups[cell.ID]
		if u == nil {
			// The cell is newer than the transports (a registry swap in
			// between): nothing was sent.
			if !a.Failed(router.FailNotSent, false) {
				break
			}
			continue
		}
		// Each attempt's answer body is read under a context of its own,
		// which the router cancels when the cell pauses for
		// UpstreamIdleTimeout (idleBody): that closes the cell's
		// connection and breaks the read off, from the body's first byte,
		// whether the answer is being dropped for the next cell, looked at
		// (a 421) or passed on.
		actx, acancel := context.WithCancel(out.Context())
		req := out.WithContext(actx)
		if a.Tried() > 1 {
			req = out.Clone(actx)
		}
		req.URL.Scheme, req.URL.Host, req.Host = u.scheme, u.host, ""
		if epoch := st.decision.Epoch(); rt.cfg.Signer != nil {
			rt.cfg.Signer.SignRequestEpoch(req, st.tenant, epoch)
		} else {
			if st.tenant != "" {
				req.Header[keyTenant] = []string{st.tenant}
			}
			if epoch > 0 {
				req.Header[keyEpoch] = []string{strconv.FormatInt(epoch, 10)}
			}
		}
		if rt.tracer != nil {
			rt.traceAttempt(st, cell, propagation.HeaderCarrier(req.Header))
		}
		st.wrote.Store(false) // the request's ClientTrace sets it
		st.cut.Store(false)   // a dropped answer's failed drain is not this one's
		began := time.Now()
		resp, err := u.transport.RoundTrip(req)
		// A failed read of the client's body is the client's fault, whatever
		// error the transport made of it: it never counts against the cell
		// and is never retried. The body records the failure before the
		// transport sees it, so an attempt it broke finds it here. Should
		// the cell have answered all the same, it answered a request that
		// never arrived whole: the client hears of its fault, not a success.
		if fault := st.body.fault(); fault != nil {
			a.Failed(router.FailClient, true)
			if err == nil {
				resp.Body.Close()
			}
			acancel()
			return nil, fault
		}
		if err != nil {
			acancel()
			if out.Context().Err() != nil {
				a.Failed(router.FailClient, true)
				return nil, goneFault(out.Context()) // nothing to retry for
			}
			lastErr = err
			if !rt.attemptFailed(st, cell, err, st.wrote.Load()) {
				return nil, err
			}
			continue
		}
		if resp.StatusCode == http.StatusSwitchingProtocols && req.Header.Get("Upgrade") == "" {
			// An upgrade the request never asked for: the cell's
			// connection speaks another protocol from here on, and
			// ReverseProxy, which answers 502 for it, never closes the
			// answer's body, which would leave that connection open
			// until the cell closes it. Closed here; the attempt broke,
			// as on the other engines.
			resp.Body.Close()
			acancel()
			lastErr = errUnaskedSwitch
			if !rt.attemptFailed(st, cell, errUnaskedSwitch, true) {
				return nil, errUnaskedSwitch
			}
			continue
		}
		switch rwc, upgraded := resp.Body.(io.ReadWriteCloser); {
		case resp.StatusCode == http.StatusSwitchingProtocols && upgraded:
			// The connection now carries another protocol, both ways, for
			// as long as it lasts: ReverseProxy needs the body writable,
			// and no idle timeout applies.
			resp.Body = upgradedBody{rwc, acancel}
			if !st.upgraded {
				st.upgraded = true
				rt.upgrades.Add(1) // until ServeHTTP returns: the upgrade ended
			}
		case resp.Body != http.NoBody:
			resp.Body = rt.newIdleBody(resp.Body, acancel, st, cell) // the body's: its Close cancels
		default:
			acancel()
		}
		if rt.attemptAnswered(st, cell, resp.StatusCode, time.Since(began)) {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			lastErr = errors.New(resp.Status)
			continue
		}
		if resp.StatusCode == router.StatusMisdirected {
			retry, err := rt.misdirected(out, st, resp)
			if err != nil {
				return nil, err
			}
			if retry {
				lastErr = errors.New(resp.Status)
				continue
			}
		}
		if _, typed := resp.Header["Content-Type"]; !typed && st.answer != nil {
			// An empty entry in the client's answer: net/http's
			// ResponseWriter sniffs a type from the body when the key is
			// absent, and a proxy does not invent one. Set here, not
			// before the proxy runs, as ReverseProxy clears the answer's
			// headers after passing on a 1xx answer.
			st.answer["Content-Type"] = nil
		}
		resp.Header[keyCellID] = u.cellID
		resp.Header[keyCloud] = u.cloud
		resp.Header[keyRequestID] = st.requestIDs
		return resp, nil
	}
	return nil, lastErr
}

// misdirected looks at a cell's 421 answer (stale.go): retry means the
// answer was dropped and out is ready for the attempt on the tenant's
// newer placement; an error, that the router answers instead
// (st.refusal); neither, that resp goes to the client, its body whole.
func (rt *Router) misdirected(out *http.Request, st *reqState, resp *http.Response) (retry bool, err error) {
	peek, _ := io.ReadAll(io.LimitReader(resp.Body, router.StaleBodyBytes+1))
	stale, retry, refusal := rt.stalePlacement(out.Context(), st, out.Method, resp.StatusCode, peek)
	switch {
	case retry:
		resp.Body.Close()
		if st.nextBody != nil {
			out.Body = st.nextBody
		}
		return true, nil
	case refusal != nil:
		resp.Body.Close()
		st.refusal = refusal
		return false, errors.New("refused on the tenant's newer placement")
	case stale:
		// The whole body was read.
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(peek))
	default:
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
	}
	return false, nil
}

// classify tells how an attempt without a response failed: a request
// that never reached the cell (nothing written: the connection or the
// TLS handshake failed, or did not finish within DialTimeout), a timeout
// waiting for the cell's answer, or one that broke on the way. A timeout
// before anything was written is not a timeout of the cell's work: the
// cell never saw the request, so the policy may send it to the next cell
// (a cell whose host is up but hangs, or whose network drops packets,
// fails over as one that refuses connections does).
func classify(err error, wrote bool) router.Failure {
	var op *net.OpError
	if !wrote || (errors.As(err, &op) && op.Op == "dial") {
		return router.FailNotSent
	}
	if isTimeout(err) {
		return router.FailTimeout
	}
	return router.FailBroken
}

// keepOpen hides Close from the transport.
type keepOpen struct{ io.ReadCloser }

func (keepOpen) Close() error { return nil }

// proxyError answers when no cell gave a response: the client's fault
// first (its body failed, or it went away), then the cell's.
func (rt *Router) proxyError(w http.ResponseWriter, req *http.Request, err error) {
	st := stateOf(req.Context())
	// The router answers, not a cell: a failed read of an answer dropped
	// or refused on the way (a drained 503, a 421's start) does not make
	// this one cut (resetCut would reset the client's connection).
	st.cut.Store(false)
	var fault *clientFault
	if !errors.As(err, &fault) {
		fault = st.body.fault()
	}
	if fault == nil && req.Context().Err() != nil {
		fault = goneFault(req.Context())
	}
	if fault != nil {
		st.cell = nil // the router answers; the cell is not to blame
		rt.answerClientFault(w, st, fault)
		return
	}
	if st.refusal != nil {
		st.cell = nil
		rt.writeError(w, st, *st.refusal)
		return
	}
	rt.writeError(w, st, st.attempts.Refusal())
}

func isTimeout(err error) bool {
	// Not net.Error: fasthttp's ErrTimeout has Timeout but not
	// Temporary, and a head that came too late on the fasthttp engine
	// was then a 502 upstream_unavailable instead of a 504.
	// fasthttp's ErrTLSHandshakeTimeout has neither.
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, fasthttp.ErrTLSHandshakeTimeout) || (errors.As(err, &te) && te.Timeout())
}

// upgradedBody is the connection of a cell's 101 answer (a protocol
// upgrade), whose Close also ends its attempt's context.
type upgradedBody struct {
	io.ReadWriteCloser
	cancel context.CancelFunc
}

func (b upgradedBody) Close() error {
	err := b.ReadWriteCloser.Close()
	b.cancel()
	return err
}

// idleBody is a cell's answer body under UpstreamIdleTimeout (net/http
// engine): each read has that long to bring a byte, else the attempt's
// context is cancelled, which closes the cell's connection and fails the
// read, so the proxy breaks the answer off.
type idleBody struct {
	io.ReadCloser
	idle   time.Duration
	timer  *time.Timer
	cancel context.CancelFunc
	cut    *atomic.Bool // set when a read fails (reqState.cut)
}

// newIdleBody wraps body, whose attempt's context cancel ends.
func (rt *Router) newIdleBody(body io.ReadCloser, cancel context.CancelFunc, st *reqState, cell *router.Cell) *idleBody {
	idle := rt.cfg.UpstreamIdleTimeout
	id := cell.ID
	return &idleBody{ReadCloser: body, idle: idle, cancel: cancel, cut: &st.cut, timer: time.AfterFunc(idle, func() {
		rt.logStalled(st, id)
		cancel()
	})}
}

// logStalled logs an answer broken off because its cell sent nothing
// for UpstreamIdleTimeout (every engine).
func (rt *Router) logStalled(st *reqState, cellID string) {
	st.log(rt.cfg.Logger).Warn("cell sent nothing in the middle of its answer for the upstream idle timeout; breaking the answer off", logattr.Cell, cellID, "timeout", rt.cfg.UpstreamIdleTimeout)
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.idle)
	n, err := b.ReadCloser.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF {
		b.cut.Store(true)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
