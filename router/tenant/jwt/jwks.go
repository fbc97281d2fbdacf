package jwt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	gojwt "github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// JWKS defaults and limits.
const (
	// DefaultJWKSRefresh is how often the JWKS document is refetched.
	DefaultJWKSRefresh = 10 * time.Minute
	// DefaultJWKSMinRefresh is the least time between two refetches caused
	// by tokens naming a kid the cache does not hold, so that such tokens
	// cannot make the router hammer the issuer.
	DefaultJWKSMinRefresh = 30 * time.Second
	// DefaultJWKSTimeout bounds one fetch of the document.
	DefaultJWKSTimeout = 5 * time.Second
	// MaxJWKSBytes is the largest JWKS document accepted.
	MaxJWKSBytes = 1 << 20
)

// JWKSConfig configures a JWKS.
type JWKSConfig struct {
	// URL is the JWKS document's http or https URL. Required.
	URL string
	// Client fetches it; its Transport is wrapped to cap the document at
	// MaxJWKSBytes. Default: a client on http.DefaultTransport.
	Client *http.Client
	// Timeout bounds one fetch, and how long a token with an unknown kid
	// may wait for the rate limiter plus the refetch. Default
	// DefaultJWKSTimeout.
	Timeout time.Duration
	// RefreshInterval is how often the document is refetched in the
	// background. Default DefaultJWKSRefresh.
	RefreshInterval time.Duration
	// MinRefresh is the least time between two refetches caused by unknown
	// kids. Default DefaultJWKSMinRefresh.
	MinRefresh time.Duration
	// Logger receives failed fetches (key "url", "error"). Default:
	// discard; the 503 answered while no keys are held carries the last
	// failure as its Err either way.
	Logger *slog.Logger
}

// JWKS holds RS256 and ES256 public keys fetched from a JWKS URL. The
// fetching and caching are keyfunc's over a jwkset HTTP storage: the
// document is fetched by NewJWKS, refetched every RefreshInterval by a
// goroutine, and refetched early (at most every MinRefresh, through a
// rate.Limiter) when a token names a kid the cache does not hold, so that
// rotation at the issuer is picked up. A successful fetch replaces every
// key (revoked keys go); a failed one keeps the keys held.
//
// Only keys that fit the token's algorithm verify anything: RSA keys of at
// least MinRSABits for RS256, P-256 keys for ES256, with "use" sig or
// absent and "alg" matching or absent. Symmetric ("oct") keys in the
// document are never used: a JWKS is public. A token with a kid is checked
// with the key of that kid only; a token without one with every key.
type JWKS struct {
	url    string
	kf     keyfunc.Keyfunc
	logger *slog.Logger

	mu      sync.Mutex
	lastErr error // last failed fetch
}

// NewJWKS validates cfg and fetches the document once (waiting at most
// Timeout). An unreachable URL is not an error: tokens are answered 503
// keys_unavailable until a fetch succeeds. The refresh goroutine runs until
// ctx is done.
func NewJWKS(ctx context.Context, cfg JWKSConfig) (*JWKS, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	j := &JWKS{url: cfg.URL, logger: cfg.Logger}
	client := *cfg.Client
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client.Transport = capBody{base: base}
	remote, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.URL}, keyfunc.Override{
		Client:                  &client,
		HTTPTimeout:             cfg.Timeout,
		RateLimitWaitMax:        cfg.Timeout,
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) { return j.fetchFailed },
		RefreshInterval:         cfg.RefreshInterval,
		RefreshUnknownKID:       rate.NewLimiter(rate.Every(cfg.MinRefresh), 1),
	})
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", cfg.URL, err)
	}
	// A second Keyfunc over the same storage, to refuse keys whose "use"
	// is not sig.
	j.kf, err = keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: remote.Storage(), UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", cfg.URL, err)
	}
	return j, nil
}

func (cfg JWKSConfig) validate() error {
	var errs []error
	if u, err := url.Parse(cfg.URL); cfg.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url: %q is not an http(s) URL; give the issuer's JWKS URL, e.g. https://issuer.example.com/.well-known/jwks.json", cfg.URL))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", cfg.Timeout}, {"refreshInterval", cfg.RefreshInterval}, {"minRefresh", cfg.MinRefresh}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative; use 0 for the default", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

func (cfg JWKSConfig) withDefaults() JWKSConfig {
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultJWKSTimeout
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = DefaultJWKSRefresh
	}
	if cfg.MinRefresh == 0 {
		cfg.MinRefresh = DefaultJWKSMinRefresh
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

func (j *JWKS) fetchFailed(ctx context.Context, err error) {
	j.mu.Lock()
	j.lastErr = err
	j.mu.Unlock()
	j.logger.WarnContext(ctx, "jwks fetch failed; the keys held, if any, stay in use", "url", j.url, "error", err)
}

// errKeysUnavailable marks a token refused because no keys are held.
var errKeysUnavailable = errors.New("no verification keys held")

// keys returns the JWKS keys that may have signed t, converted by the
// package's one key rule (publicKey). It fails, wrapping
// errKeysUnavailable, only when the cache holds no keys at all.
func (j *JWKS) keys(ctx context.Context, t *gojwt.Token) ([]Key, error) {
	if _, hasKid := t.Header["kid"]; !hasKid && j.empty(ctx) {
		// Only a lookup by kid refetches early. Ask for the empty kid,
		// under the same rate limit, so that a cache that could not be
		// filled at start is filled as soon as the issuer answers.
		_, _ = j.kf.Storage().KeyRead(ctx, "")
	}
	var found []gojwt.VerificationKey
	// An error is an unknown kid, or a key whose alg or use does not fit:
	// no key.
	if got, err := j.kf.KeyfuncCtx(ctx)(t); err == nil {
		if set, ok := got.(gojwt.VerificationKeySet); ok {
			found = set.Keys
		} else {
			found = []gojwt.VerificationKey{got}
		}
	}
	var keys []Key
	for _, pub := range found {
		if k, err := publicKey("", pub); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 && j.empty(ctx) {
		j.mu.Lock()
		last := j.lastErr
		j.mu.Unlock()
		if last == nil {
			last = errors.New("the document holds no keys")
		}
		return nil, fmt.Errorf("jwks %s: %w: %w", j.url, errKeysUnavailable, last)
	}
	return keys, nil
}

// empty reports whether the cache holds no keys (never fetched, or the
// document is empty).
func (j *JWKS) empty(ctx context.Context) bool {
	all, err := j.kf.Storage().KeyReadAll(ctx)
	return err != nil || len(all) == 0
}

// capBody caps response bodies at MaxJWKSBytes: jwkset decodes the whole
// document.
type capBody struct{ base http.RoundTripper }

func (c capBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = http.MaxBytesReader(nil, resp.Body, MaxJWKSBytes)
	return resp, nil
}
