package server

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"time"

	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
	"github.com/cellfabric/cellfabric/router/source"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// Defaults, in one place.
const (
	DefaultMaxBodyBytes      = 10 << 20
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultDialTimeout       = 3 * time.Second
	DefaultUpstreamTimeout   = 30 * time.Second
	DefaultUpstreamIdle      = 60 * time.Second
	DefaultMaxAttempts       = 3
	DefaultRetryRatio        = 0.2
	DefaultMinRetries        = 10
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultMaxIdlePerCell    = 256
	// DefaultEngine is EngineEvLoop on Linux, where it runs, and
	// EngineFastHTTP elsewhere.
	DefaultEngine = defaultEngine
)

// Config configures a Router. Zero values mean the defaults.
type Config struct {
	// Store holds the registry. Required.
	Store *router.Store
	// Resolver finds the tenant. Default: the X-Tenant-ID header.
	Resolver *tenant.Resolver
	// Health tracks cell health. Default: health.New with default settings.
	Health *health.Tracker
	// Signer signs forwarded requests. Nil: requests go unsigned (for
	// development only; a warning is logged at start).
	Signer *edgeauth.Signer
	// Watcher, when set, adds the source's fetch errors and the time of its
	// last sync to /metrics.
	Watcher *source.Watcher
	// Logger: default discard.
	Logger *slog.Logger

	// MaxBodyBytes limits request bodies (413 beyond). Default 10 MiB.
	MaxBodyBytes int64
	// MaxHeaderBytes limits request headers (431 beyond). Default 16 KiB.
	MaxHeaderBytes int
	// ReadHeaderTimeout of the listeners. Default 5 s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout (whole request, body included). Default 60 s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing answers to a client. On EngineNetHTTP
	// and EngineFastHTTP it is the listener's write deadline, one per
	// answer: an answer not written within it (counted from its request
	// on net/http, from its head on fasthttp) is cut. On EngineEvLoop it
	// bounds a client that takes nothing: one that has taken none of the
	// bytes waiting for it for that long is cut, and one that keeps
	// reading never is, however long its answers. Zero: none (long
	// responses and streams are allowed).
	WriteTimeout time.Duration
	// IdleTimeout of keep-alive connections. Default 120 s.
	IdleTimeout time.Duration
	// DialTimeout bounds connecting to a cell: the TCP connection, and
	// then, to an https cell, the TLS handshake (past either, the attempt
	// is a timeout). On EngineNetHTTP and EngineEvLoop each gets up to
	// it; on EngineFastHTTP the handshake's deadline counts from the
	// dial's start, so the two together get up to it. Default 3 s.
	DialTimeout time.Duration
	// UpstreamTimeout is how long a cell may take to send response headers.
	// Default 30 s.
	UpstreamTimeout time.Duration
	// CellRootCAs are the certificate authorities trusted for cells reached
	// over TLS (an https endpoint), on every engine; a cell whose
	// certificate does not chain to one of them is not reached (the
	// attempt fails before anything is sent). Nil (the default): the
	// system's roots. The default Health tracker's checks of https health
	// URLs trust the same roots.
	CellRootCAs *x509.CertPool
	// UpstreamIdleTimeout is the longest a cell may send nothing in the
	// middle of its answer's body; past it the answer is broken off (the
	// client's connection closes, as when the cell resets it), so a cell
	// that stalls does not hold its client and the router's connection
	// for ever. An answer may take any time in all as long as it never
	// pauses that long (nginx's proxy_read_timeout); a connection
	// upgraded by a 101 (net/http engine) is not bounded by it. Default
	// 60 s.
	UpstreamIdleTimeout time.Duration
	// MaxIdlePerCell is the most idle keep-alive connections kept per
	// cell; a connection beyond it is closed once its answer is through.
	// EngineEvLoop shares it among its loops (each keeps at least one);
	// EngineFastHTTP does not bound its pool by count (its idle
	// connections close after 90 s, as on every engine). Default 256.
	MaxIdlePerCell int
	// MaxAttempts is the most cells one request tries. Default 3.
	MaxAttempts int
	// RetryRatio is the most retries per request in the current second,
	// beyond MinRetriesPerSecond. Default 0.2.
	RetryRatio float64
	// MinRetriesPerSecond are always allowed. Default 10.
	MinRetriesPerSecond int
	// ShutdownTimeout bounds the drain of in-flight requests (on
	// EngineNetHTTP, upgraded connections too): once it has passed, Serve
	// closes, on every engine, the client connections still open and the
	// cell connections their answers read from (an answer whose cell went
	// quiet, or whose client reads nothing, is cut) and returns an error
	// saying so. Default 30 s.
	ShutdownTimeout time.Duration
	// AdminWrites enables POST /admin/cells/{id}/{down|up|auto} on the admin
	// listener. Default off.
	AdminWrites bool
	// Engine is the tenant listener's HTTP implementation (EngineNetHTTP,
	// EngineFastHTTP or, on Linux, EngineEvLoop). Default DefaultEngine;
	// "" means the default.
	Engine Engine
	// Pprof serves Go's profiles (net/http/pprof) under /debug/pprof/ on the
	// admin listener. Default off: profiles expose the program's internals
	// (code paths, heap contents in sizes, goroutine stacks, the command
	// line) and a CPU profile costs CPU while it runs, so turn it on only to
	// profile, on an admin listener nobody else reaches.
	Pprof bool

	// DirectoryFeed, when set, is where the tenant directory comes from: the
	// router loads it once when Serve starts and then polls it for changes
	// every DirectoryPoll, applying each change on its own. A tenant's
	// directory entry wins over the registry's; tenants in neither fall to
	// the unknown-tenant policy. While the feed fails (at start or later)
	// the router keeps routing with what it holds — the registry's tenants
	// before the first load, the last placements after — retries with
	// backoff (doubling from DirectoryPoll up to MaxDirectoryBackoff), logs
	// and counts it (cellfabric_router_directory_*). A feed that is also a
	// DirectoryGetter is asked for one tenant's entry when a cell answers
	// that the placement a request carried is stale (stale.go). Nil: no
	// directory; the registry's tenants only.
	DirectoryFeed DirectoryFeed
	// DirectoryPoll is how often the feed is asked for changes. Default 1 s
	// (DefaultDirectoryPoll).
	DirectoryPoll time.Duration
	// DirectoryWait is how long /readyz answers 503 while the directory's
	// first load has not succeeded, so that a load balancer does not send
	// a new router requests for tenants it does not know yet. After it,
	// /readyz says ready and the router routes the registry's tenants
	// only until the load succeeds. Default 10 s (DefaultDirectoryWait);
	// negative: do not wait. Only with a DirectoryFeed.
	DirectoryWait time.Duration
	// PlaceUnknown, when set, is called for a request whose tenant is in
	// neither the directory nor the registry while the unknown-tenant
	// policy is place: it must choose the tenant's cells and record the
	// choice in the directory (the control API's place), and return the
	// entry recorded, which the router applies to its directory and routes
	// by. One call per tenant at a time; bounded by UpstreamTimeout. When
	// it fails the request is refused with 503 placement_failed. Nil: such
	// tenants are placed by hash without being recorded (the behaviour
	// without a directory), and a warning is logged once.
	PlaceUnknown func(ctx context.Context, tenantID string) (router.Tenant, error)

	// Tracing, when set, traces requests with OpenTelemetry (trace.go): a
	// server span per request, a client span per attempt, and the
	// attempt's traceparent sent to the cell. Its spans that cannot be
	// exported are dropped and counted on /metrics; requests never wait
	// for them. Nil (the default): off, and no tracing work is done on a
	// request (traceparent and tracestate pass through untouched).
	Tracing *tracing.Provider
	// TraceTrustIncoming makes the router's server span continue the
	// request's traceparent and tracestate (its parent decides the
	// sampling). Default false: the router starts a new trace for every
	// request, so that a client cannot choose the router's parent span or
	// its sampling decision. Set it only when every request reaches the
	// router through a hop that replaces the client's traceparent with its
	// own (a proxy or load balancer of yours that traces); the edge Worker
	// does, but it sends to the cells, not to a router server. Only with
	// Tracing.
	TraceTrustIncoming bool
}

func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, errors.New("router server: Config.Store is required")
	}
	if c.Resolver == nil {
		r, err := tenant.New(tenant.Config{})
		if err != nil {
			return c, err
		}
		c.Resolver = r
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Health == nil {
		c.Health = health.New(health.Config{Logger: c.Logger, RootCAs: c.CellRootCAs})
	}
	setDefault(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&c.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setDefault(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&c.ReadTimeout, DefaultReadTimeout)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.DialTimeout, DefaultDialTimeout)
	setDefault(&c.UpstreamTimeout, DefaultUpstreamTimeout)
	setDefault(&c.UpstreamIdleTimeout, DefaultUpstreamIdle)
	setDefault(&c.MaxIdlePerCell, DefaultMaxIdlePerCell)
	setDefault(&c.MaxAttempts, DefaultMaxAttempts)
	setDefault(&c.RetryRatio, DefaultRetryRatio)
	setDefault(&c.MinRetriesPerSecond, DefaultMinRetries)
	setDefault(&c.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&c.DirectoryPoll, DefaultDirectoryPoll)
	if c.DirectoryWait == 0 {
		c.DirectoryWait = DefaultDirectoryWait
	}
	if c.Engine == "" {
		c.Engine = DefaultEngine
	}
	if err := c.Engine.check(); err != nil {
		return c, err
	}
	return c, nil
}

func setDefault[T int | int64 | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
