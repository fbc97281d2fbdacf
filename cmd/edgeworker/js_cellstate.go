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

// serveCellState answers a request on the route to a cell's state API
// (cellstate.go): it reads the body (at most maxCellStateBody, 413
// beyond), has it verified and signed for the cell, and passes the cell's
// Response on as it comes — its body a stream, never read here.
func (h *handlers) serveCellState(req js.Value, u *url.URL) js.Value {
	body, err := readBody(req, maxCellStateBody)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return controlResponse(directory.ErrorResponse(&directory.Error{Status: 413, Reason: directory.ReasonBodyTooLarge,
			Msg: "the request body is over " + strconv.Itoa(maxCellStateBody) + " bytes, the most a cell's state API takes: send smaller imports"}))
	case err != nil:
		return controlResponse(directory.ErrorResponse(&directory.Error{Status: 400, Reason: directory.ReasonMalformed,
			Msg: "the request body could not be read (" + err.Error() + "): send the whole body"}))
	}
	headers := jsHeaders{req.Get("headers")}
	method := req.Get("method").String()
	t, refusal := h.edge.cellState(controlRequest{Method: method, URL: u, Signature: headers.Get(edgeauth.SignatureHeader), Body: body})
	if refusal != nil {
		return controlResponse(*refusal)
	}
	hs := object(edgeauth.SignatureHeader, t.Signature)
	if ct := headers.Get("Content-Type"); ct != "" {
		hs.Set("Content-Type", ct)
	}
	init := object("method", method, "headers", hs, "redirect", "manual")
	if len(body) > 0 {
		init.Set("body", uint8Array(body))
	}
	resp, err := timedFetch(t.URL, init, t.Timeout, js.Null())
	if err != nil {
		h.logger.Warn("cell state request failed", "cell", t.Cell, "error", err)
		resp := controlRefusal(502, ReasonCellUnreachable, "cell "+t.Cell+" did not answer ("+err.Error()+"): check that it runs with its state API on (a control key), then retry")
		resp.RetryAfter = 1
		return controlResponse(resp)
	}
	out := js.Global().Get("Response").New(resp.Get("body"), object("status", resp.Get("status"), "statusText", resp.Get("statusText"), "headers", resp.Get("headers")))
	out.Get("headers").Call("set", "X-Cell-ID", t.Cell)
	return out
}
