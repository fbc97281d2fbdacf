package router

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cellfabric/cellfabric/fabric"
)

// DefaultKeptTombstones is how many recent removals a Directory remembers
// (with their epochs) after the tenant is gone, so that an older change
// arriving late cannot bring a removed tenant back. Beyond it the oldest
// removal is forgotten and its slot reused.
const DefaultKeptTombstones = 1 << 16

// Directory is the tenant directory as a router holds it: every tenant's
// placement (primary and failover cells, state, residency, epoch), kept
// compact so that millions of tenants fit (about 100 bytes each; see
// BENCHMARKS.md) and updated one change at a time.
//
// Cell ids and residencies are interned into small tables and each tenant
// is one fixed-size record in its shard's slice, found through a map from
// tenant id to record; failovers beyond the first few live in a side table.
// Removed tenants leave a tombstone holding the removal's epoch (the last
// DefaultKeptTombstones of them), then their record is reused.
//
// Lookup never allocates and never waits for a Load; it waits for an Apply
// only when the change is to a tenant in the same shard (one of 64), for
// the few hundred nanoseconds the change takes. Apply and Load may be
// called from any goroutine; the zero Directory is empty and ready to use.
type Directory struct {
	mu   sync.Mutex // serialises writers: Apply, and Load's swap
	cur  atomic.Pointer[dirState]
	keep int // tombstones kept; 0: DefaultKeptTombstones (tests lower it)
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory { return &Directory{} }

// Placement is one tenant's entry as the directory holds it, returned by
// value: Lookup allocates nothing to give it. Tenant turns it into the
// *Tenant that Snapshot.DecideFor takes.
type Placement struct {
	// ID is the tenant id that was looked up.
	ID string
	// Cell is the tenant's primary cell.
	Cell string
	// State is the tenant's state as written (empty: active).
	State fabric.TenantState
	// Residency is the geography the tenant's data must stay in, or "".
	Residency string
	// Epoch is the tenant's placement epoch.
	Epoch int64

	n        uint8
	failover [MaxFailover]string
}

// Failover returns the tenant's failover cells, in order. The slice shares
// p's storage.
func (p *Placement) Failover() []string { return p.failover[:p.n:p.n] }

// Tenant returns the placement as a Tenant, whose Failover shares p's
// storage: keep p alive and unchanged while the Tenant is in use (for a
// decision, as long as the Decision). It allocates nothing.
func (p *Placement) Tenant() Tenant {
	return Tenant{ID: p.ID, Cell: p.Cell, Failover: p.Failover(), State: p.State, Residency: p.Residency, Epoch: p.Epoch}
}

// Len returns the number of tenants held (removed ones not counted).
func (d *Directory) Len() int {
	if s := d.cur.Load(); s != nil {
		return int(s.live.Load())
	}
	return 0
}

// Lookup returns the placement of tenant id. It allocates nothing and is
// safe to call concurrently with Apply and Load.
func (d *Directory) Lookup(id string) (Placement, bool) {
	s := d.cur.Load()
	if s == nil {
		return Placement{}, false
	}
	sh := s.shardOf(id)
	sh.mu.RLock()
	r, more, ok := sh.get(id)
	sh.mu.RUnlock()
	if !ok || r.removed {
		return Placement{}, false
	}
	// The tables only grow, and every index a record holds was added
	// before the record was written (under the shard's lock, which this
	// read took after), so the tables loaded now hold it.
	cells := s.cells.list()
	p := Placement{ID: id, Cell: cells[r.cell], State: tenantStates[r.state], Residency: s.res.list()[r.res], Epoch: r.epoch, n: r.nfo}
	for j := 0; j < int(r.nfo); j++ {
		if j < inlineFailover {
			p.failover[j] = cells[r.fo[j]]
		} else {
			p.failover[j] = cells[more[j-inlineFailover]]
		}
	}
	return p, true
}

// Apply applies one change in O(1): the tenant's new entry, or its
// removal. A change whose epoch is not above the one held for the tenant
// (its entry's or, for a removed tenant, its tombstone's) is ignored:
// applied is false and err nil. A change the directory cannot hold (see
// CheckEntry) is refused with an error naming the tenant, and nothing
// changes.
func (d *Directory) Apply(c TenantChange) (applied bool, err error) {
	if err := checkChange(c); err != nil {
		return false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.cur.Load()
	if s == nil {
		s = newDirState()
		d.cur.Store(s)
	}
	keep := d.keep
	if keep <= 0 {
		keep = DefaultKeptTombstones
	}
	return s.put(c, false, keep)
}

// DirectoryLoad says what a Load read.
type DirectoryLoad struct {
	// Tenants is the number of tenants held after the load.
	Tenants int
	// Skipped counts entries that were left out because the directory
	// cannot hold them (see CheckEntry).
	Skipped int
	// FirstSkipped says why the first skipped entry was left out; nil when
	// none was.
	FirstSkipped error
}

// Load replaces the whole directory with the tenants that fill passes to
// add, batch after batch. The new contents are built apart and swapped in
// at once when fill returns nil: until then Lookup answers from the old
// ones, and when fill fails nothing changes. Changes applied while a Load
// runs are lost with the old contents; re-apply the changes since the
// position the load read at. An entry the directory cannot hold is skipped
// and counted, not fatal. Of two entries for one tenant the one with the
// higher epoch is kept (the later one on a tie). add must not be called
// after fill returns; it is safe to call from several goroutines.
func (d *Directory) Load(fill func(add func([]Tenant) error) error) (DirectoryLoad, error) {
	s := newDirState()
	var (
		mu   sync.Mutex
		done bool
		res  DirectoryLoad
	)
	add := func(ts []Tenant) error {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return errors.New("tenant directory load: a batch arrived after the load ended; the feed must finish adding before Load returns")
		}
		for i := range ts {
			t := &ts[i]
			err := CheckEntry(t.ID, t)
			if err == nil {
				_, err = s.put(TenantChange{ID: t.ID, Epoch: t.Epoch, Entry: t}, true, 0)
			}
			if err != nil {
				res.Skipped++
				if res.FirstSkipped == nil {
					res.FirstSkipped = err
				}
			}
		}
		return nil
	}
	err := fill(add)
	mu.Lock()
	done = true
	mu.Unlock()
	if err != nil {
		return res, fmt.Errorf("loading the tenant directory: %w; the directory kept its previous contents", err)
	}
	d.mu.Lock()
	d.cur.Store(s)
	d.mu.Unlock()
	res.Tenants = int(s.live.Load())
	return res, nil
}

// CheckEntry reports why the directory cannot hold t as the entry of
// tenant id, or nil. It checks what the directory needs to hold an entry
// safely — the ids' syntax (fabric.ValidTenantID, fabric.ValidCellID), at
// most MaxFailover failover cells, each listed once and none the primary
// (as in a registry: a retry would try the same cell again), a known
// state, a residency of at most 32 characters without spaces, a
// non-negative epoch — not whether the cells exist: the control plane
// validates placements against its registry, and a decision skips cells
// the router's registry lacks.
func CheckEntry(id string, t *Tenant) error {
	var problems []string
	if t.ID != id {
		problems = append(problems, fmt.Sprintf("the entry is for tenant %q", t.ID))
	}
	if !fabric.ValidCellID(t.Cell) {
		problems = append(problems, fmt.Sprintf("primary cell %q is not a valid cell id", t.Cell))
	}
	if len(t.Failover) > MaxFailover {
		problems = append(problems, fmt.Sprintf("%d failover cells, over the limit of %d", len(t.Failover), MaxFailover))
	}
	for j, f := range t.Failover {
		switch {
		case !fabric.ValidCellID(f):
			problems = append(problems, fmt.Sprintf("failover[%d] %q is not a valid cell id", j, f))
		case f == t.Cell:
			problems = append(problems, fmt.Sprintf("failover[%d] %q is the tenant's primary cell", j, f))
		case indexOf(t.Failover[:j], f) >= 0:
			problems = append(problems, fmt.Sprintf("failover[%d] %q is listed twice", j, f))
		}
	}
	if !t.State.Valid() {
		problems = append(problems, fmt.Sprintf("unknown state %q", t.State))
	}
	if len(t.Residency) > 32 || strings.IndexFunc(t.Residency, isSpaceOrControl) >= 0 {
		problems = append(problems, fmt.Sprintf("%q is not a valid residency", t.Residency))
	}
	if t.Epoch < 0 {
		problems = append(problems, fmt.Sprintf("epoch %d is negative", t.Epoch))
	}
	if !fabric.ValidTenantID(id) {
		// Said last and alone: the other problems are about an entry
		// nobody can ask for.
		problems = []string{fabric.TenantIDRule}
	}
	if problems == nil {
		return nil
	}
	return fmt.Errorf("tenant directory entry %q: %s; correct it in the directory (cellfabric tenants set)", id, strings.Join(problems, "; "))
}

// checkChange reports why c cannot be applied, or nil.
func checkChange(c TenantChange) error {
	switch {
	case c.Epoch < 0:
		return fmt.Errorf("tenant directory change for %q: epoch %d is negative; the journal record is corrupt", c.ID, c.Epoch)
	case c.Removed && c.Entry != nil:
		return fmt.Errorf("tenant directory change for %q: both a removal and an entry; the journal record is corrupt", c.ID)
	case c.Removed:
		if !fabric.ValidTenantID(c.ID) {
			return fmt.Errorf("tenant directory change for %q: %s", c.ID, fabric.TenantIDRule)
		}
		return nil
	case c.Entry == nil:
		return fmt.Errorf("tenant directory change for %q: neither an entry nor a removal; the journal record is corrupt", c.ID)
	}
	return CheckEntry(c.ID, c.Entry)
}
