package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/server"
	"github.com/cellfabric/cellfabric/stacks"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

func init() {
	register("local", command{
		summary: "run a stack's whole topology on this machine: one reference cell per cell, and the router",
		flags:   func() *flag.FlagSet { return new(localOptions).flagSet() },
		run:     runLocal,
	})
}

// Defaults of `cellfabric local`, in one place. Everything listens on
// loopback unless told otherwise.
const (
	localListen         = "127.0.0.1:8080"
	localAdmin          = "127.0.0.1:9090"
	localHealthInterval = time.Second
	localTenantFrom     = "header,path"
	localShutdown       = 5 * time.Second
	// localDirectoryPoll is how often the local router asks the directory
	// for changes: a tenant added with cellfabric tenants routes within it.
	localDirectoryPoll = 250 * time.Millisecond
)

func runLocal(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return localMain(ctx, args, commandInput(), stdout, stderr)
}

// localOptions are local's flags.
type localOptions struct {
	stackFlags
	listen, admin           string
	healthInterval          time.Duration
	tenantFrom, hostPattern string
	dataDir                 string
	store                   storeKind
	control, controlKey     string
	logFormat               logFormat
	trace                   traceOptions
}

// flagSet binds local's flags to o.
func (o *localOptions) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	o.stackFlags.bind(fs, "dev")
	fs.StringVar(&o.listen, "listen", localListen, "router listen address (127.0.0.1:0 picks a free port)")
	fs.StringVar(&o.admin, "admin", localAdmin, "admin listen address: the router's admin API and /local/cells/{id}/{stop|start}")
	fs.DurationVar(&o.healthInterval, "health-interval", localHealthInterval, "active health check interval")
	fs.StringVar(&o.tenantFrom, "tenant-from", localTenantFrom, "tenant resolution order: header, host, path, jwt")
	fs.StringVar(&o.hostPattern, "host-pattern", "", "host pattern for the host mode, e.g. {tenant}.localhost")
	fs.StringVar(&o.dataDir, "data-dir", "", "keep the cells' key/value data and the tenant directory in `DIR` (default: in memory): the embedded store's in DIR/<cell id>, an emulator's in DIR/<store>.emulator, the directory in DIR/directory")
	o.store = storeKind(localStoreDefault)
	fs.Var(&o.store, "store", "the cells' state `store`: embedded; the emulator of a cloud's store started here for every cell (dynamodb: dynalite, azuretable: azurite, firestore: Google's Firestore emulator, which make emulators installs); or auto: each cell on its own cloud's (aws: dynamodb, azure: azuretable, gcp: firestore), each emulator started once")
	fs.StringVar(&o.control, "control", localControlAddr, "tenant directory control API listen `address` (cellfabric tenants talks to it; \"\" for none)")
	fs.StringVar(&o.controlKey, "control-key", "", "write the run's control key to `FILE` (default DIR/control.key with --data-dir, else in the user's cache directory, where cellfabric tenants looks)")
	o.trace.bind(fs, 1, "share of requests traced, 0 to 1, when a collector is given (--trace-endpoint or the environment); the router and every cell export to it, one trace per request")
	o.logFormat = "text"
	fs.Var(&o.logFormat, "log-format", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cellfabric local [--stack dev] [--listen 127.0.0.1:8080] [--admin 127.0.0.1:9090] [--control 127.0.0.1:9091] [flags]\n\nRuns one reference cell per cell of the stack's topology on loopback and the\nrouter in front of them, with the registry built as from the stack's outputs,\nand the tenant directory's control API (cellfabric tenants); every cell\nserves its state admin API, signed with the same control key. With --store\ndynamodb, azuretable or firestore the cells keep their data in that cloud\nstore's emulator, with --store auto each in its own cloud's, started here\nand stopped on exit.\n\nflags:")
		fs.PrintDefaults()
	}
	return fs
}

// localMain runs the topology until ctx is done or stdin says quit. stdin
// may be nil (no commands).
func localMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o localOptions
	fs := o.flagSet()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, nil); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "cellfabric local: %v\n", err)
		return 1
	}
	topo, path, err := o.topology()
	if err != nil {
		return fail(err)
	}
	logger := o.logFormat.logger(stderr)
	// The collector comes from the flag or this process's environment;
	// without one, nothing is traced.
	if o.trace.endpoint = tracing.Endpoint(o.trace.endpoint, os.Getenv); o.trace.endpoint == "" {
		o.trace.sample = 0
	}

	key := newRunKey(cmp.Or(topo.Edge.KeyID, edgeauth.DefaultKeyID))
	// One control key for the run, made before the cells: the directory's
	// control API and every cell's state admin API verify it, and
	// `cellfabric tenants` reads it from its file. No control API, no key:
	// the cells' state APIs are off too.
	var controlKey *edgeauth.Key
	keyPath := localKeyPath(o.controlKey, o.dataDir)
	if o.control != "" {
		k, err := newLocalControlKey(keyPath, key)
		if err != nil {
			return fail(err)
		}
		controlKey = &k
	}
	store, err := startLocalStore(o.store, topo, o.dataDir)
	if err != nil {
		return fail(err)
	}
	defer store.stop() // after the cells are closed
	cells, err := newLocalCells(ctx, topo, key, controlKey, store, o.trace, logger)
	if err != nil {
		return fail(err)
	}
	defer closeLocalCells(cells)
	for _, c := range cells {
		if err := c.start(); err != nil {
			return fail(err)
		}
	}
	work, err := os.MkdirTemp("", "cellfabric-local-*")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(work)
	outputs := localOutputs(topo, cells)
	reg, err := localRegistry(outputs, time.Now().Unix())
	if err != nil {
		return fail(err)
	}
	doc, err := reg.Encode()
	if err != nil {
		return fail(err)
	}
	regPath := filepath.Join(work, "registry.json")
	outputsDoc, err := localOutputsJSON(outputs)
	if err != nil {
		return fail(err)
	}
	if err := writeFileAtomic(filepath.Join(work, "outputs.json"), outputsDoc, 0o644); err != nil {
		return fail(err)
	}
	if err := writeFileAtomic(regPath, doc, 0o644); err != nil {
		return fail(err)
	}

	// The router is `cellfabric route` with the same builder; the edge key
	// reaches it the way it reaches a deployed router, through the
	// environment it reads, here a private one.
	secret := string(key.Secret)
	env := map[string]string{edgeauth.EnvKey: secret, edgeauth.EnvKeyID: key.ID}
	rc := routeConfig{
		Registry: regPath, TenantFrom: o.tenantFrom, HostPattern: o.hostPattern,
		HealthInterval: o.healthInterval, AdminWrites: true, ShutdownWait: localShutdown,
		Trace:  o.trace,
		getenv: func(k string) string { return env[k] },
	}
	// The tenant directory validates writes against the registry the
	// router serves; until the router is built it holds none, and writes
	// are refused as retryable (no_registry).
	var builtRouter atomic.Pointer[server.Router]
	servedRegistry := func() *router.Snapshot {
		if r := builtRouter.Load(); r != nil {
			return r.Store().Snapshot()
		}
		return nil
	}
	var dir *localDirectory
	if o.control != "" {
		if dir, err = newLocalDirectory(o.control, o.dataDir, keyPath, *controlKey, servedRegistry, logger); err != nil {
			return fail(err)
		}
		defer func() {
			sctx, scancel := context.WithTimeout(context.Background(), localShutdown)
			defer scancel()
			dir.close(sctx)
		}()
		rc.directoryFeed, rc.DirectoryPoll = dir.feed(), localDirectoryPoll
		rc.placeUnknown = func(ctx context.Context, id string) (router.Tenant, error) {
			t, _, err := dir.dir.RecordAtRequest(ctx, id)
			return t, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rt, watcher, err := rc.build(ctx, logger)
	if err != nil {
		return fail(err)
	}
	builtRouter.Store(rt)
	defer shutdownTracing(rt.Tracing(), "local", stderr)
	ln, err := listenFlag("listen", o.listen)
	if err != nil {
		return fail(fmt.Errorf("%w (127.0.0.1:0 picks a free one)", err))
	}
	al, err := listenFlag("admin", o.admin)
	if err != nil {
		ln.Close()
		return fail(fmt.Errorf("%w (127.0.0.1:0 picks a free one)", err))
	}
	if err := watcher.Load(ctx); err != nil {
		closeListeners(ln, al)
		return fail(err)
	}
	ctl := &localControl{cells: cells, rt: rt, quit: cancel, stdout: stdout}
	adminSrv := localServer(ctl.handler(rt.AdminHandler()))
	go func() { _ = adminSrv.Serve(al) }()
	logger.Info("admin listening", "admin", al.Addr().String())
	watcher.Start(ctx)
	served := make(chan error, 1)
	go func() { served <- rt.Serve(ctx, ln, nil) }()

	printBanner(stdout, path, topo, reg.Epoch, ln.Addr().String(), al.Addr().String(), regPath, store.describe())
	if dir != nil {
		printDirectoryBanner(stdout, dir, o.controlKey != "" || o.dataDir != "", al.Addr().String())
	}
	ctl.table(stdout)
	if stdin != nil {
		fmt.Fprintf(stdout, "\n%s\n", localHelp)
		go ctl.readCommands(stdin)
	}

	status := 0
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "cellfabric local: router: %v\n", err)
		status = 1
		cancel()
	}
	if err := <-served; err != nil && status == 0 {
		fmt.Fprintf(stderr, "cellfabric local: router: %v\n", err)
		status = 1
	}
	sctx, scancel := context.WithTimeout(context.Background(), localShutdown)
	defer scancel()
	_ = adminSrv.Shutdown(sctx)
	fmt.Fprintln(stdout, "cellfabric local: stopped")
	return status
}

// localServer is the http.Server of one of local's own loopback listeners
// (admin, control): the router's header and idle limits, and connection
// errors not logged.
func localServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: server.DefaultReadHeaderTimeout,
		IdleTimeout:       server.DefaultIdleTimeout,
		MaxHeaderBytes:    server.DefaultMaxHeaderBytes,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}

// newRunKey makes a random key named id for this run: the edge key shared
// by router and cells, and the control key. It is never printed.
func newRunKey(id string) edgeauth.Key {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return edgeauth.Key{ID: id, Secret: []byte(base64.RawURLEncoding.EncodeToString(b[:]))}
}

func printBanner(w io.Writer, path string, topo *stacks.Topology, epoch int64, proxy, admin, regPath, store string) {
	example := "acme"
	if len(topo.Tenants) > 0 {
		example = topo.Tenants[0].ID
	}
	fmt.Fprintf(w, "cellfabric local: %s (stack %s): %d cells, %d tenants, registry epoch %d\n\n", path, topo.Stack, len(topo.Cells), len(topo.Tenants), epoch)
	fmt.Fprintf(w, "  router    http://%s    curl -i -H 'X-Tenant-ID: %s' http://%s/\n", proxy, example, proxy)
	fmt.Fprintf(w, "  admin     http://%s    /admin/cells, /admin/route?tenant=%s, /metrics, /local/table\n", admin, example)
	fmt.Fprintf(w, "  cell down curl -X POST http://%s/local/cells/<cell>/stop   (and .../start)\n", admin)
	fmt.Fprintf(w, "  registry  %s\n", regPath)
	fmt.Fprintf(w, "  store     %s\n\n", store)
}

// printDirectoryBanner says where the control API is and where its key
// is (never the key), how to use it, and where the cells' state admin APIs
// are (admin is local's admin listener).
func printDirectoryBanner(w io.Writer, dir *localDirectory, keyFlag bool, admin string) {
	api := "http://" + dir.addr()
	args := ""
	if api != defaultAPI {
		args += " --api " + api
	}
	if keyFlag {
		args += " --key-file " + dir.keyPath
	}
	fmt.Fprintf(w, "  directory %s    cellfabric tenants add newco --cell <cell>%s\n", api, args)
	fmt.Fprintf(w, "  control key %s (written for this run, readable by you only)\n", dir.keyPath)
	fmt.Fprintf(w, "  state API <cell endpoint>%s/<tenant>/… on every cell, signed with the control key; GET http://%s/local/cells lists each cell's stateAPI\n\n", stateapi.BasePath, admin)
}
