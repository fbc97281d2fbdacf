package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain gives the tests a cache directory of their own: `cellfabric
// local` writes its control key to the user's cache directory by default,
// and a test run must never replace the key of a local the user is running
// (nor read it).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cellfabric-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestTheUsersCacheIsLeftAlone: the key path local and tenants share by
// default is in the tests' own cache directory.
func TestTheUsersCacheIsLeftAlone(t *testing.T) {
	dir := os.Getenv("XDG_CACHE_HOME")
	if path := defaultLocalControlKeyFile(); dir == "" || !strings.HasPrefix(path, dir+string(os.PathSeparator)) {
		t.Fatalf("tests would write the control key to %q, outside their cache directory %q", path, dir)
	}
}
