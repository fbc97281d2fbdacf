package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/aztable"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/dynamo"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
	"github.com/cellfabric/cellfabric/workload/state/open"
)

// Settings of `cellfabric local --store`, in one place. The emulators take
// any region, project and (for dynalite) any credentials; these only have
// to be the same for every cell.
const (
	// localStoreDefault is --store's default: today's embedded store.
	localStoreDefault = contract.Embedded
	// localEnsureTimeout bounds creating one cell's table on an emulator
	// and the wait until its store answers.
	localEnsureTimeout = time.Minute
	// localPingTimeout bounds one ping of a new cell's store, and
	// localPingPause is the pause before the next.
	localPingTimeout = 5 * time.Second
	localPingPause   = 100 * time.Millisecond
	// localDynamoRegion signs the requests to dynalite.
	localDynamoRegion = "us-east-1"
	// localFirestoreProject is the project of the cells' Firestore
	// databases; "demo-" marks a project that exists only in emulators.
	localFirestoreProject = "demo-cellfabric-local"
	// localEmulatorDirSuffix names the emulator's directory in --data-dir:
	// <kind>.emulator, which no cell id (no '.') can collide with.
	localEmulatorDirSuffix = ".emulator"
)

// localDynamoCredentials sign the requests to dynalite, which checks that
// a request is signed, not by whom.
var localDynamoCredentials = credentials.NewStaticCredentialsProvider("AKIDCELLFABRICLOCAL", "cellfabric-local-not-a-secret", "")

// storeKind is the --store flag: one of contract.Kinds.
type storeKind contract.Kind

var _ choiceValue = (*storeKind)(nil)

// String implements flag.Value.
func (k *storeKind) String() string { return string(*k) }

// Set implements flag.Value.
func (k *storeKind) Set(v string) error {
	if !slices.Contains(contract.Kinds, contract.Kind(v)) {
		return fmt.Errorf("want %s", strings.Join(k.choices(), ", "))
	}
	*k = storeKind(v)
	return nil
}

func (k *storeKind) choices() []string {
	out := make([]string, len(contract.Kinds))
	for i, c := range contract.Kinds {
		out[i] = string(c)
	}
	return out
}

// localStore is where the local cells keep their data: each in an embedded
// store of its own, or each in a table (database) of its own on one
// emulator of a cloud's store, started here and stopped by stop.
type localStore struct {
	kind    contract.Kind
	dataDir string             // --data-dir; "" keeps everything in memory
	emu     *emulator.Emulator // nil for the embedded store
	used    map[string]string  // store name → the cell that has it
}

// startLocalStore starts the emulator kind needs, if any. With dataDir the
// emulator keeps its data in dataDir/<kind>.emulator, so that the next
// `cellfabric local` with the same --data-dir finds it again.
func startLocalStore(kind contract.Kind, dataDir string) (*localStore, error) {
	s := &localStore{kind: kind, dataDir: dataDir, used: map[string]string{}}
	if kind == contract.Embedded {
		return s, nil
	}
	o := emulator.Options{}
	if dataDir != "" {
		if !emulator.Persistent(kind) {
			return nil, fmt.Errorf("--store %s keeps its data in memory only (the Firestore emulator cannot keep it on disk): leave out --data-dir", kind)
		}
		o.DataDir = filepath.Join(dataDir, string(kind)+localEmulatorDirSuffix)
	}
	emu, err := emulator.Start(kind, o)
	if err != nil {
		return nil, fmt.Errorf("--store %s: %w", kind, err)
	}
	s.emu = emu
	return s, nil
}

// stop stops the emulator (it saves its data first) and waits until its
// process group is gone.
func (s *localStore) stop() {
	if s.emu != nil {
		s.emu.Stop()
	}
}

// describe says where the cells' data is, for the banner.
func (s *localStore) describe() string {
	where := "in memory"
	if s.emu == nil {
		if s.dataDir != "" {
			where = "in " + filepath.Join(s.dataDir, "<cell id>")
		}
		return fmt.Sprintf("%s, %s", s.kind, where)
	}
	if d := s.emu.DataDir(); d != "" {
		where = "in " + d
	}
	each := "table"
	if s.kind == contract.Firestore {
		each = "database"
	}
	return fmt.Sprintf("%s on %s at %s, one %s per cell, %s", s.kind, s.emu.Name(), s.emu.Endpoint(), each, where)
}

// open opens cell's store, first creating its table on the emulator as the
// adapters' tests do (the cell components do it in the clouds).
func (s *localStore) open(ctx context.Context, cell string, logger *slog.Logger) (state.Store, error) {
	c := open.Config{Kind: s.kind}
	switch s.kind {
	case contract.Embedded:
		if s.dataDir != "" {
			c.DataDir = filepath.Join(s.dataDir, cell)
		}
	case contract.DynamoDB:
		c.Store, c.Region, c.Endpoint = "cellfabric-local-"+cell, localDynamoRegion, s.emu.Endpoint()
		c.DynamoDB = &dynamo.Options{Credentials: localDynamoCredentials}
	case contract.AzureTable:
		// The Azure cell's table name: letters and digits only.
		c.Store, c.Endpoint = "state"+strings.ReplaceAll(cell, "-", ""), s.emu.Endpoint()
		c.AzureSharedKey = &aztable.SharedKey{Account: emulator.AzuriteAccount, Key: emulator.AzuriteKey}
	case contract.Firestore:
		// The emulator creates a database on its first use.
		c.Store, c.Project, c.Endpoint = cell+"-state", localFirestoreProject, s.emu.Endpoint()
	}
	if c.Store != "" {
		if other, ok := s.used[c.Store]; ok {
			return nil, fmt.Errorf("cells %s and %s would share the %s store %s: give one of them another id", other, cell, s.kind, c.Store)
		}
		s.used[c.Store] = cell
	}
	ectx, cancel := context.WithTimeout(ctx, localEnsureTimeout)
	defer cancel()
	var err error
	switch s.kind {
	case contract.DynamoDB:
		err = dynamo.EnsureTable(ectx, dynamo.Options{Table: c.Store, Region: c.Region, Endpoint: c.Endpoint, Credentials: localDynamoCredentials})
	case contract.AzureTable:
		err = aztable.EnsureTable(ectx, aztable.Options{ServiceURL: c.Endpoint, Table: c.Store, SharedKey: c.AzureSharedKey})
	}
	if err != nil {
		return nil, err
	}
	st, err := open.Open(ctx, c, logger)
	if err != nil {
		return nil, err
	}
	if err := waitAnswers(ectx, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// waitAnswers pings st until it answers: an emulator takes its first
// calls slowly (the Firestore emulator's JVM warms up), and local's cells
// should be healthy when it says they run.
func waitAnswers(ctx context.Context, st state.Store) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, localPingTimeout)
		err := st.Ping(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the store does not answer: %w", err)
		case <-time.After(localPingPause):
		}
	}
}
