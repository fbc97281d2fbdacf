package tracing

import (
	"context"
	"errors"
	"math"
	"net"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "off", cfg: Config{Service: "s"}},
		{name: "on with endpoint", cfg: Config{Service: "s", Sample: 0.01, Endpoint: "http://127.0.0.1:4318"}},
		{name: "on with exporter", cfg: Config{Service: "s", Sample: 1, Exporter: tracetest.NewInMemoryExporter()}},
		{name: "ratio over 1", cfg: Config{Service: "s", Sample: 1.5, Endpoint: "http://127.0.0.1:4318"}, wantErr: "--trace-sample 1.5"},
		{name: "negative ratio", cfg: Config{Service: "s", Sample: -0.1}, wantErr: "--trace-sample -0.1"},
		{name: "NaN ratio", cfg: Config{Service: "s", Sample: math.NaN()}, wantErr: "--trace-sample NaN"},
		{name: "on without endpoint", cfg: Config{Service: "s", Sample: 0.5}, wantErr: "needs a collector"},
		{name: "endpoint not a URL", cfg: Config{Service: "s", Sample: 0.5, Endpoint: "127.0.0.1:4318"}, wantErr: "--trace-endpoint"},
		{name: "no service", cfg: Config{Sample: 0}, wantErr: "service name"},
		{name: "negative queue", cfg: Config{Service: "s", QueueSize: -1}, wantErr: "queue size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name, flag string
		env        map[string]string
		want       string
		wantURL    string
	}{
		{name: "flag wins", flag: "http://a:4318", env: map[string]string{EnvEndpoint: "http://b:4318"}, want: "http://a:4318", wantURL: "http://a:4318/v1/traces"},
		{name: "traces variable", env: map[string]string{EnvEndpoint: "http://b:4318", EnvTracesEndpoint: "http://c:4318/custom"}, want: "http://c:4318/custom", wantURL: "http://c:4318/custom"},
		{name: "generic variable", env: map[string]string{EnvEndpoint: "http://b:4318/"}, want: "http://b:4318/", wantURL: "http://b:4318/v1/traces"},
		{name: "none", env: map[string]string{}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Endpoint(tt.flag, env(tt.env))
			if got != tt.want {
				t.Fatalf("Endpoint = %q, want %q", got, tt.want)
			}
			if tt.wantURL != "" {
				if u, err := tracesURL(got); err != nil || u != tt.wantURL {
					t.Errorf("tracesURL(%q) = %q, %v, want %q", got, u, err, tt.wantURL)
				}
			}
		})
	}
}

func TestNewOffIsNil(t *testing.T) {
	t.Parallel()
	p, err := New(context.Background(), Config{Service: "s", Endpoint: "http://127.0.0.1:4318"})
	if err != nil || p != nil {
		t.Fatalf("New with Sample 0 = %v, %v; want nil, nil", p, err)
	}
	// A nil provider's methods are safe.
	if p.Tracer("x") != nil || p.Dropped() != 0 || p.Shutdown(context.Background()) != nil {
		t.Error("nil provider methods")
	}
}

// failingExporter refuses every export, as a collector that is down does.
type failingExporter struct{}

func (failingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("connection refused")
}
func (failingExporter) Shutdown(context.Context) error { return nil }

// TestExportFailuresAreCounted: spans whose export fails are dropped and
// counted, and ending a span never blocks, also with a full queue.
func TestExportFailuresAreCounted(t *testing.T) {
	t.Parallel()
	p, err := New(context.Background(), Config{Service: "s", Sample: 1, Exporter: failingExporter{}, QueueSize: 4, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	tr := p.Tracer("test")
	for range 50 {
		_, s := tr.Start(context.Background(), "x")
		s.End()
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.Dropped(); got != 50 {
		t.Errorf("Dropped = %d, want 50 (every span lost, to a full queue or a failed export)", got)
	}
	if p.Exported() != 0 {
		t.Errorf("Exported = %d, want 0", p.Exported())
	}
}

// TestOTLPEndpointDown: the real OTLP/HTTP exporter pointed at a closed
// port drops and counts the spans.
func TestOTLPEndpointDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p, err := New(context.Background(), Config{Service: "s", Sample: 1, Endpoint: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.Tracer("test").Start(context.Background(), "x")
	s.End()
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Dropped() != 1 || p.Exported() != 0 {
		t.Errorf("Dropped = %d, Exported = %d; want 1, 0", p.Dropped(), p.Exported())
	}
	_ = p.Shutdown(context.Background())
}

// TestSampledExported: with an exporter that accepts, spans arrive and
// nothing is dropped; unsampled spans (a parent that said no) are not
// queued.
func TestSampledExported(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	p, err := New(context.Background(), Config{Service: "s", Sample: 1, Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.Tracer("test").Start(context.Background(), "x")
	s.End()
	// ForceFlush, not Shutdown: the in-memory exporter forgets its spans
	// when shut down.
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(exp.GetSpans()); got != 1 || p.Exported() != 1 || p.Dropped() != 0 {
		t.Errorf("spans %d, exported %d, dropped %d; want 1, 1, 0", got, p.Exported(), p.Dropped())
	}
}
