package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/testkit"
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
	proc *testkit.Process // nil while dynalite is not running
	out  *testkit.Buffer
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
		if port, err = testkit.FreePort(); err != nil {
			return nil, err
		}
	}
	e := &emulator{port: port, dir: dir}
	if err := e.start(); err != nil {
		return nil, err
	}
	return e, nil
}

// start runs the process in a process group of its own, so that stop
// kills node and anything it runs, and waits until it answers on its port.
func (e *emulator) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	args := []string{dynaliteEntry, "--host", "127.0.0.1", "--port", strconv.Itoa(e.port), "--createTableMs", "0"}
	if e.dir != "" {
		args = append(args, "--path", e.dir)
	}
	cmd := exec.Command("node", args...)
	e.out = &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = e.out, e.out
	p, err := testkit.StartProcess(cmd, answers(e.endpoint()), 30*time.Second)
	if err != nil {
		return fmt.Errorf("dynalite on port %d: %w; its output:\n%s", e.port, err, e.out.String())
	}
	e.proc = p
	return nil
}

// endpoint is the emulator's URL.
func (e *emulator) endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", e.port) }

// stop kills the emulator's process group and waits for it to exit.
func (e *emulator) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc != nil {
		e.proc.Kill()
		e.proc = nil
	}
}

// signal sends sig to the emulator's process group (SIGSTOP, SIGCONT).
func (e *emulator) signal(sig syscall.Signal) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc == nil {
		return errors.New("dynalite is not running")
	}
	return e.proc.Signal(sig)
}

// answers is ready once dynalite gives its health answer (200 to GET /).
func answers(endpoint string) func() error {
	client := &http.Client{Timeout: time.Second}
	return func() error {
		resp, err := client.Get(endpoint + "/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		return nil
	}
}

// testContext is bounded for one test's setup calls.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
