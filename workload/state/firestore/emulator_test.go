package firestore

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
)

// The tests run against Google's Cloud Firestore emulator (Java), which the
// machine image ships in the Debian package google-cloud-cli-firestore-
// emulator; emulator.mk checks that it is there (`make emulators`), and
// the launcher (workload/state/emulator) starts it as `cellfabric local`
// does.
const (
	// testProject is the project id the tests use on the emulator.
	testProject = "demo-cellfabric"
	// testDatabase is the database id they use. The emulator creates a
	// database on its first use: there is nothing to create first.
	testDatabase = "cell-test"
)

// startEmulator starts a Firestore emulator on a free port of 127.0.0.1.
func startEmulator() (*emulator.Emulator, error) {
	return emulator.Start(contract.Firestore, emulator.Options{})
}

// shared is the emulator every test of the package uses but the fault
// tests, which start their own.
var shared = emulator.Shared{Kind: contract.Firestore}

// sharedEmulator returns the package's emulator's address, the emulator
// started on first use.
func sharedEmulator(t testing.TB) string {
	t.Helper()
	e, err := shared.Get()
	if err != nil {
		t.Fatal(err)
	}
	return e.Endpoint()
}

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Stop()
	os.Exit(code)
}

// openTest opens a backend on the emulator at addr with opts (the project
// and database filled in), closed when the test ends.
func openTest(t testing.TB, addr string, opts Options) *Backend {
	t.Helper()
	opts.Endpoint = addr
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
