// Package tracingtest runs a real OpenTelemetry Collector receiver for
// tests: the collector's own OTLP receiver (HTTP only) on loopback,
// delivering to the collector's consumertest sink, so that tests check what
// a collector really received from the router, the reference cell or the
// edge. It is imported by tests only.
package tracingtest

import (
	"context"
	"net"
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/cellfabric/cellfabric/internal/proc"
)

// Collector is a running OTLP/HTTP receiver.
type Collector struct {
	// URL is its base URL (http://127.0.0.1:PORT): what --trace-endpoint
	// takes.
	URL  string
	sink *consumertest.TracesSink
}

// Start runs a collector receiver until the test ends.
func Start(t testing.TB) *Collector {
	t.Helper()
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
	h := *cfg.Protocols.HTTP.GetOrInsertDefault()
	addr := FreeAddr(t)
	h.ServerConfig.NetAddr.Endpoint = addr
	cfg.Protocols.HTTP = configoptional.Some(h)
	sink := new(consumertest.TracesSink)
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return &Collector{URL: "http://" + addr, sink: sink}
}

// FreeAddr is a loopback address nothing listens on (yet): for a receiver,
// or for a collector that is down. Its port is below the kernel's
// ephemeral ports (proc.FreePort), so that no test server bound to port 0
// beside it is given the port meanwhile.
func FreeAddr(t testing.TB) string {
	t.Helper()
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// Span is a received span with its resource's attributes.
type Span struct {
	ptrace.Span
	// Resource holds the resource's string attributes (service.name,
	// cellfabric.cell, ...).
	Resource map[string]string
}

// Service is the span's service.name.
func (s Span) Service() string { return s.Resource["service.name"] }

// Attr returns the span's attribute k as a string, "" when absent.
func (s Span) Attr(k string) string {
	v, ok := s.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

// Spans returns every span received so far. The receiver hands spans to
// the sink before it answers an export, so after a successful flush of
// the exporter they are here.
func (c *Collector) Spans() []Span {
	var out []Span
	for _, td := range c.sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			res := map[string]string{}
			for k, v := range rs.Resource().Attributes().All() {
				res[k] = v.AsString()
			}
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < ss.Len(); k++ {
					out = append(out, Span{Span: ss.At(k), Resource: res})
				}
			}
		}
	}
	return out
}

// Named returns the spans called name.
func Named(spans []Span, name string) []Span {
	var out []Span
	for _, s := range spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}
