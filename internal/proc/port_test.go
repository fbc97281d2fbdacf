package proc

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestFreePortBelowTheEphemeralPorts: every port FreePort returns is free
// and below the ports the kernel gives to sockets bound to port 0, so that
// no such socket (a test server beside) can take it before the helper
// process binds it. Not parallel: a test starting a process beside it
// forks while one of FreePort's listeners is open, and the child holds it
// until it execs, so binding the port again right away fails then.
func TestFreePortBelowTheEphemeralPorts(t *testing.T) {
	low := ephemeralLow()
	if low-lowestPicked < pickTries {
		t.Fatalf("this machine's ephemeral ports start at %d: no room below for FreePort to test", low)
	}
	seen := map[int]bool{}
	for range 50 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if port < lowestPicked || port >= low {
			t.Fatalf("FreePort gave %d, want a port in [%d, %d)", port, lowestPicked, low)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("FreePort gave %d, which is not free: %v", port, err)
		}
		l.Close()
		seen[port] = true
	}
	if len(seen) < 40 {
		t.Errorf("50 calls gave only %d different ports: callers beside each other would collide", len(seen))
	}
}

func TestEphemeralLow(t *testing.T) {
	old := ephemeralRangeFile
	t.Cleanup(func() { ephemeralRangeFile = old })
	dir := t.TempDir()
	for content, want := range map[string]int{
		"40000\t60999\n": 40000,
		"1024 65535":     1024,
		"":               defaultEphemeralLow,
		"low high":       defaultEphemeralLow,
	} {
		ephemeralRangeFile = filepath.Join(dir, "range")
		if err := os.WriteFile(ephemeralRangeFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := ephemeralLow(); got != want {
			t.Errorf("range file %q: first ephemeral port %d, want %d", content, got, want)
		}
	}
	ephemeralRangeFile = filepath.Join(dir, "missing")
	if got := ephemeralLow(); got != defaultEphemeralLow {
		t.Errorf("no range file: %d, want %d", got, defaultEphemeralLow)
	}
}
