//go:build !(js && wasm)

package main

import (
	"encoding/binary"
	"regexp"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
)

var traceparentRE = regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$`)

// TestTraceparentReplacesTheClients: every attempt carries the Worker's
// new traceparent, the same for all attempts of a request, never the
// client's, and a new trace for the next request.
func TestTraceparentReplacesTheClients(t *testing.T) {
	t.Parallel()
	e, _, _ := newTestEdge(t, `{"traceSample":1}`)
	n := uint64(0)
	e.rand = func() uint64 { n++; return n * 0x9e3779b97f4a7c15 }
	const client = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	up := &fakeUpstream{answers: map[string]any{"cell-a": 503}}
	res := e.serve(inbound{Method: "GET", URL: "https://x.example/orders", Header: headers{"X-Tenant-Id": "acme", "Traceparent": client}}, up)
	if len(up.attempts) != 2 {
		t.Fatalf("%d attempts, want 2", len(up.attempts))
	}
	tp := up.attempts[0].Traceparent
	if !traceparentRE.MatchString(tp) || tp[3:35] == client[3:35] || tp != res.Traceparent {
		t.Fatalf("traceparent %q (result %q): want a new, well-formed one, not the client's %q", tp, res.Traceparent, client)
	}
	if up.attempts[1].Traceparent != tp {
		t.Errorf("retry sent %q, want the request's %q", up.attempts[1].Traceparent, tp)
	}
	if tp[53:] != "01" {
		t.Errorf("traceSample 1: flags %q, want 01", tp[53:])
	}
	up2 := &fakeUpstream{}
	e.serve(inbound{Method: "GET", URL: "https://x.example/orders", Header: headers{"X-Tenant-Id": "acme"}}, up2)
	if got := up2.attempts[0].Traceparent; got[3:35] == tp[3:35] {
		t.Errorf("second request in the same trace %s", got)
	}
}

// TestTraceSampleDecision: the Worker's sampled flag is the OpenTelemetry
// SDK's TraceIDRatioBased decision for the same trace id and ratio, so a
// cell configured with that ratio would decide alike; 0 never samples.
func TestTraceSampleDecision(t *testing.T) {
	t.Parallel()
	for _, ratio := range []float64{0, 0.01, 0.25, 0.5, 1} {
		sdk := trace.TraceIDRatioBased(ratio)
		var sampledN int
		for i := range uint64(2000) {
			lo := i * 0x9e3779b97f4a7c15
			var id oteltrace.TraceID
			binary.BigEndian.PutUint64(id[0:], i+1)
			binary.BigEndian.PutUint64(id[8:], lo)
			want := sdk.ShouldSample(trace.SamplingParameters{TraceID: id}).Decision == trace.RecordAndSample
			if got := sampled(lo, ratio); got != want {
				t.Fatalf("ratio %v, trace id %s: sampled %v, the SDK says %v", ratio, id, got, want)
			}
			if want {
				sampledN++
			}
		}
		if ratio == 0 && sampledN != 0 {
			t.Errorf("ratio 0 sampled %d", sampledN)
		}
	}
	e, _, _ := newTestEdge(t, `{}`)
	if tp := e.traceparent(); tp[53:] != "00" {
		t.Errorf("default config: flags %q, want 00 (not sampled)", tp[53:])
	}
}

func TestFormatTraceparent(t *testing.T) {
	t.Parallel()
	var id [24]byte
	for i := range id {
		id[i] = byte(i + 1)
	}
	want := "00-0102030405060708090a0b0c0d0e0f10-1112131415161718-01"
	if got := formatTraceparent(id, true); got != want {
		t.Errorf("formatTraceparent = %q, want %q", got, want)
	}
	if got := formatTraceparent(id, false); got != want[:53]+"00" {
		t.Errorf("unsampled = %q", got)
	}
}
