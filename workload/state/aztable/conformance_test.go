package aztable

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// TestConformance runs the state port's conformance suite against azurite,
// recording every REST call the adapter makes, then checks that those
// calls are exactly the ones contract.AzureTableCalls declares, each with
// its data action.
func TestConformance(t *testing.T) {
	emu := sharedEmulator(t)
	table := freshTable(t, emu, "conformance")
	rec := newRecorder(emu.Endpoint(), table)
	opts := emulatorOptions(emu.Endpoint(), table, rec)
	t.Run("Suite", func(t *testing.T) {
		statetest.Run(t, statetest.Harness{
			Open: func(t *testing.T) state.Backend { return openBackend(t, opts) },
		})
	})
	// The suite never pings; the workload's health check does.
	if err := state.New(openBackend(t, opts)).Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	t.Run("CallsMatchDeclaredPermissions", func(t *testing.T) {
		checkCalls(t, rec.calls())
	})
}

// checkCalls fails on a call with no declared permission, and on a
// declared call (so a permission) the adapter never made.
func checkCalls(t *testing.T, made []string) {
	t.Helper()
	declared := map[string]contract.AzureTableCall{}
	for _, c := range contract.AzureTableCalls {
		declared[c.Method+" "+c.Path] = c
	}
	used := map[string]bool{}
	for _, call := range made {
		c, ok := declared[call]
		if !ok {
			t.Errorf("the adapter made %s, which contract.AzureTableCalls does not declare: add it with its data action", call)
			continue
		}
		used[c.DataAction] = true
		t.Logf("%s → %s", call, c.DataAction)
	}
	for call := range declared {
		if !slices.Contains(made, call) {
			t.Errorf("contract.AzureTableCalls declares %s, which the adapter never made: remove it", call)
		}
	}
	for _, a := range contract.AzureTableDataActions {
		if !used[a] {
			t.Errorf("contract.AzureTableDataActions grants %s, which no call used", a)
		}
	}
	for a := range used {
		if !slices.Contains(contract.AzureTableDataActions, a) {
			t.Errorf("a call needs %s, which contract.AzureTableDataActions does not grant", a)
		}
	}
}

// recorder is an azcore pipeline policy that records each call's method
// and path shape: the path below the service URL, with the table name and
// entity keys replaced by {table}, {pk} and {rk}.
type recorder struct {
	base, table string
	mu          sync.Mutex
	seen        map[string]int
}

func newRecorder(serviceURL, table string) *recorder {
	base := serviceURL[strings.Index(serviceURL[len("http://"):], "/")+len("http://"):]
	return &recorder{base: base, table: table, seen: map[string]int{}}
}

var entityPath = regexp.MustCompile(`^\(PartitionKey='[^']*',RowKey='[^']*'\)$`)

// shape returns the declared form of a request path.
func (r *recorder) shape(path string) string {
	rest, ok := strings.CutPrefix(path, r.base+"/"+r.table)
	if !ok {
		return path // not this table: recorded as it is, so it fails
	}
	switch {
	case rest == "", rest == "()":
		return "/{table}" + rest
	case entityPath.MatchString(rest):
		return "/{table}(PartitionKey='{pk}',RowKey='{rk}')"
	}
	return "/{table}" + rest
}

// Do implements policy.Policy.
func (r *recorder) Do(req *policy.Request) (*http.Response, error) {
	call := req.Raw().Method + " " + r.shape(req.Raw().URL.Path)
	r.mu.Lock()
	r.seen[call]++
	r.mu.Unlock()
	return req.Next()
}

// calls returns the distinct calls recorded, sorted.
func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for c := range r.seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
