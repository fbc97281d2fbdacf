package server

import (
	"context"
	"testing"

	"github.com/valyala/fasthttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router"
)

// BenchmarkTraceRequest is the tracing work of one request on the fasthttp
// engine (server span, one attempt with its traceparent written, the
// end), by sample ratio; "off" is the nil check alone.
func BenchmarkTraceRequest(b *testing.B) {
	cell := &router.Cell{ID: "bench", Cloud: "aws", Region: "us-east-1"}
	for _, tc := range []struct {
		name   string
		sample float64
	}{{"off", 0}, {"1%", 0.01}, {"100%", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := tracing.New(context.Background(), tracing.Config{Service: "bench", Sample: tc.sample, Exporter: discardExporter{}})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Shutdown(context.Background())
			rt := &Router{cfg: Config{Tracing: p}}
			if p != nil {
				rt.tracer = p.Tracer("bench")
			}
			var in, out fasthttp.RequestHeader
			in.Set("X-Tenant-ID", "bench")
			b.ReportAllocs()
			for b.Loop() {
				st := &reqState{requestID: "r", tenant: "bench", status: 200}
				if rt.tracer != nil {
					rt.traceStart(st, fastCarrier{&in}, "GET")
					rt.traceAttempt(st, cell, fastCarrier{&out})
					st.traceAttemptEnd(200, nil, false)
				}
				if st.span != nil {
					rt.traceEnd(st)
				}
			}
		})
	}
}

// discardExporter accepts and forgets spans.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }
