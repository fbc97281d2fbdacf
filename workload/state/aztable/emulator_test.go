package aztable

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
)

// azurite's development account (emulator.AzuriteAccount), under the
// names the tests use.
const (
	devAccount = emulator.AzuriteAccount
	devKey     = emulator.AzuriteKey
)

// shared is the one emulator the package's tests share (the fault tests
// start their own).
var shared = emulator.Shared{Kind: contract.AzureTable}

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Stop()
	os.Exit(code)
}

// sharedEmulator returns the shared emulator, starting it on first use; a
// test fails (never skips) when azurite is not installed.
func sharedEmulator(t testing.TB) *emulator.Emulator {
	t.Helper()
	e, err := shared.Get()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// ownEmulator starts azurite's table service in memory on a free port of
// 127.0.0.1 for one test, through the launcher `cellfabric local` uses,
// stopped when the test ends.
func ownEmulator(t testing.TB) *emulator.Emulator {
	t.Helper()
	e, err := emulator.Start(contract.AzureTable, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// createTable creates a table on the emulator as `cellfabric local` does
// (EnsureTable); in Azure the cell component creates it.
func createTable(t testing.TB, serviceURL, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := EnsureTable(ctx, emulatorOptions(serviceURL, name)); err != nil {
		t.Fatal(err)
	}
}

// tableSeq numbers the tables the tests create on the shared emulator.
var tableSeq atomic.Int64

// freshTable creates a table named base plus a number no other test of
// this process used on emu and returns its name: the shared emulator
// lives as long as the test binary, so a fixed name would find the
// records of an earlier run (go test -count=2).
func freshTable(t testing.TB, emu *emulator.Emulator, base string) string {
	t.Helper()
	name := base + strconv.FormatInt(tableSeq.Add(1), 10)
	createTable(t, emu.Endpoint(), name)
	return name
}

// sharedTable creates a fresh table named after base on the shared
// emulator and opens a backend over it, closed when the test ends.
func sharedTable(t testing.TB, base string) *Backend {
	t.Helper()
	emu := sharedEmulator(t)
	return openBackend(t, emulatorOptions(emu.Endpoint(), freshTable(t, emu, base)))
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
