package emulator

import (
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/proc"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// squatter is another program's HTTP server on a port an emulator is
// told to use: it answers everything 200 with a JSON body, as a test's
// cell did when it took an emulator's port on CI (the router's adapter
// then talked to the cell). It counts what it was asked.
func squatter(t *testing.T) (port int, asked *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	asked = new(atomic.Int64)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().(*net.TCPAddr).Port, asked
}

// TestStartRefusesAnotherProgramOnItsPort: an emulator told a port that
// another program already serves does not start: what answers there is
// not the emulator, and Start says so instead of returning an emulator
// whose endpoint is the other program.
func TestStartRefusesAnotherProgramOnItsPort(t *testing.T) {
	t.Parallel()
	for _, kind := range []contract.Kind{contract.DynamoDB, contract.AzureTable, contract.Firestore} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			port, asked := squatter(t)
			e, err := Start(kind, Options{Port: port, StartTimeout: 30 * time.Second})
			if err == nil {
				e.Stop()
				t.Fatalf("started on port %d, where another program answers (%d requests)", port, asked.Load())
			}
			if want := "not " + map[contract.Kind]string{contract.DynamoDB: "dynalite", contract.AzureTable: "azurite", contract.Firestore: "the Firestore emulator"}[kind] + "'s answer"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		})
	}
}

// TestStartTriesAnotherPort: when the free port Start picked is taken by
// another program before the emulator binds it, the emulator is started
// on another one. Not parallel: it replaces freePort.
func TestStartTriesAnotherPort(t *testing.T) {
	for _, kind := range []contract.Kind{contract.DynamoDB, contract.AzureTable} {
		t.Run(string(kind), func(t *testing.T) {
			taken, asked := squatter(t)
			picks := 0
			freePort = func() (int, error) {
				picks++
				if picks == 1 {
					return taken, nil
				}
				return proc.FreePort()
			}
			t.Cleanup(func() { freePort = proc.FreePort })
			e, err := Start(kind, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(e.Stop)
			if e.Port() == taken || picks != 2 {
				t.Errorf("the emulator is on port %d after %d picks; the taken port is %d", e.Port(), picks, taken)
			}
			if err := e.ready()(); err != nil {
				t.Errorf("started, but does not answer: %v", err)
			}
			before := asked.Load()
			if err := e.ready()(); err != nil || asked.Load() != before {
				t.Errorf("the emulator's endpoint %s reaches the other program (%v)", e.Endpoint(), err)
			}
		})
	}
}
