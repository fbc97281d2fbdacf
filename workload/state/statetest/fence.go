package statetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// wantStale fails the test unless err is a StaleEpochError with the fence
// fence (and FenceAll all).
func wantStale(t *testing.T, what string, err error, fence int64, all bool) {
	t.Helper()
	var se *state.StaleEpochError
	if !errors.Is(err, state.ErrStaleEpoch) || !errors.As(err, &se) {
		t.Fatalf("%s: error %v, want ErrStaleEpoch", what, err)
	}
	if se.Fence != fence || se.All != all {
		t.Errorf("%s: the refusal says fence %d (all %v), want %d (all %v)", what, se.Fence, se.All, fence, all)
	}
}

// wantMoved fails the test unless err is a MovedError naming to and fence.
func wantMoved(t *testing.T, what string, err error, to string, fence int64) {
	t.Helper()
	var me *state.MovedError
	if !errors.Is(err, state.ErrMoved) || !errors.As(err, &me) {
		t.Fatalf("%s: error %v, want ErrMoved", what, err)
	}
	if me.MovedTo != to || me.Fence != fence {
		t.Errorf("%s: the refusal says moved to %q at %d, want %q at %d", what, me.MovedTo, me.Fence, to, fence)
	}
}

// staleEpoch: a fence refuses writes with an older epoch (or none) and
// accepts the fence's epoch and later ones; a refused write changes nothing.
func (s *suite) staleEpoch(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("stale")
	mustPut(t, st, tn, "k", []byte("before"))
	tm, err := st.SetFence(ctx(t), tn, state.FenceState{Fence: 5})
	if err != nil || tm.Fence != 5 || tm.Position != 1 {
		t.Fatalf("set fence: %+v %v, want fence 5 at position 1", tm, err)
	}
	for _, epoch := range []int64{0, 1, 4} {
		_, _, err := st.Put(ctx(t), tn, "k", []byte("stale"), state.Cond{Epoch: epoch})
		wantStale(t, fmt.Sprintf("put at epoch %d", epoch), err, 5, false)
		err = st.Delete(ctx(t), tn, "k", state.Cond{Epoch: epoch})
		wantStale(t, fmt.Sprintf("delete at epoch %d", epoch), err, 5, false)
	}
	if it := mustGet(t, st, tn, "k"); string(it.Value) != "before" || it.Seq != 1 {
		t.Fatalf("refused writes changed the key: %q at %d", it.Value, it.Seq)
	}
	if p, err := st.Position(ctx(t), tn); err != nil || p != 1 {
		t.Fatalf("refused writes moved the position to %d (%v)", p, err)
	}
	for i, epoch := range []int64{5, 6} {
		it, _, err := st.Put(ctx(t), tn, "k", []byte(fmt.Sprint(epoch)), state.Cond{Epoch: epoch})
		if err != nil || it.Seq != uint64(2+i) {
			t.Fatalf("put at epoch %d over fence 5: seq %d, %v", epoch, it.Seq, err)
		}
	}
	if err := st.Delete(ctx(t), tn, "k", state.Cond{Epoch: 5}); err != nil {
		t.Fatalf("delete at the fence's epoch: %v", err)
	}
	// Lifting the fence lets writes without an epoch in again.
	if _, err := st.SetFence(ctx(t), tn, state.FenceState{}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, st, tn, "k", []byte("after"))
}

// fenceAll refuses every write whatever its epoch, while reads, the export
// and the feed go on.
func (s *suite) fenceAll(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("fenceall")
	mustPut(t, st, tn, "a", []byte("1"))
	mustPut(t, st, tn, "b", []byte("2"))
	if _, err := st.SetFence(ctx(t), tn, state.FenceState{Fence: 3, FenceAll: true}); err != nil {
		t.Fatal(err)
	}
	for _, epoch := range []int64{0, 3, 1 << 40} {
		_, _, err := st.Put(ctx(t), tn, "a", []byte("x"), state.Cond{Epoch: epoch})
		wantStale(t, fmt.Sprintf("put at epoch %d", epoch), err, 3, true)
		err = st.Delete(ctx(t), tn, "b", state.Cond{Epoch: epoch})
		wantStale(t, fmt.Sprintf("delete at epoch %d", epoch), err, 3, true)
	}
	if it := mustGet(t, st, tn, "a"); string(it.Value) != "1" {
		t.Errorf("read while fenced: %q", it.Value)
	}
	if keys := listAll(t, st, tn, "", 10); !reflect.DeepEqual(keys, []string{"a", "b"}) {
		t.Errorf("list while fenced: %v", keys)
	}
	n := 0
	p, err := st.Export(ctx(t), tn, func(state.Record) error { n++; return nil })
	if err != nil || p != 2 || n != 2 {
		t.Errorf("export while fenced: %d records to %d (%v), want 2 to 2", n, p, err)
	}
	if recs, _, err := st.Changes(ctx(t), tn, 0, 10); err != nil || len(recs) != 2 {
		t.Errorf("changes while fenced: %d records (%v), want 2", len(recs), err)
	}
	// Unfenced at the new epoch: writes at that epoch go in.
	if _, err := st.SetFence(ctx(t), tn, state.FenceState{Fence: 4}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Put(ctx(t), tn, "a", []byte("x"), state.Cond{Epoch: 4}); err != nil {
		t.Fatalf("put after unfencing: %v", err)
	}
}

// moved refuses the data path's reads and writes with the cell the tenant
// moved to, and keeps the mover's reads working.
func (s *suite) moved(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("moved")
	mustPut(t, st, tn, "a", []byte("1"))
	if _, err := st.SetFence(ctx(t), tn, state.FenceState{Fence: 7, Moved: true, MovedTo: "azure-1"}); err != nil {
		t.Fatal(err)
	}
	_, err := st.Get(ctx(t), tn, "a")
	wantMoved(t, "get", err, "azure-1", 7)
	_, err = st.List(ctx(t), tn, "", "", 10)
	wantMoved(t, "list", err, "azure-1", 7)
	for _, epoch := range []int64{0, 7, 8} {
		_, _, err = st.Put(ctx(t), tn, "a", []byte("x"), state.Cond{Epoch: epoch})
		wantMoved(t, fmt.Sprintf("put at epoch %d", epoch), err, "azure-1", 7)
		err = st.Delete(ctx(t), tn, "a", state.Cond{Epoch: epoch})
		wantMoved(t, fmt.Sprintf("delete at epoch %d", epoch), err, "azure-1", 7)
	}
	n := 0
	if p, err := st.Export(ctx(t), tn, func(state.Record) error { n++; return nil }); err != nil || p != 1 || n != 1 {
		t.Errorf("the mover's export of a moved tenant: %d records to %d (%v)", n, p, err)
	}
	if m, err := st.Meta(ctx(t), tn); err != nil || !m.Moved || m.MovedTo != "azure-1" || m.Fence != 7 || m.Position != 1 {
		t.Errorf("meta of a moved tenant: %+v (%v)", m, err)
	}
	// Another tenant is untouched.
	mustPut(t, st, s.tenant("notmoved"), "a", []byte("1"))
}

// fenceRace: writers with the old epoch keep writing while the fence is
// set. Every write acknowledged is ordered before the fence (its sequence
// number is at most the position SetFence reports) and is in the store;
// every write begun after SetFence returned is refused; a writer with the
// new epoch goes on.
func (s *suite) fenceRace(t *testing.T) {
	const writers = 6
	tn := s.tenant("fencerace")
	st := s.open(t)
	other := s.open(t) // a second instance sets the fence
	type ack struct {
		key string
		seq uint64
	}
	var (
		mu        sync.Mutex
		acked     []ack
		lateAcked []string
		fenced    atomic.Bool
		started   = make(chan struct{})
		once      sync.Once
		total     atomic.Int64
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				after := fenced.Load()
				key := fmt.Sprintf("w%d-%d", w, i)
				it, _, err := st.Put(ctx(t), tn, key, []byte("old"), state.Cond{Epoch: 1})
				if err != nil {
					if !errors.Is(err, state.ErrStaleEpoch) {
						t.Errorf("writer %d: %v, want success or ErrStaleEpoch", w, err)
					}
					return
				}
				mu.Lock()
				acked = append(acked, ack{key, it.Seq})
				if after {
					lateAcked = append(lateAcked, key)
				}
				mu.Unlock()
				if total.Add(1) >= 2*writers {
					once.Do(func() { close(started) })
				}
				if i > 10_000 {
					t.Errorf("writer %d was never refused", w)
					return
				}
			}
		}()
	}
	<-started
	tm, err := other.SetFence(ctx(t), tn, state.FenceState{Fence: 2})
	fenced.Store(true)
	if err != nil {
		t.Fatalf("set fence under writes: %v", err)
	}
	wg.Wait()
	if _, _, err := st.Put(ctx(t), tn, "new", []byte("new"), state.Cond{Epoch: 2}); err != nil {
		t.Errorf("a write at the new epoch: %v", err)
	}
	if len(lateAcked) > 0 {
		t.Errorf("writes begun after the fence was set were acknowledged: %v", lateAcked)
	}
	for _, a := range acked {
		if a.seq > tm.Position {
			t.Errorf("write %s was acknowledged at %d, after the fence (position %d)", a.key, a.seq, tm.Position)
		}
		if it, err := st.Get(ctx(t), tn, a.key); err != nil || it.Seq != a.seq {
			t.Errorf("acknowledged write %s at %d reads back at %d (%v)", a.key, a.seq, it.Seq, err)
		}
	}
	if len(acked) < 2*writers {
		t.Fatalf("only %d writes before the fence: no race", len(acked))
	}
}

// metaBarrier holds the first n GetMeta calls for one tenant until all n
// have arrived: n lockers are known to have read the same record before
// any of them writes it.
type metaBarrier struct {
	state.Backend
	tenant string
	arrive chan struct{}
	open   chan struct{}
}

func newMetaBarrier(b state.Backend, tenant string, arrive, open chan struct{}) *metaBarrier {
	return &metaBarrier{Backend: b, tenant: tenant, arrive: arrive, open: open}
}

func (br *metaBarrier) GetMeta(ctx context.Context, tenant string) (state.Meta, state.Version, bool, error) {
	m, v, ok, err := br.Backend.GetMeta(ctx, tenant)
	if tenant == br.tenant {
		select {
		case br.arrive <- struct{}{}:
			select {
			case <-br.open:
			case <-time.After(10 * time.Second):
			}
		default:
		}
	}
	return m, v, ok, err
}

// lockRace: movers on separate instances that all read the unlocked record
// race for the lock; exactly one wins and every other is told its id.
func (s *suite) lockRace(t *testing.T) {
	const movers = 4
	tn := s.tenant("lockrace")
	mustPut(t, s.open(t), tn, "k", []byte("v"))
	arrive, open := make(chan struct{}, movers), make(chan struct{})
	go func() {
		for range movers {
			<-arrive
		}
		close(open)
	}()
	errs := make([]error, movers)
	var wg sync.WaitGroup
	for i := range movers {
		st := state.New(newMetaBarrier(s.h.Open(t), tn, arrive, open))
		t.Cleanup(func() { st.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.Lock(ctx(t), tn, state.MoveLock{ID: fmt.Sprintf("move-%d", i), Owner: "test", Target: "azure-1", Step: "check", Expires: time.Now().Add(time.Hour)})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("movers %d and %d both took the lock", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no mover took the lock: %v", errs)
	}
	for i, err := range errs {
		if i == winner {
			continue
		}
		var le *state.LockedError
		if !errors.Is(err, state.ErrLocked) || !errors.As(err, &le) || le.Holder == nil || le.Holder.ID != fmt.Sprintf("move-%d", winner) {
			t.Errorf("mover %d: %v, want ErrLocked naming move-%d", i, err, winner)
		}
	}
	if m, err := s.open(t).Meta(ctx(t), tn); err != nil || m.Lock == nil || m.Lock.ID != fmt.Sprintf("move-%d", winner) || m.Position != 1 {
		t.Errorf("meta after the race: %+v (%v)", m, err)
	}
}

// lockLifecycle: a held lock refuses others until it expires, then may be
// taken over; Renew and Unlock by a move that does not hold it are
// refused; the holder renews an expired lock no one took; Unlock of a free
// lock does nothing. Each instance has its own clock, as cells' do.
func (s *suite) lockLifecycle(t *testing.T) {
	tn := s.tenant("lock")
	t0 := time.Now()
	at := func(d time.Duration) state.Store {
		st := state.New(s.h.Open(t), state.WithClock(func() time.Time { return t0.Add(d) }))
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := state.MoveLock{ID: "move-a", Owner: "host-a:1", Target: "azure-1", Step: "check", Expires: t0.Add(time.Minute)}
	b := state.MoveLock{ID: "move-b", Owner: "host-b:2", Target: "gcp-1", Step: "check", Expires: t0.Add(3 * time.Minute)}
	wantLocked := func(what string, err error, holder string) {
		t.Helper()
		var le *state.LockedError
		if !errors.Is(err, state.ErrLocked) || !errors.As(err, &le) {
			t.Fatalf("%s: %v, want ErrLocked", what, err)
		}
		if got := ""; le.Holder != nil {
			got = le.Holder.ID
			if got != holder {
				t.Errorf("%s: the refusal names holder %q, want %q", what, got, holder)
			}
		} else if holder != "" {
			t.Errorf("%s: the refusal names no holder, want %q", what, holder)
		}
	}
	if _, err := at(0).Lock(ctx(t), tn, a); err != nil {
		t.Fatal(err)
	}
	_, err := at(30*time.Second).Lock(ctx(t), tn, b)
	wantLocked("a second locker while the lock holds", err, "move-a")
	_, err = at(30*time.Second).Renew(ctx(t), tn, b)
	wantLocked("renew by a non-holder", err, "move-a")
	_, err = at(30*time.Second).Unlock(ctx(t), tn, b)
	wantLocked("unlock by a non-holder", err, "move-a")
	// The holder renews past its first expiry, then lets it lapse.
	a.Step, a.Expires = "copy", t0.Add(2*time.Minute)
	if m, err := at(90*time.Second).Renew(ctx(t), tn, a); err != nil || m.Lock == nil || m.Lock.Step != "copy" {
		t.Fatalf("renewing an expired lock no one took: %+v %v", m.Lock, err)
	}
	_, err = at(119*time.Second).Lock(ctx(t), tn, b)
	wantLocked("a locker before the renewed expiry", err, "move-a")
	m, err := at(121*time.Second).Lock(ctx(t), tn, b)
	if err != nil || m.Lock == nil || m.Lock.ID != "move-b" {
		t.Fatalf("taking over an expired lock: %+v %v", m.Lock, err)
	}
	a.Expires = t0.Add(4 * time.Minute)
	_, err = at(122*time.Second).Renew(ctx(t), tn, a)
	wantLocked("renew by the holder it was taken from", err, "move-b")
	_, err = at(122*time.Second).Unlock(ctx(t), tn, a)
	wantLocked("unlock by the holder it was taken from", err, "move-b")
	if m, err := at(122*time.Second).Unlock(ctx(t), tn, b); err != nil || m.Lock != nil {
		t.Fatalf("unlock by the holder: %+v %v", m.Lock, err)
	}
	if m, err := at(122*time.Second).Unlock(ctx(t), tn, b); err != nil || m.Lock != nil {
		t.Errorf("unlock of a free lock: %+v %v", m.Lock, err)
	}
	_, err = at(122*time.Second).Renew(ctx(t), tn, b)
	wantLocked("renew of a released lock", err, "")
}

// fenceInvalid: the port refuses a fence or lock it cannot keep, and
// stores nothing.
func (s *suite) fenceInvalid(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("fenceinvalid")
	now := time.Now()
	for _, f := range []state.FenceState{
		{Fence: -1},
		{Moved: true},
		{Moved: true, MovedTo: "Not A Cell"},
		{MovedTo: "azure-1"},
	} {
		if _, err := st.SetFence(ctx(t), tn, f); !errors.Is(err, state.ErrInvalid) {
			t.Errorf("fence %+v: %v, want ErrInvalid", f, err)
		}
	}
	for name, l := range map[string]state.MoveLock{
		"no id":         {Expires: now.Add(time.Minute)},
		"expired":       {ID: "m", Expires: now.Add(-time.Second)},
		"no expiry":     {ID: "m"},
		"too far":       {ID: "m", Expires: now.Add(state.MaxLockLifetime + time.Hour)},
		"long step":     {ID: "m", Step: string(make([]byte, state.MaxLockField+1)), Expires: now.Add(time.Minute)},
		"control in id": {ID: "m\n", Expires: now.Add(time.Minute)},
		"invalid utf-8": {ID: "m", Owner: "\xff", Expires: now.Add(time.Minute)},
	} {
		if _, err := st.Lock(ctx(t), tn, l); !errors.Is(err, state.ErrInvalid) {
			t.Errorf("lock %s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := st.Unlock(ctx(t), tn, state.MoveLock{}); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("unlock without an id: %v, want ErrInvalid", err)
	}
	if m, err := st.Meta(ctx(t), tn); err != nil || m != (state.TenantMeta{}) {
		t.Errorf("refused fences and locks stored something: %+v (%v)", m, err)
	}
}

// fencePersists: the fence and the lock are kept with the meta record
// through writes, crashed-writer completion and imports, and a new
// instance (a new client, a restarted cell) reads them back.
func (s *suite) fencePersists(t *testing.T) {
	tn := s.tenant("fencekept")
	st := s.open(t)
	mustPut(t, st, tn, "a", []byte("1"))
	f := state.FenceState{Fence: 4}
	lock := state.MoveLock{ID: "move-1", Owner: "host:1", Target: "gcp-1", Step: "follow", Expires: time.Now().Add(time.Hour).Round(time.Millisecond)}
	if _, err := st.SetFence(ctx(t), tn, f); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Lock(ctx(t), tn, lock); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Put(ctx(t), tn, "b", []byte("2"), state.Cond{Epoch: 4}); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx(t), tn, "a", state.Cond{Epoch: 5}); err != nil {
		t.Fatal(err)
	}
	if err := st.Import(ctx(t), tn, []state.Record{{Key: "c", Value: []byte("3"), Seq: 10}}); err != nil {
		t.Fatal(err)
	}
	// A writer that crashed after ordering its write: the next reader
	// completes it, and the fence stays.
	b := s.h.Open(t)
	t.Cleanup(func() { b.Close() })
	m, v, _, err := b.GetMeta(ctx(t), tn)
	if err != nil {
		t.Fatal(err)
	}
	p := state.Record{Key: "d", Value: []byte("4"), Seq: m.Seq + 1}
	m.Seq, m.Pending = p.Seq, &p
	if _, err := b.PutMeta(ctx(t), tn, m, v); err != nil {
		t.Fatal(err)
	}
	st.Close()
	again := s.open(t)
	got, err := again.Meta(ctx(t), tn)
	lock.Expires = lock.Expires.UTC()
	if err != nil || got.FenceState != f || got.Lock == nil || !reflect.DeepEqual(*got.Lock, lock) || got.Position != 11 {
		t.Fatalf("meta from a new instance: %+v lock %+v (%v), want %+v lock %+v at position 11", got, got.Lock, err, f, lock)
	}
	if it := mustGet(t, again, tn, "d"); string(it.Value) != "4" {
		t.Errorf("the crashed write reads %q", it.Value)
	}
	_, _, err = again.Put(ctx(t), tn, "e", []byte("5"), state.Cond{Epoch: 3})
	wantStale(t, "a stale write through a new instance", err, 4, false)
}
