package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/cellfabric/cellfabric/internal/tracing"
)

// Service names the data plane's servers export their spans under.
const (
	traceServiceRouter = "cellfabric-router"
	traceServiceCell   = "cellfabric-cell"
	// traceShutdown bounds the export of the last spans at exit.
	traceShutdown = 5 * time.Second
)

// traceOptions are the tracing flags of route, cell and local.
type traceOptions struct {
	endpoint string
	sample   float64
}

// bind adds --trace-endpoint and --trace-sample (default sample) to fs.
func (t *traceOptions) bind(fs *flag.FlagSet, sample float64, sampleHelp string) {
	fs.StringVar(&t.endpoint, "trace-endpoint", "", "OTLP/HTTP `URL` of the collector traces are exported to, e.g. http://127.0.0.1:4318 (/v1/traces is added to a URL without a path); default $"+tracing.EnvTracesEndpoint+", else $"+tracing.EnvEndpoint)
	fs.Float64Var(&t.sample, "trace-sample", sample, sampleHelp)
}

// provider builds the tracer provider of service (nil when the sample is
// 0: tracing off).
func (t traceOptions) provider(ctx context.Context, service string, getenv func(string) string, logger *slog.Logger, attrs ...attribute.KeyValue) (*tracing.Provider, error) {
	p, err := tracing.New(ctx, tracing.Config{
		Service: service, Sample: t.sample, Endpoint: tracing.Endpoint(t.endpoint, getenv),
		Attributes: attrs, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	if p != nil {
		logger.Info("tracing on", "service", service, "sample", t.sample, "endpoint", tracing.Endpoint(t.endpoint, getenv))
	}
	return p, nil
}

// shutdownTracing exports the last spans of p, if any, within
// traceShutdown.
func shutdownTracing(p *tracing.Provider, name string, stderr io.Writer) {
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), traceShutdown)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "cellfabric %s: %v\n", name, err)
	}
}

// cellTraceAttrs are a cell's resource attributes.
func cellTraceAttrs(id, cloud, region string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("cellfabric.cell", id), attribute.String("cellfabric.cloud", cloud), attribute.String("cellfabric.region", region),
		attribute.String("cloud.provider", cloud), attribute.String("cloud.region", region),
	}
}
