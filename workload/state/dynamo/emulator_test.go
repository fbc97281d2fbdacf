package dynamo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// dynaliteEntry is dynalite's command line entry point, installed by
// `make emulators` from emulator/package-lock.json.
var dynaliteEntry = filepath.Join("emulator", "node_modules", "dynalite", "cli.js")

// shared is the dynalite every test of the package uses unless it needs
// one of its own (the fault tests stop theirs). TestMain starts it.
var shared *emulator

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	e, err := startEmulator("", 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dynamo tests: %v\n", err)
		return 1
	}
	defer e.stop()
	shared = e
	return m.Run()
}

// emulator is one dynalite process on 127.0.0.1.
type emulator struct {
	port int
	dir  string // LevelDB directory; "" keeps the data in memory

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *syncBuffer
}

// startEmulator starts dynalite on port (a free one when 0), its data in
// dir (in memory when ""), and waits until it answers.
func startEmulator(dir string, port int) (*emulator, error) {
	if _, err := os.Stat(dynaliteEntry); err != nil {
		return nil, fmt.Errorf("dynalite is not installed (%s is missing): run `make emulators` in the repository root", dynaliteEntry)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("node is not on PATH: install Node.js 20 or later, then run `make emulators`: %w", err)
	}
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	e := &emulator{port: port, dir: dir}
	if err := e.start(); err != nil {
		return nil, err
	}
	return e, nil
}

// start runs the process and waits until it answers on its port.
func (e *emulator) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	args := []string{dynaliteEntry, "--host", "127.0.0.1", "--port", strconv.Itoa(e.port), "--createTableMs", "0"}
	if e.dir != "" {
		args = append(args, "--path", e.dir)
	}
	cmd := exec.Command("node", args...)
	e.out = &syncBuffer{}
	cmd.Stdout, cmd.Stderr = e.out, e.out
	// Its own process group, so that stop kills node and anything it runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting dynalite: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	e.cmd, e.done = cmd, done
	if err := waitReady(e.endpoint(), done, 30*time.Second); err != nil {
		e.killLocked()
		return fmt.Errorf("dynalite on port %d: %w; its output:\n%s", e.port, err, e.out.String())
	}
	return nil
}

// endpoint is the emulator's URL.
func (e *emulator) endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", e.port) }

// stop kills the emulator's process group and waits for it to exit.
func (e *emulator) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.killLocked()
}

func (e *emulator) killLocked() {
	if e.cmd == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.done
	e.cmd = nil
}

// signal sends sig to the emulator's process group (SIGSTOP, SIGCONT).
func (e *emulator) signal(sig syscall.Signal) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil {
		return errors.New("dynalite is not running")
	}
	return syscall.Kill(-e.cmd.Process.Pid, sig)
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls dynalite's health answer (GET /) until it comes, the
// process exits or limit passes.
func waitReady(endpoint string, exited <-chan struct{}, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-exited:
			return errors.New("the process exited before it answered")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %v: %w", limit, err)
		}
	}
}

// syncBuffer collects a process's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testContext is bounded for one test's setup calls.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
