package proc

import (
	"fmt"
	"net"
)

// FreePort returns a TCP port of 127.0.0.1 that nothing listens on at the
// moment of the call. Another process may take it before the caller does;
// pass it to a helper process that must be told its port, and listen on
// 127.0.0.1:0 where the code under test can.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
