package directory

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

func TestPutEpochs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	tn := router.Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}, Epoch: 99}
	stored, outcome, err := f.dir.Put(ctx, tn, PutOptions{IfAbsent: true})
	if err != nil || stored.Epoch != 1 || outcome != OutcomeAdded {
		t.Fatalf("add = %+v, %s, %v; want epoch 1 (the body's epoch ignored), added", stored, outcome, err)
	}
	// The same entry again: nothing written.
	again, outcome, err := f.dir.Put(ctx, tn, PutOptions{})
	if err != nil || again.Epoch != 1 || outcome != OutcomeUnchanged || len(f.journal(t)) != 1 {
		t.Fatalf("same entry = epoch %d, %s, %v, %d journal records; want 1, unchanged, 1", again.Epoch, outcome, err, len(f.journal(t)))
	}
	// An add repeated is not a conflict either.
	if _, outcome, err := f.dir.Put(ctx, tn, PutOptions{IfAbsent: true}); err != nil || outcome != OutcomeUnchanged {
		t.Fatalf("add repeated = %s, %v", outcome, err)
	}
	f.clock.Advance(time.Millisecond)
	tn.Cell, tn.Failover = "gcp-usc1", []string{"aws-use1"}
	stored, outcome, err = f.dir.Put(ctx, tn, PutOptions{IfEpoch: 1})
	if err != nil || stored.Epoch != 2 || outcome != OutcomeUpdated {
		t.Fatalf("set at epoch 1 = %+v, %s, %v", stored, outcome, err)
	}
	got, found, err := f.dir.Get(ctx, "acme")
	if err != nil || !found || got.Epoch != 2 || got.Cell != "gcp-usc1" {
		t.Fatalf("Get = %+v, %v, %v", got, found, err)
	}
	// The journal holds both writes, in order, with the whole entry.
	keys := f.journal(t)
	if len(keys) != 2 {
		t.Fatalf("journal %v", keys)
	}
	v, _, _ := f.mem.Get(ctx, keys[1])
	var ch router.TenantChange
	if err := json.Unmarshal(v, &ch); err != nil || ch.Epoch != 2 || ch.Entry == nil || ch.Entry.Cell != "gcp-usc1" || ch.Entry.Epoch != 2 {
		t.Fatalf("journal record %s = %s", keys[1], v)
	}
	// Counters follow the primary.
	n, _ := f.dir.Counts(ctx, []string{"aws-use1", "gcp-usc1"})
	if n["aws-use1"] != 0 || n["gcp-usc1"] != 1 {
		t.Errorf("counters %v, want aws-use1 0, gcp-usc1 1", n)
	}
	tomb, err := f.dir.Remove(ctx, "acme", 2)
	if err != nil || tomb != (router.TenantChange{ID: "acme", Epoch: 3, Removed: true}) {
		t.Fatalf("Remove = %+v, %v", tomb, err)
	}
	if _, found, _ := f.dir.Get(ctx, "acme"); found {
		t.Fatal("the tenant is still there after Remove")
	}
	if n, _ := f.dir.Counts(ctx, []string{"gcp-usc1"}); n["gcp-usc1"] != 0 {
		t.Errorf("counter after Remove %v", n)
	}
	// Added again, the tenant continues from its tombstone's epoch: a
	// tenant's epochs never repeat.
	stored, outcome, err = f.dir.Put(ctx, tn, PutOptions{IfAbsent: true})
	if err != nil || stored.Epoch != 4 || outcome != OutcomeAdded {
		t.Fatalf("re-add = %+v, %s, %v; want epoch 4, added", stored, outcome, err)
	}
}

func TestPutRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	f.put(t, router.Tenant{ID: "acme", Cell: "aws-use1"})
	f.put(t, router.Tenant{ID: "onfire", Cell: "aws-use1"})
	tests := []struct {
		name      string
		t         router.Tenant
		opts      PutOptions
		status    int
		reason    string
		fragments []string
	}{
		{name: "invalid id", t: router.Tenant{ID: "Acme!", Cell: "aws-use1"}, status: 422, reason: ReasonInvalidID, fragments: []string{`"Acme!" is not a valid tenant id`}},
		{name: "unknown cell", t: router.Tenant{ID: "new", Cell: "nowhere"}, status: 422, reason: ReasonInvalidEntry, fragments: []string{`tenant "new"`, `cell: unknown cell "nowhere"`, "the registry's cells: aws-use1, azure-weu"}},
		{name: "unknown failover", t: router.Tenant{ID: "new", Cell: "aws-use1", Failover: []string{"nope"}}, status: 422, reason: ReasonInvalidEntry, fragments: []string{`failover[0]: unknown cell "nope"`}},
		{name: "failover is primary", t: router.Tenant{ID: "new", Cell: "aws-use1", Failover: []string{"aws-use1"}}, status: 422, reason: ReasonInvalidEntry, fragments: []string{"is the tenant's primary cell"}},
		{name: "failover twice", t: router.Tenant{ID: "new", Cell: "aws-use1", Failover: []string{"gcp-usc1", "gcp-usc1"}}, status: 422, reason: ReasonInvalidEntry, fragments: []string{"listed twice"}},
		{name: "too many failovers", t: router.Tenant{ID: "new", Cell: "aws-use1", Failover: []string{"a", "b", "c", "d", "e", "f", "g", "h"}}, status: 422, reason: ReasonInvalidEntry, fragments: []string{"over the limit of 7"}},
		{name: "residency violation", t: router.Tenant{ID: "new", Cell: "azure-weu", Failover: []string{"aws-use1"}, Residency: "eu"}, status: 422, reason: ReasonInvalidEntry, fragments: []string{`tenant "new" must stay in "eu" but failover cell "aws-use1" is in "us"`}},
		{name: "bad state", t: router.Tenant{ID: "new", Cell: "aws-use1", State: "pinned"}, status: 422, reason: ReasonInvalidEntry, fragments: []string{`state: unknown state "pinned"`}},
		{name: "new primary down", t: router.Tenant{ID: "new", Cell: "azure-eus"}, status: 422, reason: ReasonInvalidEntry, fragments: []string{`cell "azure-eus" is down`, "choose another cell"}},
		{name: "moved to a down cell", t: router.Tenant{ID: "acme", Cell: "azure-eus"}, status: 422, reason: ReasonInvalidEntry, fragments: []string{`tenant "acme"`, `cell "azure-eus" is down`}},
		{name: "exists", t: router.Tenant{ID: "acme", Cell: "gcp-usc1"}, opts: PutOptions{IfAbsent: true}, status: 409, reason: ReasonExists, fragments: []string{`tenant "acme" is already in the directory (epoch 1, cell aws-use1)`}},
		{name: "epoch mismatch", t: router.Tenant{ID: "acme", Cell: "gcp-usc1"}, opts: PutOptions{IfEpoch: 7}, status: 409, reason: ReasonEpochMismatch, fragments: []string{`tenant "acme" is at epoch 1, not 7`, "ifEpoch=1"}},
		{name: "epoch of an absent tenant", t: router.Tenant{ID: "ghost", Cell: "gcp-usc1"}, opts: PutOptions{IfEpoch: 1}, status: 409, reason: ReasonEpochMismatch, fragments: []string{`tenant "ghost" is not in the directory`}},
		{name: "both conditions", t: router.Tenant{ID: "acme", Cell: "gcp-usc1"}, opts: PutOptions{IfEpoch: 1, IfAbsent: true}, status: 400, reason: ReasonBadQuery, fragments: []string{"ifAbsent and ifEpoch both given"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.dir.Put(ctx, tt.t, tt.opts)
			wantError(t, err, tt.status, tt.reason, tt.fragments...)
		})
	}
	// Nothing was written by any refusal.
	if got := len(f.journal(t)); got != 2 {
		t.Errorf("%d journal records after refusals, want the 2 of the setup", got)
	}
	// A draining cell may be given as a primary explicitly (only place
	// avoids it); an existing tenant on a down cell may keep it.
	if _, _, err := f.dir.Put(ctx, router.Tenant{ID: "drained", Cell: "aws-euc1"}, PutOptions{}); err != nil {
		t.Errorf("a draining primary: %v", err)
	}
	_ = f.mem.Put(ctx, TenantKey("stuck"), []byte(`{"id":"stuck","cell":"azure-eus","epoch":4}`), 0)
	if st, _, err := f.dir.Put(ctx, router.Tenant{ID: "stuck", Cell: "azure-eus", State: "readonly"}, PutOptions{}); err != nil || st.Epoch != 5 {
		t.Errorf("a change that keeps a down primary: %+v, %v", st, err)
	}
}

func TestRemoveRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	f.put(t, router.Tenant{ID: "acme", Cell: "aws-use1"})
	_, err := f.dir.Remove(ctx, "ghost", 0)
	wantError(t, err, 404, ReasonNotFound, `tenant "ghost" is not in the directory`)
	_, err = f.dir.Remove(ctx, "acme", 3)
	wantError(t, err, 409, ReasonEpochMismatch, `tenant "acme" is at epoch 1, not 3`)
	_, err = f.dir.Remove(ctx, "-x", 0)
	wantError(t, err, 422, ReasonInvalidID)
}

func TestNoRegistry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0, nil)
	f.snap = nil
	_, _, err := f.dir.Put(context.Background(), router.Tenant{ID: "acme", Cell: "aws-use1"}, PutOptions{})
	wantError(t, err, 503, ReasonNoRegistry, `tenant "acme"`, "retry once the registry is loaded")
	if _, found, err := f.dir.Get(context.Background(), "acme"); err != nil || found {
		t.Errorf("reads go on without a registry: %v, %v", found, err)
	}
}

// The journal record is written before the entry: when the entry write
// fails, the record is there (carrying the whole entry), the store's entry
// is the old one, the writer is told, and the epoch is not used again.
func TestJournalBeforeEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	failEntry := false
	var order []string
	f := newFixture(t, 0, func(kv KV) KV {
		return faultyKV{KV: kv, fail: func(op, key string) error {
			if op == "put" || op == "delete" {
				order = append(order, op+" "+key[:2])
			}
			if failEntry && (op == "put" || op == "delete") && strings.HasPrefix(key, TenantPrefix) {
				return errors.New("disk full")
			}
			return nil
		}}
	})
	f.put(t, router.Tenant{ID: "acme", Cell: "aws-use1"})
	if !slices.Equal(order[:2], []string{"put j/", "put t/"}) {
		t.Fatalf("write order %v, want the journal first", order)
	}
	failEntry = true
	f.clock.Advance(time.Second)
	_, _, err := f.dir.Put(ctx, router.Tenant{ID: "acme", Cell: "gcp-usc1"}, PutOptions{})
	wantError(t, err, 503, ReasonNotStored, `tenant "acme" was journaled at epoch 2`, "disk full", "retry the same request")

	// The store: entry still at epoch 1; the journal: a record at 2.
	stored, _, _ := f.dir.Get(ctx, "acme")
	if stored.Epoch != 1 || stored.Cell != "aws-use1" {
		t.Fatalf("the entry is %+v, want the old one", stored)
	}
	f.clock.Advance(time.Second)
	changes, pos, err := f.dir.Changes(ctx, "")
	if err != nil || len(changes) != 2 {
		t.Fatalf("Changes = %v, %v", changes, err)
	}
	if c := changes[1]; c.Epoch != 2 || c.Entry == nil || c.Entry.Cell != "gcp-usc1" {
		t.Fatalf("the record of the failed write: %+v", c)
	}
	// The retry: epoch 3, never 2 again, so readers that applied the
	// record at 2 take the retried write.
	failEntry = false
	stored, _, err = f.dir.Put(ctx, router.Tenant{ID: "acme", Cell: "gcp-usc1"}, PutOptions{})
	if err != nil || stored.Epoch != 3 {
		t.Fatalf("the retry = %+v, %v; want epoch 3", stored, err)
	}
	f.clock.Advance(time.Second)
	more, _, err := f.dir.Changes(ctx, pos)
	if err != nil || len(more) != 1 || more[0].Epoch != 3 || !more[0].Newer(2) {
		t.Fatalf("after the retry: %+v, %v", more, err)
	}

	// A failed journal write changes nothing at all.
	failJournal := errors.New("journal down")
	f2 := newFixture(t, 0, func(kv KV) KV {
		return faultyKV{KV: kv, fail: func(op, key string) error {
			if op == "put" && strings.HasPrefix(key, JournalPrefix) {
				return failJournal
			}
			return nil
		}}
	})
	_, _, err = f2.dir.Put(ctx, router.Tenant{ID: "acme", Cell: "aws-use1"}, PutOptions{})
	wantError(t, err, 503, ReasonStore, "nothing was changed", `tenant "acme"`)
	if !errors.Is(err, failJournal) {
		t.Error("the store's error is not wrapped")
	}
	if f2.mem.Len() != 0 {
		t.Errorf("%d keys written after a failed journal write", f2.mem.Len())
	}
}

func TestConcurrentWritesToOneTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	cells := []string{"aws-use1", "gcp-usc1", "azure-weu", "gcp-euw1"}
	type result struct {
		outcome Outcome
		err     error
	}
	done := make(chan result)
	for i := range 40 {
		go func() {
			if i%2 == 0 {
				f.clock.Advance(time.Millisecond)
			}
			_, o, err := f.dir.Put(ctx, router.Tenant{ID: "acme", Cell: cells[i%4]}, PutOptions{})
			done <- result{o, err}
		}()
	}
	written := int64(0)
	for range 40 {
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.outcome != OutcomeUnchanged {
			written++
		}
	}
	got, _, _ := f.dir.Get(ctx, "acme")
	if got.Epoch != written {
		t.Fatalf("final epoch %d after %d writes that changed the entry: two writes got one epoch", got.Epoch, written)
	}
	// In journal order, epochs rise; two writes in one millisecond share
	// a key and the later one (the higher epoch) is what remains. The last
	// record is the final entry.
	var last int64
	for _, k := range f.journal(t) {
		v, _, _ := f.mem.Get(ctx, k)
		var ch router.TenantChange
		_ = json.Unmarshal(v, &ch)
		if ch.Epoch <= last {
			t.Fatalf("journal record %s has epoch %d after %d", k, ch.Epoch, last)
		}
		last = ch.Epoch
	}
	if last != written {
		t.Errorf("the last journal record has epoch %d, want %d", last, written)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Settle: -time.Second})
	for _, want := range []string{"missing KV", "missing Registry", "negative Settle -1s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New = %v, want %q", err, want)
		}
	}
}
