package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// listenFlag listens on addr, the value of the flag name. Its error names
// the flag and the address and says what to do, e.g.
// "--listen 127.0.0.1:8080: address already in use; pick another port with
// --listen".
func listenFlag(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	cause := err
	var op *net.OpError
	if errors.As(err, &op) {
		cause = op.Err
		var sys *os.SyscallError
		if errors.As(cause, &sys) {
			cause = sys.Err
		}
	}
	var next string
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		next = "pick another port with --" + name
	case errors.Is(err, syscall.EACCES):
		next = "ports below 1024 need privileges: pick a higher port with --" + name
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		next = "this machine has no such address: give one of its own, 127.0.0.1, or none (\":8080\") with --" + name
	default:
		next = "give host:port, e.g. 127.0.0.1:8080, with --" + name
	}
	return nil, fmt.Errorf("--%s %s: %w; %s", name, addr, cause, next)
}
