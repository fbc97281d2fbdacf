package main

import (
	"strings"
	"testing"
)

// TestCommandFlags: every command answers -h with its usage and status 0,
// and a flag it does not know or a stray argument with its usage and
// status 2, before doing anything else.
func TestCommandFlags(t *testing.T) {
	t.Parallel()
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(name, "-h")
			if code != 0 || !strings.Contains(stderr, "usage: cellfabric "+name) {
				t.Errorf("-h: exit %d, stderr %q", code, stderr)
			}
			code, _, stderr = runCLI(name, "--no-such-flag")
			if code != 2 || !strings.Contains(stderr, "no-such-flag") {
				t.Errorf("unknown flag: exit %d, stderr %q", code, stderr)
			}
			code, _, stderr = runCLI(name, "stray")
			if code != 2 || !strings.Contains(stderr, "usage: cellfabric "+name) {
				t.Errorf("stray argument: exit %d, stderr %q", code, stderr)
			}
		})
	}
}
