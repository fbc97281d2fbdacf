//go:build linux

package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// The event-loop engine's connections to https cells. The loops speak
// plain bytes only (gnet has no TLS), so a connection to an https cell is
// a bridge: the TLS connection to the cell is dialled and its handshake
// done in the goroutine that dials, and the loop enrolls one end of a
// local socket pair whose other end two goroutines copy to and from the
// TLS connection. To the loop it is a cell connection like any other: the
// same pool, requests, answers, timeouts and failures; the cost (two
// goroutines and two more descriptors per connection, and one more copy
// through the kernel each way) is paid by https cells only.

// evBridge joins the loop's end of a socket pair to a TLS connection to
// a cell.
type evBridge struct {
	cell net.Conn // the TLS connection to the cell
	side net.Conn // the bridge's end of the pair
	once sync.Once
	// broke is why the cell's side ended, when it did not end cleanly
	// (a reset, a connection cut inside a TLS record, a TLS alert): the
	// loop sees its end close either way, and evCell.onClose reads this
	// to tell a close-delimited answer cut short from one that ended.
	broke atomic.Pointer[error]
}

// dialTLS connects to the cell at addr through TLS (dialling, then the
// handshake, each bounded by d's Timeout, DialTimeout) and returns the
// loop's end of the bridge to it, and the bridge, running.
func dialTLS(d *net.Dialer, addr string, conf *tls.Config) (net.Conn, *evBridge, error) {
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	cell := tls.Client(nc, conf)
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	err = cell.HandshakeContext(ctx)
	cancel()
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	loopEnd, side, err := socketPair()
	if err != nil {
		cell.Close()
		return nil, nil, fmt.Errorf("bridging the TLS connection to the event loop: %w", err)
	}
	b := &evBridge{cell: cell, side: side}
	go b.pump(b.cell, b.side, false) // the loop's requests to the cell
	go b.pump(b.side, b.cell, true)  // the cell's answers to the loop
	return loopEnd, b, nil
}

// pump copies from src to dst until either ends, then closes the bridge.
// fromCell: src is the cell's connection, whose unclean end is recorded.
func (b *evBridge) pump(dst io.Writer, src io.Reader, fromCell bool) {
	buf := make([]byte, 16<<10) // a TLS record's most
	_, err := io.CopyBuffer(dst, src, buf)
	if fromCell && err != nil && !errors.Is(err, net.ErrClosed) {
		b.broke.CompareAndSwap(nil, &err)
	}
	b.close()
}

// close closes both sides of the bridge, once: the loop sees its end
// close, the cell its connection.
func (b *evBridge) close() {
	b.once.Do(func() {
		_ = b.side.Close()
		_ = b.cell.Close()
	})
}

// broken is why the cell's side ended uncleanly, or nil.
func (b *evBridge) broken() error {
	if e := b.broke.Load(); e != nil {
		return *e
	}
	return nil
}

// socketPair makes a connected pair of local stream sockets.
func socketPair() (a, b net.Conn, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	a, err = fileConn(fds[0])
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	if b, err = fileConn(fds[1]); err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, b, nil
}

// fileConn makes a net.Conn of the socket fd, which it takes over.
func fileConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "cell-tls-bridge")
	defer f.Close() // FileConn has its own descriptor
	return net.FileConn(f)
}
