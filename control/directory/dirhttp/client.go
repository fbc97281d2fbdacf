package dirhttp

import (
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
	"github.com/cellfabric/cellfabric/control/signedhttp"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// Client defaults, in one place: signedhttp's, which every
// control-key-signed API client shares.
const (
	DefaultMaxAttempts = signedhttp.DefaultMaxAttempts
	DefaultMinBackoff  = signedhttp.DefaultMinBackoff
	DefaultMaxBackoff  = signedhttp.DefaultMaxBackoff
	DefaultTimeout     = signedhttp.DefaultTimeout
	// maxAnswerBytes bounds an answer the client reads (a page of 10000
	// changes fits).
	maxAnswerBytes = 64 << 20
)

// ClientConfig configures a Client. Its fields but URLFlag are
// signedhttp.Config's, with its defaults.
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
	// MaxAttempts, MinBackoff and MaxBackoff bound the retries of a call
	// that fails with a network error, a 5xx or a 429
	// (signedhttp.Config). Defaults DefaultMaxAttempts (1: no retry),
	// DefaultMinBackoff and DefaultMaxBackoff.
	MaxAttempts            int
	MinBackoff, MaxBackoff time.Duration
	// Now is the signing clock. Default time.Now.
	Now func() time.Time
	// URLFlag names the setting BaseURL came from, for the error of an
	// unreachable API ("check the URL (--api)"). Default "--api",
	// cellfabric tenants' flag.
	URLFlag string
	// ClosedTTL is how long RecordAtRequest uses the closed cells it read
	// (GET /cells) before it asks again; a cell this client closes or
	// opens itself is seen at once. Default 0: asked at every placement.
	ClosedTTL time.Duration
}

// Client calls the control API. Every call is signed with the control key
// and retried (it is safe to: reads, puts, placements and removals are
// idempotent, and so are batches, by tenant id); it is safe for concurrent
// use.
type Client struct {
	sc      *signedhttp.Client
	urlFlag string
	// batchCap is the largest batch the server took after refusing a
	// larger one as too large; 0 until then (see Batch).
	batchCap atomic.Int64
	// closed holds the closed cells RecordAtRequest places around
	// (ClientConfig.ClosedTTL).
	closed *directory.ClosedCache
}

// NewClient returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	sc, err := signedhttp.New(signedhttp.Config{BaseURL: cfg.BaseURL, Key: cfg.Key, HTTPClient: cfg.HTTPClient,
		MaxAttempts: cfg.MaxAttempts, MinBackoff: cfg.MinBackoff, MaxBackoff: cfg.MaxBackoff, Now: cfg.Now},
		"control API", "http://127.0.0.1:9091")
	if err != nil {
		return nil, err
	}
	c := &Client{sc: sc, urlFlag: cmp.Or(cfg.URLFlag, "--api")}
	c.closed = directory.NewClosedCache(c.Closed, cfg.ClosedTTL, cfg.Now)
	return c, nil
}

// BaseURL returns the API's base URL as configured.
func (c *Client) BaseURL() string { return c.sc.BaseURL() }

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
	r := signedhttp.Request{Method: cl.method, Path: directory.BasePath + cl.path, Query: cl.query, Body: cl.body, ReadLimit: maxAnswerBytes}
	if cl.body != nil {
		r.ContentType = directory.ContentType
	}
	resp, attempts, err := c.sc.Send(ctx, r, signedhttp.Failures{
		Stopped: func(err error) error { return fmt.Errorf("%s: %w", cl.doing, err) },
		Unreachable: func(err error) error {
			return fmt.Errorf("%s: control API %s unreachable: %w; check the URL (%s) and that the directory is running", cl.doing, c.sc.Redacted(), err, c.urlFlag)
		},
		Refused: func(resp *http.Response) error { return apiError(resp.StatusCode, readAnswer(resp), cl) },
	})
	if err != nil {
		return attempts, err
	}
	body := readAnswer(resp)
	if out == nil {
		return attempts, nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return attempts, fmt.Errorf("%s: the control API's answer does not decode (%v): is %s a cellfabric control API?", cl.doing, err, c.sc.Redacted())
	}
	return attempts, nil
}

// readAnswer returns an answer Send has read whole (Request.ReadLimit)
// and closes it.
func readAnswer(resp *http.Response) []byte {
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return data
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
