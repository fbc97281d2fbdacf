package main

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
	"github.com/cellfabric/cellfabric/router/server"
	"github.com/cellfabric/cellfabric/router/source"
	"github.com/cellfabric/cellfabric/router/tenant"
	"github.com/cellfabric/cellfabric/router/tenant/jwt"
)

func init() {
	register("route", command{
		summary: "run the router: registry from a file or URL, proxy and admin listeners",
		flags:   func() *flag.FlagSet { return new(routeOptions).flagSet() },
		run:     runRoute,
	})
}

// routeConfig is everything `cellfabric route` can be told; `cellfabric
// local` fills one in code and calls build.
type routeConfig struct {
	Registry       string
	Listen         string
	Admin          string
	TenantFrom     string
	TenantHeader   string
	HostPattern    string
	PathPrefix     string
	JWTClaim       string
	JWTIssuer      string
	JWTAudience    string
	JWTSecretFile  string
	JWTKeyFiles    []string
	JWKSURL        string
	JWTLeeway      time.Duration
	EdgeKeyFile    string
	Unsigned       bool
	LastKnownGood  string
	Poll           time.Duration
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	MaxBody        int64
	AdminWrites    bool
	Pprof          bool
	Engine         string
	ShutdownWait   time.Duration
	// CellCAFile is --cell-ca-file: a PEM file of the CA certificates
	// trusted for https cells (requests and health checks) instead of
	// the system's roots. "": the system's roots.
	CellCAFile string
	// DirectoryURL is the tenant directory's control API (--directory):
	// the router loads the directory from it and follows its changes, and
	// records there the placement of a tenant first seen at a request
	// (policy place). "": no directory, unless local gives one in process.
	DirectoryURL string
	// DirectoryPoll is how often the directory is asked for changes.
	// Default server.DefaultDirectoryPoll.
	DirectoryPoll time.Duration
	// ControlKeyFile holds the control key the control API's requests are
	// signed with, as id=secret. Default: $CELLFABRIC_CONTROL_KEY.
	ControlKeyFile string
	// Trace is --trace-endpoint and --trace-sample; TraceTrustIncoming is
	// --trace-trust-incoming.
	Trace              traceOptions
	TraceTrustIncoming bool

	// The tenant directory in process, set by local instead of
	// DirectoryURL: where placements come from, and how a tenant first
	// seen at a request is placed and recorded (policy place).
	directoryFeed server.DirectoryFeed
	placeUnknown  func(ctx context.Context, tenant string) (router.Tenant, error)

	getenv func(string) string // os.Getenv in the program
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runRoute(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return routeMain(ctx, args, os.Getenv, stdout, stderr)
}

// Listen addresses of `cellfabric route`: loopback, like every other
// command's. A router that must take outside traffic says so with --listen.
const (
	routeListen = "127.0.0.1:8080"
	routeAdmin  = "127.0.0.1:9090"
)

// routeOptions are route's flags: the router's configuration and how it
// logs.
type routeOptions struct {
	cfg       routeConfig
	logFormat logFormat
}

// flagSet binds route's flags to o.
func (o *routeOptions) flagSet() *flag.FlagSet {
	c := &o.cfg
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.StringVar(&c.Registry, "registry", "", "registry file path or http(s) URL; required")
	fs.StringVar(&c.Listen, "listen", routeListen, "proxy listen address; the default takes requests from this machine only: in a container or behind a load balancer listen on every interface with :8080 (or 0.0.0.0:8080)")
	fs.StringVar(&c.Admin, "admin", routeAdmin, "admin listen address (/healthz, /readyz, /metrics, /admin/...); keep it private; empty disables")
	fs.StringVar(&c.TenantFrom, "tenant-from", "header", "tenant resolution order, comma-separated: header, host, path, jwt")
	fs.StringVar(&c.TenantHeader, "tenant-header", tenant.DefaultHeader, "header holding the tenant id (header mode)")
	fs.StringVar(&c.HostPattern, "host-pattern", "", "host pattern for the host mode, e.g. {tenant}.example.com")
	fs.StringVar(&c.PathPrefix, "path-prefix", tenant.DefaultPathPrefix, "path prefix for the path mode: /t/{tenant}/... (stripped before forwarding)")
	fs.StringVar(&c.JWTClaim, "jwt-claim", jwt.DefaultClaim, "JWT claim holding the tenant id")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", "", "required JWT issuer (iss); empty: not checked")
	fs.StringVar(&c.JWTAudience, "jwt-audience", "", "required JWT audience (aud); empty: not checked")
	fs.StringVar(&c.JWTSecretFile, "jwt-hs256-secret-file", "", "file holding the HS256 secret")
	fs.Var((*multiFlag)(&c.JWTKeyFiles), "jwt-key-file", "RS256/ES256 public key, PEM, as [kid=]path; repeatable")
	fs.StringVar(&c.JWKSURL, "jwt-jwks-url", "", "JWKS URL for RS256/ES256 keys (fetched and cached)")
	fs.DurationVar(&c.JWTLeeway, "jwt-leeway", jwt.DefaultLeeway, "clock skew allowed on exp and nbf")
	fs.StringVar(&c.EdgeKeyFile, "edge-key-file", "", "file of edge signing keys, id=secret per line (the first signs); default: $"+edgeauth.EnvKeys+" or $"+edgeauth.EnvKey+" with $"+edgeauth.EnvKeyID)
	fs.BoolVar(&c.Unsigned, "unsigned", false, "forward requests without edge signatures (development only)")
	fs.StringVar(&c.LastKnownGood, "last-known-good", "", "file to keep the last good registry in, used at start when the source is down")
	fs.DurationVar(&c.Poll, "poll", source.DefaultInterval, "registry poll interval: an http(s) URL is polled with ETag; a file is re-read at once on file-system events in its directory (and on SIGHUP) and polled as a safety net, or alone where events cannot start")
	fs.DurationVar(&c.HealthInterval, "health-interval", health.DefaultInterval, "active health check interval")
	fs.DurationVar(&c.HealthTimeout, "health-timeout", health.DefaultTimeout, "active health check timeout")
	fs.Int64Var(&c.MaxBody, "max-body", server.DefaultMaxBodyBytes, "request body limit in bytes")
	fs.BoolVar(&c.AdminWrites, "admin-writes", false, "allow POST /admin/cells/{id}/{down|up|auto} on the admin listener")
	fs.StringVar(&c.Engine, "engine", string(server.DefaultEngine), "HTTP implementation of the proxy listener: evloop (Linux only, the default there: fasthttp's parser and behaviour on gnet event loops, the least CPU per request; https cells through a TLS bridge per connection), fasthttp (the default elsewhere: HTTP/1.1 only, no upgrades or trailers) or nethttp (net/http and httputil.ReverseProxy: HTTP/2 to https cells, WebSocket upgrades, trailers, at about twice fasthttp's CPU per request; BENCHMARKS.md); the admin listener is net/http either way")
	fs.StringVar(&c.CellCAFile, "cell-ca-file", "", "PEM `FILE` of the CA certificates trusted for https cells, their requests and health checks, instead of the system's roots (cells behind a private CA); empty: the system's roots")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve Go's profiles under /debug/pprof/ on the admin listener; they expose the program's internals: only to profile, with the admin listener private")
	fs.DurationVar(&c.ShutdownWait, "shutdown-timeout", server.DefaultShutdownTimeout, "how long to drain in-flight requests on SIGTERM")
	fs.StringVar(&c.DirectoryURL, "directory", "", "tenant directory control API base `URL` (a Worker's host, or cellfabric local's --control address): the router loads the directory, follows its changes and, with unknownTenants: place, records there the cells of a tenant first seen at a request. While the API is unreachable (at start too) the router keeps routing the tenants it holds and the registry's, and a tenant in neither is refused: 503 placement_failed (Retry-After "+fmt.Sprint(router.PlacementFailedRetryAfter)+" s) under place, 404 unknown_tenant under reject. Empty: no directory")
	fs.DurationVar(&c.DirectoryPoll, "directory-poll", server.DefaultDirectoryPoll, "how often the tenant directory (--directory) is asked for changes; while it fails the wait doubles, up to "+server.MaxDirectoryBackoff.String())
	fs.StringVar(&c.ControlKeyFile, "control-key-file", "", "`FILE` holding the control key that signs --directory's requests, as id=secret (the format of cellfabric tenants --key-file; never the edge key); default: $"+EnvControlKey)
	c.Trace.bind(fs, 0, "share of requests traced, 0 to 1, as the root of a new trace (parent-based: a trusted parent's decision is followed); 0 turns tracing off and costs nothing")
	fs.BoolVar(&c.TraceTrustIncoming, "trace-trust-incoming", false, "continue the trace of an incoming traceparent instead of starting a new one; only when every request comes through a hop of yours that replaces the client's traceparent")
	o.logFormat = "text"
	fs.Var(&o.logFormat, "log-format", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cellfabric route --registry FILE|URL [--listen 127.0.0.1:8080] [--admin 127.0.0.1:9090] [--directory URL] [flags]\n\nBoth listeners are on loopback unless told otherwise: --listen :8080 takes\nrequests on every interface (a container, a host behind a load balancer).\nThey are bound before the registry is loaded.\n\nWith --directory the router follows the tenant directory through its control\nAPI (signed with the control key: --control-key-file or $"+EnvControlKey+").\nThe directory is the control plane: while it is unreachable the router keeps\nserving the tenants it holds and the registry's, and says so in its logs and\nin cellfabric_router_directory_* metrics.\n\nflags:")
		fs.PrintDefaults()
	}
	return fs
}

// routeMain runs the router until ctx is done (SIGINT or SIGTERM in a
// program); SIGHUP re-reads the registry.
func routeMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o := routeOptions{cfg: routeConfig{getenv: getenv}}
	fs := o.flagSet()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, requireFlag("registry", &o.cfg.Registry)); !ok {
		return code
	}
	c := o.cfg
	logger := o.logFormat.logger(stderr)
	rt, watcher, err := c.build(ctx, logger)
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric route: %v\n", err)
		return 1
	}
	// Bind before loading: a registry of a million tenants takes seconds to
	// load, and a port in use should fail the start at once.
	ln, al, err := c.bind()
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric route: %v\n", err)
		return 1
	}
	if err := watcher.Load(ctx); err != nil {
		closeListeners(ln, al)
		fmt.Fprintf(stderr, "cellfabric route: %v\n", err)
		return 1
	}
	watcher.Start(ctx)
	fmt.Fprintf(stdout, "router listening on http://%s", ln.Addr())
	if al != nil {
		fmt.Fprintf(stdout, " (admin http://%s)", al.Addr())
	}
	fmt.Fprintf(stdout, ", registry epoch %d from %s", rt.Store().Snapshot().Epoch(), watcher.Source().Name())
	if c.DirectoryURL != "" {
		fmt.Fprintf(stdout, ", tenant directory %s", c.DirectoryURL)
	}
	fmt.Fprintln(stdout)
	defer shutdownTracing(rt.Tracing(), "route", stderr)
	if err := rt.Serve(ctx, ln, al); err != nil {
		fmt.Fprintf(stderr, "cellfabric route: %v\n", err)
		return 1
	}
	return 0
}

// build assembles the router and the watcher of its registry source, with
// nothing loaded yet: call the watcher's Load (after binding the listeners,
// bind), then Start. A JWKS is fetched here and refreshed until ctx is done.
func (c routeConfig) build(ctx context.Context, logger *slog.Logger) (*server.Router, *source.Watcher, error) {
	resolver, err := c.resolver(ctx, logger)
	if err != nil {
		return nil, nil, err
	}
	signer, edgeKeys, err := c.signer(logger)
	if err != nil {
		return nil, nil, err
	}
	var cellRoots *x509.CertPool
	if c.CellCAFile != "" {
		if cellRoots, err = loadCellRoots(c.CellCAFile); err != nil {
			return nil, nil, err
		}
	}
	src, err := source.New(c.Registry, nil)
	if err != nil {
		return nil, nil, err
	}
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	store := router.NewStore(logger)
	feed, placeUnknown := c.directoryFeed, c.placeUnknown
	if c.DirectoryURL != "" || c.ControlKeyFile != "" {
		client, err := c.directoryClient(edgeKeys, logger)
		if err != nil {
			return nil, nil, err
		}
		feed = dirhttp.Feed{C: client}
		placeUnknown = func(ctx context.Context, id string) (router.Tenant, error) {
			return client.RecordAtRequest(ctx, store.Snapshot(), id)
		}
	}
	// Started last, so that no error above leaves its exporter running.
	tp, err := c.Trace.provider(ctx, traceServiceRouter, c.getenv, logger)
	if err != nil {
		return nil, nil, err
	}
	watcher := source.NewWatcher(store, src, source.Options{Interval: c.Poll, LastKnownGood: c.LastKnownGood, ReloadOnSIGHUP: true, Logger: logger})
	rt, err := server.New(server.Config{
		Store:           store,
		Resolver:        resolver,
		Health:          health.New(health.Config{Interval: c.HealthInterval, Timeout: c.HealthTimeout, RootCAs: cellRoots, Logger: logger}),
		Signer:          signer,
		Watcher:         watcher,
		Logger:          logger,
		MaxBodyBytes:    c.MaxBody,
		AdminWrites:     c.AdminWrites,
		Pprof:           c.Pprof,
		Engine:          server.Engine(c.Engine),
		CellRootCAs:     cellRoots,
		ShutdownTimeout: c.ShutdownWait,
		DirectoryFeed:   feed,
		DirectoryPoll:   c.DirectoryPoll,
		PlaceUnknown:    placeUnknown,
		Tracing:         tp,

		TraceTrustIncoming: c.TraceTrustIncoming,
	})
	if err != nil {
		shutdownTracing(tp, "route", io.Discard)
		return nil, nil, err
	}
	return rt, watcher, nil
}

// bind opens the proxy listener and the admin one (nil when Admin is "").
func (c routeConfig) bind() (proxy, admin net.Listener, err error) {
	if proxy, err = listenFlag("listen", c.Listen); err != nil {
		return nil, nil, err
	}
	if c.Admin != "" {
		if admin, err = listenFlag("admin", c.Admin); err != nil {
			proxy.Close()
			return nil, nil, err
		}
	}
	return proxy, admin, nil
}

// closeListeners closes the listeners that are not nil.
func closeListeners(lns ...net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			ln.Close()
		}
	}
}

// resolver builds the tenant resolver; a JWKS is fetched once here and
// refreshed until ctx is done.
func (c routeConfig) resolver(ctx context.Context, logger *slog.Logger) (*tenant.Resolver, error) {
	cfg := tenant.Config{Header: c.TenantHeader, HostPattern: c.HostPattern, PathPrefix: c.PathPrefix}
	for _, m := range strings.Split(c.TenantFrom, ",") {
		if m = strings.TrimSpace(m); m != "" {
			cfg.Order = append(cfg.Order, tenant.Mode(m))
		}
	}
	usesJWT := false
	for _, m := range cfg.Order {
		usesJWT = usesJWT || m == tenant.ModeJWT
	}
	if usesJWT {
		jc := jwt.Config{Claim: c.JWTClaim, Issuer: c.JWTIssuer, Audience: c.JWTAudience, Leeway: c.JWTLeeway}
		if c.JWTSecretFile != "" {
			secret, err := os.ReadFile(c.JWTSecretFile)
			if err != nil {
				return nil, fmt.Errorf("--jwt-hs256-secret-file: %w", err)
			}
			jc.Keys = append(jc.Keys, jwt.Key{Alg: jwt.HS256, Key: []byte(strings.TrimSpace(string(secret)))})
		}
		for _, spec := range c.JWTKeyFiles {
			kid, path, ok := strings.Cut(spec, "=")
			if !ok {
				kid, path = "", spec
			}
			pemData, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("--jwt-key-file: %w", err)
			}
			k, err := jwt.ParsePublicKeyPEM(kid, pemData)
			if err != nil {
				return nil, fmt.Errorf("--jwt-key-file %s: %w", path, err)
			}
			jc.Keys = append(jc.Keys, k)
		}
		if c.JWKSURL != "" {
			jwks, err := jwt.NewJWKS(ctx, jwt.JWKSConfig{URL: c.JWKSURL, Logger: logger})
			if err != nil {
				return nil, fmt.Errorf("--jwt-jwks-url: %w", err)
			}
			jc.JWKS = jwks
		}
		v, err := jwt.New(jc)
		if err != nil {
			return nil, fmt.Errorf("tenant resolution config: jwt: %w", err)
		}
		cfg.Verifier = v
	}
	return tenant.New(cfg)
}

// directoryClient is the client of the control API the tenant directory
// is followed through (--directory), signed with the control key, which
// must not be one of edgeKeys. Key material is never logged or echoed.
func (c routeConfig) directoryClient(edgeKeys []edgeauth.Key, logger *slog.Logger) (*dirhttp.Client, error) {
	switch {
	case c.DirectoryURL == "":
		return nil, errors.New("--control-key-file is only used with --directory: add --directory URL (the control API), or drop the key file")
	case c.DirectoryPoll < 0:
		return nil, fmt.Errorf("--directory-poll %s: give a positive interval, e.g. 1s", c.DirectoryPoll)
	}
	getenv := c.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	key, err := controlKeyFrom{
		file: c.ControlKeyFile, getenv: getenv,
		unreadable: "pass a readable file holding the control key as id=secret with --control-key-file",
		none:       "--directory needs the control key: pass --control-key-file FILE (id=secret) or set " + EnvControlKey + "=id=secret",
	}.load()
	if err != nil {
		return nil, err
	}
	if err := directory.CheckKeysDiffer([]edgeauth.Key{key}, edgeKeys); err != nil {
		return nil, fmt.Errorf("the control key (--control-key-file or $%s): %w", EnvControlKey, err)
	}
	// The closed cells are kept as long as a poll of the directory: a
	// drain reaches this router's placements as soon as its other changes.
	client, err := dirhttp.NewClient(dirhttp.ClientConfig{BaseURL: c.DirectoryURL, Key: key, URLFlag: "--directory",
		ClosedTTL: cmp.Or(c.DirectoryPoll, server.DefaultDirectoryPoll)})
	if err != nil {
		return nil, fmt.Errorf("--directory: %w", err)
	}
	logger.Info("tenant directory from its control API", "url", client.BaseURL(), "poll", cmp.Or(c.DirectoryPoll, server.DefaultDirectoryPoll).String(), "control_key_id", key.ID)
	return client, nil
}

// signer reads the edge keys from --edge-key-file or the environment, and
// returns them with the signer of the first (nil, nil with --unsigned).
// Key material is never logged or echoed.
func (c routeConfig) signer(logger *slog.Logger) (*edgeauth.Signer, []edgeauth.Key, error) {
	var keys []edgeauth.Key
	var err error
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	switch {
	case c.EdgeKeyFile != "":
		data, rerr := os.ReadFile(c.EdgeKeyFile)
		if rerr != nil {
			return nil, nil, fmt.Errorf("--edge-key-file: %w", rerr)
		}
		keys, err = edgeauth.ParseKeys(string(data))
	case c.getenv(edgeauth.EnvKeys) != "" || c.getenv(edgeauth.EnvKey) != "":
		keys, err = edgeauth.KeysFromEnv(c.getenv)
	case c.Unsigned:
		return nil, nil, nil
	default:
		return nil, nil, fmt.Errorf("no edge signing key: pass --edge-key-file, set $%s (and $%s) or $%s, or --unsigned for development", edgeauth.EnvKey, edgeauth.EnvKeyID, edgeauth.EnvKeys)
	}
	if err != nil {
		return nil, nil, err
	}
	if c.Unsigned {
		return nil, nil, errors.New("--unsigned conflicts with the edge key given")
	}
	logger.Info("edge signing on", "key_id", keys[0].ID, "keys", len(keys))
	signer, err := edgeauth.NewSigner(keys[0], nil)
	return signer, keys, err
}
