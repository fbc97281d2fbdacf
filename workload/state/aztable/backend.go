package aztable

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/cellfabric/cellfabric/workload/state"
)

// Backend is an Azure table as a state.Backend. Open one with Open; it is
// safe for concurrent use.
type Backend struct {
	client    *aztables.Client
	transport *http.Transport
	table     string
	service   string // scheme://host of the service, for messages
	timeout   time.Duration
	closed    atomic.Bool
}

var _ state.Backend = (*Backend)(nil)

// Retries of the SDK's pipeline. A read is retried on any failure: it
// changes nothing. A write is retried only when the service answered that
// it did not take it (429, 503 ServerBusy): after a lost connection or a
// timeout the write may have been applied, and retrying it would turn the
// adapter's own success into a reported conflict (409 or 412).
var (
	readRetry = policy.RetryOptions{
		MaxRetries:    2,
		RetryDelay:    50 * time.Millisecond,
		MaxRetryDelay: time.Second,
	}
	writeRetry = policy.RetryOptions{
		MaxRetries:    2,
		RetryDelay:    50 * time.Millisecond,
		MaxRetryDelay: time.Second,
		ShouldRetry: func(resp *http.Response, err error) bool {
			return err == nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable)
		},
	}
)

// Open returns a Backend over the table o names. It checks o and builds
// the clients; it sends no request (Ping does).
func Open(ctx context.Context, o Options) (*Backend, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("azure table options: %w", err)
	}
	o = o.withDefaults()
	svc, tr, err := serviceClient(o)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(o.ServiceURL) // Validate parsed it
	return &Backend{
		client:    svc.NewClient(o.Table),
		transport: tr,
		table:     o.Table,
		service:   u.Scheme + "://" + u.Host,
		timeout:   o.Timeout,
	}, nil
}

// serviceClient builds the table service client o describes (o valid and
// with its defaults) and the transport under it, whose idle connections
// the caller closes.
func serviceClient(o Options) (*aztables.ServiceClient, *http.Transport, error) {
	u, _ := url.Parse(o.ServiceURL) // Validate parsed it
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: o.Timeout,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     30 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	retry := readRetry
	retry.TryTimeout = o.Timeout
	copts := &aztables.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport:       &http.Client{Transport: tr},
		Retry:           retry,
		PerCallPolicies: o.PerCallPolicies,
		Telemetry:       policy.TelemetryOptions{ApplicationID: "cellfabric-state"},
	}}
	serviceURL := strings.TrimRight(o.ServiceURL, "/")
	var svc *aztables.ServiceClient
	if k := o.SharedKey; k != nil {
		cred, err := aztables.NewSharedKeyCredential(k.Account, string(k.Key))
		if err != nil {
			return nil, nil, fmt.Errorf("azure table shared key of account %s: %w", k.Account, err)
		}
		copts.InsecureAllowCredentialWithHTTP = u.Scheme == "http" // only to loopback (Validate)
		if svc, err = aztables.NewServiceClientWithSharedKey(serviceURL, cred, copts); err != nil {
			return nil, nil, fmt.Errorf("azure table client for %s: %w", serviceURL, err)
		}
	} else {
		cred, err := credential(o.ClientID)
		if err != nil {
			return nil, nil, err
		}
		if svc, err = aztables.NewServiceClient(serviceURL, cred, copts); err != nil {
			return nil, nil, fmt.Errorf("azure table client for %s: %w", serviceURL, err)
		}
	}
	return svc, tr, nil
}

// credential returns the user-assigned managed identity clientID, or the
// default credential chain when clientID is empty.
func credential(clientID string) (azcore.TokenCredential, error) {
	if clientID != "" {
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ID: azidentity.ClientID(clientID),
		})
		if err != nil {
			return nil, fmt.Errorf("managed identity %s: %w", clientID, err)
		}
		return cred, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("default azure credential (set client_id to use a user-assigned identity): %w", err)
	}
	return cred, nil
}

// call bounds one request (with its retries) by the backend's timeout.
func (b *Backend) call(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if b.closed.Load() {
		return nil, nil, state.ErrClosed
	}
	c, cancel := context.WithTimeout(ctx, b.timeout)
	return c, cancel, nil
}

// get reads one entity; found is false when it does not exist.
func (b *Backend) get(ctx context.Context, op, tenant, row string) (aztables.EDMEntity, state.Version, bool, error) {
	c, cancel, err := b.call(ctx)
	if err != nil {
		return aztables.EDMEntity{}, state.NoVersion, false, err
	}
	defer cancel()
	resp, err := b.client.GetEntity(c, tenant, row, nil)
	if notFound(err) {
		return aztables.EDMEntity{}, state.NoVersion, false, nil
	}
	if err != nil {
		return aztables.EDMEntity{}, state.NoVersion, false, b.unavailable(op, err)
	}
	if resp.ETag == "" {
		return aztables.EDMEntity{}, state.NoVersion, false, fmt.Errorf("%s: %w: the table service sent no ETag", op, state.ErrUnavailable)
	}
	e, err := unmarshal(resp.Value)
	if err != nil {
		return aztables.EDMEntity{}, state.NoVersion, false, fmt.Errorf("%s: %w", op, err)
	}
	return e, state.Version(resp.ETag), true, nil
}

// put writes one entity if it is still at version expect: Insert Entity
// when expect is state.NoVersion, else Update Entity (replace) with
// If-Match: expect. It returns the entity's new ETag.
func (b *Backend) put(ctx context.Context, op string, entity []byte, expect state.Version) (state.Version, error) {
	c, cancel, err := b.call(ctx)
	if err != nil {
		return state.NoVersion, err
	}
	defer cancel()
	c = policy.WithRetryOptions(c, withTryTimeout(writeRetry, b.timeout))
	var etag azcore.ETag
	if expect == state.NoVersion {
		// The service need not echo the entity back: the ETag is a header.
		c = runtime.WithHTTPHeader(c, http.Header{"Prefer": {"return-no-content"}})
		resp, err := b.client.AddEntity(c, entity, nil)
		if err != nil {
			return state.NoVersion, b.writeErr(op, err)
		}
		etag = resp.ETag
	} else {
		match := azcore.ETag(expect)
		resp, err := b.client.UpdateEntity(c, entity, &aztables.UpdateEntityOptions{IfMatch: &match, UpdateMode: aztables.UpdateModeReplace})
		if err != nil {
			return state.NoVersion, b.writeErr(op, err)
		}
		etag = resp.ETag
	}
	if etag == "" {
		return state.NoVersion, fmt.Errorf("%s: %w: the table service sent no ETag", op, state.ErrUnavailable)
	}
	return state.Version(etag), nil
}

func withTryTimeout(o policy.RetryOptions, d time.Duration) policy.RetryOptions {
	o.TryTimeout = d
	return o
}

// GetMeta implements state.Backend.
func (b *Backend) GetMeta(ctx context.Context, tenant string) (state.Meta, state.Version, bool, error) {
	op := "reading the meta record of tenant " + tenant
	e, v, found, err := b.get(ctx, op, tenant, metaRow)
	if err != nil || !found {
		return state.Meta{}, state.NoVersion, false, err
	}
	m, err := decodeMeta(e)
	if err != nil {
		return state.Meta{}, state.NoVersion, false, fmt.Errorf("%s: %w", op, err)
	}
	return m, v, true, nil
}

// PutMeta implements state.Backend.
func (b *Backend) PutMeta(ctx context.Context, tenant string, m state.Meta, expect state.Version) (state.Version, error) {
	op := "writing the meta record of tenant " + tenant
	entity, err := encodeMeta(tenant, m)
	if err != nil {
		return state.NoVersion, fmt.Errorf("%s: %w", op, err)
	}
	return b.put(ctx, op, entity, expect)
}

// GetItem implements state.Backend.
func (b *Backend) GetItem(ctx context.Context, tenant, key string) (state.Record, state.Version, bool, error) {
	op := fmt.Sprintf("reading key %s of tenant %s", key, tenant)
	e, v, found, err := b.get(ctx, op, tenant, itemRow(key))
	if err != nil || !found {
		return state.Record{}, state.NoVersion, false, err
	}
	r, err := decodeItem(e)
	if err != nil {
		return state.Record{}, state.NoVersion, false, fmt.Errorf("%s: %w", op, err)
	}
	return r, v, true, nil
}

// PutItem implements state.Backend.
func (b *Backend) PutItem(ctx context.Context, tenant string, r state.Record, expect state.Version) (state.Version, error) {
	op := fmt.Sprintf("writing key %s of tenant %s", r.Key, tenant)
	entity, err := encodeItem(tenant, r)
	if err != nil {
		return state.NoVersion, fmt.Errorf("%s: %w", op, err)
	}
	return b.put(ctx, op, entity, expect)
}

// pingPartition is a partition key no tenant has (tenant ids are DNS
// labels), read by Ping.
const pingPartition = "~ping"

// Ping implements state.Backend: it reads an entity that does not exist,
// which needs the table to exist and the identity to hold entities/read.
func (b *Backend) Ping(ctx context.Context) error {
	_, _, _, err := b.get(ctx, "pinging table "+b.table, pingPartition, metaRow)
	return err
}

// Close implements state.Backend: later calls fail with state.ErrClosed,
// and idle connections are closed.
func (b *Backend) Close() error {
	if !b.closed.Swap(true) {
		b.transport.CloseIdleConnections()
	}
	return nil
}
