package verifier

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Target is where the writers write and Verify reads back.
type Target interface {
	// Put writes value at key. A nil error means the write was
	// acknowledged: it must be readable from then on.
	Put(ctx context.Context, key string, value []byte) error
	// Get reads key; found is false when the key does not exist.
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
}

// CellIDHeader names the cell that answered (workload/refcell sets it).
const CellIDHeader = "X-Cell-ID"

// DefaultTimeout bounds one request of KV when it makes its own client.
const DefaultTimeout = 10 * time.Second

// KV is a Target over the reference cell's key/value API
// (workload/refcell): PUT and GET URL/kv/<key> with X-Tenant-ID: Tenant.
// A PUT answered 200 or 201 is acknowledged; a GET answered 404 by a cell
// (X-Cell-ID set) is a missing key; anything else is a *StatusError.
type KV struct {
	// URL is the router (or cell front) to send to, e.g.
	// http://127.0.0.1:8080. Required.
	URL string
	// Tenant is sent as X-Tenant-ID. Required.
	Tenant string
	// Client sends the requests. Nil: one with DefaultTimeout and enough
	// idle connections for many writers.
	Client *http.Client
}

var _ Target = (*KV)(nil)

// NewKV returns a KV for tenant at base, with its own client.
func NewKV(base, tenant string) (*KV, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("router URL %q: give http(s)://host[:port], e.g. http://127.0.0.1:8080", base)
	}
	if tenant == "" {
		return nil, fmt.Errorf("no tenant: give the tenant whose keys to write")
	}
	return &KV{URL: strings.TrimRight(base, "/"), Tenant: tenant, Client: &http.Client{
		Timeout:   DefaultTimeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true, Proxy: nil},
	}}, nil
}

// StatusError is an answer of the API that is not a success.
type StatusError struct {
	Method, Key string
	Status      int
	// Body is the start of the answer's body.
	Body string
	// RetryAfter is the answer's Retry-After (whole seconds), 0 when it
	// has none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Key, e.Status, e.Body)
}

func (k *KV) client() *http.Client {
	if k.Client != nil {
		return k.Client
	}
	return http.DefaultClient
}

func (k *KV) do(ctx context.Context, method, key string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.URL+"/kv/"+key, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Tenant-ID", k.Tenant)
	return k.client().Do(req)
}

func statusError(resp *http.Response, method, key string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	e := &StatusError{Method: method, Key: key, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// Put implements Target.
func (k *KV) Put(ctx context.Context, key string, value []byte) error {
	resp, err := k.do(ctx, http.MethodPut, key, value)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return statusError(resp, http.MethodPut, key)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// Get implements Target.
func (k *KV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	resp, err := k.do(ctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		b, err := io.ReadAll(resp.Body)
		return b, err == nil, err
	case http.StatusNotFound:
		// The cell's own "no such key" names the cell; a 404 of the
		// router (an unknown tenant) does not, and proves nothing.
		if resp.Header.Get(CellIDHeader) != "" {
			return nil, false, nil
		}
	}
	return nil, false, statusError(resp, http.MethodGet, key)
}
