package mover

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/workload/state"
)

// standbyOptions are a follower of the kit's tenant onto cell-b with
// short test intervals.
func standbyOptions() StandbyOptions {
	return StandbyOptions{Tenant: tenantID, Standby: "cell-b", ImportBatch: 100, Pause: 2 * time.Millisecond,
		LockTTL: 2 * time.Second, JournalEvery: 50 * time.Millisecond, DirectoryEvery: 20 * time.Millisecond,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
}

// follower starts a follower of o in the background; stop cancels it and
// returns what Run returned.
func (k *kit) follower(o StandbyOptions) (f *Follower, stop func() error) {
	k.t.Helper()
	f, err := k.mover(nil).Follower(context.Background(), o)
	if err != nil {
		k.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var res error
	stopped := false
	stop = func() error {
		if !stopped {
			cancel()
			res, stopped = <-done, true
		}
		return res
	}
	k.t.Cleanup(func() { _ = stop() })
	return f, stop
}

// waitCurrent waits until the follower holds the primary's position.
func (k *kit) waitCurrent(f *Follower) uint64 {
	k.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := k.cells["cell-a"].Store.Position(context.Background(), tenantID)
		lag := f.Lag()
		if err == nil && lag.Applied == p && lag.Records == 0 {
			return p
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("timed out waiting for the standby to catch up: primary at %d (%v), follower %+v", p, err, lag)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sameData fails the test unless both cells hold the same keys, values
// and seqs for the tenant.
func (k *kit) sameData(a, b string) {
	k.t.Helper()
	sa, err := checksum(context.Background(), k.cells[a].API, tenantID)
	if err != nil {
		k.t.Fatal(err)
	}
	sb, err := checksum(context.Background(), k.cells[b].API, tenantID)
	if err != nil {
		k.t.Fatal(err)
	}
	if sa != sb {
		k.t.Errorf("%s has %d keys (sha256 %s), %s has %d (sha256 %s): want the same data", a, sa.keys, sa.hex(), b, sb.keys, sb.hex())
	}
}

// TestStandbyFollowsUnderLoad: 32 writers write the tenant through the
// router while a follower keeps cell-b; once they stop, cell-b holds
// every acknowledged write with its value and seq and the same data as
// cell-a, reads are served there, writes are refused (fenced), and the
// follower stops cleanly with its position journaled.
func TestStandbyFollowsUnderLoad(t *testing.T) {
	k := newKit(t)
	k.seed(300)
	l := k.startLoad(32)
	waitFor(t, "writes before the follower", func() bool { return l.acked.Load() >= 100 })
	f, stop := k.follower(standbyOptions())
	waitFor(t, "the standby seeded", func() bool { return f.Lag().Applied > 0 })
	seeded := l.acked.Load()
	waitFor(t, "writes while following", func() bool { return l.acked.Load() >= seeded+1000 })
	if lag := f.Lag(); lag.CurrentAt.IsZero() || lag.Applied == 0 {
		t.Errorf("lag under load %+v: want a position and a time the standby was current", lag)
	}
	l.finish()
	pos := k.waitCurrent(f)
	l.checkZeroLoss(t, "cell-b", "", 0)
	k.sameData("cell-a", "cell-b")

	sb := k.cells["cell-b"].Store
	if _, err := sb.Get(context.Background(), tenantID, "seed-1"); err != nil {
		t.Errorf("a read on the standby: %v, want it served", err)
	}
	for _, epoch := range []int64{0, 1, 99} {
		_, _, err := sb.Put(context.Background(), tenantID, "on-standby", []byte("x"), state.Cond{Epoch: epoch})
		if !errors.Is(err, state.ErrStaleEpoch) {
			t.Errorf("a write at epoch %d on the standby: %v, want it refused as fenced (ErrStaleEpoch)", epoch, err)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("stopping the follower: %v, want a clean stop", err)
	}
	m, err := sb.Meta(context.Background(), tenantID)
	if err != nil || m.Lock == nil || !m.FenceAll {
		t.Fatalf("standby meta %+v (%v): want the follower's lock and FenceAll kept", m, err)
	}
	j, ok := parseStandbyJournal(m.Lock.Step)
	if !ok || !j.Stopped || j.Pos != pos || j.From != "cell-a" || j.At.IsZero() {
		t.Errorf("journal %q: want stopped at position %d from cell-a with a time", m.Lock.Step, pos)
	}
}

// TestStandbyRestartResumes: a follower stopped and started again reads
// only the change feed after its journaled position (no second copy).
func TestStandbyRestartResumes(t *testing.T) {
	k := newKit(t)
	k.seed(200)
	f, stop := k.follower(standbyOptions())
	k.waitCurrent(f)
	// A follower's results are its own until it has stopped (read them
	// after stop: reading them while it follows races with it).
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if f.r.res.KeysCopied != 200 {
		t.Fatalf("first follower copied %d keys, want 200", f.r.res.KeysCopied)
	}
	sa := k.cells["cell-a"].Store
	for i := range 50 {
		if _, _, err := sa.Put(context.Background(), tenantID, "later-"+strconv.Itoa(i), []byte("v"), state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	f2, stop2 := k.follower(standbyOptions())
	k.waitCurrent(f2)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if f2.r.res.KeysCopied != 0 || f2.r.res.Followed != 50 {
		t.Errorf("restarted follower copied %d keys and followed %d records, want 0 and the 50 written meanwhile", f2.r.res.KeysCopied, f2.r.res.Followed)
	}
	k.sameData("cell-a", "cell-b")
}

// TestStandbySurvivesUnreachableCells: while the primary, then the
// standby, is down the follower retries and says so (Lag.Retrying); once
// each is back it catches up with what was written meanwhile.
func TestStandbySurvivesUnreachableCells(t *testing.T) {
	k := newKit(t)
	k.seed(50)
	f, stop := k.follower(standbyOptions())
	k.waitCurrent(f)
	sa := k.cells["cell-a"].Store
	for _, down := range []string{"cell-a", "cell-b"} {
		k.cells[down].Kill()
		for i := range 20 { // straight into the primary's store: its API is what is down
			if _, _, err := sa.Put(context.Background(), tenantID, down+"-down-"+strconv.Itoa(i), []byte("v"), state.Cond{}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "the follower to retry while "+down+" is down", func() bool { return f.Lag().Retrying != "" })
		if err := k.cells[down].Restart(); err != nil {
			t.Fatal(err)
		}
		k.waitCurrent(f)
		if r := f.Lag().Retrying; r != "" {
			t.Errorf("after %s came back the follower still retries %q", down, r)
		}
	}
	k.sameData("cell-a", "cell-b")
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// TestStandbyStopsWhenPlacementChanges: the follower stops with
// ErrPlacementChanged once the directory places the tenant elsewhere.
func TestStandbyStopsWhenPlacementChanges(t *testing.T) {
	k := newKit(t)
	k.seed(10)
	f, err := k.mover(nil).Follower(context.Background(), standbyOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	k.waitCurrent(f)
	e, err := k.dir.Get(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	e.Cell = "cell-b"
	if _, err := k.dir.Put(context.Background(), e, directory.PutOptions{IfEpoch: e.Epoch}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrPlacementChanged) {
			t.Errorf("follower stopped with %v, want ErrPlacementChanged", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the follower did not stop")
	}
}

// TestFollowerRefuses: a follower does not start on a placement it cannot
// keep a standby of.
func TestFollowerRefuses(t *testing.T) {
	k := newKit(t)
	e, err := k.dir.Get(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*StandbyOptions)
		want string
	}{
		{"standby is the primary", func(o *StandbyOptions) { o.Standby = "cell-a" }, "tenant acme's primary"},
		{"primary is not the directory's", func(o *StandbyOptions) { o.Primary = "cell-b" }, "not cell-b"},
		{"no failover cell", func(o *StandbyOptions) { o.Standby = "" }, "no failover cell"},
		{"standby not in the registry", func(o *StandbyOptions) { o.Standby = "cell-z" }, "not in the registry"},
		{"no tenant", func(o *StandbyOptions) { o.Tenant = "" }, "tenant: required"},
		{"journal not under the ttl", func(o *StandbyOptions) { o.JournalEvery = o.LockTTL }, "journal interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := standbyOptions()
			tc.edit(&o)
			_, err := k.mover(nil).Follower(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Follower: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("failover cell is the default", func(t *testing.T) {
		next := e
		next.Failover = []string{"cell-b"}
		if _, err := k.dir.Put(context.Background(), next, directory.PutOptions{IfEpoch: e.Epoch}); err != nil {
			t.Fatal(err)
		}
		o := standbyOptions()
		o.Standby = ""
		f, err := k.mover(nil).Follower(context.Background(), o)
		if err != nil || f.Standby() != "cell-b" || f.Primary() != "cell-a" {
			t.Errorf("Follower: %v, want cell-a followed onto its failover cell-b", err)
		}
	})
	t.Run("standby holds other data", func(t *testing.T) {
		if _, _, err := k.cells["cell-b"].Store.Put(context.Background(), tenantID, "own", []byte("x"), state.Cond{}); err != nil {
			t.Fatal(err)
		}
		f, err := k.mover(nil).Follower(context.Background(), standbyOptions())
		if err != nil {
			t.Fatal(err)
		}
		err = f.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "no standby copy") {
			t.Errorf("Run: %v, want a refusal of the standby's own data", err)
		}
	})
}

// TestStandbyJournalRoundTrip: a standby journal reads back as written;
// a move journal and malformed ones are not standby journals.
func TestStandbyJournalRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"written", standbyJournal{From: "cell-a", Pos: 12, At: time.UnixMilli(1700000000123), Stopped: true}.String(), true},
		{"never current", standbyJournal{From: "cell-a"}.String(), true},
		{"a move journal", journal{Step: StepCopy, From: "cell-a"}.String(), false},
		{"no source", "standby from= pos=1 at=0 stopped=0", false},
		{"bad position", "standby from=cell-a pos=x at=0 stopped=0", false},
		{"unknown field", "standby from=cell-a pos=1 at=0 other=0", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, ok := parseStandbyJournal(tc.in)
			if ok != tc.ok {
				t.Fatalf("parse %q: ok %t, want %t", tc.in, ok, tc.ok)
			}
			if ok && j.String() != tc.in {
				t.Errorf("round trip %q → %q", tc.in, j.String())
			}
		})
	}
}

// slowImports is a cell whose imports take d each, counted.
type slowImports struct {
	CellState
	d time.Duration
	n *atomic.Int64
}

func (c slowImports) Import(ctx context.Context, tenant string, recs []state.Record) (uint64, error) {
	time.Sleep(c.d)
	c.n.Add(1)
	return c.CellState.Import(ctx, tenant, recs)
}

// TestStandbySeedKeepsItsLock: a seed copy that outlasts the follower's
// lock lifetime renews the lock as it goes, so a second follower started
// meanwhile finds it held and does not take the standby over.
func TestStandbySeedKeepsItsLock(t *testing.T) {
	k := newKit(t)
	k.seed(2000)
	var imports atomic.Int64
	m, err := New(Config{Directory: k.dir, Registry: k.reg, Cells: func(id string) (CellState, error) {
		if id == "cell-b" {
			return slowImports{k.cells[id].API, 100 * time.Millisecond, &imports}, nil
		}
		return k.cells[id].API, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := standbyOptions()
	o.LockTTL, o.JournalEvery, o.ImportParallel = time.Second, 100*time.Millisecond, 1
	f, err := m.Follower(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// 15 imports of 100 ms: the copy has run longer than the lock's 1 s.
	waitFor(t, "the copy to outlast the lock's lifetime", func() bool { return imports.Load() >= 15 })
	f2, err := k.mover(nil).Follower(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := f2.attach(context.Background()); err == nil || !strings.Contains(err.Error(), "another follower") {
		t.Errorf("a second follower during the copy: %v, want it to find the lock held", err)
	}
	k.waitCurrent(f)
}

// wireRenew is a standby cell on a slow network whose renewals, once
// sent, land even when the caller gives up waiting: a cancelled Renew
// returns at once while the request goes on to the store, later than
// the requests sent after it (the HTTP state API behaves so: the handler
// runs to its end when the client leaves, and nothing orders it before
// the next request). inFlight counts the renewals still on the wire.
type wireRenew struct {
	CellState
	d        time.Duration
	inFlight *sync.WaitGroup
}

func (c wireRenew) Renew(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error) {
	type answer struct {
		m   state.TenantMeta
		err error
	}
	got := make(chan answer, 1)
	c.inFlight.Add(1)
	go func() {
		defer c.inFlight.Done()
		time.Sleep(c.d)
		if ctx.Err() != nil {
			// The caller gave up on it (it was slow, or stopped): it
			// still lands, later than what the caller sends next.
			time.Sleep(3 * c.d)
		}
		m, err := c.CellState.Renew(context.Background(), tenant, l)
		got <- answer{m, err}
	}()
	select {
	case a := <-got:
		return a.m, a.err
	case <-ctx.Done():
		return state.TenantMeta{}, ctx.Err()
	}
}

// TestStandbyStopOutlastsRenewalOnTheWire: a follower stopped while one
// of its periodic renewals is on the wire leaves its lock marked stopped
// (so a promotion or the next follower takes it at once): the renewal in
// flight must not land after the stop's journal and undo it.
func TestStandbyStopOutlastsRenewalOnTheWire(t *testing.T) {
	k := newKit(t)
	k.seed(20)
	var inFlight sync.WaitGroup
	o := standbyOptions()
	o.JournalEvery = time.Millisecond // a renewal (40 ms each) almost always on the wire
	m := k.moverOver(nil, func(id string, c CellState) CellState {
		if id == "cell-b" {
			return wireRenew{c, 40 * time.Millisecond, &inFlight}
		}
		return c
	})
	for i := range 3 {
		f, err := m.Follower(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		k.waitCurrent(f)
		time.Sleep(10 * time.Millisecond) // into the next renewal's flight
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("round %d: follower stopped with %v", i, err)
		}
		inFlight.Wait() // every renewal sent has landed
		meta, err := k.cells["cell-b"].Store.Meta(context.Background(), tenantID)
		if err != nil || meta.Lock == nil {
			t.Fatalf("round %d: standby meta %+v (%v), want the follower's lock", i, meta, err)
		}
		if j, ok := parseStandbyJournal(meta.Lock.Step); !ok || !j.Stopped {
			t.Fatalf("round %d: journal %q after the stop, want it marked stopped", i, meta.Lock.Step)
		}
	}
}
