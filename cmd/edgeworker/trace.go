package main

import (
	"encoding/binary"
	"encoding/hex"
)

// The Worker's part of tracing: it starts the trace. For every request it
// forwards, it makes a new W3C trace context — a random 16-byte trace id
// and a random 8-byte span id that stands for the Worker's own span — and
// sends it to the cell as traceparent, in place of anything the client
// sent (the client's traceparent and tracestate are removed in
// newUpstream). A client's trace id is never continued: the cells trust
// the traceparent of a request the edge signed, so what arrives there must
// be the edge's own, or a client could choose the cell's parent span,
// join other requests' traces and force sampling on.
//
// The signature does not cover traceparent: edgeauth's v1 canonical form
// has a fixed set of lines, and a v1 verifier would refuse a signature
// over one more. The cells trust the header because the request is
// edge-signed and the edge set it; TLS keeps it intact in transit.
//
// Sampling is the edge's head decision: the sampled flag is set when the
// trace id falls within edgeconf.Config.TraceSample, by the rule of the
// OpenTelemetry SDK's TraceIDRatioBased sampler (the trace id's last 8
// bytes, shifted right by one, below ratio×2^63), and the cells' parent-
// based samplers follow it. The Worker links no tracing SDK (nor
// net/http): it only writes this header. Its own spans are reported by
// Cloudflare (README, "Tracing").

// traceparent returns a new trace's traceparent for one request.
func (e *edge) traceparent() string {
	var id [24]byte // trace id (16 bytes), then span id (8)
	for {
		binary.BigEndian.PutUint64(id[0:], e.rand())
		binary.BigEndian.PutUint64(id[8:], e.rand())
		binary.BigEndian.PutUint64(id[16:], e.rand())
		// All-zero ids are invalid; with 64 random bits each, this loop
		// runs once.
		if binary.BigEndian.Uint64(id[0:])|binary.BigEndian.Uint64(id[8:]) != 0 && binary.BigEndian.Uint64(id[16:]) != 0 {
			break
		}
	}
	return formatTraceparent(id, sampled(binary.BigEndian.Uint64(id[8:16]), e.cfg.TraceSample))
}

// sampled applies the TraceIDRatioBased rule to the trace id's low 8
// bytes.
func sampled(low uint64, ratio float64) bool {
	switch {
	case ratio >= 1:
		return true
	case ratio <= 0:
		return false
	}
	return low>>1 < uint64(ratio*(1<<63))
}

// formatTraceparent writes version 00 of the header: 00-<trace id>-<span
// id>-<flags>.
func formatTraceparent(id [24]byte, sampled bool) string {
	var b [55]byte
	copy(b[:], "00-")
	hex.Encode(b[3:35], id[:16])
	b[35] = '-'
	hex.Encode(b[36:52], id[16:])
	copy(b[52:], "-00")
	if sampled {
		b[54] = '1'
	}
	return string(b[:])
}
