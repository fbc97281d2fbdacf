package aztable

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
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/cellfabric/cellfabric/internal/testkit"
)

// azurite's development account: the name and key Azure publishes for its
// storage emulators (not a secret).
const (
	devAccount = "devstoreaccount1"
	devKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// emulator is azurite's table service, run from the npm package that
// `make emulators` installs in ./emulator, in memory, on 127.0.0.1.
type emulator struct {
	node, main string
	port       int
	dir        string // working directory: azurite writes nothing, but not in the tree if it did

	mu   sync.Mutex
	proc *testkit.Process // nil while azurite is not running
	log  testkit.Buffer
}

// url is the emulated account's table service URL.
func (e *emulator) url() string { return fmt.Sprintf("http://127.0.0.1:%d/%s", e.port, devAccount) }

// newEmulator starts azurite on port (0: a free one).
func newEmulator(port int) (*emulator, error) {
	main, err := filepath.Abs(filepath.Join("emulator", "node_modules", "azurite", "dist", "src", "table", "main.js"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(main); err != nil {
		return nil, fmt.Errorf("azurite is not installed (no %s): run `make emulators` at the repository root", main)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: install Node.js and run `make emulators`: %w", err)
	}
	if port == 0 {
		if port, err = testkit.FreePort(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return nil, err
	}
	e := &emulator{node: node, main: main, port: port, dir: dir}
	if err := e.start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return e, nil
}

// start runs azurite in a process group of its own and waits until it
// answers HTTP.
func (e *emulator) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	cmd := exec.Command(e.node, e.main,
		"--tableHost", "127.0.0.1", "--tablePort", strconv.Itoa(e.port),
		"--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent",
		// Keep idle connections longer than the client does, so the
		// server never closes one under a request being sent.
		"--tableKeepAliveTimeout", "120")
	cmd.Dir = e.dir
	cmd.Stdout, cmd.Stderr = &e.log, &e.log
	client := &http.Client{Timeout: time.Second}
	tables := fmt.Sprintf("http://127.0.0.1:%d/%s/Tables", e.port, devAccount)
	p, err := testkit.StartProcess(cmd, func() error {
		resp, err := client.Get(tables)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}, time.Minute)
	if err != nil {
		return fmt.Errorf("azurite on port %d: %w; its output:\n%s", e.port, err, e.log.String())
	}
	e.proc = p
	return nil
}

// kill stops azurite at once (SIGKILL to its process group) and waits for
// it to exit.
func (e *emulator) kill() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc != nil {
		e.proc.Kill()
		e.proc = nil
	}
}

// close kills azurite and removes its directory.
func (e *emulator) close() {
	e.kill()
	_ = os.RemoveAll(e.dir)
}

// shared is the one emulator the package's tests share (the fault tests
// start their own).
var shared struct {
	once sync.Once
	emu  *emulator
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.emu != nil {
		shared.emu.close()
	}
	os.Exit(code)
}

// sharedEmulator returns the shared emulator, starting it on first use; a
// test fails (never skips) when azurite is not installed.
func sharedEmulator(t testing.TB) *emulator {
	t.Helper()
	shared.once.Do(func() { shared.emu, shared.err = newEmulator(0) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.emu
}

// ownEmulator starts an emulator for one test, killed when it ends.
func ownEmulator(t testing.TB) *emulator {
	t.Helper()
	e, err := newEmulator(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

// createTable creates a table on the emulator, as the cell component does
// in Azure: this client is the test's, not the adapter's.
func createTable(t testing.TB, serviceURL, name string) {
	t.Helper()
	cred, err := aztables.NewSharedKeyCredential(devAccount, devKey)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := aztables.NewServiceClientWithSharedKey(serviceURL, cred, &aztables.ClientOptions{
		ClientOptions: azcore.ClientOptions{InsecureAllowCredentialWithHTTP: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := svc.CreateTable(ctx, name, nil); err != nil {
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.ErrorCode != "TableAlreadyExists" {
			t.Fatalf("creating table %s: %v", name, err)
		}
	}
}

// emulatorOptions are the options of a backend over table on the emulator
// at serviceURL.
func emulatorOptions(serviceURL, table string, policies ...policy.Policy) Options {
	return Options{
		ServiceURL:      serviceURL,
		Table:           table,
		SharedKey:       &SharedKey{Account: devAccount, Key: devKey},
		PerCallPolicies: policies,
	}
}

// openBackend opens a backend with o, closed when the test ends.
func openBackend(t testing.TB, o Options) *Backend {
	t.Helper()
	b, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}
