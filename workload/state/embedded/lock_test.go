//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package embedded

import (
	"strings"
	"testing"
)

// TestOneStorePerDirectory: a second store over an open data directory is
// refused (its appends would interleave with the first's), and the
// directory is free again once the first is closed.
func TestOneStorePerDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := mustOpen(t, dir)
	if second, err := Open(dir, quiet); err == nil || !strings.Contains(err.Error(), "in use") {
		if second != nil {
			second.Close()
		}
		t.Fatalf("second open of %s: %v, want it refused as in use", dir, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir)
}
