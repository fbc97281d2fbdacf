package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// storeOps are the port's operations, each run once against a store that
// cannot answer.
func storeOps(st state.Store, tenant string) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"get": func(ctx context.Context) error { _, err := st.Get(ctx, tenant, "k"); return err },
		"put": func(ctx context.Context) error {
			_, _, err := st.Put(ctx, tenant, "k", []byte("during"), state.Cond{})
			return err
		},
		"delete":   func(ctx context.Context) error { return st.Delete(ctx, tenant, "k", state.Cond{}) },
		"list":     func(ctx context.Context) error { _, err := st.List(ctx, tenant, "", "", 10); return err },
		"changes":  func(ctx context.Context) error { _, _, err := st.Changes(ctx, tenant, 0, 10); return err },
		"position": func(ctx context.Context) error { _, err := st.Position(ctx, tenant); return err },
		"ping":     func(ctx context.Context) error { return st.Ping(ctx) },
	}
}

// failAlone runs op under a generous caller deadline and checks that it
// fails with state.ErrUnavailable on the backend's own timeout, before the
// caller's deadline: a dead store fails fast by itself.
func failAlone(t *testing.T, name string, op func(context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err := op(ctx)
	if !errors.Is(err, state.ErrUnavailable) {
		t.Errorf("%s: %v, want ErrUnavailable", name, err)
	}
	if ctx.Err() != nil {
		t.Errorf("%s: the caller's deadline ran out before the backend gave up", name)
	}
	t.Logf("%s failed after %v: %v", name, time.Since(start).Round(time.Millisecond), err)
	return err
}

// TestStoreKilledAndRestarted: with dynalite killed every operation fails
// with ErrUnavailable; started again on the same port (and data
// directory), the same Backend answers again, without reopening.
func TestStoreKilledAndRestarted(t *testing.T) {
	t.Parallel()
	e, err := startEmulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	o := testOptions(e.Endpoint(), newTable(t, e.Endpoint(), nil))
	o.Timeout = 2 * time.Second
	st := state.New(openTest(t, o))
	ctx := testContext(t)
	const tenant = "down"
	if _, _, err := st.Put(ctx, tenant, "k", []byte("before"), state.Cond{}); err != nil {
		t.Fatal(err)
	}

	e.Kill()
	for name, op := range storeOps(st, tenant) {
		failAlone(t, name, op)
	}

	if err := e.Restart(); err != nil {
		t.Fatalf("starting dynalite again on port %d: %v", e.Port(), err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("ping after the restart: %v", err)
	}
	if it, err := st.Get(ctx, tenant, "k"); err != nil || string(it.Value) != "before" {
		t.Fatalf("the value written before the outage: %q, %v", it.Value, err)
	}
	if _, _, err := st.Put(ctx, tenant, "k", []byte("after"), state.Cond{}); err != nil {
		t.Fatalf("put after the restart: %v", err)
	}
	if it, err := st.Get(ctx, tenant, "k"); err != nil || string(it.Value) != "after" {
		t.Fatalf("get after the restart: %q, %v", it.Value, err)
	}
}

// TestStoreHangs: a store that accepts connections but never answers
// (dynalite stopped with SIGSTOP) fails calls on the backend's timeout;
// resumed, the same Backend answers again.
func TestStoreHangs(t *testing.T) {
	t.Parallel()
	e, err := startEmulator("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	o := testOptions(e.Endpoint(), newTable(t, e.Endpoint(), nil))
	o.Timeout = time.Second
	st := state.New(openTest(t, o))
	ctx := testContext(t)
	const tenant = "hang"
	if _, _, err := st.Put(ctx, tenant, "k", []byte("before"), state.Cond{}); err != nil {
		t.Fatal(err)
	}

	if err := e.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = e.Signal(syscall.SIGCONT)
		}
	})
	for _, name := range []string{"get", "put", "list", "ping"} {
		err := failAlone(t, name, storeOps(st, tenant)[name])
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 1s") {
			t.Errorf("%s: %v, want the backend's timeout", name, err)
		}
	}

	if err := e.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	if _, _, err := st.Put(ctx, tenant, "k", []byte("after"), state.Cond{}); err != nil {
		t.Fatalf("put after the store resumed: %v", err)
	}
	if it, err := st.Get(ctx, tenant, "k"); err != nil || string(it.Value) != "after" {
		t.Fatalf("get after the store resumed: %q, %v", it.Value, err)
	}
}

// faultProxy passes requests to dynalite, or answers them itself with an
// error DynamoDB gives: throttling or a server error.
type faultProxy struct {
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	status   int    // 0: pass requests on
	body     string // the error's JSON
	answered int    // requests answered with the error
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	status, body := p.status, p.body
	if status != 0 {
		p.answered++
	}
	p.mu.Unlock()
	if status == 0 {
		p.proxy.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// fail makes the proxy answer every request with status and body (0: pass
// them on) and returns how many it answered so far.
func (p *faultProxy) fail(status int, body string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.answered
	p.status, p.body, p.answered = status, body, 0
	return n
}

// TestThrottlingAndServerErrors: throttling and 5xx answers are retried
// (MaxAttempts tries), then fail with ErrUnavailable; once DynamoDB answers
// again, the same Backend works. dynalite never throttles nor fails, so a
// proxy in front of it gives DynamoDB's answers.
func TestThrottlingAndServerErrors(t *testing.T) {
	t.Parallel()
	target, err := url.Parse(shared.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	fp := &faultProxy{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(fp)
	t.Cleanup(srv.Close)
	o := testOptions(srv.URL, newTable(t, shared.Endpoint(), nil))
	o.Timeout = 10 * time.Second // room for the SDK's ~1 s pauses after throttling
	st := state.New(openTest(t, o))
	ctx := testContext(t)
	const tenant = "throttled"
	if _, _, err := st.Put(ctx, tenant, "k", []byte("v"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	const prefix = "com.amazonaws.dynamodb.v20120810#"
	cases := []struct {
		name   string
		status int
		typ    string
		hint   string
	}{
		{"throttling", http.StatusBadRequest, "ThrottlingException", "throttling"},
		{"provisioned throughput exceeded", http.StatusBadRequest, "ProvisionedThroughputExceededException", "throttling"},
		{"request limit exceeded", http.StatusBadRequest, "RequestLimitExceeded", "throttling"},
		{"internal server error", http.StatusInternalServerError, "InternalServerError", "failed to answer"},
		{"service unavailable", http.StatusServiceUnavailable, "ServiceUnavailable", "failed to answer"},
	}
	for _, c := range cases {
		fp.fail(c.status, fmt.Sprintf(`{"__type":"%s%s","message":"injected by the test"}`, prefix, c.typ))
		_, err := st.Get(ctx, tenant, "k")
		tries := fp.fail(0, "")
		if !errors.Is(err, state.ErrUnavailable) || !strings.Contains(err.Error(), c.hint) {
			t.Errorf("%s: %v, want ErrUnavailable saying %q", c.name, err, c.hint)
		}
		if tries != DefaultMaxAttempts {
			t.Errorf("%s: %d tries, want %d (the SDK retries it)", c.name, tries, DefaultMaxAttempts)
		}
		if it, err := st.Get(ctx, tenant, "k"); err != nil || string(it.Value) != "v" {
			t.Fatalf("%s: get once DynamoDB answers again: %q, %v", c.name, it.Value, err)
		}
	}
}
