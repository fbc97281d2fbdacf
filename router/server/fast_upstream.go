package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cellfabric/cellfabric/router"
)

// The fasthttp engine's side towards the cells: a fasthttp.HostClient per
// cell (its connection pool) with a transport of the router's own, so
// that an attempt is sent as net/http's transport sends it: the head
// flushed before a streamed body, the wait for the answer's head bounded
// by UpstreamTimeout and nothing after it, and the attempt's outcome
// known (was the request written; which connection, to release or close
// once the answer's body is through).

// fastAttempt is one attempt's state, shared by forwardFast and the
// transport through the request's user value attemptKey.
type fastAttempt struct {
	wrote bool // the request's head reached the connection
	// finish hands the answer's connection back to the pool (keep) or
	// closes it; set by the transport when an answer's head is in.
	finish func(keep bool)
	// conn is the answer's connection while its body is still to be read
	// from it (under UpstreamIdleTimeout); nil when all of it is buffered.
	conn net.Conn
	// answer is the body passed on to the client (answerFast): part of
	// the attempt, so that passing an answer on allocates nothing more.
	answer fastAnswer
	sig    [128]byte // room for the signature header
}

// attemptKey is the user value under which a request carries its
// *fastAttempt.
type attemptKey struct{}

// errStaleConn marks a failure on a kept-alive connection before any
// answer: the cell closed it while idle. The request is sent again on a
// fresh connection when it is replayable (see newFastClient).
var errStaleConn = errors.New("kept-alive connection closed by the cell")

// newFastClient is a cell's connection pool for EngineFastHTTP, tuned as
// newTransport tunes net/http's.
func (rt *Router) newFastClient(parsed *url.URL) *fasthttp.HostClient {
	addr := cellAddr(parsed)
	dialer := &net.Dialer{Timeout: rt.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	return &fasthttp.HostClient{
		Addr:      addr,
		IsTLS:     parsed.Scheme == "https",
		TLSConfig: rt.cellTLS(),
		Dial: func(addr string) (net.Conn, error) {
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			return &usedConn{Conn: c}, nil
		},
		Transport: fastTransport{timeout: rt.cfg.UpstreamTimeout, idle: rt.cfg.UpstreamIdleTimeout},
		// The HostClient bounds an https cell's TLS handshake by its
		// WriteTimeout (without one, a cell that takes the connection
		// and never answers the handshake holds the attempt for good);
		// fastTransport writes without it.
		WriteTimeout:             rt.cfg.DialTimeout,
		MaxConns:                 1 << 16,
		MaxIdleConnDuration:      90 * time.Second,
		ReadBufferSize:           64 << 10,
		WriteBufferSize:          32 << 10,
		StreamResponseBody:       true,
		DisablePathNormalizing:   true, // the target is sent as the router wrote it
		NoDefaultUserAgentHeader: true,
		// A request without a body that met a kept-alive connection the
		// cell had closed is sent again once on a fresh one, as net/http's
		// transport does; the router's policy decides everything else.
		MaxIdemponentCallAttempts: 2,
		RetryIfErr: func(req *fasthttp.Request, attempts int, err error) (bool, bool) {
			return false, attempts < 2 && errors.Is(err, errStaleConn) && !req.IsBodyStream() && router.Idempotent(string(req.Header.Method()))
		},
	}
}

// cellAddr is the host:port of a cell's endpoint, with the scheme's port
// when it names none.
func cellAddr(parsed *url.URL) string {
	if parsed.Port() != "" {
		return parsed.Host
	}
	port := "80"
	if parsed.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(parsed.Hostname(), port)
}

// usedConn remembers whether a connection has carried a request.
type usedConn struct {
	net.Conn
	used bool
}

// fastTransport is the HostClient transport of EngineFastHTTP.
type fastTransport struct {
	timeout time.Duration // UpstreamTimeout: for the answer's head
	idle    time.Duration // UpstreamIdleTimeout: between reads of its body
}

// RoundTrip sends req on a pooled connection and reads the answer's head;
// the body stays on the connection for the caller to stream
// (StreamResponseBody), which releases the connection through the
// request's fastAttempt when done.
func (t fastTransport) RoundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (retry bool, err error) {
	att, _ := req.UserValue(attemptKey{}).(*fastAttempt)
	if att == nil {
		return false, errors.New("router: fasthttp request without its attempt")
	}
	att.wrote, att.finish, att.conn = false, nil, nil
	cc, err := hc.AcquireConn(0, req.ConnectionClose())
	if err != nil {
		return false, err // a failed dial: nothing was sent
	}
	conn := cc.Conn()
	reused := false
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn() // an https cell's: the HostClient wraps what Dial made
	}
	if u, ok := raw.(*usedConn); ok {
		reused, u.used = u.used, true
	}
	fail := func(err error, stale bool) (bool, error) {
		hc.CloseConn(cc)
		if stale && reused {
			err = errors.Join(errStaleConn, err)
		}
		return true, err
	}

	bw := hc.AcquireWriter(conn)
	err = req.Header.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		hc.ReleaseWriter(bw)
		return fail(err, true)
	}
	att.wrote = true
	if body := req.BodyStream(); body != nil {
		err = writeFastBody(bw, body, req.Header.ContentLength())
		if err == nil {
			err = bw.Flush()
		}
	}
	hc.ReleaseWriter(bw)
	if err != nil {
		return fail(err, false)
	}

	if t.timeout > 0 {
		if err := conn.SetReadDeadline(time.Now().Add(t.timeout)); err != nil {
			return fail(err, false)
		}
	}
	if req.Header.IsHead() {
		resp.SkipBody = true
	}
	br := hc.AcquireReader(conn)
	if err := resp.ReadLimitBody(br, 0); err != nil {
		hc.ReleaseReader(br)
		stale := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
		if x, ok := err.(interface{ Timeout() bool }); ok && x.Timeout() {
			err = fasthttp.ErrTimeout
		}
		return fail(err, stale)
	}
	// The head is in: the body may take as long as it takes, as long as
	// the cell never pauses for the idle timeout (fastAnswer.Read moves
	// the deadline on at each read). When all of it is buffered already,
	// nothing more is read from the connection for this answer (and the
	// next attempt on it sets its own deadline), so the deadline is left:
	// one timer update less per request.
	att.conn = nil
	if !bodyBuffered(resp, br) {
		att.conn = conn
		_ = conn.SetReadDeadline(time.Now().Add(t.idle))
	}
	att.finish = func(keep bool) {
		hc.ReleaseReader(br)
		if keep && !resp.ConnectionClose() && resp.StatusCode() != fasthttp.StatusSwitchingProtocols {
			hc.ReleaseConn(cc)
		} else {
			hc.CloseConn(cc)
		}
	}
	return false, nil
}

// bodyBuffered says whether all of an answer's body is in br already:
// it has a Content-Length and br holds that many bytes (or it has none).
func bodyBuffered(resp *fasthttp.Response, br *bufio.Reader) bool {
	if resp.SkipBody {
		return true
	}
	n := resp.Header.ContentLength()
	return n >= 0 && br.Buffered() >= n
}

// writeFastBody writes a request body of size bytes (-1: unknown, sent
// chunked) from body, as net/http's transport does: through the buffered
// writer, flushed when full.
func writeFastBody(bw *bufio.Writer, body io.Reader, size int) error {
	if size >= 0 {
		n, err := io.CopyN(bw, body, int64(size))
		if err == nil && n < int64(size) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	buf := make([]byte, 16<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			bw.WriteString(strconv.FormatInt(int64(n), 16))
			bw.WriteString("\r\n")
			bw.Write(buf[:n])
			if _, werr := bw.WriteString("\r\n"); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			_, werr := bw.WriteString("0\r\n\r\n")
			return werr
		}
		if err != nil {
			return err
		}
	}
}
