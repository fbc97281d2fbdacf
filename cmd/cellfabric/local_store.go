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

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
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
	// localStoreDefault is --store's default: the embedded store, which
	// needs no emulator installed and starts at once.
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

// storeKind is the --store flag: one of contract.Kinds, or
// localStoreAuto.
type storeKind string

var _ choiceValue = (*storeKind)(nil)

// String implements flag.Value.
func (k *storeKind) String() string { return string(*k) }

// Set implements flag.Value.
func (k *storeKind) Set(v string) error {
	if !slices.Contains(k.choices(), v) {
		return fmt.Errorf("want %s", strings.Join(k.choices(), ", "))
	}
	*k = storeKind(v)
	return nil
}

func (k *storeKind) choices() []string {
	out := make([]string, 0, len(contract.Kinds)+1)
	for _, c := range contract.Kinds {
		out = append(out, string(c))
	}
	return append(out, localStoreAuto)
}

// localStoreAuto is --store auto: each cell keeps its data in the emulator
// of its own cloud's store (cloudStores).
const localStoreAuto = "auto"

// cloudStores is the store each cloud's cells use in the clouds, and so
// under --store auto.
var cloudStores = map[fabric.Cloud]contract.Kind{
	fabric.AWS:   contract.DynamoDB,
	fabric.Azure: contract.AzureTable,
	fabric.GCP:   contract.Firestore,
}

// localStore is where the local cells keep their data: each in an embedded
// store of its own, or each in a table (database) of its own on an emulator
// of a cloud's store — one emulator per kind of store the cells use
// (several with --store auto), started here and stopped by stop.
type localStore struct {
	choice  storeKind
	dataDir string                               // --data-dir; "" keeps everything in memory
	emus    map[contract.Kind]*emulator.Emulator // the running emulators
	cells   map[contract.Kind][]string           // the cells on each kind, in topology order
	used    map[contract.Kind]map[string]string  // store name → the cell that has it
}

// kindOf is the kind of store a cell of cloud keeps its data in.
func (s *localStore) kindOf(cloud fabric.Cloud) contract.Kind {
	if s.choice != localStoreAuto {
		return contract.Kind(s.choice)
	}
	if k, ok := cloudStores[cloud]; ok {
		return k
	}
	return contract.Embedded
}

// startLocalStore starts the emulators the topology's cells need under
// choice, each once. With dataDir an emulator keeps its data in
// dataDir/<kind>.emulator, so that the next `cellfabric local` with the
// same --data-dir finds it again; a kind whose emulator cannot keep data
// (Firestore) is refused with dataDir before anything starts.
func startLocalStore(choice storeKind, topo *stacks.Topology, dataDir string) (_ *localStore, err error) {
	s := &localStore{choice: choice, dataDir: dataDir, emus: map[contract.Kind]*emulator.Emulator{}, cells: map[contract.Kind][]string{}, used: map[contract.Kind]map[string]string{}}
	var kinds []contract.Kind
	for _, c := range topo.Cells {
		k := s.kindOf(c.Cloud)
		if _, ok := s.cells[k]; !ok {
			kinds = append(kinds, k)
		}
		s.cells[k] = append(s.cells[k], c.ID)
	}
	for _, k := range kinds {
		if k == contract.Embedded || dataDir == "" || emulator.Persistent(k) {
			continue
		}
		if choice == localStoreAuto {
			return nil, fmt.Errorf("--store auto runs cells %s on the %s emulator, which keeps its data in memory only: leave out --data-dir, or pick one --store for every cell", strings.Join(s.cells[k], ", "), k)
		}
		return nil, fmt.Errorf("--store %s keeps its data in memory only (the Firestore emulator cannot keep it on disk): leave out --data-dir", k)
	}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	for _, k := range kinds {
		if k == contract.Embedded {
			continue
		}
		o := emulator.Options{}
		if dataDir != "" {
			o.DataDir = filepath.Join(dataDir, string(k)+localEmulatorDirSuffix)
		}
		emu, err := emulator.Start(k, o)
		if err != nil {
			if choice == localStoreAuto {
				return nil, fmt.Errorf("--store auto: the %s cells' store %s: %w", strings.Join(s.cells[k], ", "), k, err)
			}
			return nil, fmt.Errorf("--store %s: %w", k, err)
		}
		s.emus[k] = emu
	}
	return s, nil
}

// stop stops every emulator (each saves its data first) and waits until
// their process groups are gone.
func (s *localStore) stop() {
	for _, emu := range s.emus {
		emu.Stop()
	}
}

// describe says where the cells' data is, for the banner: one line for a
// single kind of store, else a line per kind.
func (s *localStore) describe() string {
	if s.choice != localStoreAuto {
		return s.describeKind(contract.Kind(s.choice))
	}
	var lines []string
	for _, k := range contract.Kinds {
		if cells, ok := s.cells[k]; ok {
			lines = append(lines, s.describeKind(k)+" ("+strings.Join(cells, ", ")+")")
		}
	}
	return "auto, each cell on its cloud's store:\n            " + strings.Join(lines, "\n            ")
}

// describeKind says where the cells on kind keep their data.
func (s *localStore) describeKind(kind contract.Kind) string {
	where := "in memory"
	emu := s.emus[kind]
	if emu == nil {
		if s.dataDir != "" {
			where = "in " + filepath.Join(s.dataDir, "<cell id>")
		}
		return fmt.Sprintf("%s, %s", kind, where)
	}
	if d := emu.DataDir(); d != "" {
		where = "in " + d
	}
	each := "table"
	if kind == contract.Firestore {
		each = "database"
	}
	return fmt.Sprintf("%s on %s at %s, one %s per cell, %s", kind, emu.Name(), emu.Endpoint(), each, where)
}

// open opens the store of cell (of cloud), first creating its table on the
// emulator as the adapters' tests do (the cell components do it in the
// clouds), and returns it with its kind.
func (s *localStore) open(ctx context.Context, cell string, cloud fabric.Cloud, logger *slog.Logger) (state.Store, contract.Kind, error) {
	kind := s.kindOf(cloud)
	st, err := s.openKind(ctx, kind, cell, logger)
	return st, kind, err
}

// openKind opens cell's store of kind.
func (s *localStore) openKind(ctx context.Context, kind contract.Kind, cell string, logger *slog.Logger) (state.Store, error) {
	c := open.Config{Kind: kind}
	emu := s.emus[kind]
	switch kind {
	case contract.Embedded:
		if s.dataDir != "" {
			c.DataDir = filepath.Join(s.dataDir, cell)
		}
	case contract.DynamoDB:
		c.Store, c.Region, c.Endpoint = "cellfabric-local-"+cell, localDynamoRegion, emu.Endpoint()
		c.DynamoDB = &dynamo.Options{Credentials: localDynamoCredentials}
	case contract.AzureTable:
		// The Azure cell's table name: letters and digits only.
		c.Store, c.Endpoint = "state"+strings.ReplaceAll(cell, "-", ""), emu.Endpoint()
		c.AzureSharedKey = &aztable.SharedKey{Account: emulator.AzuriteAccount, Key: emulator.AzuriteKey}
	case contract.Firestore:
		// The emulator creates a database on its first use.
		c.Store, c.Project, c.Endpoint = cell+"-state", localFirestoreProject, emu.Endpoint()
	}
	if c.Store != "" {
		if s.used[kind] == nil {
			s.used[kind] = map[string]string{}
		}
		if other, ok := s.used[kind][c.Store]; ok {
			return nil, fmt.Errorf("cells %s and %s would share the %s store %s: give one of them another id", other, cell, kind, c.Store)
		}
		s.used[kind][c.Store] = cell
	}
	ectx, cancel := context.WithTimeout(ctx, localEnsureTimeout)
	defer cancel()
	var err error
	switch kind {
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
