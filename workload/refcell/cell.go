package refcell

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/internal/tracing"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// HealthPath is the path of the unsigned health endpoint.
const HealthPath = "/healthz"

// CellIDHeader names the cell on every response.
const CellIDHeader = "X-Cell-ID"

// The header names the cell sets on every response, in their canonical
// form: http.Header.Set canonicalises a name on every call, and allocates
// a copy when it is not canonical already (X-Cell-ID, ETag).
var (
	cellIDKey = http.CanonicalHeaderKey(CellIDHeader)
	etagKey   = http.CanonicalHeaderKey("ETag")
)

// Config configures a Cell.
type Config struct {
	// CellID, Cloud and Region identify the cell in /healthz, in the echo
	// and in X-Cell-ID. CellID and Cloud are required.
	CellID, Cloud, Region string
	// Keys are the edge keys the cell accepts: one, or several during a
	// rotation. Required.
	Keys []edgeauth.Key
	// MaxSkew is how far a signature's time may be from the cell's clock.
	// Zero: edgeauth.DefaultMaxSkew.
	MaxSkew time.Duration
	// Store is the cell's state port (workload/state): where tenant data
	// lives. The cell owns it and closes it on Close. Required.
	Store state.Store
	// StoreKind names the store's adapter for /healthz (embedded, dynamodb,
	// azuretable, firestore). Zero: not shown.
	StoreKind string
	// ControlKeys turn on the state admin API (workload/state/stateapi,
	// under stateapi.BasePath) for requests signed with one of them; each
	// must differ from every edge key. Zero: the API is off and its paths
	// answer 404.
	ControlKeys []edgeauth.Key
	// Logger receives the cell's logs: an access line per signed request
	// (accesslog.go) and the cell's warnings. Zero: discard.
	Logger *slog.Logger
	// AccessLogOff turns the access log off: no line per signed request.
	// Zero (the default): on.
	AccessLogOff bool
	// Tracing, when set, traces signed requests (trace.go): a server span
	// continuing the edge's traceparent and a span around each state store
	// call. The cell does not own it (the caller shuts it down). Nil (the
	// default): off.
	Tracing *tracing.Provider
}

// Cell is the reference cell: an http.Handler. Create it with New and Close
// it when done.
type Cell struct {
	cfg      Config
	store    state.Store
	admin    http.Handler // nil: the state admin API is off
	health   storeHealth
	verified http.Handler
	closed   atomic.Bool
	rejected atomic.Uint64
	tracer   trace.Tracer // nil when tracing is off
}

var _ http.Handler = (*Cell)(nil)

// New validates cfg and returns the cell.
func New(cfg Config) (*Cell, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	if cfg.CellID == "" {
		errs = append(errs, errors.New("cell id: required (set CELLFABRIC_CELL_ID)"))
	}
	if cfg.Cloud == "" {
		errs = append(errs, errors.New("cloud: required (set CELLFABRIC_CLOUD)"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("state store: required (open one with workload/state/open)"))
	}
	if len(cfg.Keys) == 0 {
		errs = append(errs, errors.New("edge keys: at least one is required, or the cell would serve anyone (set CELLFABRIC_EDGE_KEY)"))
	}
	verifier, err := edgeauth.NewVerifier(cfg.Keys, edgeauth.VerifierOptions{MaxSkew: cfg.MaxSkew})
	if err != nil && len(cfg.Keys) > 0 {
		errs = append(errs, err)
	}
	var admin http.Handler
	if len(cfg.ControlKeys) > 0 {
		if err := directory.CheckKeysDiffer(cfg.ControlKeys, cfg.Keys); err != nil {
			errs = append(errs, err)
		}
		h, err := stateapi.NewHandler(stateapi.HandlerConfig{Store: cfg.Store, ControlKeys: cfg.ControlKeys, MaxSkew: cfg.MaxSkew, CellID: cfg.CellID, Logger: cfg.Logger})
		if err != nil && cfg.Store != nil {
			errs = append(errs, err)
		}
		admin = h
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("reference cell: %w", err)
	}
	c := &Cell{cfg: cfg, store: cfg.Store, admin: admin, health: storeHealth{store: cfg.Store}}
	if cfg.Tracing != nil {
		c.tracer = cfg.Tracing.Tracer("github.com/cellfabric/cellfabric/workload/refcell")
	}
	c.verified = verifier.Middleware(http.HandlerFunc(c.serveSigned), c.reject)
	return c, nil
}

// ServeHTTP answers /healthz unsigned and everything else behind edge
// signature verification.
func (c *Cell) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(cellIDKey, c.cfg.CellID)
	if r.URL.Path == HealthPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		c.healthz(w, r)
		return
	}
	if r.URL.Path == stateapi.BasePath || strings.HasPrefix(r.URL.Path, stateapi.BasePath+"/") {
		c.serveAdmin(w, r)
		return
	}
	if c.cfg.AccessLogOff {
		c.verified.ServeHTTP(w, r)
		return
	}
	c.serveLogged(w, r)
}

// serveAdmin serves the state admin API, signed with the control key (an
// edge signature is refused there), or 404 when it is off.
func (c *Cell) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if c.admin == nil {
		writeError(w, http.StatusNotFound, "this cell's state admin API is off: start the cell with a control key (cellfabric cell --control-key-file)")
		return
	}
	if c.closed.Load() {
		w.Header().Set("Retry-After", strconv.Itoa(StoreRetryAfter))
		writeError(w, http.StatusServiceUnavailable, "the cell is shutting down")
		return
	}
	c.admin.ServeHTTP(w, r)
}

// Close closes the store; the cell then answers 503.
func (c *Cell) Close() error {
	c.closed.Store(true)
	return c.store.Close()
}

// Rejected counts requests refused for their signature.
func (c *Cell) Rejected() uint64 { return c.rejected.Load() }

func (c *Cell) reject(r *http.Request, e *edgeauth.Error) {
	c.rejected.Add(1)
	c.cfg.Logger.Info("request refused: bad edge signature", logattr.Cell, c.cfg.CellID, "reason", e.Reason, "method", r.Method, "path", r.URL.Path)
}

// healthBody is the answer of /healthz.
type healthBody struct {
	Status string      `json:"status"`
	Cell   string      `json:"cell"`
	Cloud  string      `json:"cloud"`
	Region string      `json:"region"`
	Store  storeStatus `json:"store"`
}

func (c *Cell) healthz(w http.ResponseWriter, r *http.Request) {
	b := healthBody{Status: "ok", Cell: c.cfg.CellID, Cloud: c.cfg.Cloud, Region: c.cfg.Region, Store: c.health.status(r.Context())}
	b.Store.Kind = c.cfg.StoreKind
	status := http.StatusOK
	if !b.Store.OK || c.closed.Load() {
		b.Status, status = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, status, b)
}

// serveSigned handles a request whose signature verified.
func (c *Cell) serveSigned(w http.ResponseWriter, r *http.Request) {
	tenant, _ := edgeauth.TenantFromContext(r.Context())
	if aw, ok := w.(*accessWriter); ok {
		aw.signed, aw.tenant = true, tenant
	}
	if c.tracer != nil {
		c.traced(w, r, tenant, func(w http.ResponseWriter, r *http.Request) { c.serveTenant(w, r, tenant) })
		return
	}
	c.serveTenant(w, r, tenant)
}

// serveTenant serves a signed request for tenant.
func (c *Cell) serveTenant(w http.ResponseWriter, r *http.Request, tenant string) {
	if c.closed.Load() {
		writeError(w, http.StatusServiceUnavailable, "the cell is shutting down")
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/kv/"); ok || r.URL.Path == "/kv" {
		c.serveKV(w, r, tenant, rest)
		return
	}
	c.echo(w, r, tenant)
}

// echoBody is the answer to any path the cell has no API for.
type echoBody struct {
	Cell      string `json:"cell"`
	Cloud     string `json:"cloud"`
	Region    string `json:"region"`
	Tenant    string `json:"tenant"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Query     string `json:"query,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

func (c *Cell) echo(w http.ResponseWriter, r *http.Request, tenant string) {
	writeJSON(w, http.StatusOK, echoBody{
		Cell: c.cfg.CellID, Cloud: c.cfg.Cloud, Region: c.cfg.Region, Tenant: tenant,
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, RequestID: r.Header.Get("X-Request-ID"),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
