package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/internal/proc"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Tuning, in one place.
const (
	// portAttempts is how many free ports Start tries for an emulator
	// that finds its port taken by another program first.
	portAttempts = 3
	// DefaultStartTimeout bounds the wait for a starting emulator to
	// answer (the Firestore emulator, a JVM, takes a few seconds; azurite
	// about one; dynalite less).
	DefaultStartTimeout = 90 * time.Second
	// StopGrace is how long Stop lets an emulator finish (azurite saves
	// its database) before it kills the process group.
	StopGrace = 10 * time.Second
	// outputTail is how much of an emulator's output is kept when Options
	// has no Output: the end of it, shown when the emulator fails.
	outputTail = 64 << 10
)

// Azurite's development account: the name and key Microsoft publishes for
// its storage emulators (not a secret). dynalite accepts any signed
// request, and the Firestore emulator any project id and no credentials.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Options configure Start.
type Options struct {
	// Port is the port of 127.0.0.1 the emulator listens on. Zero: a free
	// one below the ephemeral ports (proc.FreePort), and another if a
	// program takes it before the emulator binds it. A port where another
	// program answers is refused.
	Port int
	// DataDir is where the emulator keeps its data, created if missing:
	// dynalite's LevelDB (--path), azurite's database (--location). A later
	// Start with the same DataDir finds the data again. Zero: in memory,
	// gone when the emulator stops. The Firestore emulator keeps data in
	// memory only (Persistent): Start refuses a DataDir for it.
	DataDir string
	// Output receives what the emulator prints. Nil: the last 64 KiB are
	// kept (Output) and shown in Start's error.
	Output io.Writer
	// StartTimeout bounds the wait until the emulator answers. Zero:
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// Getenv reads the install variables (EnvDynaliteDir, EnvAzuriteDir,
	// EnvFirestoreJar). Nil: os.Getenv.
	Getenv func(string) string
}

// Persistent reports whether the emulator of kind can keep its data in a
// DataDir.
func Persistent(kind contract.Kind) bool {
	return kind == contract.DynamoDB || kind == contract.AzureTable
}

// Emulator is one running emulator on 127.0.0.1. Its methods are safe for
// concurrent use.
type Emulator struct {
	kind    contract.Kind
	port    int
	dataDir string
	timeout time.Duration
	name    string   // what runs: dynalite, azurite, the Firestore emulator
	command []string // program and arguments but the port and data flags
	out     io.Writer
	tail    *tailBuffer // nil with Options.Output

	mu      sync.Mutex
	proc    *proc.Process // nil while stopped
	workDir string        // the running process's working directory
}

// Start starts the emulator of kind (contract.DynamoDB, AzureTable or
// Firestore) and returns once it answers on Endpoint.
func Start(kind contract.Kind, o Options) (*Emulator, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	e := &Emulator{kind: kind, port: o.Port, dataDir: o.DataDir, timeout: o.StartTimeout, out: o.Output}
	if e.timeout == 0 {
		e.timeout = DefaultStartTimeout
	}
	switch kind {
	case contract.DynamoDB:
		script, node, err := dynaliteInstall.find(getenv)
		if err != nil {
			return nil, err
		}
		e.name, e.command = "dynalite", []string{node, script, "--host", "127.0.0.1", "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	case contract.AzureTable:
		script, node, err := azuriteInstall.find(getenv)
		if err != nil {
			return nil, err
		}
		e.name, e.command = "azurite", []string{node, script, "--tableHost", "127.0.0.1",
			"--skipApiVersionCheck", "--disableTelemetry", "--silent",
			// Keep idle connections longer than the clients do, so the
			// server never closes one under a request being sent.
			"--tableKeepAliveTimeout", "120"}
	case contract.Firestore:
		if o.DataDir != "" {
			return nil, errors.New("the Firestore emulator keeps its data in memory only: it cannot keep it in a data directory")
		}
		jar, java, err := findFirestore(getenv)
		if err != nil {
			return nil, err
		}
		e.name, e.command = "the Firestore emulator", []string{java, "-Duser.language=en", "-Xmx1g", "-cp", jar,
			"com.google.cloud.datastore.emulator.firestore.CloudFirestore", "start", "--host=127.0.0.1"}
	default:
		return nil, fmt.Errorf("no emulator for the state store %q: use %s, %s or %s", kind, contract.DynamoDB, contract.AzureTable, contract.Firestore)
	}
	if e.out == nil {
		e.tail = &tailBuffer{max: outputTail}
		e.out = e.tail
	}
	if e.dataDir != "" {
		if err := os.MkdirAll(e.dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("%s's data directory: %w", e.name, err)
		}
	}
	if e.port != 0 {
		if err := e.Restart(); err != nil {
			return nil, err
		}
		return e, nil
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		e.port = port
		before := e.outputLen()
		err = e.Restart()
		if err == nil {
			return e, nil
		}
		if attempt == portAttempts || !e.lostItsPort(before) {
			return nil, err
		}
		// Another program bound the free port before the emulator did:
		// the emulator exited, and another port is tried.
	}
}

// freePort picks the port of an emulator started without one (a test
// replaces it to make the port taken).
var freePort = proc.FreePort

// lostItsPort reports whether the emulator, which failed to start, found
// its port taken: something else listens on it now, or the emulator's
// output since before (outputLen) says the address was in use.
func (e *Emulator) lostItsPort(before int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port)))
	if err != nil {
		return true
	}
	l.Close()
	if e.tail == nil {
		return false
	}
	out := e.tail.String()
	return strings.Contains(strings.ToLower(out[min(before, len(out)):]), "address already in use")
}

// outputLen is how much output the tail has kept so far.
func (e *Emulator) outputLen() int {
	if e.tail == nil {
		return 0
	}
	return len(e.tail.String())
}

// Kind is the store the emulator implements.
func (e *Emulator) Kind() contract.Kind { return e.kind }

// Port is the emulator's port on 127.0.0.1.
func (e *Emulator) Port() int { return e.port }

// DataDir is where the emulator keeps its data ("" in memory).
func (e *Emulator) DataDir() string { return e.dataDir }

// Name says which program runs ("dynalite", "azurite", "the Firestore
// emulator").
func (e *Emulator) Name() string { return e.name }

// Endpoint is the address the adapter takes (contract.EnvEndpoint): the
// DynamoDB endpoint URL, the azurite account's table service URL
// (AzuriteAccount), or the Firestore emulator's host:port.
func (e *Emulator) Endpoint() string {
	switch e.kind {
	case contract.AzureTable:
		return fmt.Sprintf("http://127.0.0.1:%d/%s", e.port, AzuriteAccount)
	case contract.Firestore:
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port))
	default:
		return fmt.Sprintf("http://127.0.0.1:%d", e.port)
	}
}

// Output is the end of what the emulator printed, when Options had no
// Output.
func (e *Emulator) Output() string {
	if e.tail == nil {
		return ""
	}
	return e.tail.String()
}

// Restart starts the emulator again on the same port with the same data
// directory, after Stop or Kill (a fault test's store coming back). It
// does nothing while the emulator runs.
func (e *Emulator) Restart() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc != nil {
		return nil
	}
	work, err := os.MkdirTemp("", "cellfabric-emulator-")
	if err != nil {
		return fmt.Errorf("%s's working directory: %w", e.name, err)
	}
	args := append([]string(nil), e.command[1:]...)
	port := strconv.Itoa(e.port)
	switch e.kind {
	case contract.DynamoDB:
		args = append(args, "--port", port)
		if e.dataDir != "" {
			args = append(args, "--path", e.dataDir)
		}
	case contract.AzureTable:
		args = append(args, "--tablePort", port)
		if e.dataDir != "" {
			args = append(args, "--location", e.dataDir)
		} else {
			args = append(args, "--inMemoryPersistence") // its workspace is the working directory
		}
	case contract.Firestore:
		args = append(args, "--port="+port)
	}
	cmd := exec.Command(e.command[0], args...)
	cmd.Dir = work
	cmd.Stdout, cmd.Stderr = e.out, e.out
	p, err := proc.Start(cmd, e.ready(), e.timeout)
	if err != nil {
		_ = os.RemoveAll(work)
		err = fmt.Errorf("%s on 127.0.0.1:%d: %w", e.name, e.port, err)
		if e.tail != nil {
			err = fmt.Errorf("%w; its output:\n%s", err, e.tail.String())
		}
		return err
	}
	e.proc, e.workDir = p, work
	return nil
}

// ready reports whether the emulator answers, and that what answers is
// the emulator rather than another program on its port: dynalite's health
// answer (200 to GET /, "healthy: dynamodb..."), the Firestore emulator's
// (200, "Ok"), and any answer of azurite's table service, which names
// itself in its Server header ("Azurite-Table/3.37.0").
func (e *Emulator) ready() func() error {
	client := &http.Client{Timeout: time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/", e.port)
	if e.kind == contract.AzureTable {
		url = e.Endpoint() + "/Tables"
	}
	return func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		var ours bool
		switch e.kind {
		case contract.AzureTable:
			ours = strings.HasPrefix(resp.Header.Get("Server"), "Azurite-Table/")
		case contract.DynamoDB:
			ours = resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte("healthy: dynamodb"))
		case contract.Firestore:
			ours = resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok"
		}
		if !ours {
			return fmt.Errorf("GET %s: %s, Server %q, %q: not %s's answer (another program on the port?)",
				url, resp.Status, resp.Header.Get("Server"), body, e.name)
		}
		return nil
	}
}

// stopSignal is the signal on which the emulator finishes and exits:
// azurite saves its database on SIGINT only; the JVM runs its shutdown on
// SIGTERM (it leaves SIGINT alone when it was started with it ignored).
func (e *Emulator) stopSignal() syscall.Signal {
	if e.kind == contract.AzureTable {
		return syscall.SIGINT
	}
	return syscall.SIGTERM
}

// Stop lets the emulator finish (it saves what it keeps in DataDir) and
// exit, kills its process group after StopGrace at most, and returns once
// it is gone. Calling it again does nothing; Restart starts it again.
func (e *Emulator) Stop() {
	e.end(func(p *proc.Process) { p.Stop(e.stopSignal(), StopGrace) })
}

// Kill kills the emulator's process group at once, as a crash would, and
// waits for it to exit: data not yet saved in DataDir is lost.
func (e *Emulator) Kill() {
	e.end(func(p *proc.Process) { p.Kill() })
}

func (e *Emulator) end(how func(*proc.Process)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc == nil {
		return
	}
	how(e.proc)
	e.proc = nil
	_ = os.RemoveAll(e.workDir)
}

// Signal sends sig to the emulator's process group (SIGSTOP and SIGCONT
// freeze and thaw it).
func (e *Emulator) Signal(sig syscall.Signal) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc == nil {
		return fmt.Errorf("%s is not running", e.name)
	}
	return e.proc.Signal(sig)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
