// Package tracing sets up OpenTelemetry tracing for the data plane's Go
// servers: the router (`cellfabric route`, router/server) and the
// reference cell (`cellfabric cell`, workload/refcell). It builds an SDK
// TracerProvider with a parent-based ratio sampler and an OTLP/HTTP
// exporter, behind a span processor that never makes a request wait: spans
// go to a bounded queue and are exported in batches from one goroutine;
// when the queue is full or an export fails (the collector is down, slow
// or refuses), the spans are dropped and counted (Provider.Dropped; the
// router serves the count on /metrics), and a warning is logged at most
// once a minute.
//
// Tracing is off unless a sample ratio above 0 is configured: New then
// returns a nil *Provider, and the servers check for nil before doing any
// tracing work on a request.
//
// The endpoint is an OTLP/HTTP URL: a base such as http://127.0.0.1:4318
// (the traces path /v1/traces is added, as for
// OTEL_EXPORTER_OTLP_ENDPOINT) or a full URL with a path. Endpoint reads
// the flag's value, else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
// OTEL_EXPORTER_OTLP_ENDPOINT. The exporter also honours the SDK's other
// OTEL_EXPORTER_OTLP_* variables (headers, compression, TLS files).
//
// It imports the standard library and the OpenTelemetry Go SDK, API and
// OTLP/HTTP trace exporter; never net/http-serving code of the router,
// and never Pulumi. The edge Worker (cmd/edgeworker) must not import it.
package tracing
