//go:build unix

package testkit

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// readyPoll is how often StartProcess asks whether a process answers.
const readyPoll = 50 * time.Millisecond

// Process is a helper process started by StartProcess, in a process group
// of its own so that Kill leaves nothing of it behind.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	err  error         // its exit, once done is closed
	kill sync.Once
}

// StartProcess starts cmd in a process group of its own and calls ready
// until it returns nil, every 50 ms; then the process is up. When the
// process exits first, or timeout passes, StartProcess kills the group and
// says which, with ready's last error. On Linux the process is also killed
// when the test binary dies. Set cmd's Stdout and Stderr (a Buffer) to see
// what it wrote.
func StartProcess(cmd *exec.Cmd, ready func() error, timeout time.Duration) (*Process, error) {
	name := filepath.Base(cmd.Path)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	dieWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			p.Kill()
			return nil, fmt.Errorf("%s exited (%v) before it answered: %w", name, p.err, err)
		case <-time.After(readyPoll):
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("%s did not answer within %v: %w", name, timeout, err)
		}
	}
}

// Pid is the process's id, which is also its group's.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Kill sends SIGKILL to the process group and waits for the process to
// exit. Calling it again does nothing.
func (p *Process) Kill() {
	p.kill.Do(func() { _ = syscall.Kill(-p.Pid(), syscall.SIGKILL) })
	<-p.done
}

// Signal sends sig to the process group (SIGSTOP and SIGCONT freeze and
// thaw it).
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return errors.New("the process has exited")
	default:
	}
	return syscall.Kill(-p.Pid(), sig)
}
