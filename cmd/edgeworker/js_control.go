//go:build js && wasm

package main

import (
	"errors"
	"net/url"
	"strconv"
	"syscall/js"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// errBodyTooLarge is a control request body over directory.MaxBodyBytes.
var errBodyTooLarge = errors.New("the request body is too large")

// serveControl answers a request under directory.BasePath (control.go):
// it reads the body, at most directory.MaxBodyBytes (413 beyond), and
// answers with the control API's JSON.
func (h *handlers) serveControl(req js.Value, u *url.URL) js.Value {
	body, err := readBody(req, directory.MaxBodyBytes)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return controlResponse(directory.ErrorResponse(&directory.Error{Status: 413, Reason: directory.ReasonBodyTooLarge,
			Msg: "the request body is over " + strconv.Itoa(directory.MaxBodyBytes) + " bytes: send smaller batches"}))
	case err != nil:
		return controlResponse(directory.ErrorResponse(&directory.Error{Status: 400, Reason: directory.ReasonMalformed,
			Msg: "the request body could not be read (" + err.Error() + "): send the whole body"}))
	}
	sig := jsHeaders{req.Get("headers")}.Get(edgeauth.SignatureHeader)
	return controlResponse(h.edge.serveControl(controlRequest{Method: req.Get("method").String(), URL: u, Signature: sig, Body: body}))
}

// readBody reads a request's body whole, failing with errBodyTooLarge as
// soon as it is over max bytes.
func readBody(req js.Value, max int) ([]byte, error) {
	body := req.Get("body")
	if body.IsNull() || body.IsUndefined() {
		return nil, nil
	}
	reader, err := call(func() js.Value { return body.Call("getReader") })
	if err != nil {
		return nil, err
	}
	var out []byte
	for {
		chunk, err := callAwait(func() js.Value { return reader.Call("read") })
		if err != nil {
			return nil, err
		}
		if chunk.Get("done").Truthy() {
			return out, nil
		}
		b := bytesOf(chunk.Get("value"))
		if len(out)+len(b) > max {
			_, _ = call(func() js.Value { return reader.Call("cancel") })
			return nil, errBodyTooLarge
		}
		out = append(out, b...)
	}
}

// controlResponse is the Response of a control API answer.
func controlResponse(r directory.Response) js.Value {
	hs := object(
		"Content-Type", directory.ContentType,
		"X-Content-Type-Options", "nosniff",
		"Cache-Control", "no-store",
	)
	if r.RetryAfter > 0 {
		hs.Set("Retry-After", strconv.Itoa(r.RetryAfter))
	}
	return js.Global().Get("Response").New(uint8Array(r.Body), object("status", r.Status, "headers", hs))
}
