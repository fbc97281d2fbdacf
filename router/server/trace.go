package server

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router"
)

// Tracing (Config.Tracing), the same for both engines: each engine calls
// traceStart when a request arrives, traceAttempt before each attempt and
// traceEnd when the request is answered; attemptFailed and attemptAnswered
// (attempt.go) end the attempt's span. Every call is behind a nil check of
// rt.tracer, so that with tracing off no tracing work is done on a
// request and W3C traceparent/tracestate pass through untouched.
//
// With tracing on, the router's server span continues the request's
// traceparent only when Config.TraceTrustIncoming says who sends it is
// trusted; otherwise it starts a new trace. Either way the client's
// traceparent and tracestate are replaced on the way to the cell by the
// attempt's own (tracestate kept only from a trusted parent), so that the
// cell's spans hang below the router's.

// Span names and attribute keys: a contract with trace queries and the
// README. The keys the cell's spans carry too are internal/tracing's.
const (
	spanRequest = "router.request"
	spanAttempt = "router.attempt"

	AttrTenant   = tracing.AttrTenant
	AttrCell     = tracing.AttrCell
	AttrCloud    = tracing.AttrCloud
	AttrRegion   = tracing.AttrRegion
	AttrReason   = attribute.Key("cellfabric.decision.reason")
	AttrAttempts = attribute.Key("cellfabric.attempts")
	AttrAttempt  = attribute.Key("cellfabric.attempt")
	AttrMethod   = tracing.AttrMethod
	AttrStatus   = tracing.AttrStatus
	AttrError    = attribute.Key("error.type")
	AttrRequest  = tracing.AttrRequestID
)

// The W3C header names as the two engines' header types key them.
const (
	hdrTraceparent = "Traceparent"
	hdrTracestate  = "Tracestate"
)

// traceStart starts the request's server span: a child of the incoming
// traceparent when it is trusted, else a new trace's root.
func (rt *Router) traceStart(st *reqState, in propagation.TextMapCarrier, method string) {
	ctx := context.Background()
	if rt.cfg.TraceTrustIncoming {
		ctx = tracing.Propagator.Extract(ctx, in)
	}
	st.spanCtx, st.span = rt.tracer.Start(ctx, spanRequest, trace.WithSpanKind(trace.SpanKindServer))
	if st.span.IsRecording() {
		st.span.SetAttributes(AttrMethod.String(method), AttrRequest.String(st.requestID))
	}
}

// traceAttempt starts the client span of the attempt to cell and writes
// its traceparent (and a trusted parent's tracestate) into out.
func (rt *Router) traceAttempt(st *reqState, cell *router.Cell, out propagation.TextMapCarrier) {
	if st.attempt != nil { // an attempt whose outcome was not reported
		st.attempt.End()
	}
	ctx, s := rt.tracer.Start(st.spanCtx, spanAttempt, trace.WithSpanKind(trace.SpanKindClient))
	st.attempt = s
	if s.IsRecording() {
		s.SetAttributes(AttrCell.String(cell.ID), AttrCloud.String(string(cell.Cloud)), AttrRegion.String(cell.Region), AttrAttempt.Int(st.attempts.Tried()))
	}
	tracing.Propagator.Inject(ctx, out)
}

// traceAttemptEnd ends the current attempt's span with the cell's answer
// (status) or the error that kept it from one; retried says the request
// goes on to another cell.
func (st *reqState) traceAttemptEnd(status int, err error, retried bool) {
	s := st.attempt
	if s == nil {
		return
	}
	st.attempt = nil
	if s.IsRecording() {
		if err != nil {
			s.SetAttributes(AttrError.String(classifyName(err)))
			s.SetStatus(codes.Error, err.Error())
		} else {
			s.SetAttributes(AttrStatus.Int(status))
			if status >= 500 {
				s.SetStatus(codes.Error, strconv.Itoa(status))
			}
		}
		s.SetAttributes(attribute.Bool("cellfabric.retried", retried))
	}
	s.End()
}

// classifyName is an attempt error's error.type: a timeout, or the
// connection's failure.
func classifyName(err error) string {
	if isTimeout(err) {
		return "timeout"
	}
	return "connection"
}

// traceEnd ends the request's server span with what happened to it.
func (rt *Router) traceEnd(st *reqState) {
	if st.attempt != nil { // an attempt cut short by its client
		st.attempt.SetStatus(codes.Error, "client fault")
		st.attempt.End()
		st.attempt = nil
	}
	s := st.span
	if s.IsRecording() {
		reason := string(st.reason)
		if reason == "" {
			reason = string(st.decision.Via)
		}
		attrs := []attribute.KeyValue{AttrStatus.Int(st.status), AttrAttempts.Int(st.attempts.Tried())}
		if st.tenant != "" {
			attrs = append(attrs, AttrTenant.String(st.tenant))
		}
		if reason != "" {
			attrs = append(attrs, AttrReason.String(reason))
		}
		if c := st.cell; c != nil {
			attrs = append(attrs, AttrCell.String(c.ID), AttrCloud.String(string(c.Cloud)), AttrRegion.String(c.Region))
		}
		s.SetAttributes(attrs...)
		if st.status >= 500 {
			s.SetStatus(codes.Error, reason)
		}
	}
	s.End()
}

// fastCarrier is a propagation.TextMapCarrier over a fasthttp request
// header: the incoming one (Get) or the one sent to the cell (Set).
type fastCarrier struct{ h *fasthttp.RequestHeader }

var _ propagation.TextMapCarrier = fastCarrier{}

func (c fastCarrier) Get(key string) string { return string(c.h.Peek(key)) }
func (c fastCarrier) Set(key, value string) { c.h.Set(key, value) }
func (c fastCarrier) Keys() []string {
	var keys []string
	for k := range c.h.All() {
		keys = append(keys, string(k))
	}
	return keys
}

// Tracing returns the router's tracer provider (Config.Tracing), nil when
// tracing is off.
func (rt *Router) Tracing() *tracing.Provider { return rt.cfg.Tracing }

// log is l with the request's tenant and request id, and — when a trace
// is active — its trace id and the router's span id, so a router log line
// leads to the request's trace (the cells' access lines carry the same
// keys, internal/logattr). Only the lines of failures and retries use it:
// nothing is logged per request on the way through.
func (st *reqState) log(l *slog.Logger) *slog.Logger {
	args := []any{logattr.Tenant, st.tenant, logattr.RequestID, st.requestID}
	if st.span != nil {
		if sc := st.span.SpanContext(); sc.IsValid() {
			args = append(args, logattr.TraceID, sc.TraceID().String(), logattr.SpanID, sc.SpanID().String())
		}
	}
	return l.With(args...)
}
