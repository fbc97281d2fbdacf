package stateapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// faultyStore fails Meta its first failMeta times with ErrUnavailable, and
// Export after its first record.
type faultyStore struct {
	state.Store
	failMeta  atomic.Int64
	metaCalls atomic.Int64
}

func (s *faultyStore) Meta(ctx context.Context, tenant string) (state.TenantMeta, error) {
	s.metaCalls.Add(1)
	if s.failMeta.Add(-1) >= 0 {
		return state.TenantMeta{}, fmt.Errorf("reading: %w", state.ErrUnavailable)
	}
	return s.Store.Meta(ctx, tenant)
}

func (s *faultyStore) Export(ctx context.Context, tenant string, fn func(state.Record) error) (uint64, error) {
	n := 0
	return s.Store.Export(ctx, tenant, func(r state.Record) error {
		if n++; n > 1 {
			return fmt.Errorf("scanning: %w", state.ErrUnavailable)
		}
		return fn(r)
	})
}

// TestClientRetriesAnUnavailableStore: a 503 is retried, and the call
// succeeds once the store answers.
func TestClientRetriesAnUnavailableStore(t *testing.T) {
	t.Parallel()
	st := &faultyStore{Store: state.New(embedded.New())}
	st.failMeta.Store(2)
	c := startCell(t, "aws-1", st, true)
	if _, err := c.client.Meta(ctx(t), "acme"); err != nil {
		t.Fatalf("meta after two 503s: %v", err)
	}
	if n := st.metaCalls.Load(); n != 3 {
		t.Errorf("the store was asked %d times, want 3", n)
	}
	st.failMeta.Store(100)
	_, err := c.client.Meta(ctx(t), "acme")
	if !errors.Is(err, state.ErrUnavailable) || !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("meta while the store is down: %v, want ErrUnavailable after the retries", err)
	}
}

// TestAStreamCutOffIsAnError: an export that fails after its first record
// ends with an error line, and the client reports it rather than a short
// export.
func TestAStreamCutOffIsAnError(t *testing.T) {
	t.Parallel()
	st := &faultyStore{Store: state.New(embedded.New())}
	c := startCell(t, "aws-1", st, true)
	for _, k := range []string{"a", "b", "c"} {
		if _, _, err := st.Put(ctx(t), "acme", k, []byte(k), state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	_, err := c.client.Export(ctx(t), "acme", func(state.Record) error { n++; return nil })
	if !errors.Is(err, state.ErrUnavailable) || !strings.Contains(err.Error(), "stopped the stream") {
		t.Errorf("a cut export: %v after %d records, want ErrUnavailable naming the cut", err, n)
	}
}

// TestBadRequests: refusals that are the caller's to fix are not retried
// and say what is wrong.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	c := startCell(t, "aws-1", state.New(embedded.New()), true)
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
	}{
		{"a lock without an id", func() error { _, err := c.client.Lock(ctx(t), "acme", state.MoveLock{}); return err }, http.StatusBadRequest},
		{"moved without a cell", func() error {
			_, err := c.client.SetFence(ctx(t), "acme", state.FenceState{Moved: true})
			return err
		}, http.StatusBadRequest},
		{"changes over the limit", func() error {
			_, _, err := c.client.Changes(ctx(t), "acme", 0, state.MaxChangesLimit+1)
			return err
		}, http.StatusBadRequest},
		{"a record without a sequence number", func() error {
			_, err := c.client.Import(ctx(t), "acme", []state.Record{{Key: "k", Value: []byte("v")}})
			return err
		}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ae *stateapi.Error
			if err := tc.call(); !errors.As(err, &ae) || ae.Status != tc.status || strings.Contains(err.Error(), "gave up") {
				t.Errorf("%v, want %d without retries", err, tc.status)
			}
		})
	}
	if m, err := c.store.Meta(ctx(t), "acme"); err != nil || m != (state.TenantMeta{}) {
		t.Errorf("refused requests changed the tenant: %+v (%v)", m, err)
	}
}
