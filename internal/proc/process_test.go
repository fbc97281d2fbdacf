//go:build unix

package proc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a helper process (see
// TestMain): "listen <port> <pidfile>" listens on the port after starting
// a child of its own that sleeps and writing that child's pid to pidfile;
// "exit" exits at once; "sleep" sleeps; "trap <dir>" and "deaf <dir>"
// write dir/ready once they handle SIGINT, the first by writing dir/saved
// and exiting 0, the second by ignoring it.
const helperEnv = "PROC_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helper(mode)
		return
	}
	os.Exit(m.Run())
}

func helper(mode string) {
	args := strings.Fields(mode)
	switch args[0] {
	case "exit":
		os.Exit(3)
	case "sleep":
		time.Sleep(time.Minute)
	case "trap", "deaf":
		sig := make(chan os.Signal, 1)
		if args[0] == "trap" {
			signal.Notify(sig, os.Interrupt)
		} else {
			signal.Ignore(os.Interrupt)
		}
		if err := os.WriteFile(filepath.Join(args[1], "ready"), nil, 0o644); err != nil {
			os.Exit(4)
		}
		select {
		case <-sig:
			_ = os.WriteFile(filepath.Join(args[1], "saved"), nil, 0o644)
			os.Exit(0)
		case <-time.After(time.Minute):
			os.Exit(8)
		}
	case "listen":
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), helperEnv+"=sleep")
		if err := child.Start(); err != nil {
			os.Exit(4)
		}
		if err := os.WriteFile(args[2], []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
			os.Exit(5)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+args[1])
		if err != nil {
			os.Exit(6)
		}
		for {
			c, err := l.Accept()
			if err != nil {
				os.Exit(7)
			}
			c.Close()
		}
	}
}

// helperCmd runs the test binary as the helper in mode.
func helperCmd(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return cmd
}

func dial(port int) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
}

// alive reports whether a process with pid exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestStartAndKillTheGroup: Start returns once the helper
// answers on its free port; Kill ends it and the child it started (the
// whole group), and the port no longer answers.
func TestStartAndKillTheGroup(t *testing.T) {
	t.Parallel()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// Ready once the helper wrote its pid file (just before it listens)
	// and the port answers: a dial alone can be answered by a copy of
	// FreePort's momentary listener that a process forked beside it (by a
	// test running in parallel) holds until it execs.
	ready := func() error {
		if _, err := os.Stat(pidFile); err != nil {
			return err
		}
		return dial(port)()
	}
	p, err := Start(helperCmd(fmt.Sprintf("listen %d %s", port, pidFile)), ready, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(string(data))
	if !alive(child) {
		t.Fatalf("the helper's child %d is not running", child)
	}
	if err := p.Signal(syscall.SIGCONT); err != nil {
		t.Errorf("signalling a running group: %v", err)
	}
	p.Kill()
	p.Kill() // again: nothing happens
	select {
	case <-p.Done():
	default:
		t.Fatal("Kill returned before the process exited")
	}
	if err := dial(port)(); err == nil {
		t.Error("the port still answers after Kill")
	}
	// The child was in the group: it is gone (reaped by init) or a zombie
	// on its way; either way it no longer runs.
	for deadline := time.Now().Add(10 * time.Second); alive(child) && !zombie(child); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the helper's child %d still runs after Kill", child)
		}
	}
	if err := p.Signal(syscall.SIGCONT); err == nil {
		t.Error("Signal after Kill did not fail")
	}
}

// zombie reports whether pid is a zombie (Linux; elsewhere false).
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

// TestStartFailures: a process that exits before it answers, and
// one that never answers, fail with what happened and ready's last error.
func TestStartFailures(t *testing.T) {
	t.Parallel()
	notYet := errors.New("not yet")
	cases := []struct {
		name    string
		mode    string
		timeout time.Duration
		want    string
	}{
		{name: "exits", mode: "exit", timeout: time.Minute, want: "exited (exit status 3) before it answered: not yet"},
		{name: "never answers", mode: "sleep", timeout: 200 * time.Millisecond, want: "did not answer within 200ms: not yet"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Start(helperCmd(tc.mode), func() error { return notYet }, tc.timeout)
			if p != nil || err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, notYet) {
				t.Fatalf("Start = %v, %v; want an error containing %q", p, err, tc.want)
			}
		})
	}
	if _, err := Start(exec.Command(filepath.Join(t.TempDir(), "missing")), nil, time.Second); err == nil || !strings.Contains(err.Error(), "starting missing") {
		t.Errorf("a missing program: %v", err)
	}
}

// TestStop: Stop lets a process that handles the signal finish (it saves,
// then exits) well before the grace period ends, and kills one that
// ignores the signal once the grace period is over.
func TestStop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		mode      string
		grace     time.Duration
		wantSaved bool
	}{
		{name: "handles the signal", mode: "trap", grace: time.Minute, wantSaved: true},
		{name: "ignores the signal", mode: "deaf", grace: 300 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p, err := Start(helperCmd(tc.mode+" "+dir), func() error {
				_, err := os.Stat(filepath.Join(dir, "ready"))
				return err
			}, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Kill)
			p.Stop(syscall.SIGINT, tc.grace)
			select {
			case <-p.Done():
			default:
				t.Fatal("Stop returned before the process exited")
			}
			_, err = os.Stat(filepath.Join(dir, "saved"))
			if saved := err == nil; saved != tc.wantSaved {
				t.Errorf("the process saved: %v, want %v", saved, tc.wantSaved)
			}
			p.Stop(syscall.SIGINT, tc.grace) // again: nothing happens
		})
	}
}
