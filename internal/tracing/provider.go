package tracing

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Provider is a configured tracer provider. A nil *Provider means tracing
// is off; its methods are safe to call on nil.
type Provider struct {
	tp   *sdktrace.TracerProvider
	proc *processor
}

// Propagator is the W3C Trace Context propagator (traceparent and
// tracestate) the servers use.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// New builds the provider. With Sample 0 it returns nil, nil: tracing off.
// ctx bounds nothing that runs later; no connection is made here.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Sample == 0 {
		return nil, nil
	}
	cfg = cfg.withDefaults()
	exp := cfg.Exporter
	if exp == nil {
		u, err := tracesURL(cfg.Endpoint)
		if err != nil {
			return nil, err
		}
		exp, err = otlptracehttp.New(ctx,
			otlptracehttp.WithEndpointURL(u),
			// A failed export is not retried: its spans are dropped and
			// counted, and the queue behind it keeps moving.
			otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
			otlptracehttp.WithTimeout(cfg.ExportTimeout),
		)
		if err != nil {
			return nil, fmt.Errorf("tracing: OTLP/HTTP exporter for %s: %w", u, err)
		}
	}
	attrs := append([]attribute.KeyValue{attribute.String("service.name", cfg.Service)}, cfg.Attributes...)
	proc := newProcessor(exp, cfg)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(resource.NewSchemaless(attrs...)),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Sample))),
		sdktrace.WithSpanProcessor(proc),
	)
	return &Provider{tp: tp, proc: proc}, nil
}

// Tracer returns the named tracer; nil on a nil Provider.
func (p *Provider) Tracer(name string) trace.Tracer {
	if p == nil {
		return nil
	}
	return p.tp.Tracer(name)
}

// Dropped counts the spans that were recorded but not exported: the queue
// was full, an export failed, or they ended after Shutdown.
func (p *Provider) Dropped() uint64 {
	if p == nil {
		return 0
	}
	return p.proc.dropped.Load()
}

// Exported counts the spans the collector accepted.
func (p *Provider) Exported() uint64 {
	if p == nil {
		return 0
	}
	return p.proc.exported.Load()
}

// ForceFlush exports what is queued, within ctx.
func (p *Provider) ForceFlush(ctx context.Context) error {
	if p == nil {
		return nil
	}
	return p.tp.ForceFlush(ctx)
}

// Shutdown exports what is queued, within ctx, and stops the provider;
// spans that end later are dropped.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("tracing: shutting down: %w", err)
	}
	return nil
}
