package firestore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/api/option"
)

// DefaultTimeout bounds one call to Firestore when Options.Timeout is zero:
// long enough for a write in another region, short enough that a dead
// store fails a request fast.
const DefaultTimeout = 5 * time.Second

// maxDatabaseID is the longest database id Firestore accepts.
const maxDatabaseID = 63

// Options configure the backend. The workload fills them from the
// environment the cell component sets (contract.EnvProject, EnvStore,
// EnvEndpoint).
type Options struct {
	// Project is the GCP project id of the database. Required.
	Project string
	// Database is the Firestore database id: the cell's own database,
	// contract.EnvStore. Required ("(default)" must be named).
	Database string
	// Endpoint is the host:port of a Firestore emulator; the adapter then
	// speaks plaintext gRPC to it without credentials. Zero: Firestore's
	// own endpoint over TLS, with Application Default Credentials (on Cloud
	// Run, the service's account through the metadata server).
	Endpoint string
	// Timeout bounds each call to Firestore (a read, a write, a whole
	// scan). Zero: DefaultTimeout.
	Timeout time.Duration
	// ClientOptions are added after the adapter's own client options, for
	// tests that record calls with a gRPC interceptor
	// (option.WithGRPCDialOption). Zero: none.
	ClientOptions []option.ClientOption
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// Validate reports every problem with o at once. It does no I/O.
func (o Options) Validate() error {
	var errs []error
	if o.Project == "" {
		errs = append(errs, errors.New("project: required: the GCP project id of the Firestore database"))
	} else if strings.ContainsAny(o.Project, "/ ") {
		errs = append(errs, fmt.Errorf("project: %q is not a project id (no '/' or spaces)", o.Project))
	}
	switch {
	case o.Database == "":
		errs = append(errs, errors.New(`database: required: the cell's Firestore database id ("(default)" for the default database)`))
	case len(o.Database) > maxDatabaseID || strings.ContainsAny(o.Database, "/ "):
		errs = append(errs, fmt.Errorf("database: %q is not a database id (at most %d characters, no '/' or spaces)", o.Database, maxDatabaseID))
	}
	if o.Endpoint != "" && (strings.Contains(o.Endpoint, "://") || !strings.Contains(o.Endpoint, ":")) {
		errs = append(errs, fmt.Errorf("endpoint: %q is not host:port: give the emulator's address, e.g. 127.0.0.1:8080", o.Endpoint))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %v is negative: use a positive duration, or zero for %v", o.Timeout, DefaultTimeout))
	}
	return errors.Join(errs...)
}
