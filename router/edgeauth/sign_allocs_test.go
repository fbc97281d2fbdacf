//go:build !race

// The race detector makes sync.Pool drop what it is given at random (to
// shake out races), so the pooled signer allocates under -race by design;
// this test runs in the ordinary test run (make test's test-go) only.

package edgeauth

import "testing"

// TestAppendSignAllocs: signing into a buffer with room allocates nothing,
// with an epoch (v2) or without (v1).
func TestAppendSignAllocs(t *testing.T) {
	s, _ := NewSigner(k1, nil)
	for _, epoch := range []int64{0, 1_234_567} {
		m := Message{Method: "GET", Host: "127.0.0.1:19101", Path: "/", Tenant: "bench", Epoch: epoch}
		buf := make([]byte, 0, 256)
		s.AppendSign(buf, m) // fill the pool
		if n := testing.AllocsPerRun(100, func() { buf = s.AppendSign(buf[:0], m) }); n != 0 {
			t.Errorf("AppendSign with epoch %d: %v allocations per call, want 0", epoch, n)
		}
	}
}
