package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/internal/logattr/cloudlogging"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/open"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

func init() {
	register("cell", command{
		summary: "run the reference cell (the default cell image): /healthz, a tenant key/value API, edge signature checks",
		flags:   func() *flag.FlagSet { return new(cellOptions).flagSet() },
		run:     runCell,
	})
}

// EnvDataDir names the reference cell's data directory (--data-dir) for
// the embedded store.
const EnvDataDir = contract.EnvDataDir

// Server limits of the reference cell, in one place.
const (
	cellReadHeaderTimeout = 5 * time.Second
	cellReadTimeout       = 60 * time.Second
	cellIdleTimeout       = 120 * time.Second
	cellMaxHeaderBytes    = 64 << 10
	cellShutdownTimeout   = 15 * time.Second
)

func runCell(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cellMain(ctx, args, os.Getenv, stdout, stderr)
}

// cellOptions are cell's flags.
type cellOptions struct {
	listen, dataDir string
	controlKeyFile  string
	logFormat       logFormat
	accessLog       bool
	trace           traceOptions
}

// flagSet binds cell's flags to o. --listen and --data-dir default to
// values from the environment, which their usage names; o.withEnvDefaults
// fills them in after parsing.
func (o *cellOptions) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("cell", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "", "listen `address` (default :$"+cell.EnvPort+", or :8080 without "+cell.EnvPort+"; every interface, as a container behind a load balancer needs)")
	fs.StringVar(&o.dataDir, "data-dir", "", "`directory` of the embedded store's log (default $"+EnvDataDir+"; empty: in memory only); the cloud stores ignore it")
	fs.StringVar(&o.controlKeyFile, "control-key-file", "", "`FILE` holding the control key as id=secret (as for cellfabric tenants --key-file): turns on the cell's state admin API ("+stateapi.BasePath+"/...), which the mover uses; default: off (404)")
	o.trace.bind(fs, 0, "share of new traces recorded, 0 to 1; a request's traceparent (set by the edge, which signed it) decides for its trace; 0 turns tracing off")
	o.logFormat = "json"
	fs.Var(&o.logFormat, "log-format", "log `format`: json or text; json on a GCP cell ("+cell.EnvCloud+"=gcp) is Cloud Logging's (severity, message, trace)")
	fs.BoolVar(&o.accessLog, "access-log", true, "log one line per signed request (tenant, cell, operation, status, duration_ms, request_id, trace ids); false leaves them out, e.g. to pay the cloud's log ingestion for warnings only")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: cellfabric cell [--listen :8080] [--data-dir DIR] [--control-key-file FILE] [--trace-endpoint URL --trace-sample RATIO] [--log-format json|text] [--access-log=false]

Runs the reference cell. Configuration comes from the environment the cell
components set:
  %s, %s, %s   the cell's identity (id and cloud required)
  %s              the edge key's secret (required; or %s)
  %s           its id (default %s)
  %s          the state store's adapter: embedded (default), dynamodb,
                                    azuretable or firestore
  %s, %s, %s, %s, %s
                                    where the store is (see workload/state/contract)
  %s                              the port to listen on

flags:
`, cell.EnvCellID, cell.EnvCloud, cell.EnvRegion, cell.EnvEdgeKey, edgeauth.EnvKeys, cell.EnvEdgeKeyID, edgeauth.DefaultKeyID, contract.EnvKind, contract.EnvStore, contract.EnvEndpoint, contract.EnvRegion, contract.EnvProject, contract.EnvIdentity, cell.EnvPort)
		fs.PrintDefaults()
	}
	return fs
}

// cellMain runs the reference cell until ctx is done, then drains it.
func cellMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o cellOptions
	fs := o.flagSet()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, nil); !ok {
		return code
	}
	o.withEnvDefaults(fs, getenv)
	logger := cellLogger(o.logFormat, getenv, stderr)
	keys, err := edgeauth.KeysFromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric cell: refusing to start without an edge key: a cell without one would serve anyone who reaches it.\n  %v\n", err)
		return 1
	}
	var controlKeys []edgeauth.Key
	if o.controlKeyFile != "" {
		key, err := readControlKeyFile(o.controlKeyFile, "give --control-key-file the file of the control key the mover signs with (cellfabric local prints its path)")
		if err != nil {
			fmt.Fprintf(stderr, "cellfabric cell: --control-key-file: %v\n", err)
			return 1
		}
		controlKeys = []edgeauth.Key{key}
	}
	sc, err := open.FromEnv(getenv, getenv(cell.EnvRegion))
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric cell: %v\n", err)
		return 1
	}
	sc.DataDir = o.dataDir
	store, err := open.Open(ctx, sc, logger)
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric cell: %v\n", err)
		return 1
	}
	tp, err := o.trace.provider(ctx, traceServiceCell, getenv, logger, cellTraceAttrs(getenv(cell.EnvCellID), getenv(cell.EnvCloud), getenv(cell.EnvRegion))...)
	if err != nil {
		store.Close()
		fmt.Fprintf(stderr, "cellfabric cell: %v\n", err)
		return 1
	}
	defer shutdownTracing(tp, "cell", stderr)
	c, err := refcell.New(refcell.Config{
		CellID: getenv(cell.EnvCellID), Cloud: getenv(cell.EnvCloud), Region: getenv(cell.EnvRegion),
		Keys: keys, Store: store, StoreKind: string(sc.Kind), Logger: logger, ControlKeys: controlKeys, Tracing: tp,
		AccessLogOff: !o.accessLog,
	})
	if err != nil {
		store.Close()
		fmt.Fprintf(stderr, "cellfabric cell: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		c.Close()
		fmt.Fprintf(stderr, "cellfabric cell: %v\n", err)
		return 1
	}
	logger.Info("reference cell listening", logattr.Cell, getenv(cell.EnvCellID), "cloud", getenv(cell.EnvCloud), "region", getenv(cell.EnvRegion), "listen", ln.Addr().String(), "edge_keys", len(keys), "state_admin_api", len(controlKeys) > 0, "store", sc.Kind, "store_name", sc.Store, "data_dir", sc.DataDir)
	fmt.Fprintf(stdout, "cell %s (%s %s) listening on http://%s\n", getenv(cell.EnvCellID), getenv(cell.EnvCloud), getenv(cell.EnvRegion), ln.Addr())
	return serveCell(ctx, c, ln, logger, stderr)
}

// cellLogger is the cell's logger, writing to w: in format f and, when f is
// json on a GCP cell (cell.EnvCloud is gcp), in Cloud Logging's JSON
// (internal/logattr/cloudlogging), where Cloud Run's stdout and stderr go:
// its severity, message, and the trace of the request's span under the
// project of contract.EnvProject, which the GCP component sets to the
// project the service and its database run in (Cloud Run tells a container
// its project only through the metadata server).
func cellLogger(f logFormat, getenv func(string) string, w io.Writer) *slog.Logger {
	if f == "json" && getenv(cell.EnvCloud) == string(fabric.GCP) {
		return slog.New(cloudlogging.NewHandler(w, cloudlogging.Options{Project: getenv(contract.EnvProject)}))
	}
	return f.logger(w)
}

// withEnvDefaults gives --listen and --data-dir, when not on the command
// line, their defaults from the environment.
func (o *cellOptions) withEnvDefaults(fs *flag.FlagSet, getenv func(string) string) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["listen"] {
		o.listen = defaultCellListen(getenv)
	}
	if !set["data-dir"] {
		o.dataDir = getenv(EnvDataDir)
	}
}

// defaultCellListen is ":$PORT", or ":8080" without PORT: clouds tell the
// container its port through PORT.
func defaultCellListen(getenv func(string) string) string {
	if p := getenv(cell.EnvPort); p != "" {
		return ":" + p
	}
	return ":8080"
}

// serveCell serves c on ln until ctx is done, drains, and closes c.
func serveCell(ctx context.Context, c *refcell.Cell, ln net.Listener, logger *slog.Logger, stderr io.Writer) int {
	srv := newCellServer(c, logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	status := 0
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(stderr, "cellfabric cell: %v\n", err)
		status = 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), cellShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "cellfabric cell: draining: %v\n", err)
		status = 1
	}
	if err := c.Close(); err != nil {
		fmt.Fprintf(stderr, "cellfabric cell: %v\n", err)
		status = 1
	}
	logger.Info("reference cell stopped")
	return status
}

func newCellServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cellReadHeaderTimeout,
		ReadTimeout:       cellReadTimeout,
		IdleTimeout:       cellIdleTimeout,
		MaxHeaderBytes:    cellMaxHeaderBytes,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}
