package router

import (
	"strings"
	"testing"
)

// TestRequestID: a plain client id up to 128 characters is kept; anything
// else is replaced by 32 random hex digits.
func TestRequestID(t *testing.T) {
	t.Parallel()
	for in, keep := range map[string]bool{
		"abc-123": true, "trace:1.2_3": true, "": false, "has space": false, "<script>": false, strings.Repeat("a", 129): false, strings.Repeat("a", 128): true,
	} {
		got := RequestID(in)
		if (got == in) != keep {
			t.Errorf("RequestID(%q) = %q, keep %v", in, got, keep)
		}
		if !keep && len(got) != 32 {
			t.Errorf("RequestID(%q) made %q, want 32 hex digits", in, got)
		}
	}
	if a, b := RequestID(""), RequestID(""); a == b {
		t.Error("two made request ids are equal")
	}
}
