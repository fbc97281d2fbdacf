package directory

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Propagation bounds of the stores (Config.Settle).
const (
	// SettleWorkersKV is how long a Workers KV write may take to be seen at
	// every location (about 60 s by Cloudflare's documentation).
	SettleWorkersKV = 60 * time.Second
	// SettleMemory is Memory's and File's: a write is seen at once.
	SettleMemory = 0
)

// DefaultBatchParallel is how many entries of a batch are written at once.
const DefaultBatchParallel = 8

// Config configures a Directory.
type Config struct {
	// KV is the store. Required.
	KV KV
	// Registry returns the registry writes are validated against (cells,
	// their state, weight and geo): the one the writer routes with.
	// Required. While it returns nil, writes are refused with
	// ReasonNoRegistry and reads are served.
	Registry func() *router.Snapshot
	// Now is the clock of journal keys and of Changes. Default time.Now.
	Now func() time.Time
	// Settle is the store's propagation bound: Changes returns only
	// journal records at least this old, so that no record written
	// elsewhere and not yet visible here is ever skipped.
	// SettleWorkersKV for Workers KV; zero (SettleMemory) for a strongly
	// consistent store read in the process that writes it.
	Settle time.Duration
	// BatchParallel is how many entries of a batch are written at once.
	// Default DefaultBatchParallel.
	BatchParallel int
	// ClosedTTL is how long RecordAtRequest uses the closed cells it read
	// (ClosedCache) before it lists the c/ flags again; a cell this
	// Directory closes or opens itself is seen at once. Default 0: listed
	// at every placement.
	ClosedTTL time.Duration
	// Logger logs what a caller is not told (a counter that could not be
	// updated). Default: discard (router.DiscardLogger). A *slog.Logger
	// will do; the edge Worker passes its own writer.
	Logger router.Logger
}

// Directory is the tenant directory over a KV. It is safe for concurrent
// use. Writes to one tenant through one Directory are serialised; the
// control plane runs one writer per tenant at a time across processes (see
// the package documentation).
type Directory struct {
	kv       KV
	registry func() *router.Snapshot
	now      func() time.Time
	settle   time.Duration
	parallel int
	log      router.Logger
	closed   *ClosedCache // the closed cells RecordAtRequest places around

	seed  maphash.Seed
	locks [64]sync.Mutex // per tenant (by hash): one write at a time

	countMu sync.Mutex // n/<cell> read-modify-write

	clockMu  sync.Mutex
	lastMs   int64            // the latest journal ms handed out: journal keys never go back in time
	inflight map[int64]int    // journal ms → writes begun and not finished
	burned   map[string]int64 // tenant → epoch journaled whose entry was not stored
}

// New returns a Directory.
func New(cfg Config) (*Directory, error) {
	var errs []error
	if cfg.KV == nil {
		errs = append(errs, errors.New("missing KV: give the store of the directory's keys"))
	}
	if cfg.Registry == nil {
		errs = append(errs, errors.New("missing Registry: give the registry snapshot writes are validated against"))
	}
	if cfg.Settle < 0 {
		errs = append(errs, fmt.Errorf("negative Settle %s: give the store's propagation bound, 0 or more", cfg.Settle))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tenant directory: %w", err)
	}
	d := &Directory{
		kv: cfg.KV, registry: cfg.Registry, now: cfg.Now, settle: cfg.Settle,
		parallel: cfg.BatchParallel, log: cfg.Logger,
		seed: maphash.MakeSeed(), inflight: map[int64]int{}, burned: map[string]int64{},
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.parallel <= 0 {
		d.parallel = DefaultBatchParallel
	}
	if d.log == nil {
		d.log = router.DiscardLogger
	}
	d.closed = NewClosedCache(d.Closed, cfg.ClosedTTL, d.now)
	return d, nil
}

// Settle returns the propagation bound the directory waits out.
func (d *Directory) Settle() time.Duration { return d.settle }

// lock serialises writes to tenant id within this Directory. Tenants
// whose ids hash to the same stripe share a lock: a write waits for
// another tenant's now and then.
func (d *Directory) lock(id string) func() {
	m := &d.locks[d.stripe(id)]
	m.Lock()
	return m.Unlock
}

// stripe is the index of tenant id's lock.
func (d *Directory) stripe(id string) uint64 {
	return maphash.String(d.seed, id) % uint64(len(d.locks))
}

// snapshot returns the registry writes are validated against.
func (d *Directory) snapshot(tenant string) (*router.Snapshot, error) {
	if s := d.registry(); s != nil {
		return s, nil
	}
	return nil, &Error{Status: 503, Reason: ReasonNoRegistry, Tenant: tenant, RetryAfter: 5,
		Msg: fmt.Sprintf("the directory holds no registry yet, so it cannot check a write to tenant %q; retry once the registry is loaded", tenant)}
}

// checkID refuses an id that is not a tenant id.
func checkID(id string) error {
	if fabric.ValidTenantID(id) {
		return nil
	}
	return errorf(422, ReasonInvalidID, id, "%q is not a valid tenant id: use %s", clip(id, 80), fabric.TenantIDRule)
}

// Get returns tenant id's entry; found is false when the directory has
// none. The error is an *Error.
func (d *Directory) Get(ctx context.Context, id string) (router.Tenant, bool, error) {
	if err := checkID(id); err != nil {
		return router.Tenant{}, false, err
	}
	return d.get(ctx, id)
}

func (d *Directory) get(ctx context.Context, id string) (router.Tenant, bool, error) {
	data, found, err := d.kv.Get(ctx, TenantKey(id))
	if err != nil {
		return router.Tenant{}, false, storeError(id, "reading the tenant", err)
	}
	if !found {
		return router.Tenant{}, false, nil
	}
	t, err := decodeEntry(data)
	if err != nil {
		return router.Tenant{}, false, &Error{Status: 500, Reason: "corrupt_entry", Tenant: id, Err: err,
			Msg: fmt.Sprintf("the stored entry of tenant %q does not decode (%v): rewrite it with PUT, or remove it", id, err)}
	}
	return t, true, nil
}

// decodeEntry decodes a stored entry or an entry of a request body.
func decodeEntry(data []byte) (router.Tenant, error) {
	var t router.Tenant
	err := router.DecodeStrict(data, &t)
	return t, err
}

// begin hands out the ms of a journal key and records the write as in
// flight until end: Changes holds back every record from the oldest write
// in flight on, so that a record landing late below a returned position
// is impossible in this process. Journal ms never go back, even when the
// clock does.
func (d *Directory) begin() int64 {
	ms := d.now().UnixMilli()
	d.clockMu.Lock()
	defer d.clockMu.Unlock()
	if ms < d.lastMs {
		ms = d.lastMs
	}
	d.lastMs = ms
	d.inflight[ms]++
	return ms
}

func (d *Directory) end(ms int64) {
	d.clockMu.Lock()
	defer d.clockMu.Unlock()
	if d.inflight[ms]--; d.inflight[ms] <= 0 {
		delete(d.inflight, ms)
	}
}

// horizon returns now's unix ms and the ms from which journal records are
// held back: Settle before now, or the oldest write in flight if earlier.
func (d *Directory) horizon() (now, horizon int64) {
	now = d.now().UnixMilli()
	d.clockMu.Lock()
	defer d.clockMu.Unlock()
	if now < d.lastMs {
		now = d.lastMs
	}
	// Strictly before now: a write in this same millisecond could still
	// take a key at or below any key of it.
	horizon = now - d.settle.Milliseconds()
	for ms := range d.inflight {
		if ms < horizon {
			horizon = ms
		}
	}
	return now, horizon
}
