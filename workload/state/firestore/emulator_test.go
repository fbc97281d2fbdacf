package firestore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
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
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the process's exit, once done is closed
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

// freeAddr returns a 127.0.0.1 address with a port free at the moment.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startEmulator starts an emulator on addr (a free port when ""), its log
// in dir, and waits until it accepts connections.
func startEmulator(addr, dir string) (*emulator, error) {
	jar, java, err := emulatorJar()
	if err != nil {
		return nil, err
	}
	if addr == "" {
		if addr, err = freeAddr(); err != nil {
			return nil, err
		}
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
	// Its own process group, so that stopping it leaves nothing behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the Firestore emulator: %w", err)
	}
	e := &emulator{addr: addr, dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { e.err = cmd.Wait(); close(e.done) }()
	deadline := time.Now().Add(emulatorStartup)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return e, nil
		}
		select {
		case <-e.done:
			out, _ := os.ReadFile(log.Name())
			return nil, fmt.Errorf("the Firestore emulator exited at start (%v):\n%s", e.err, out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.stop()
			return nil, fmt.Errorf("the Firestore emulator did not listen on %s within %v", addr, emulatorStartup)
		}
	}
}

// stop kills the emulator's process group and waits for it to exit.
func (e *emulator) stop() {
	if e == nil || e.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.done
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
