package server

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestIdentityCoding: a Transfer-Encoding field the parser accepted but
// did not apply is found in the raw head, whatever its case, and nothing
// else is taken for one.
func TestIdentityCoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields string
		want   bool
	}{
		{name: "identity", fields: "Transfer-Encoding: identity\r\n", want: true},
		{name: "identity in lower case", fields: "transfer-encoding: IDENTITY\r\n", want: true},
		{name: "identity with Content-Length", fields: "Content-Length: 4\r\nTransfer-Encoding: identity\r\n", want: true},
		{name: "chunked", fields: "Transfer-Encoding: chunked\r\n"},
		{name: "no Transfer-Encoding", fields: "Content-Length: 4\r\n"},
		{name: "a longer field name", fields: "X-Transfer-Encoding: identity\r\nTransfer-Encodings: identity\r\n"},
		{name: "the name in another field's value", fields: "X-Note: Transfer-Encoding: identity\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h fasthttp.RequestHeader
			raw := "POST / HTTP/1.1\r\nHost: x\r\n" + tt.fields + "\r\n"
			if err := h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
				t.Fatalf("parsing %q: %v", raw, err)
			}
			if got := identityCoding(&h); got != tt.want {
				t.Errorf("identityCoding(%q) = %v, want %v", tt.fields, got, tt.want)
			}
		})
	}
}
