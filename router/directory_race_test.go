package router

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

// derived is the entry every writer in TestDirectoryConcurrent gives a
// tenant at an epoch, so that a reader can tell a torn or mixed-up read
// from the epoch it sees.
func derived(id string, epoch int64) Tenant {
	t := Tenant{ID: id, Epoch: epoch, Cell: fmt.Sprintf("c-%d", epoch%5), Residency: fmt.Sprintf("r%d", epoch%3),
		State: []fabric.TenantState{"", fabric.TenantActive, fabric.TenantMigrating, fabric.TenantReadonly}[epoch%4]}
	for j := int64(0); j < epoch%(MaxFailover+1); j++ {
		t.Failover = append(t.Failover, fmt.Sprintf("f-%d", (epoch+j)%11))
	}
	return t
}

// TestDirectoryConcurrent: lookups running while changes are applied and
// whole loads swapped in see each tenant either absent or exactly as one
// change wrote it. Meant for -race.
func TestDirectoryConcurrent(t *testing.T) {
	t.Parallel()
	const tenants, rounds = 200, 60
	ids := make([]string, tenants)
	for i := range ids {
		ids[i] = fmt.Sprintf("tenant-%03d", i)
	}
	d := NewDirectory()
	load := func(epoch int64) {
		if _, err := d.Load(func(add func([]Tenant) error) error {
			batch := make([]Tenant, 0, len(ids))
			for _, id := range ids {
				batch = append(batch, derived(id, epoch))
			}
			return add(batch)
		}); err != nil {
			t.Error(err)
		}
	}
	load(1)

	var stop atomic.Bool
	var lookups, found atomic.Int64
	var readers sync.WaitGroup
	for r := range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := r; !stop.Load(); i++ {
				id := ids[i%tenants]
				p, ok := d.Lookup(id)
				lookups.Add(1)
				if !ok {
					continue
				}
				found.Add(1)
				want := derived(id, p.Epoch)
				if p.ID != id || p.Cell != want.Cell || p.State != want.State || p.Residency != want.Residency || !slices.Equal(p.Failover(), want.Failover) {
					t.Errorf("%s at epoch %d: read %s %v %q %q, want %s %v %q %q", id, p.Epoch, p.Cell, p.Failover(), p.State, p.Residency,
						want.Cell, want.Failover, want.State, want.Residency)
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	writers.Add(2)
	go func() {
		defer writers.Done()
		for e := int64(2); e < rounds; e++ {
			for _, id := range ids {
				c := TenantChange{ID: id, Epoch: e, Removed: true}
				if e%7 != 0 {
					entry := derived(id, e)
					c = TenantChange{ID: id, Epoch: e, Entry: &entry}
				}
				if _, err := d.Apply(c); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	go func() {
		defer writers.Done()
		for k := int64(0); k < 5; k++ {
			load(1000 + k)
		}
	}()
	writers.Wait()
	stop.Store(true)
	readers.Wait()
	if found.Load() == 0 {
		t.Errorf("no lookup of %d found a tenant", lookups.Load())
	}
}
