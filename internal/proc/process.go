//go:build unix

package proc

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// readyPoll is how often Start asks whether a process answers.
const readyPoll = 50 * time.Millisecond

// Process is a helper process started by Start, in a process group of its
// own so that Stop and Kill leave nothing of it behind.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	err  error         // its exit, once done is closed
	kill sync.Once
}

// Start starts cmd in a process group of its own and calls ready until it
// returns nil, every 50 ms; then the process is up. When the process exits
// first, or timeout passes, Start kills the group and says which, with
// ready's last error. On Linux the process is also killed when the program
// that started it dies. Set cmd's Stdout and Stderr to see what it wrote.
func Start(cmd *exec.Cmd, ready func() error, timeout time.Duration) (*Process, error) {
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

// Stop sends sig to the process group, so that the process can finish
// what it is doing (an emulator saves its data), waits up to grace for it
// to exit, then kills what is left of the group. It returns once the
// process has exited. Calling it again, or after Kill, does nothing.
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) {
	if p.Signal(sig) == nil {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
		}
	}
	p.Kill()
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
