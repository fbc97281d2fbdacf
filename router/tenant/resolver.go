package tenant

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// Mode is one way of finding the tenant.
type Mode string

// Resolution modes.
const (
	ModeHeader Mode = "header"
	ModeHost   Mode = "host"
	ModePath   Mode = "path"
	ModeJWT    Mode = "jwt"
)

// Defaults.
const (
	// DefaultHeader is the header of ModeHeader.
	DefaultHeader = "X-Tenant-ID"
	// DefaultPathPrefix is the prefix of ModePath: "/t/{tenant}/...".
	DefaultPathPrefix = "/t/"
)

// Config configures a Resolver.
type Config struct {
	// Order is the modes to try, in order. Default: [header].
	Order []Mode
	// Header is the header ModeHeader reads. Default DefaultHeader.
	Header string
	// HostPattern is the host ModeHost matches, with "{tenant}" standing for
	// one DNS label, e.g. "{tenant}.example.com". Required with ModeHost.
	HostPattern string
	// PathPrefix is what precedes the tenant segment in ModePath; it starts
	// and ends with "/". Default DefaultPathPrefix.
	PathPrefix string
	// Verifier checks the bearer tokens of ModeJWT and names their tenant,
	// typically a *jwt.Verifier from router/tenant/jwt. Required with
	// ModeJWT; unused otherwise.
	Verifier TokenVerifier
}

// Headers is read access to request headers; http.Header implements it.
type Headers interface {
	Get(name string) string
}

// Facts are what a resolver reads from a request.
type Facts struct {
	// Host is the request host, with or without a port.
	Host string
	// Path is the decoded request path (url.URL.Path).
	Path string
	// RawPath is the encoded path when it differs from the default encoding
	// of Path (url.URL.RawPath), else "".
	RawPath string
	// Header holds the request headers. Nil: none.
	Header Headers
}

// Result is a resolved tenant.
type Result struct {
	// Tenant is the tenant id, "" when no mode found one.
	Tenant string
	// Mode is the mode that found it.
	Mode Mode
	// Path and RawPath are the path to forward: the request's, or with the
	// tenant prefix stripped for ModePath.
	Path, RawPath string
}

// Error is a request whose tenant information is malformed or not
// trustworthy. Its Status is what the router answers.
type Error struct {
	// Status is the HTTP status: 400 (malformed), 401 (token not valid),
	// 403 (valid token naming no tenant), 503 (keys unavailable).
	Status int
	// Reason is stable, for logs and metric labels: bad_header, bad_host,
	// bad_path, bad_token, token_rejected, token_no_tenant,
	// keys_unavailable.
	Reason string
	// Mode is the mode that failed.
	Mode Mode
	// Msg explains the problem to the client. It never contains a token or
	// a secret.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("tenant (%s): %s", e.Mode, e.Msg) }

func (e *Error) Unwrap() error { return e.Err }

// Reasons, for metrics.
var Reasons = []string{"bad_header", "bad_host", "bad_path", "bad_token", "token_rejected", "token_no_tenant", "keys_unavailable"}

// Resolver finds the tenant of a request. It is safe for concurrent use.
type Resolver struct {
	order      []Mode
	header     string
	hostPrefix string
	hostSuffix string
	pathPrefix string
	verifier   TokenVerifier
}

// New validates cfg (every problem at once) and returns a Resolver.
func New(cfg Config) (*Resolver, error) {
	var errs []error
	r := &Resolver{order: cfg.Order, header: cfg.Header, pathPrefix: cfg.PathPrefix}
	if len(r.order) == 0 {
		r.order = []Mode{ModeHeader}
	}
	if r.header == "" {
		r.header = DefaultHeader
	}
	r.header = textproto.CanonicalMIMEHeaderKey(r.header)
	if r.pathPrefix == "" {
		r.pathPrefix = DefaultPathPrefix
	}
	seen := map[Mode]bool{}
	for i, m := range r.order {
		if seen[m] {
			errs = append(errs, fmt.Errorf("order[%d]: mode %q listed twice", i, m))
		}
		seen[m] = true
		switch m {
		case ModeHeader, ModePath:
		case ModeHost:
			pre, suf, ok := strings.Cut(strings.ToLower(cfg.HostPattern), "{tenant}")
			switch {
			case cfg.HostPattern == "":
				errs = append(errs, errors.New("hostPattern: required with the host mode, e.g. {tenant}.example.com"))
			case !ok || strings.Contains(suf, "{tenant}"):
				errs = append(errs, fmt.Errorf("hostPattern: %q must contain {tenant} exactly once", cfg.HostPattern))
			case (pre != "" && !strings.HasSuffix(pre, ".")) || (suf != "" && !strings.HasPrefix(suf, ".")) || strings.ContainsAny(pre+suf, ":/ {}"):
				errs = append(errs, fmt.Errorf("hostPattern: %q: {tenant} must be a whole DNS label and the pattern a bare host name", cfg.HostPattern))
			default:
				r.hostPrefix, r.hostSuffix = pre, suf
			}
		case ModeJWT:
			if cfg.Verifier == nil {
				errs = append(errs, errors.New("jwt: required with the jwt mode: set Verifier (a router/tenant/jwt Verifier)"))
				continue
			}
			r.verifier = cfg.Verifier
		default:
			errs = append(errs, fmt.Errorf("order[%d]: unknown mode %q; want header, host, path or jwt", i, m))
		}
	}
	if !strings.HasPrefix(r.pathPrefix, "/") || !strings.HasSuffix(r.pathPrefix, "/") || strings.ContainsAny(r.pathPrefix, "?#% ") {
		errs = append(errs, fmt.Errorf("pathPrefix: %q must start and end with \"/\" and hold no ?, #, %% or spaces", r.pathPrefix))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tenant resolution config: %w", err)
	}
	return r, nil
}

// Modes returns the configured order.
func (r *Resolver) Modes() []Mode { return r.order }

// Resolve finds the tenant. It returns a Result with an empty Tenant when no
// mode finds one, and an *Error when a mode finds something malformed or a
// token that does not verify. Only the jwt mode uses ctx (to fetch keys).
func (r *Resolver) Resolve(ctx context.Context, f Facts) (Result, error) {
	res := Result{Path: f.Path, RawPath: f.RawPath}
	for _, m := range r.order {
		var (
			id  string
			err *Error
		)
		switch m {
		case ModeHeader:
			id, err = r.fromHeader(f.Header)
		case ModeHost:
			id, err = r.fromHost(f.Host)
		case ModePath:
			var p, rp string
			id, p, rp, err = r.fromPath(f.Path, f.RawPath)
			if id != "" {
				res.Path, res.RawPath = p, rp
			}
		case ModeJWT:
			id, err = r.fromJWT(ctx, f.Header)
		}
		if err != nil {
			return Result{}, err
		}
		if id != "" {
			res.Tenant, res.Mode = id, m
			return res, nil
		}
	}
	return res, nil
}

// valuesHeaders is implemented by http.Header.
type valuesHeaders interface {
	Values(name string) []string
}

// countHeaders is implemented by header views that can count a header's
// values without copying them (the fasthttp engine's); preferred over
// valuesHeaders.
type countHeaders interface {
	Count(name string) int
}

// repeated says whether h holds name more than once, when h can tell.
func repeated(h Headers, name string) bool {
	switch vh := h.(type) {
	case countHeaders:
		return vh.Count(name) > 1
	case valuesHeaders:
		return len(vh.Values(name)) > 1
	}
	return false
}

func (r *Resolver) fromHeader(h Headers) (string, *Error) {
	if h == nil {
		return "", nil
	}
	v := h.Get(r.header)
	if v == "" {
		return "", nil
	}
	if repeated(h, r.header) {
		return "", &Error{Status: 400, Reason: "bad_header", Mode: ModeHeader, Msg: "the " + r.header + " header is repeated: send it once"}
	}
	if !fabric.ValidTenantID(v) {
		return "", &Error{Status: 400, Reason: "bad_header", Mode: ModeHeader, Msg: "the " + r.header + " header is not a valid tenant id (1-63 lowercase letters, digits and hyphens)"}
	}
	return v, nil
}

// fromHost extracts the tenant label of HostPattern from host.
func (r *Resolver) fromHost(host string) (string, *Error) {
	h := stripPort(host)
	if h == "" {
		return "", nil // HTTP/1.0 without Host: nothing to find
	}
	if !validHost(h) {
		return "", &Error{Status: 400, Reason: "bad_host", Mode: ModeHost, Msg: "the Host header is not a valid host name"}
	}
	if len(h) < len(r.hostPrefix)+len(r.hostSuffix) || !hasPrefixFold(h, r.hostPrefix) || !hasSuffixFold(h, r.hostSuffix) {
		return "", nil
	}
	label := h[len(r.hostPrefix) : len(h)-len(r.hostSuffix)]
	if !fabric.ValidTenantID(label) {
		if lower := asciiLower(label); lower != label && fabric.ValidTenantID(lower) {
			return lower, nil
		}
		return "", &Error{Status: 400, Reason: "bad_host", Mode: ModeHost, Msg: "the host's tenant label is not a valid tenant id (one DNS label: letters, digits and hyphens)"}
	}
	return label, nil
}

// fromPath extracts "/prefix/{tenant}[/rest]" and returns the path to
// forward ("/rest", or "/").
func (r *Resolver) fromPath(path, raw string) (id, fwd, fwdRaw string, e *Error) {
	if !strings.HasPrefix(path, r.pathPrefix) {
		return "", "", "", nil
	}
	rest := path[len(r.pathPrefix):]
	seg, _, _ := strings.Cut(rest, "/")
	if !fabric.ValidTenantID(seg) {
		return "", "", "", &Error{Status: 400, Reason: "bad_path", Mode: ModePath, Msg: "the path's tenant segment (" + r.pathPrefix + "{tenant}/...) is not a valid tenant id"}
	}
	// The tail keeps its leading slash; slicing avoids an allocation.
	if fwd = path[len(r.pathPrefix)+len(seg):]; fwd == "" {
		fwd = "/"
	}
	if raw != "" {
		lead := r.pathPrefix + seg
		if !strings.HasPrefix(raw, lead) || (len(raw) > len(lead) && raw[len(lead)] != '/') {
			return "", "", "", &Error{Status: 400, Reason: "bad_path", Mode: ModePath, Msg: "the path's prefix and tenant segment must not be percent-encoded"}
		}
		fwdRaw = raw[len(lead):]
		if fwdRaw == "" {
			fwdRaw = "/"
		}
	}
	return seg, fwd, fwdRaw, nil
}

func stripPort(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}

// validHost accepts DNS names (letters, digits, hyphens, dots, underscores)
// and bracketed IPv6 literals; anything else is malformed.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if h[0] == '[' {
		return h[len(h)-1] == ']'
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return !strings.Contains(h, "..")
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }
func hasSuffixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[len(s)-len(p):], p)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
