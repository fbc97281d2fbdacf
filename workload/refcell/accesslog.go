package refcell

import (
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/cellfabric/cellfabric/internal/logattr"
)

// The access log (on unless Config.AccessLogOff): one info line per signed
// request, written once the response is, with the attribute names the
// router's log lines and the spans use (internal/logattr):
//
//	{"time":…,"level":"INFO","msg":"request served","cellfabric.tenant":"acme",
//	 "cellfabric.cell":"aws-use1","cloud":"aws","region":"us-east-1",
//	 "operation":"kv.get","status":200,"duration_ms":0.412,"request_id":"…",
//	 "trace_id":"…","span_id":"…"}
//
// trace_id and span_id are the cell's server span's, present when the cell
// traces (Config.Tracing) and the request's trace context is valid,
// sampled or not. The line is logged with a context holding that span, so
// a handler that writes trace fields of its own (Cloud Logging's,
// internal/logattr/cloudlogging) finds it.
//
// A request refused for its signature gets no access line: the tenant it
// names is unverified, and the refusal is logged on its own (reject),
// without it. /healthz and the state admin API are not logged either.
// Logging never fails a request: the line is written after the response,
// and a handler's error is ignored.

// accessMsg is the access log line's message.
const accessMsg = "request served"

// maxLoggedRequestID bounds the request id written to the log. The router
// and the edge Worker keep ids of at most 128 plain characters
// (router.RequestID); a request that bypassed both cannot make the line
// longer than that.
const maxLoggedRequestID = 128

// accessWriter records, for the access log, what the response and the
// verified request turned out to be.
type accessWriter struct {
	statusWriter
	signed bool              // the signature verified; tenant is the one it covers
	tenant string            // set by serveSigned
	span   trace.SpanContext // the server span's, set by traced
}

// serveLogged serves a request that needs a signature and logs its access
// line when the signature verified.
func (c *Cell) serveLogged(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	aw := &accessWriter{statusWriter: statusWriter{ResponseWriter: w}}
	c.verified.ServeHTTP(aw, r)
	if aw.signed {
		c.logAccess(r, aw, time.Since(start))
	}
}

// logAccess writes the access line of a signed request that took d.
func (c *Cell) logAccess(r *http.Request, aw *accessWriter, d time.Duration) {
	ctx := r.Context()
	if !c.cfg.Logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	status := aw.status
	if status == 0 {
		status = http.StatusOK
	}
	id := r.Header.Get("X-Request-ID")
	if len(id) > maxLoggedRequestID {
		id = id[:maxLoggedRequestID]
	}
	base := [...]slog.Attr{
		slog.String(logattr.Tenant, aw.tenant),
		slog.String(logattr.Cell, c.cfg.CellID),
		slog.String(logattr.Cloud, c.cfg.Cloud),
		slog.String(logattr.Region, c.cfg.Region),
		slog.String(logattr.Operation, operation(r)),
		slog.Int(logattr.Status, status),
		slog.Float64(logattr.DurationMS, float64(d.Microseconds())/1000),
		slog.String(logattr.RequestID, id),
	}
	if !aw.span.IsValid() {
		c.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, accessMsg, base[:]...)
		return
	}
	ctx = trace.ContextWithSpanContext(ctx, aw.span)
	c.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, accessMsg, append(base[:],
		slog.String(logattr.TraceID, aw.span.TraceID().String()),
		slog.String(logattr.SpanID, aw.span.SpanID().String()))...)
}
