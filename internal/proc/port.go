package proc

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Where FreePort looks for a port: from lowestPicked up to the first port
// the kernel hands out to sockets bound to port 0 (defaultEphemeralLow
// when the system does not say).
const (
	lowestPicked        = 10000
	defaultEphemeralLow = 32768 // Linux's default; macOS and Windows start at 49152
	pickTries           = 100
)

// ephemeralRangeFile is where Linux keeps the range of ephemeral ports.
var ephemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// FreePort returns a TCP port of 127.0.0.1 that nothing listens on at the
// moment of the call, for a helper process that must be told its port.
// The port is below the range the kernel hands out to sockets bound to
// port 0 (the ephemeral ports), so between this call and the helper's bind
// no listener of this or another program on port 0, and no outgoing
// connection, can be given it: a port the kernel chose, closed and passed
// on was taken so by a test's server running beside, and the helper's
// caller then talked to that server. Another program picking ports in the
// same range may still take it; check that what answers is the helper (as
// the emulators' ready functions do), and listen on 127.0.0.1:0 where the
// code under test can.
func FreePort() (int, error) {
	if low := ephemeralLow(); low-lowestPicked >= pickTries {
		for range pickTries {
			port := lowestPicked + rand.IntN(low-lowestPicked)
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				l.Close()
				return port, nil
			}
		}
	}
	// No room below the ephemeral ports (or all of it in use): the
	// kernel's choice, which a port-0 listener may take again.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the first ephemeral port: Linux's ip_local_port_range,
// or defaultEphemeralLow where that cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return defaultEphemeralLow
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return defaultEphemeralLow
	}
	low, err := strconv.Atoi(f[0])
	if err != nil || low <= 0 {
		return defaultEphemeralLow
	}
	return low
}
