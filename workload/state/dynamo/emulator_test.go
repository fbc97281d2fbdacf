package dynamo

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
)

// shared is the dynalite every test of the package uses unless it needs
// one of its own (the fault tests stop theirs). TestMain starts it.
var shared *emulator.Emulator

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	e, err := startEmulator("")
	if err != nil {
		fmt.Fprintf(os.Stderr, "dynamo tests: %v\n", err)
		return 1
	}
	defer e.Stop()
	shared = e
	return m.Run()
}

// startEmulator starts dynalite on a free port of 127.0.0.1 with its data
// in dir (in memory when ""), through the launcher `cellfabric local` uses.
func startEmulator(dir string) (*emulator.Emulator, error) {
	return emulator.Start(contract.DynamoDB, emulator.Options{DataDir: dir})
}

// testContext is bounded for one test's setup calls.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
