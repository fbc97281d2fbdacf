package refcell

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/workload/state"
)

// Tracing (Config.Tracing): a server span per signed request and a child
// span around each state store call. The request's traceparent is
// continued because the request is edge-signed: whoever signed it (the
// router server or the edge Worker) set traceparent itself, replacing any
// a client sent. /healthz and refused requests are not traced. With
// tracing off (c.tracer nil) nothing here runs but a nil check.

// Span names and attribute keys: a contract with trace queries and the
// README. The keys the router's spans carry too are internal/tracing's.
const (
	spanRequest = "cell.request"
	spanStore   = "cell.store"

	AttrTenant    = tracing.AttrTenant
	AttrCell      = tracing.AttrCell
	AttrCloud     = tracing.AttrCloud
	AttrRegion    = tracing.AttrRegion
	AttrOperation = attribute.Key("cellfabric.operation")
	AttrStore     = attribute.Key("cellfabric.store")
	AttrStoreOp   = attribute.Key("cellfabric.store.operation")
	AttrMethod    = tracing.AttrMethod
	AttrStatus    = tracing.AttrStatus
	AttrRequestID = tracing.AttrRequestID
)

// operation names what a request asks of the cell: kv.get, kv.put,
// kv.delete, kv.list, or echo.
func operation(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, "/kv/")
	if !ok && r.URL.Path != "/kv" {
		return "echo"
	}
	if rest == "" {
		return "kv.list"
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return "kv.get"
	case http.MethodPut:
		return "kv.put"
	case http.MethodDelete:
		return "kv.delete"
	}
	return "kv.other"
}

// traced serves a signed request for tenant inside its server span.
func (c *Cell) traced(w http.ResponseWriter, r *http.Request, tenant string, serve func(http.ResponseWriter, *http.Request)) {
	ctx := tracing.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := c.tracer.Start(ctx, spanRequest, trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	if aw, ok := w.(*accessWriter); ok {
		aw.span = span.SpanContext()
	}
	if !span.IsRecording() {
		serve(w, r.WithContext(ctx))
		return
	}
	span.SetAttributes(
		AttrTenant.String(tenant), AttrOperation.String(operation(r)), AttrStore.String(c.cfg.StoreKind),
		AttrCell.String(c.cfg.CellID), AttrCloud.String(c.cfg.Cloud), AttrRegion.String(c.cfg.Region),
		AttrMethod.String(r.Method), AttrRequestID.String(r.Header.Get("X-Request-ID")),
	)
	sw := &statusWriter{ResponseWriter: w}
	serve(sw, r.WithContext(ctx))
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	span.SetAttributes(AttrStatus.Int(status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// storeSpan starts the span of one state store call (op: get, put,
// delete, list) under ctx's; call the returned function with the call's
// error. Without tracing it returns ctx and a function that does nothing.
func (c *Cell) storeSpan(ctx context.Context, op string) (context.Context, func(error)) {
	if c.tracer == nil {
		return ctx, noEnd
	}
	ctx, span := c.tracer.Start(ctx, spanStore, trace.WithSpanKind(trace.SpanKindClient))
	if !span.IsRecording() {
		return ctx, func(error) { span.End() }
	}
	span.SetAttributes(AttrStore.String(c.cfg.StoreKind), AttrStoreOp.String(op))
	return ctx, func(err error) {
		// A missing key or a failed condition is an answer, not a fault.
		if err != nil && !errors.Is(err, state.ErrNotFound) && !errors.Is(err, state.ErrPrecondition) {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

func noEnd(error) {}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
