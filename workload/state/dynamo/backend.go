package dynamo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state"
)

// Backend is a state.Backend over one DynamoDB table. Open one with Open;
// it is safe for concurrent use.
type Backend struct {
	db      *dynamodb.Client
	table   string
	timeout time.Duration
	http    httpClient
	closed  atomic.Bool
}

var _ state.Backend = (*Backend)(nil)

// Open returns a Backend over the table o names, after checking once
// (DescribeTable) that the table exists with the schema of
// workload/state/contract: an error says what differs. It creates nothing.
func Open(ctx context.Context, o Options) (*Backend, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("dynamodb state options: %w", err)
	}
	o = o.withDefaults()
	db, hc, err := newClient(ctx, o)
	if err != nil {
		return nil, err
	}
	b := &Backend{db: db, table: o.Table, timeout: o.Timeout, http: hc}
	if err := b.checkTable(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// newClient builds the DynamoDB client o describes (o with its defaults):
// its credentials, endpoint, timeouts and retries.
func newClient(ctx context.Context, o Options) (*dynamodb.Client, httpClient, error) {
	creds := o.Credentials
	if creds == nil {
		// Only the credentials come from the default chain; everything
		// else is in o.
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(o.Region))
		if err != nil {
			return nil, nil, fmt.Errorf("loading the AWS default credential chain (check the AWS_* environment variables and shared config files, or set Options.Credentials): %w", err)
		}
		creds = cfg.Credentials
	}
	hc := newHTTPClient(o.Timeout)
	dopts := dynamodb.Options{
		Region:      o.Region,
		Credentials: creds,
		HTTPClient:  hc,
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = o.MaxAttempts
			so.MaxBackoff = maxBackoff
			so.BaseDelay = baseBackoff
		}),
		APIOptions: o.APIOptions,
	}
	if o.Endpoint != "" {
		dopts.BaseEndpoint = aws.String(o.Endpoint)
	}
	return dynamodb.New(dopts), hc, nil
}

// httpClient is the SDK's HTTP client (TLS 1.2 at least, no redirects)
// fixed with the settings below; Close closes its idle connections.
type httpClient interface {
	aws.HTTPClient
	CloseIdleConnections()
}

// newHTTPClient returns an HTTP client that keeps enough idle connections
// for many concurrent calls to one endpoint and gives up connecting after
// timeout.
func newHTTPClient(timeout time.Duration) httpClient {
	c := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = timeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = maxIdleConns
			tr.MaxIdleConnsPerHost = maxIdleConns
		}).
		Freeze()
	if hc, ok := c.(httpClient); ok {
		return hc
	}
	return keepIdle{c}
}

// keepIdle is a client without CloseIdleConnections (not what the SDK
// returns today): its idle connections time out by themselves.
type keepIdle struct{ aws.HTTPClient }

func (keepIdle) CloseIdleConnections() {}

// checkTable describes the table and compares it with the contract's schema.
func (b *Backend) checkTable(ctx context.Context) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	out, err := b.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(b.table)})
	if err != nil {
		return b.fail("describing the table", err)
	}
	if err := checkSchema(out.Table); err != nil {
		return fmt.Errorf("dynamodb table %s: %w", b.table, err)
	}
	return nil
}

// bound limits one call to the backend's timeout.
func (b *Backend) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.timeout)
}

// pingKey is a record no tenant can have (a tenant id is a DNS label).
var pingKey = map[string]types.AttributeValue{
	pkAttr: &types.AttributeValueMemberS{Value: "~ping"},
	skAttr: &types.AttributeValueMemberS{Value: metaName},
}

// Ping implements state.Backend: an eventually consistent read of a record
// that never exists, which costs half a read unit and needs no permission
// but GetItem.
func (b *Backend) Ping(ctx context.Context) error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	ctx, cancel := b.bound(ctx)
	defer cancel()
	_, err := b.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(b.table), Key: pingKey})
	if err != nil {
		return b.fail("pinging", err)
	}
	return nil
}

// Close implements state.Backend: later calls fail with state.ErrClosed
// and idle connections are closed.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.http.CloseIdleConnections()
	return nil
}
