package refcell

import (
	"context"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// ctxStore is a state port whose Ping honours its context, as a cloud
// store's network call does (the embedded store answers without one).
type ctxStore struct{ state.Store }

func (s ctxStore) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}

// TestStoreHealthOutlivesAProberThatHangsUp: the verdict /healthz caches
// is every prober's, so it must not be the failure of one prober that went
// away (its request's context cancelled) while the store answers.
func TestStoreHealthOutlivesAProberThatHangsUp(t *testing.T) {
	t.Parallel()
	st := ctxStore{state.New(embedded.New())}
	t.Cleanup(func() { _ = st.Close() })
	h := &storeHealth{store: st}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if got := h.status(gone); !got.OK {
		t.Errorf("a prober that hung up was told the store is down: %+v", got)
	}
	if got := h.status(context.Background()); !got.OK {
		t.Errorf("the next prober got the verdict of one that hung up: %+v", got)
	}
}
