package dirhttp

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// Handler serves the control API: it reads the body (at most
// directory.MaxBodyBytes; 413 beyond), verifies the request with the
// control keys of verifier (directory.VerifyControl; 401 when it fails, a
// nil verifier refusing everything) and answers with dir.Serve. Mount it at
// directory.BasePath (or anywhere that passes that path through).
func Handler(dir *directory.Directory, verifier *edgeauth.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, directory.MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				write(w, directory.ErrorResponse(&directory.Error{Status: http.StatusRequestEntityTooLarge, Reason: directory.ReasonBodyTooLarge,
					Msg: "the request body is over " + strconv.Itoa(directory.MaxBodyBytes) + " bytes: send batches of at most " + strconv.Itoa(directory.MaxBatch) + " entries"}))
				return
			}
			write(w, directory.ErrorResponse(&directory.Error{Status: http.StatusBadRequest, Reason: directory.ReasonMalformed,
				Msg: "the request body could not be read (" + err.Error() + "): send the whole body"}))
			return
		}
		header := r.Header.Get(edgeauth.SignatureHeader)
		if err := directory.VerifyControl(verifier, r.Method, r.Host, r.URL.EscapedPath(), r.URL.RawQuery, header, body); err != nil {
			write(w, directory.Unauthorized(err))
			return
		}
		write(w, dir.Serve(r.Context(), directory.Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, Authenticated: true,
		}))
	})
}

func write(w http.ResponseWriter, resp directory.Response) {
	h := w.Header()
	h.Set("Content-Type", directory.ContentType)
	h.Set("Cache-Control", "no-store")
	if resp.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(resp.RetryAfter))
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
