package firestore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/testkit"
)

// The tests run against Google's Cloud Firestore emulator (Java), which the
// machine image ships in the Debian package google-cloud-cli-firestore-
// emulator; emulator.mk checks that it is there (`make emulators`).
const (
	// emulatorJarEnv overrides where the emulator's jar is.
	emulatorJarEnv = "CELLFABRIC_FIRESTORE_EMULATOR_JAR"
	// defaultEmulatorJar is where the Debian package puts it.
	defaultEmulatorJar = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
	// emulatorMain is the jar's entry point (what the package's
	// cloud_firestore_emulator script runs).
	emulatorMain = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
	// emulatorStartup bounds the wait for a starting emulator (about 4 s
	// here).
	emulatorStartup = 90 * time.Second
	// testProject is the project id the tests use on the emulator.
	testProject = "demo-cellfabric"
	// testDatabase is the database id they use.
	testDatabase = "cell-test"
)

// emulator is one running Firestore emulator process.
type emulator struct {
	addr string
	dir  string
	proc *testkit.Process
}

// emulatorJar finds the emulator and java, or says how to install them.
func emulatorJar() (jar, java string, err error) {
	jar = os.Getenv(emulatorJarEnv)
	if jar == "" {
		jar = defaultEmulatorJar
	}
	if _, err := os.Stat(jar); err != nil {
		return "", "", fmt.Errorf("the Firestore emulator is not installed (%v): run `make emulators`, or set %s to its jar", err, emulatorJarEnv)
	}
	java, err = exec.LookPath("java")
	if err != nil {
		return "", "", fmt.Errorf("the Firestore emulator needs java on PATH (%v): run `make emulators`", err)
	}
	return jar, java, nil
}

// startEmulator starts an emulator on addr (a free port when ""), its log
// in dir, in a process group of its own (stopping it leaves nothing
// behind), and waits until it accepts connections.
func startEmulator(addr, dir string) (*emulator, error) {
	jar, java, err := emulatorJar()
	if err != nil {
		return nil, err
	}
	if addr == "" {
		port, err := testkit.FreePort()
		if err != nil {
			return nil, err
		}
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "emulator-"+port+".log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(java, "-Duser.language=en", "-Xmx1g", "-cp", jar, emulatorMain,
		"start", "--host="+host, "--port="+port)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	p, err := testkit.StartProcess(cmd, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}, emulatorStartup)
	if err != nil {
		out, _ := os.ReadFile(log.Name())
		return nil, fmt.Errorf("the Firestore emulator on %s: %w; its log:\n%s", addr, err, out)
	}
	return &emulator{addr: addr, dir: dir, proc: p}, nil
}

// stop kills the emulator's process group and waits for it to exit.
func (e *emulator) stop() {
	if e == nil || e.proc == nil {
		return
	}
	e.proc.Kill()
}

// shared is the emulator every test of the package uses but the fault
// tests, which start their own.
var shared struct {
	once sync.Once
	emu  *emulator
	dir  string
	err  error
}

// sharedEmulator returns the package's emulator, started on first use.
func sharedEmulator(t testing.TB) *emulator {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "firestore-emulator-")
		if shared.err == nil {
			shared.emu, shared.err = startEmulator("", shared.dir)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.emu
}

func TestMain(m *testing.M) {
	code := m.Run()
	shared.emu.stop()
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// openTest opens a backend on e with opts (the project and database
// filled in), closed when the test ends.
func openTest(t testing.TB, e *emulator, opts Options) *Backend {
	t.Helper()
	opts.Endpoint = e.addr
	if opts.Project == "" {
		opts.Project = testProject
	}
	if opts.Database == "" {
		opts.Database = testDatabase
	}
	b, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// waitReady pings b until the emulator answers (it takes calls a moment
// after it listens).
func waitReady(t testing.TB, b *Backend) {
	t.Helper()
	var err error
	for range 200 {
		if err = b.Ping(context.Background()); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the Firestore emulator does not answer: %v", errors.Unwrap(err))
}
