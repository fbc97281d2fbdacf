package dirhttp

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// Client defaults, in one place.
const (
	DefaultMaxAttempts = 4
	DefaultMinBackoff  = 200 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
	DefaultTimeout     = 60 * time.Second
	// maxAnswerBytes bounds an answer the client reads (a page of 10000
	// changes fits).
	maxAnswerBytes = 64 << 20
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// BaseURL is where the control API is served: scheme and host (and a
	// path prefix, if a proxy adds one), e.g. http://127.0.0.1:9091 or
	// https://edge.example.com; directory.BasePath is appended. Required.
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
	// MinBackoff and MaxBackoff bound the wait before a retry: a random
	// time between half and all of MinBackoff·2^(attempt-1), at most
	// MaxBackoff, or the server's Retry-After (at most MaxBackoff). Defaults DefaultMinBackoff
	// and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Now is the signing clock. Default time.Now.
	Now func() time.Time
	// URLFlag names the setting BaseURL came from, for the error of an
	// unreachable API ("check the URL (--api)"). Default "--api",
	// cellfabric tenants' flag.
	URLFlag string
}

// Client calls the control API. Every call is signed with the control key
// and retried (it is safe to: reads, puts, placements and removals are
// idempotent, and so are batches, by tenant id); it is safe for concurrent
// use.
type Client struct {
	base     *url.URL
	signer   *edgeauth.Signer
	hc       *http.Client
	attempts int
	min, max time.Duration
	urlFlag  string
	// batchCap is the largest batch the server took after refusing a
	// larger one as too large; 0 until then (see Batch).
	batchCap atomic.Int64
}

// NewClient returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("control API URL %q: give http(s)://host[:port], e.g. http://127.0.0.1:9091", cfg.BaseURL)
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("control API URL %q: give it without query, fragment or credentials", base.Redacted())
	}
	signer, err := edgeauth.NewSigner(cfg.Key, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("control key: %w", err)
	}
	c := &Client{base: base, signer: signer, hc: cfg.HTTPClient, attempts: cfg.MaxAttempts, min: cfg.MinBackoff, max: cfg.MaxBackoff, urlFlag: cmp.Or(cfg.URLFlag, "--api")}
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

// APIError is a refusal the API answered with: its status and error body.
type APIError struct {
	Status  int
	Reason  string
	Tenant  string
	Message string
	// MaxBatch is, with directory.ReasonBatchTooLarge, the most entries
	// the server takes in a batch, when it said (0 when it did not).
	MaxBatch int
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Reason)
}

// Is reports whether target is router.ErrPositionExpired and the API
// refused a position as expired: what a feed's reader (router/server)
// loads the whole directory again on.
func (e *APIError) Is(target error) bool {
	return target == router.ErrPositionExpired && e.Reason == directory.ReasonPositionExpired
}

// Reason returns err's API reason ("" when err is not an *APIError).
func Reason(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return ""
}

// call is one API call: what to send and what it is about.
type call struct {
	method, path string
	query        url.Values
	body         []byte
	tenant       string // for errors; "" for none
	doing        string // "putting tenant x", for errors
}

// do sends cl, retrying, and decodes a 200 answer into out. It returns
// how many attempts were sent.
func (c *Client) do(ctx context.Context, cl call, out any) (int, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + directory.BasePath + cl.path
	var lastErr error
	for attempt := 1; ; attempt++ {
		status, body, retryAfter, err := c.once(ctx, cl, u)
		switch {
		case err != nil && ctx.Err() != nil:
			return attempt, fmt.Errorf("%s: %w", cl.doing, ctx.Err())
		case err != nil:
			lastErr = fmt.Errorf("%s: control API %s unreachable: %w; check the URL (%s) and that the directory is running", cl.doing, c.base.Redacted(), err, c.urlFlag)
		case status == http.StatusOK:
			if out == nil {
				return attempt, nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return attempt, fmt.Errorf("%s: the control API's answer does not decode (%v): is %s a cellfabric control API?", cl.doing, err, c.base.Redacted())
			}
			return attempt, nil
		default:
			lastErr = apiError(status, body, cl)
			if status != http.StatusTooManyRequests && status < 500 {
				return attempt, lastErr
			}
		}
		if attempt >= c.attempts {
			if attempt > 1 {
				lastErr = fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt)
			}
			return attempt, lastErr
		}
		if err := sleep(ctx, c.backoff(attempt, retryAfter)); err != nil {
			return attempt, fmt.Errorf("%s: %w", cl.doing, err)
		}
	}
}

// once sends one attempt, signed now.
func (c *Client) once(ctx context.Context, cl call, u url.URL) (status int, body []byte, retryAfter time.Duration, err error) {
	header, rawQuery := directory.SignControl(c.signer, cl.method, u.Host, u.EscapedPath(), cl.query, cl.body)
	u.RawQuery = rawQuery
	var rd io.Reader
	if cl.body != nil {
		rd = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), rd)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set(edgeauth.SignatureHeader, header)
	if cl.body != nil {
		req.Header.Set("Content-Type", directory.ContentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return 0, nil, 0, err
	}
	if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	return resp.StatusCode, body, retryAfter, nil
}

// apiError turns a refusal into an *APIError.
func apiError(status int, body []byte, cl call) error {
	var eb directory.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error == "" {
		return &APIError{Status: status, Reason: "http_" + strconv.Itoa(status), Tenant: cl.tenant,
			Message: fmt.Sprintf("%s: the control API answered %d %s without an error body", cl.doing, status, http.StatusText(status))}
	}
	if eb.Tenant == "" {
		eb.Tenant = cl.tenant
	}
	msg := eb.Error
	if cl.tenant != "" && !strings.Contains(msg, strconv.Quote(cl.tenant)) {
		msg = fmt.Sprintf("%s: %s", cl.doing, msg)
	}
	return &APIError{Status: status, Reason: eb.Reason, Tenant: eb.Tenant, Message: msg, MaxBatch: eb.MaxBatch}
}

// backoff is the wait before retry number attempt (Backoff).
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	return Backoff(c.min, c.max, attempt, retryAfter)
}

// Backoff is the wait before retry number attempt of a control API call:
// the server's Retry-After, or a random time between half and all of
// minWait·2^(attempt-1); at most maxWait. Other control API clients (the
// cells' state admin API, workload/state/stateapi) retry by it too.
func Backoff(minWait, maxWait time.Duration, attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxWait)
	}
	ceiling := minWait << min(attempt-1, 20)
	if ceiling <= 0 || ceiling > maxWait {
		ceiling = maxWait
	}
	return jitter(ceiling)
}

// Sleep waits d, or until ctx is done (its error).
func Sleep(ctx context.Context, d time.Duration) error { return sleep(ctx, d) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
