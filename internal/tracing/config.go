package tracing

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Environment variables read by Endpoint (the OpenTelemetry SDK's own).
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// Defaults, in one place.
const (
	// DefaultQueueSize is how many ended spans wait for export at most;
	// beyond it spans are dropped.
	DefaultQueueSize = 4096
	// DefaultBatchSize is the most spans one export sends.
	DefaultBatchSize = 512
	// DefaultBatchTimeout is the longest a span waits for its batch.
	DefaultBatchTimeout = 2 * time.Second
	// DefaultExportTimeout bounds one export (one HTTP request to the
	// collector). Failed exports are not retried: the spans are dropped.
	DefaultExportTimeout = 5 * time.Second
	// tracesPath is what a base endpoint gets, as with
	// OTEL_EXPORTER_OTLP_ENDPOINT.
	tracesPath = "/v1/traces"
)

// Config configures a Provider. Zero values mean the defaults.
type Config struct {
	// Service is the service.name resource attribute, e.g.
	// "cellfabric-router". Required.
	Service string
	// Sample is the share of new traces recorded, 0..1 (a parent-based
	// ratio sampler: a span with a parent follows the parent's decision;
	// a root is recorded when its trace id falls within Sample). Zero
	// (the default): tracing is off and New returns nil.
	Sample float64
	// Endpoint is the OTLP/HTTP collector URL (see the package
	// documentation; Endpoint resolves the flag and the environment).
	// Required when Sample > 0, unless Exporter is set.
	Endpoint string
	// Attributes are added to the resource (e.g. the cell's id, cloud and
	// region). Default none.
	Attributes []attribute.KeyValue
	// Logger receives the warnings about dropped spans. Default discard.
	Logger *slog.Logger
	// QueueSize, BatchSize, BatchTimeout and ExportTimeout tune the span
	// processor; defaults DefaultQueueSize, DefaultBatchSize,
	// DefaultBatchTimeout, DefaultExportTimeout.
	QueueSize     int
	BatchSize     int
	BatchTimeout  time.Duration
	ExportTimeout time.Duration
	// Exporter, when set, replaces the OTLP/HTTP exporter (tests use the
	// SDK's in-memory exporter). Default nil: OTLP/HTTP to Endpoint.
	Exporter sdktrace.SpanExporter
}

// Endpoint returns the traces endpoint: flag when set, else
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT
// (getenv is os.Getenv in a program). "" when none is set.
func Endpoint(flag string, getenv func(string) string) string {
	for _, v := range []string{flag, getenv(EnvTracesEndpoint), getenv(EnvEndpoint)} {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// Validate reports every problem of c at once, with the flag it comes from.
func (c Config) Validate() error {
	var errs []error
	if c.Sample < 0 || c.Sample > 1 || c.Sample != c.Sample {
		errs = append(errs, fmt.Errorf("--trace-sample %v: want a ratio from 0 (off) to 1 (every request)", c.Sample))
	}
	if c.Service == "" {
		errs = append(errs, errors.New("tracing: a service name is required"))
	}
	if c.Sample > 0 && c.Exporter == nil {
		if c.Endpoint == "" {
			errs = append(errs, fmt.Errorf("--trace-sample %v needs a collector: pass --trace-endpoint URL (OTLP/HTTP, e.g. http://127.0.0.1:4318) or set %s", c.Sample, EnvEndpoint))
		} else if _, err := tracesURL(c.Endpoint); err != nil {
			errs = append(errs, err)
		}
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"queue size", int64(c.QueueSize)}, {"batch size", int64(c.BatchSize)}, {"batch timeout", int64(c.BatchTimeout)}, {"export timeout", int64(c.ExportTimeout)}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("tracing: %s is negative", n.name))
		}
	}
	return errors.Join(errs...)
}

// tracesURL returns the URL spans are posted to: endpoint as given when it
// has a path, else with /v1/traces.
func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--trace-endpoint %q: want an http or https URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = tracesPath
	}
	return u.String(), nil
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.ExportTimeout == 0 {
		c.ExportTimeout = DefaultExportTimeout
	}
	return c
}
