//go:build !unix

package proc

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// errNoUnix is what Start says where process groups are not available.
var errNoUnix = errors.New("starting a helper process in a process group of its own needs a unix system (Linux, macOS)")

// Process is a helper process; where Start cannot run one, there is none.
type Process struct{}

// Start refuses to run cmd: see errNoUnix.
func Start(cmd *exec.Cmd, ready func() error, timeout time.Duration) (*Process, error) {
	return nil, errNoUnix
}

// Pid returns 0.
func (p *Process) Pid() int { return 0 }

// Done is closed: there is no process.
func (p *Process) Done() <-chan struct{} { c := make(chan struct{}); close(c); return c }

// Kill does nothing.
func (p *Process) Kill() {}

// Stop does nothing.
func (p *Process) Stop(syscall.Signal, time.Duration) {}

// Signal fails: there is no process.
func (p *Process) Signal(syscall.Signal) error { return errNoUnix }
