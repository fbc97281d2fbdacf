package firestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Backend is a state.Backend over one Firestore database. Open one with
// Open; it is safe for concurrent use.
type Backend struct {
	c       *gfs.Client
	tenants *gfs.CollectionRef
	timeout time.Duration
	closed  atomic.Bool
}

var _ state.Backend = (*Backend)(nil)

// emulatorHostEnv is the variable with which the Firestore SDK replaces
// whatever endpoint its caller gives; Open refuses to run with it set.
const emulatorHostEnv = "FIRESTORE_EMULATOR_HOST"

// reconnectMaxDelay caps the wait between attempts to reconnect to
// Firestore (gRPC's default grows to two minutes), so that a store that
// comes back is used again within a second or so.
const reconnectMaxDelay = time.Second

// Open returns a backend over the database o names. It makes no call to
// Firestore (Ping does).
func Open(ctx context.Context, o Options) (*Backend, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("firestore state options: %w", err)
	}
	o = o.withDefaults()
	if v := os.Getenv(emulatorHostEnv); v != "" {
		return nil, fmt.Errorf("firestore state: %s=%s is set, and the Firestore SDK would use it instead of the options: unset it and give the emulator's address as the endpoint (%s)", emulatorHostEnv, v, contract.EnvEndpoint)
	}
	opts := []option.ClientOption{
		option.WithGRPCDialOption(grpc.WithChainUnaryInterceptor(commitCounter)),
		option.WithGRPCDialOption(grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: reconnectMaxDelay},
			MinConnectTimeout: o.Timeout,
		})),
	}
	if o.Endpoint != "" {
		opts = append(opts,
			option.WithEndpoint(o.Endpoint),
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		)
	}
	opts = append(opts, o.ClientOptions...)
	c, err := gfs.NewClientWithDatabase(ctx, o.Project, o.Database, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening the Firestore client for database %s of project %s: %w", o.Database, o.Project, err)
	}
	return &Backend{c: c, tenants: c.Collection(contract.FirestoreTenants), timeout: o.Timeout}, nil
}

// bound returns ctx limited to one call's timeout.
func (b *Backend) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.timeout)
}

func (b *Backend) metaRef(tenant string) *gfs.DocumentRef { return b.tenants.Doc(tenant) }

func (b *Backend) items(tenant string) *gfs.CollectionRef {
	return b.tenants.Doc(tenant).Collection(contract.FirestoreItems)
}

// get reads one document; snap is nil when it does not exist.
func (b *Backend) get(ctx context.Context, ref *gfs.DocumentRef) (*gfs.DocumentSnapshot, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	snaps, err := b.c.GetAll(ctx, []*gfs.DocumentRef{ref})
	if err != nil {
		return nil, unavailable("reading "+ref.Path, err)
	}
	if len(snaps) != 1 || !snaps[0].Exists() {
		return nil, nil
	}
	return snaps[0], nil
}

// put writes fields to ref if its version is still expect: a create when
// expect is NoVersion, else an update of every schema field with an
// update-time precondition.
func (b *Backend) put(ctx context.Context, ref *gfs.DocumentRef, fields map[string]any, schema []string, expect state.Version) (state.Version, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	ctx, attempts := countAttempts(ctx)
	var (
		wr  *gfs.WriteResult
		err error
	)
	if expect == state.NoVersion {
		wr, err = ref.Create(ctx, fields)
	} else {
		t, perr := updateTimeOf(expect)
		if perr != nil {
			return state.NoVersion, fmt.Errorf("writing %s: %w", ref.Path, perr)
		}
		wr, err = ref.Update(ctx, asUpdates(fields, schema...), gfs.LastUpdateTime(t))
	}
	if err != nil {
		return state.NoVersion, writeErr("writing "+ref.Path, err, attempts.Load())
	}
	return versionOf(wr.UpdateTime), nil
}

// GetMeta implements state.Backend.
func (b *Backend) GetMeta(ctx context.Context, tenant string) (state.Meta, state.Version, bool, error) {
	snap, err := b.get(ctx, b.metaRef(tenant))
	if err != nil || snap == nil {
		return state.Meta{}, state.NoVersion, false, err
	}
	m, err := decodeMeta(snap.Data())
	if err != nil {
		return state.Meta{}, state.NoVersion, false, fmt.Errorf("%w: the meta record of tenant %s: %w", state.ErrUnavailable, tenant, err)
	}
	return m, versionOf(snap.UpdateTime), true, nil
}

// PutMeta implements state.Backend.
func (b *Backend) PutMeta(ctx context.Context, tenant string, m state.Meta, expect state.Version) (state.Version, error) {
	f, err := metaFields(m)
	if err != nil {
		return state.NoVersion, fmt.Errorf("%w: the meta record of tenant %s: %w", state.ErrUnavailable, tenant, err)
	}
	return b.put(ctx, b.metaRef(tenant), f, metaSchema, expect)
}

// GetItem implements state.Backend.
func (b *Backend) GetItem(ctx context.Context, tenant, key string) (state.Record, state.Version, bool, error) {
	snap, err := b.get(ctx, b.items(tenant).Doc(itemID(key)))
	if err != nil || snap == nil {
		return state.Record{}, state.NoVersion, false, err
	}
	r, err := decodeItem(snap.Ref.ID, snap.Data())
	if err != nil {
		return state.Record{}, state.NoVersion, false, fmt.Errorf("%w: tenant %s: %w", state.ErrUnavailable, tenant, err)
	}
	return r, versionOf(snap.UpdateTime), true, nil
}

// PutItem implements state.Backend.
func (b *Backend) PutItem(ctx context.Context, tenant string, r state.Record, expect state.Version) (state.Version, error) {
	f, err := itemFields(r)
	if err != nil {
		return state.NoVersion, fmt.Errorf("%w: key %s of tenant %s: %w", state.ErrUnavailable, r.Key, tenant, err)
	}
	return b.put(ctx, b.items(tenant).Doc(itemID(r.Key)), f, itemSchema, expect)
}

// Ping implements state.Backend: it reads a document no tenant has.
func (b *Backend) Ping(ctx context.Context) error {
	_, err := b.get(ctx, b.tenants.Doc(contract.FirestorePingDoc))
	return err
}

// Close implements state.Backend.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	if err := b.c.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("closing the Firestore client: %w", err)
	}
	return nil
}
