package signedhttp

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

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/internal/ctxtime"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// Request is one call.
type Request struct {
	Method string
	// Path is appended to the base URL's path.
	Path  string
	Query url.Values
	// Body is sent as is; nil sends none.
	Body []byte
	// ContentType is the body's; "" sends no Content-Type.
	ContentType string
	// ReadLimit > 0 reads every answer whole (at most ReadLimit bytes)
	// within its attempt, so an answer cut off is retried as a network
	// error is; 0 leaves the 200 answer's body unread for the caller (a
	// stream).
	ReadLimit int64
}

// Failures words a call's errors: each client says them its own way.
type Failures struct {
	// Stopped wraps the context's error when the call's context ends.
	Stopped func(error) error
	// Unreachable wraps the network error of an attempt.
	Unreachable func(error) error
	// Refused turns an answer other than 200 into the call's error; Send
	// closes its body afterwards.
	Refused func(*http.Response) error
}

// Send sends r, signed anew at each attempt, retrying network errors,
// 429s and 5xx up to the Client's attempts, and returns the first 200
// answer (the caller closes its body) or the last failure, and how many
// attempts were sent.
func (c *Client) Send(ctx context.Context, r Request, f Failures) (*http.Response, int, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + r.Path
	var lastErr error
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, r, u)
		var retryAfter time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, attempt, f.Stopped(ctx.Err())
		case err != nil:
			lastErr = f.Unreachable(err)
		case resp.StatusCode == http.StatusOK:
			return resp, attempt, nil
		default:
			lastErr = f.Refused(resp)
			resp.Body.Close()
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
				retryAfter = time.Duration(s) * time.Second
			}
			if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
				return nil, attempt, lastErr
			}
		}
		if attempt >= c.attempts {
			if attempt > 1 {
				lastErr = fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt)
			}
			return nil, attempt, lastErr
		}
		if err := ctxtime.Sleep(ctx, Backoff(c.min, c.max, attempt, retryAfter)); err != nil {
			return nil, attempt, f.Stopped(err)
		}
	}
}

// once sends one attempt, signed now.
func (c *Client) once(ctx context.Context, r Request, u url.URL) (*http.Response, error) {
	header, rawQuery := directory.SignControl(c.signer, r.Method, u.Host, u.EscapedPath(), r.Query, r.Body)
	u.RawQuery = rawQuery
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set(edgeauth.SignatureHeader, header)
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil || r.ReadLimit <= 0 {
		return resp, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.ReadLimit))
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}
