package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
)

// StatusClientClosed is the status logged and counted for a request whose
// client went away before the answer (nginx's 499). It is also what the
// router writes in that case, so that whatever bytes still reach a client
// are an error status, never an implicit 200.
const StatusClientClosed = 499

// clientFault is a request that failed because of its client: its body could
// not be read (malformed, cut short, over the limit, too slow) or the client
// went away. It never counts against a cell and is never retried.
type clientFault struct {
	status int
	reason string
	msg    string
	err    error // what failed, for the log
}

func (f *clientFault) Error() string { return "client fault (" + f.reason + "): " + f.err.Error() }
func (f *clientFault) Unwrap() error { return f.err }

// bodyFault classifies an error from reading the client's request body.
// Every such error is the client's: the body is read from the client's
// connection, never from a cell.
func bodyFault(err error) *clientFault {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &clientFault{status: http.StatusRequestEntityTooLarge, reason: ReasonBodyTooLarge, msg: "request body is over the size limit", err: err}
	case isTimeout(err):
		return &clientFault{status: http.StatusRequestTimeout, reason: ReasonClientTimeout, msg: "the request body did not arrive within the server's read timeout; send it faster or in smaller parts", err: err}
	case clientGone(err):
		return &clientFault{status: StatusClientClosed, reason: ReasonClientGone, msg: "the client closed the connection in the middle of the request body", err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &clientFault{status: http.StatusBadRequest, reason: ReasonBadRequestBody, msg: "the request body ended early: shorter than its Content-Length, or a chunked body without its last chunk; send the whole body", err: err}
	default:
		return &clientFault{status: http.StatusBadRequest, reason: ReasonBadRequestBody, msg: "the request body is malformed (" + err.Error() + "); check its Transfer-Encoding and Content-Length", err: err}
	}
}

// clientGone reports whether err says the client's connection is gone.
func clientGone(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// goneFault is the fault of a request whose client went away while the
// router waited for a cell.
func goneFault(ctx context.Context) *clientFault {
	err := context.Cause(ctx)
	if err == nil {
		err = context.Canceled
	}
	return &clientFault{status: StatusClientClosed, reason: ReasonClientGone, msg: "the client closed the request before the answer", err: err}
}

// answerClientFault logs f and answers it. The status is written even
// when the client is gone: should the connection still carry bytes, they
// say error.
func (rt *Router) answerClientFault(w http.ResponseWriter, st *reqState, f *clientFault) {
	rt.cfg.Logger.Info("request failed by its client", "reason", f.reason, "status", f.status, "tenant", st.tenant, "request_id", st.requestID, "error", f.err.Error())
	rt.writeError(w, st, f.status, f.reason, f.msg, 0)
}
