package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
)

// clientFault is a request that failed because of its client: its body could
// not be read (malformed, cut short, over the limit, too slow) or the client
// went away. It never counts against a cell and is never retried.
//
// When the client went away, its status (router.StatusClientClosed, 499)
// is written all the same, so that whatever bytes still reach it are an
// error status, never an implicit 200.
type clientFault struct {
	router.Refusal
	err error // what failed, for the log
}

func (f *clientFault) Error() string {
	return "client fault (" + string(f.Reason) + "): " + f.err.Error()
}
func (f *clientFault) Unwrap() error { return f.err }

// bodyFault classifies an error from reading the client's request body.
// Every such error is the client's: the body is read from the client's
// connection, never from a cell.
func bodyFault(err error) *clientFault {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &clientFault{Refusal: router.Refusal{Status: http.StatusRequestEntityTooLarge, Reason: router.ReasonBodyTooLarge, Msg: "request body is over the size limit"}, err: err}
	case isTimeout(err):
		return &clientFault{Refusal: router.Refusal{Status: http.StatusRequestTimeout, Reason: router.ReasonClientTimeout, Msg: "the request body did not arrive within the server's read timeout; send it faster or in smaller parts"}, err: err}
	case clientGone(err):
		return &clientFault{Refusal: router.Refusal{Status: router.StatusClientClosed, Reason: router.ReasonClientGone, Msg: "the client closed the connection in the middle of the request body"}, err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &clientFault{Refusal: router.Refusal{Status: http.StatusBadRequest, Reason: router.ReasonBadRequestBody, Msg: "the request body ended early: shorter than its Content-Length, or a chunked body without its last chunk; send the whole body"}, err: err}
	default:
		return &clientFault{Refusal: router.Refusal{Status: http.StatusBadRequest, Reason: router.ReasonBadRequestBody, Msg: "the request body is malformed (" + err.Error() + "); check its Transfer-Encoding and Content-Length"}, err: err}
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
	return &clientFault{Refusal: router.Refusal{Status: router.StatusClientClosed, Reason: router.ReasonClientGone, Msg: "the client closed the request before the answer"}, err: err}
}

// answerClientFault logs f and answers it. The status is written even
// when the client is gone: should the connection still carry bytes, they
// say error.
func (rt *Router) answerClientFault(w http.ResponseWriter, st *reqState, f *clientFault) {
	st.log(rt.cfg.Logger).Info("request failed by its client", "reason", f.Reason, logattr.Status, f.Status, "error", f.err.Error())
	rt.writeError(w, st, f.Refusal)
}
