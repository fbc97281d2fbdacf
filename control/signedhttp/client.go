package signedhttp

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// Client defaults, in one place.
const (
	DefaultMaxAttempts = 4
	DefaultMinBackoff  = 200 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
	DefaultTimeout     = 60 * time.Second
)

// Config configures a Client.
type Config struct {
	// BaseURL is where the API is served: scheme and host (and a path
	// prefix, if a proxy adds one), e.g. http://127.0.0.1:9091; each
	// call's path is appended. Required.
	BaseURL string
	// Key is the control key requests are signed with. Required.
	Key edgeauth.Key
	// HTTPClient sends the requests. Default: one with DefaultTimeout per
	// attempt.
	HTTPClient *http.Client
	// MaxAttempts is how many times a call is sent when it fails with a
	// network error, a 5xx or a 429. Default DefaultMaxAttempts; 1: no
	// retry.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait before a retry (Backoff):
	// a random time between half and all of MinBackoff·2^(attempt-1), at
	// most MaxBackoff, or the server's Retry-After (at most MaxBackoff).
	// Defaults DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Now is the signing clock. Default time.Now.
	Now func() time.Time
}

// Client sends signed, retried calls to one API. It is safe for
// concurrent use.
type Client struct {
	base     *url.URL
	signer   *edgeauth.Signer
	hc       *http.Client
	attempts int
	min, max time.Duration
}

// New returns a Client. api names the API in errors ("control API") and
// example is a URL of it to give when BaseURL is not one.
func New(cfg Config, api, example string) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%s URL %q: give http(s)://host[:port], e.g. %s", api, cfg.BaseURL, example)
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("%s URL %q: give it without query, fragment or credentials", api, base.Redacted())
	}
	signer, err := edgeauth.NewSigner(cfg.Key, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("control key: %w", err)
	}
	c := &Client{base: base, signer: signer, hc: cfg.HTTPClient, attempts: cfg.MaxAttempts, min: cfg.MinBackoff, max: cfg.MaxBackoff}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.attempts <= 0 {
		c.attempts = DefaultMaxAttempts
	}
	if c.min <= 0 {
		c.min = DefaultMinBackoff
	}
	if c.max <= 0 {
		c.max = DefaultMaxBackoff
	}
	return c, nil
}

// BaseURL returns the API's base URL as configured.
func (c *Client) BaseURL() string { return c.base.String() }

// Redacted returns the base URL for errors (without a password).
func (c *Client) Redacted() string { return c.base.Redacted() }
