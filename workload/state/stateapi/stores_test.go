package stateapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/dynamo"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
)

// dynalite is the DynamoDB emulator the dynamodb store of these tests
// runs on, started by the first test that needs it.
var dynalite = &emulator.Shared{Kind: contract.DynamoDB}

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.Stop()
	os.Exit(code)
}

// stores are the stores every API test runs over: the embedded store and
// DynamoDB's adapter on dynalite. Each open returns a new, empty store.
var stores = []struct {
	name string
	open func(t *testing.T) state.Store
}{
	{"embedded", func(*testing.T) state.Store { return state.New(embedded.New()) }},
	{"dynamodb", openDynamo},
}

// openDynamo creates a table of its own on dynalite and opens the store
// over it, as `cellfabric local --store dynamodb` does.
func openDynamo(t *testing.T) state.Store {
	t.Helper()
	e, err := dynalite.Get()
	if err != nil {
		t.Fatalf("starting dynalite (make emulators installs it): %v", err)
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	o := dynamo.Options{
		Table: "stateapi-" + hex.EncodeToString(b[:]), Region: "us-east-1", Endpoint: e.Endpoint(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSTATEAPITEST", "not-a-secret", ""),
	}
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := dynamo.EnsureTable(c, o); err != nil {
		t.Fatalf("creating table %s: %v", o.Table, err)
	}
	be, err := dynamo.Open(c, o)
	if err != nil {
		t.Fatalf("opening table %s: %v", o.Table, err)
	}
	return state.New(be)
}

// eachStore runs fn over each store.
func eachStore(t *testing.T, fn func(t *testing.T, open func(t *testing.T) state.Store)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			fn(t, s.open)
		})
	}
}
