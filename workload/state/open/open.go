// Package open opens the state port a cell's workload was given: it reads
// the environment the cell components set (workload/state/contract's Env*
// names) and opens the adapter it names — embedded, DynamoDB, Azure Table
// Storage or Firestore — behind the one state.Store every workload uses.
// It is the only package that imports every adapter; the port and the
// adapters import none of each other.
package open

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/aztable"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/dynamo"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
	"github.com/cellfabric/cellfabric/workload/state/firestore"
)

// Config says which adapter to open and where. FromEnv reads it from the
// environment; `cellfabric local` fills it in code to point cells at
// emulators.
type Config struct {
	// Kind is the adapter. Zero: contract.Embedded.
	Kind contract.Kind
	// Store names the store (contract.EnvStore): the DynamoDB table, the
	// Azure table, the Firestore database id. Required for the cloud
	// adapters.
	Store string
	// Endpoint overrides the service endpoint (contract.EnvEndpoint):
	// required for Azure (the table service URL); an emulator's address
	// otherwise. Zero: the cloud's own.
	Endpoint string
	// Region is the DynamoDB table's region (contract.EnvRegion, else the
	// cell's region). Required for DynamoDB.
	Region string
	// Project is the Firestore database's GCP project (contract.EnvProject).
	// Required for Firestore.
	Project string
	// Identity is the Azure user-assigned managed identity's client id
	// (contract.EnvIdentity). Zero: the default credential chain.
	Identity string
	// DataDir is the embedded store's directory (contract.EnvDataDir).
	// Zero: memory only.
	DataDir string

	// Emulator-only credentials, never read from the environment:
	// DynamoDB holds static AWS credentials for dynalite (nil: the SDK's
	// chain); AzureSharedKey the azurite account key (nil: Entra ID).
	DynamoDB       *dynamo.Options
	AzureSharedKey *aztable.SharedKey
}

// FromEnv reads the Config the cell components set. cellRegion is the
// cell's region (CELLFABRIC_REGION), the DynamoDB table's region unless
// contract.EnvRegion says otherwise. Every problem is reported at once.
func FromEnv(getenv func(string) string, cellRegion string) (Config, error) {
	c := Config{
		Kind:     contract.Kind(getenv(contract.EnvKind)),
		Store:    getenv(contract.EnvStore),
		Endpoint: getenv(contract.EnvEndpoint),
		Region:   getenv(contract.EnvRegion),
		Project:  getenv(contract.EnvProject),
		Identity: getenv(contract.EnvIdentity),
		DataDir:  getenv(contract.EnvDataDir),
	}
	if c.Kind == "" {
		c.Kind = contract.Embedded
	}
	if c.Region == "" {
		c.Region = cellRegion
	}
	return c, c.Validate()
}

// Validate reports what the chosen adapter lacks, naming the variables to
// set. It does no I/O.
func (c Config) Validate() error {
	var errs []error
	need := func(v, env, what string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("state store %s: %s is not set: %s", c.Kind, env, what))
		}
	}
	switch c.Kind {
	case contract.Embedded, "":
	case contract.DynamoDB:
		need(c.Store, contract.EnvStore, "the DynamoDB table's name")
		need(c.Region, contract.EnvRegion, "the table's region (or CELLFABRIC_REGION)")
	case contract.AzureTable:
		need(c.Store, contract.EnvStore, "the Azure table's name")
		need(c.Endpoint, contract.EnvEndpoint, "the table service URL, https://<account>.table.core.windows.net")
	case contract.Firestore:
		need(c.Store, contract.EnvStore, "the Firestore database id")
		need(c.Project, contract.EnvProject, "the database's GCP project")
	default:
		errs = append(errs, fmt.Errorf("%s is %q: use one of %v", contract.EnvKind, c.Kind, contract.Kinds))
	}
	return errors.Join(errs...)
}

// Open opens the adapter c names and returns the state port over it.
func Open(ctx context.Context, c Config, logger *slog.Logger) (state.Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var b state.Backend
	var err error
	switch c.Kind {
	case contract.Embedded, "":
		b, err = embedded.Open(c.DataDir, logger)
	case contract.DynamoDB:
		o := dynamo.Options{}
		if c.DynamoDB != nil {
			o = *c.DynamoDB
		}
		o.Table, o.Region, o.Endpoint = c.Store, c.Region, c.Endpoint
		b, err = dynamo.Open(ctx, o)
	case contract.AzureTable:
		b, err = aztable.Open(ctx, aztable.Options{ServiceURL: c.Endpoint, Table: c.Store, ClientID: c.Identity, SharedKey: c.AzureSharedKey})
	case contract.Firestore:
		b, err = firestore.Open(ctx, firestore.Options{Project: c.Project, Database: c.Store, Endpoint: c.Endpoint})
	}
	if err != nil {
		return nil, fmt.Errorf("opening the %s state store: %w", c.Kind, err)
	}
	return state.New(b), nil
}
