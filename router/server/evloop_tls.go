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
	"time"
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
//
// How it ends: the first pump to end stops the other (the cell's
// connection closes, and a read of the bridge's end of the pair returns
// at once), and the last to end closes the bridge's end, which the loop
// then sees close. By then the bridge has its verdict (broken): the cell's
// side ended cleanly only if the pump of the cell's answers ended first,
// at the cell's clean close (close_notify, or the connection's end
// between two TLS records), and the other pump then ended because it was
// stopped, not on an error of its own. Any other end is a break: a reset
// or a cut record seen by either pump, a write to the cell that failed
// (the pump sending the request may meet the cell's reset first, and the
// other then finds the connection closed under it, or, the reset's error
// taken by that write, a bare end of the connection). The loop reads a
// close-delimited answer's end from the verdict, so an answer cut by the
// cell is never passed on as whole.
type evBridge struct {
	cell net.Conn // the TLS connection to the cell
	side net.Conn // the bridge's end of the pair
	once sync.Once

	mu     sync.Mutex
	ending bool // a pump ended: the other is being stopped
	ended  int  // pumps ended; the second closes the bridge
	// broke is why the bridge ended, when it was not the cell's clean
	// close: the loop sees its end close either way, and evCell.onClose
	// and laneEnded read this to tell a close-delimited answer cut short
	// from one that ended.
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

// pump copies from src to dst until either ends, then ends its half of
// the bridge. fromCell: src is the cell's connection (the answers).
func (b *evBridge) pump(dst io.Writer, src io.Reader, fromCell bool) {
	buf := make([]byte, 16<<10) // a TLS record's most
	_, err := io.CopyBuffer(dst, src, buf)
	b.end(fromCell, err)
}

// errLoopClosed is the verdict of a bridge whose loop end closed first
// (the loop gave the connection up; it does not read the verdict).
var errLoopClosed = errors.New("the event loop closed its end of the TLS bridge")

// end records how a pump ended (err, nil for the end of its source) and
// ends the bridge as evBridge says: the first pump to end stops the
// other, the second closes the bridge.
func (b *evBridge) end(fromCell bool, err error) {
	b.mu.Lock()
	first := !b.ending
	b.ending = true
	switch {
	case fromCell && first && err != nil:
		b.fail(err) // a reset, a cut record, an alert
	case fromCell:
		// The cell's clean close (first), or stopped once the other
		// pump ended (which gave the verdict).
	case first && err == nil:
		b.fail(errLoopClosed)
	case err != nil && (first || !stopped(err)):
		// Sending to the cell failed, before the answers' side ended or
		// after it: the cell's end was not clean, whatever that side read.
		b.fail(fmt.Errorf("sending to the cell: %w", err))
	}
	b.ended++
	last := b.ended == 2
	b.mu.Unlock()
	if first {
		b.stop()
	}
	if last {
		b.close()
	}
}

// fail records err as why the bridge broke, unless it has a reason.
func (b *evBridge) fail(err error) { b.broke.CompareAndSwap(nil, &err) }

// stopped reports whether a pump's error is the bridge stopping it
// (stop, close), not one of its own.
func stopped(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}

// stop makes the pump still running return: a read of the bridge's end
// of the pair times out at once, and the cell's connection closes under a
// read or a write.
func (b *evBridge) stop() {
	_ = b.side.SetReadDeadline(time.Unix(1, 0))
	_ = b.cell.Close()
}

// close closes both sides of the bridge, once: the loop sees its end
// close, the cell its connection. (evCell.onClose and a failed enrolment
// close a bridge too: the loop is done with it.)
func (b *evBridge) close() {
	b.once.Do(func() {
		_ = b.side.Close()
		_ = b.cell.Close()
	})
}

// broken is why the bridge broke (the verdict, set before the loop's end
// closes), or nil after the cell's clean close.
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
