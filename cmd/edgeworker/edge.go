package main

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// bindings are the Worker's text bindings, read from its globals.
type bindings struct {
	// Config is the CONFIG binding, "" when absent.
	Config string
	// Key is the EDGE_KEY secret, "" when absent.
	Key string
	// KeyID is the EDGE_KEY_ID binding, "" when absent.
	KeyID string
	// ControlKey is the CONTROL_KEY secret, the key of the tenant
	// directory's control API; "" when absent (no control API).
	ControlKey string
	// ControlKeyID is the CONTROL_KEY_ID binding, "" when absent
	// (edgeauth.DefaultKeyID).
	ControlKeyID string
	// Settle is the test-only edgeconf.SettleBinding, "" when absent (the
	// deployed case): directory.SettleWorkersKV.
	Settle string
}

// edge is the Worker's logic, free of syscall/js so that plain Go tests
// drive it: js_*.go give it KV, fetch and a clock.
type edge struct {
	cfg      edgeconf.Config
	resolver *tenant.Resolver
	signer   *edgeauth.Signer
	control  control // the control API's key (control.go)
	// settle is the propagation bound the directory core's changes feed
	// waits out: directory.SettleWorkersKV unless a test binds
	// edgeconf.SettleBinding.
	settle time.Duration
	store  *router.Store
	// kv is the registry's KV namespace (REGISTRY), dirKV the tenant
	// directory's (DIRECTORY). Both are Workers KV bindings, which the
	// directory core's KV interface describes.
	kv     directory.KV
	dirKV  directory.KV
	dir    *dirCache
	now    func() time.Time
	rand   func() uint64
	logger router.Logger
	// wait blocks until done is closed (true) or it gives up (false),
	// for a request that waits for another request's directory read
	// (waitChannel; the Worker's returns to the waiting request's I/O
	// context and gives up after readStuck, see js_wait.go).
	wait func(done <-chan struct{}) bool

	mu      sync.Mutex // guards the fields below; never held across I/O
	reg     readState
	hlt     readState
	health  edgeconf.Health // last good health document
	hasHlth bool
	flights map[string]*flight // directory reads under way, by tenant
	// writer is the directory core the isolate writes through (writer.go),
	// nil until the first write; writing is the write under way, nil when
	// none: one request writes at a time.
	writer  *directory.Directory
	writing *flight

	// stale counts the cells' stale_placement answers (stale.go).
	stale staleCounts
	// paths counts the routed requests by path (fast.go).
	paths pathCounts
}

// newEdge checks the bindings and builds the Worker's logic. Its errors
// name the binding to fix and never contain the secret.
func newEdge(b bindings, kv, dirKV directory.KV, now func() time.Time, logger router.Logger) (*edge, error) {
	if logger == nil {
		logger = router.DiscardLogger
	}
	var errs []error
	cfg, err := edgeconf.Parse([]byte(b.Config))
	if err != nil {
		errs = append(errs, fmt.Errorf("the %s binding: %w", edgeconf.ConfigBinding, err))
	}
	var resolver *tenant.Resolver
	if err == nil {
		resolver, err = tenant.New(resolverConfig(cfg))
		if err != nil {
			errs = append(errs, fmt.Errorf("the %s binding: %w", edgeconf.ConfigBinding, err))
		}
	}
	var signer *edgeauth.Signer
	if b.Key == "" {
		errs = append(errs, fmt.Errorf("the %s secret binding is missing: set it to the edge key every cell verifies", edgeconf.KeyBinding))
	} else {
		id := strings.TrimSpace(b.KeyID)
		if id == "" {
			id = edgeauth.DefaultKeyID
		}
		signer, err = edgeauth.NewSigner(edgeauth.Key{ID: id, Secret: []byte(b.Key)}, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("the %s and %s bindings: %w", edgeconf.KeyBinding, edgeconf.KeyIDBinding, err))
		}
	}
	if kv == nil {
		errs = append(errs, fmt.Errorf("the %s KV namespace binding is missing", edgeconf.KVBinding))
	}
	settle := directory.SettleWorkersKV
	if b.Settle != "" {
		ms, err := strconv.Atoi(strings.TrimSpace(b.Settle))
		if err != nil || ms < 0 {
			errs = append(errs, fmt.Errorf("the %s binding %q: give a whole number of milliseconds, 0 or more (test tooling only: leave it unbound)", edgeconf.SettleBinding, b.Settle))
		}
		settle = time.Duration(ms) * time.Millisecond
	}
	if dirKV == nil {
		errs = append(errs, fmt.Errorf("the %s KV namespace binding is missing: bind the tenant directory's namespace", edgeconf.DirectoryBinding))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("edge worker bindings: %w", err)
	}
	return &edge{
		cfg:      cfg,
		resolver: resolver,
		signer:   signer,
		control:  newControl(b, now),
		settle:   settle,
		store:    router.NewStore(logger),
		kv:       kv,
		dirKV:    dirKV,
		dir:      newDirCache(cfg.DirectoryCacheEntries),
		now:      now,
		rand:     mrand.Uint64,
		logger:   logger,
		wait:     waitChannel,
		flights:  map[string]*flight{},
	}, nil
}

// resolverConfig turns the Worker's config into router/tenant's.
func resolverConfig(c edgeconf.Config) tenant.Config {
	c = c.WithDefaults()
	modes := make([]tenant.Mode, len(c.TenantModes))
	for i, m := range c.TenantModes {
		modes[i] = tenant.Mode(m)
	}
	return tenant.Config{Order: modes, Header: c.TenantHeader, HostPattern: c.HostPattern, PathPrefix: c.PathPrefix}
}
