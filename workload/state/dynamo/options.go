package dynamo

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// Defaults of Options, in one place.
const (
	// DefaultTimeout bounds one call to DynamoDB, its retries included.
	DefaultTimeout = 3 * time.Second
	// DefaultMaxAttempts is how often one call is tried (the first try
	// included) when DynamoDB throttles, answers 5xx or cannot be reached.
	DefaultMaxAttempts = 3
	// maxBackoff bounds the pause between two tries: a dead store must
	// fail within DefaultTimeout, not after the SDK's 20 s backoff.
	maxBackoff = time.Second
	// baseBackoff is the first pause before a retry of an error other
	// than throttling (the SDK waits about 1 s after throttling).
	baseBackoff = 25 * time.Millisecond
	// maxIdleConns is how many idle connections to DynamoDB are kept for
	// reuse (the SDK keeps 10 per host: concurrent writers would open and
	// close connections all the time).
	maxIdleConns = 256
)

// Options open a Backend. The workload fills them from the environment the
// cell component sets (contract.EnvStore, EnvRegion, EnvEndpoint); Open reads
// no environment variable itself.
type Options struct {
	// Table is the DynamoDB table's name (contract.EnvStore). Required.
	Table string
	// Region is the table's AWS region, e.g. "eu-west-1"
	// (contract.EnvRegion, else the cell's region). Required, also with an
	// Endpoint: requests are signed for it.
	Region string
	// Endpoint is the DynamoDB endpoint's URL, e.g. "http://127.0.0.1:8000"
	// for a local emulator (contract.EnvEndpoint). Zero: the region's
	// DynamoDB endpoint.
	Endpoint string
	// Credentials sign the requests. Nil: the SDK's default credential
	// chain (environment, shared files, the ECS task role, the EC2
	// instance role), resolved when Open is called.
	Credentials aws.CredentialsProvider
	// Timeout bounds each call to DynamoDB, retries included. Zero:
	// DefaultTimeout. The caller's context can only shorten it.
	Timeout time.Duration
	// MaxAttempts is how often one call is tried before it fails with
	// state.ErrUnavailable. Zero: DefaultMaxAttempts; 1: no retry.
	MaxAttempts int
	// APIOptions are middleware added to every call's stack (metrics,
	// tracing; the tests record the calls made). Nil: none.
	APIOptions []func(*middleware.Stack) error
}

// withDefaults returns o with every zero field that has a default set to it.
func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	return o
}

// Validate reports every problem of o at once. It does no I/O.
func (o Options) Validate() error {
	var errs []error
	if err := validTableName(o.Table); err != nil {
		errs = append(errs, fmt.Errorf("table: %w", err))
	}
	if o.Region == "" {
		errs = append(errs, errors.New("region: empty: set the table's AWS region (e.g. eu-west-1)"))
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("endpoint: %w", err))
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			errs = append(errs, fmt.Errorf("endpoint: %q is not an http(s) URL with a host: use e.g. http://127.0.0.1:8000, or leave it empty for AWS", o.Endpoint))
		}
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %v is negative: use 0 for the default (%v)", o.Timeout, DefaultTimeout))
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts: %d is negative: use 0 for the default (%d)", o.MaxAttempts, DefaultMaxAttempts))
	}
	return errors.Join(errs...)
}

// validTableName applies DynamoDB's rule for table names: 3 to 255 of
// letters, digits, '_', '-' and '.'.
func validTableName(name string) error {
	if len(name) < 3 || len(name) > 255 {
		return fmt.Errorf("%q is %d characters: a DynamoDB table name has 3 to 255", name, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("%q has the character %q at byte %d: a DynamoDB table name has letters, digits, '_', '-' and '.'", name, c, i)
		}
	}
	return nil
}
