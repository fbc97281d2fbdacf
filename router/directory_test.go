package router

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/cellfabric/cellfabric/fabric"
)

func set(id string, epoch int64, cell string, failover ...string) TenantChange {
	return TenantChange{ID: id, Epoch: epoch, Entry: &Tenant{ID: id, Cell: cell, Failover: failover, Epoch: epoch}}
}

func del(id string, epoch int64) TenantChange {
	return TenantChange{ID: id, Epoch: epoch, Removed: true}
}

// held describes what Lookup should give; nil: not found.
type held struct {
	cell      string
	failover  []string
	epoch     int64
	state     fabric.TenantState
	residency string
}

func checkHeld(t *testing.T, d *Directory, id string, want *held) {
	t.Helper()
	p, ok := d.Lookup(id)
	if want == nil {
		if ok {
			t.Errorf("Lookup(%q) found %+v, want nothing", id, p)
		}
		return
	}
	if !ok {
		t.Fatalf("Lookup(%q) found nothing, want %+v", id, *want)
	}
	if p.ID != id || p.Cell != want.cell || !slices.Equal(p.Failover(), want.failover) || p.Epoch != want.epoch || p.State != want.state || p.Residency != want.residency {
		t.Errorf("Lookup(%q) = {%s %v epoch %d %q %q}, want %+v", id, p.Cell, p.Failover(), p.Epoch, p.State, p.Residency, *want)
	}
}

// TestDirectoryApply: changes to one tenant are ordered by epoch alone,
// whatever order they arrive in; removals leave a tombstone that an older
// change cannot undo.
func TestDirectoryApply(t *testing.T) {
	t.Parallel()
	seven := []string{"c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7"}
	tests := []struct {
		name    string
		changes []TenantChange
		applied []bool
		want    *held
	}{
		{"add", []TenantChange{set("acme", 1, "aws-a", "gcp-b")}, []bool{true},
			&held{cell: "aws-a", failover: []string{"gcp-b"}, epoch: 1}},
		{"update with a higher epoch", []TenantChange{set("acme", 1, "aws-a", "gcp-b"), set("acme", 2, "gcp-b")}, []bool{true, true},
			&held{cell: "gcp-b", failover: []string{}, epoch: 2}},
		{"the same epoch again is ignored", []TenantChange{set("acme", 2, "aws-a"), set("acme", 2, "gcp-b")}, []bool{true, false},
			&held{cell: "aws-a", failover: []string{}, epoch: 2}},
		{"an older change arriving late is ignored", []TenantChange{set("acme", 3, "aws-a"), set("acme", 2, "gcp-b")}, []bool{true, false},
			&held{cell: "aws-a", failover: []string{}, epoch: 3}},
		{"remove", []TenantChange{set("acme", 1, "aws-a"), del("acme", 2)}, []bool{true, true}, nil},
		{"an older removal is ignored", []TenantChange{set("acme", 3, "aws-a"), del("acme", 2)}, []bool{true, false},
			&held{cell: "aws-a", failover: []string{}, epoch: 3}},
		{"an entry older than the removal stays removed", []TenantChange{set("acme", 1, "aws-a"), del("acme", 3), set("acme", 2, "gcp-b"), set("acme", 3, "gcp-b")},
			[]bool{true, true, false, false}, nil},
		{"a removal arriving before the add it follows", []TenantChange{del("acme", 5), set("acme", 4, "aws-a")}, []bool{true, false}, nil},
		{"removal then re-add with a higher epoch", []TenantChange{set("acme", 1, "aws-a"), del("acme", 2), set("acme", 3, "gcp-b", "aws-a")}, []bool{true, true, true},
			&held{cell: "gcp-b", failover: []string{"aws-a"}, epoch: 3}},
		{"removed twice", []TenantChange{set("acme", 1, "aws-a"), del("acme", 2), del("acme", 4), set("acme", 3, "aws-a")}, []bool{true, true, true, false}, nil},
		{"state and residency", []TenantChange{{ID: "acme", Epoch: 7, Entry: &Tenant{ID: "acme", Cell: "aws-a", State: fabric.TenantMigrating, Residency: "eu"}}}, []bool{true},
			&held{cell: "aws-a", failover: []string{}, epoch: 7, state: fabric.TenantMigrating, residency: "eu"}},
		{"seven failovers use the side table", []TenantChange{set("acme", 1, "aws-a", seven...)}, []bool{true},
			&held{cell: "aws-a", failover: seven, epoch: 1}},
		{"fewer failovers after more", []TenantChange{set("acme", 1, "aws-a", seven...), set("acme", 2, "aws-a", "c-9")}, []bool{true, true},
			&held{cell: "aws-a", failover: []string{"c-9"}, epoch: 2}},
		{"more failovers after fewer", []TenantChange{set("acme", 1, "aws-a", "c-9"), set("acme", 2, "aws-a", seven[:5]...)}, []bool{true, true},
			&held{cell: "aws-a", failover: seven[:5], epoch: 2}},
		{"an epoch-0 change is never newer", []TenantChange{set("acme", 0, "aws-a")}, []bool{false}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := NewDirectory()
			for i, c := range tt.changes {
				applied, err := d.Apply(c)
				if err != nil {
					t.Fatalf("change %d: %v", i, err)
				}
				if applied != tt.applied[i] {
					t.Errorf("change %d (%+v): applied %v, want %v", i, c, applied, tt.applied[i])
				}
			}
			checkHeld(t, d, "acme", tt.want)
			if n, want := d.Len(), map[bool]int{true: 1, false: 0}[tt.want != nil]; n != want {
				t.Errorf("Len %d, want %d", n, want)
			}
			checkHeld(t, d, "other", nil)
		})
	}
}

// TestDirectoryRefusesBadChanges: one case per rule; a refused change
// names the tenant and leaves the entry held before untouched.
func TestDirectoryRefusesBadChanges(t *testing.T) {
	t.Parallel()
	entry := func(f func(*Tenant)) *Tenant {
		e := &Tenant{ID: "acme", Cell: "aws-a", Epoch: 5}
		f(e)
		return e
	}
	tests := []struct {
		name string
		c    TenantChange
		want string
	}{
		{"invalid tenant id", TenantChange{ID: "Not_A_Label", Epoch: 5, Entry: &Tenant{ID: "Not_A_Label", Cell: "aws-a"}}, "lowercase"},
		{"invalid tenant id in a removal", TenantChange{ID: "", Epoch: 5, Removed: true}, "lowercase"},
		{"entry for another tenant", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.ID = "globex" })}, `the entry is for tenant "globex"`},
		{"no primary cell", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Cell = "" })}, "primary cell"},
		{"invalid primary cell", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Cell = "AWS A" })}, "primary cell"},
		{"too many failovers", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) {
			e.Failover = []string{"c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8"}
		})}, "over the limit of 7"},
		{"invalid failover cell", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Failover = []string{"ok-cell", "x"} })}, "failover[1]"},
		{"failover is the primary", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Failover = []string{"ok-cell", "aws-a"} })}, "failover[1]"},
		{"failover listed twice", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Failover = []string{"ok-cell", "ok-cell"} })}, "failover[1]"},
		{"unknown state", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.State = "frozen" })}, "unknown state"},
		{"residency with a space", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Residency = "e u" })}, "residency"},
		{"residency too long", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Residency = strings.Repeat("e", 33) })}, "residency"},
		{"negative entry epoch", TenantChange{ID: "acme", Epoch: 5, Entry: entry(func(e *Tenant) { e.Epoch = -1 })}, "negative"},
		{"negative change epoch", TenantChange{ID: "acme", Epoch: -1, Removed: true}, "negative"},
		{"both removal and entry", TenantChange{ID: "acme", Epoch: 5, Removed: true, Entry: entry(func(*Tenant) {})}, "both"},
		{"neither removal nor entry", TenantChange{ID: "acme", Epoch: 5}, "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := NewDirectory()
			if _, err := d.Apply(set("acme", 1, "gcp-b")); err != nil {
				t.Fatal(err)
			}
			applied, err := d.Apply(tt.c)
			if err == nil || applied {
				t.Fatalf("Apply(%+v) = %v, %v; want refused", tt.c, applied, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.c.ID)) {
				t.Errorf("error %q does not name tenant %q and say %q", err, tt.c.ID, tt.want)
			}
			checkHeld(t, d, "acme", &held{cell: "gcp-b", failover: []string{}, epoch: 1})
		})
	}
}

// TestDirectoryLoad: a load replaces everything (tombstones too) at once,
// skips entries it cannot hold, and changes nothing when the feed fails.
func TestDirectoryLoad(t *testing.T) {
	t.Parallel()
	d := NewDirectory()
	for _, c := range []TenantChange{set("old", 4, "aws-a"), set("kept", 9, "aws-a"), del("gone", 7)} {
		if _, err := d.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	res, err := d.Load(func(add func([]Tenant) error) error {
		if err := add([]Tenant{{ID: "kept", Cell: "gcp-b", Epoch: 2}, {ID: "dup", Cell: "aws-a", Epoch: 3}}); err != nil {
			return err
		}
		return add([]Tenant{
			{ID: "dup", Cell: "gcp-b", Epoch: 3},                     // same epoch: the later wins
			{ID: "dup", Cell: "azure-c", Epoch: 2},                   // older: ignored
			{ID: "bad", Cell: "NOT A CELL", Epoch: 1},                // skipped
			{ID: "Bad_Id", Cell: "aws-a", Epoch: 1},                  // skipped
			{ID: "seed", Cell: "aws-a", Failover: []string{"gcp-b"}}, // epoch 0 loads
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tenants != 3 || res.Skipped != 2 || res.FirstSkipped == nil || !strings.Contains(res.FirstSkipped.Error(), `"bad"`) {
		t.Errorf("load result %+v, want 3 tenants, 2 skipped, the first naming \"bad\"", res)
	}
	checkHeld(t, d, "old", nil)
	checkHeld(t, d, "kept", &held{cell: "gcp-b", failover: []string{}, epoch: 2}) // a load is not ordered by epoch against what it replaces
	checkHeld(t, d, "dup", &held{cell: "gcp-b", failover: []string{}, epoch: 3})
	checkHeld(t, d, "seed", &held{cell: "aws-a", failover: []string{"gcp-b"}})
	checkHeld(t, d, "bad", nil)
	// The load dropped gone's tombstone: an older change applies again.
	if applied, _ := d.Apply(set("gone", 6, "aws-a")); !applied {
		t.Error("after a load, a change to a tenant removed before it was not applied")
	}
	if d.Len() != 4 {
		t.Errorf("Len %d, want 4", d.Len())
	}

	boom := errors.New("feed down")
	var late func([]Tenant) error
	_, err = d.Load(func(add func([]Tenant) error) error {
		late = add
		_ = add([]Tenant{{ID: "only", Cell: "aws-a", Epoch: 1}})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed load: err %v, want %v", err, boom)
	}
	checkHeld(t, d, "only", nil)
	checkHeld(t, d, "kept", &held{cell: "gcp-b", failover: []string{}, epoch: 2})
	if err := late([]Tenant{{ID: "only", Cell: "aws-a", Epoch: 1}}); err == nil {
		t.Error("a batch added after the load ended was accepted")
	}
}

// TestDirectoryTombstonesBounded: only the latest removals are remembered;
// the oldest tombstones' records are deleted.
func TestDirectoryTombstonesBounded(t *testing.T) {
	t.Parallel()
	d := &Directory{keep: 2}
	for i := range 4 {
		id := fmt.Sprintf("t%d", i)
		d.Apply(set(id, 1, "aws-a"))
		d.Apply(del(id, 2))
	}
	s := d.cur.Load()
	total := 0
	for i := range s.shards {
		total += s.shards[i].len()
	}
	if total != 2 || s.tombs.len() != 2 {
		t.Fatalf("%d records, %d tombstones; want 2 and 2", total, s.tombs.len())
	}
	// The two latest removals still hold; the forgotten ones do not.
	for i, want := range []bool{true, true, false, false} {
		applied, _ := d.Apply(set(fmt.Sprintf("t%d", i), 1, "aws-a"))
		if applied != want {
			t.Errorf("t%d: old change applied %v, want %v", i, applied, want)
		}
	}
}

// TestDirectoryInternLimit: the tables of distinct cell ids are bounded;
// an entry beyond the bound is refused, the others keep working.
func TestDirectoryInternLimit(t *testing.T) {
	t.Parallel()
	d := NewDirectory()
	d.Apply(set("a", 1, "aws-a"))
	d.cur.Load().cells.limit = 3 // "", aws-a, one more
	if _, err := d.Apply(set("b", 1, "gcp-b")); err != nil {
		t.Fatal(err)
	}
	_, err := d.Apply(set("c", 1, "azure-c"))
	if err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Fatalf("a third distinct cell: err %v, want a refusal naming tenant c", err)
	}
	checkHeld(t, d, "c", nil)
	checkHeld(t, d, "b", &held{cell: "gcp-b", failover: []string{}, epoch: 1})
}

// TestDirectoryZeroValue: the zero Directory is empty and usable.
func TestDirectoryZeroValue(t *testing.T) {
	t.Parallel()
	var d Directory
	checkHeld(t, &d, "acme", nil)
	if d.Len() != 0 {
		t.Error("zero Directory not empty")
	}
	if _, err := d.Apply(set("acme", 1, "aws-a")); err != nil {
		t.Fatal(err)
	}
	checkHeld(t, &d, "acme", &held{cell: "aws-a", failover: []string{}, epoch: 1})
}

// TestDirectoryLayout: the sizes the memory budget (≤ 200 bytes a tenant
// at a million tenants, see BENCHMARKS.md) is built on.
func TestDirectoryLayout(t *testing.T) {
	t.Parallel()
	if n := unsafe.Sizeof(dirRecord{}); n != 24 {
		t.Errorf("a record is %d bytes, want 24", n)
	}
	if n := unsafe.Sizeof(dirShard{}); n%128 != 0 {
		t.Errorf("a shard is %d bytes, not a multiple of 128: neighbouring lock words share a cache line", n)
	}
}

// TestDirectoryDecide: a looked-up placement decides like the entry it
// came from, and lookup plus decision allocate nothing. Not parallel:
// AllocsPerRun refuses to run inside one.
func TestDirectoryDecide(t *testing.T) {
	snap := mustCompile(t, testRegistry())
	d := NewDirectory()
	entry := Tenant{ID: "newco", Cell: "azure-weu", Failover: []string{"gone-cell", "aws-use1", "gcp-usc1", "c-4", "c-5", "c-6", "c-7"}, Epoch: 3}
	if _, err := d.Apply(TenantChange{ID: "newco", Epoch: 3, Entry: &entry}); err != nil {
		t.Fatal(err)
	}
	h := HealthMap{"azure-weu": false}
	want := snap.DecideFor(Request{Method: "GET", Tenant: "newco"}, &entry, h)
	p, _ := d.Lookup("newco")
	tn := p.Tenant()
	got := snap.DecideFor(Request{Method: "GET", Tenant: "newco"}, &tn, h)
	if got.Cell(0).ID != want.Cell(0).ID || got.Via != want.Via || got.Len() != want.Len() || got.Len() != 2 {
		t.Errorf("from the directory: %s via %s (%d), want %s via %s (%d)", got.Cell(0).ID, got.Via, got.Len(), want.Cell(0).ID, want.Via, want.Len())
	}
	if n := testing.AllocsPerRun(100, func() {
		p, ok := d.Lookup("newco")
		if !ok {
			panic("lost")
		}
		tn := p.Tenant()
		if !snap.DecideFor(Request{Method: "GET", Tenant: "newco"}, &tn, h).Forward() {
			panic("no decision")
		}
		_, _ = d.Lookup("missing")
	}); n != 0 {
		t.Errorf("Lookup and DecideFor allocate %v times", n)
	}
}

// TestDirectoryIDLengths: ids kept in their map slot (up to 15 bytes) and
// longer ones are told apart by their whole text and length.
func TestDirectoryIDLengths(t *testing.T) {
	t.Parallel()
	ids := []string{"a", "ab", strings.Repeat("s", shortID), strings.Repeat("s", shortID+1), strings.Repeat("l", 63)}
	d := NewDirectory()
	for i, id := range ids {
		if _, err := d.Apply(set(id, int64(i+1), "aws-a")); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		checkHeld(t, d, id, &held{cell: "aws-a", failover: []string{}, epoch: int64(i + 1)})
	}
	for _, id := range []string{"", "a\x00", "abc", strings.Repeat("s", shortID-1), strings.Repeat("s", shortID+2), strings.Repeat("l", 62), strings.Repeat("l", 64)} {
		checkHeld(t, d, id, nil)
	}
	for i, id := range ids {
		if applied, err := d.Apply(del(id, int64(i+2))); !applied || err != nil {
			t.Fatalf("removing %q: %v %v", id, applied, err)
		}
		checkHeld(t, d, id, nil)
	}
	if d.Len() != 0 {
		t.Errorf("Len %d after removing everything", d.Len())
	}
}
