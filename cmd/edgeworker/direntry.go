package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

// maxEntryBytes bounds a directory value the Worker decodes: a valid entry
// (router.Tenant's JSON, at most seven failover cells) is well under 1 KB.
const maxEntryBytes = 4 << 10

// decodeEntry decodes the directory's value for tenant id (router.Tenant as
// JSON) and checks its shape: the id it names is id, cells and the id
// follow the id rules, failovers are at most router.MaxFailover, distinct
// and not the primary, the state is known, the residency short. Fields it
// does not know are ignored, so that a newer writer does not make tenants
// unroutable. It does not check that the cells exist: Snapshot.DecideFor
// skips the cells the registry does not hold, as if they were down.
//
// The control API writes entries checked against the registry with the
// same rules; this check only keeps a damaged value from being used.
func decodeEntry(id string, data []byte) (*router.Tenant, error) {
	if len(data) > maxEntryBytes {
		return nil, fmt.Errorf("%d bytes, over the %d a directory entry may hold", len(data), maxEntryBytes)
	}
	var t router.Tenant
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("not a tenant entry: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the entry")
	}
	if err := jsonkeys.Check(data); err != nil {
		return nil, err
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if t.ID != id {
		bad("id %q, but it is stored under tenant %q", t.ID, id)
	}
	if !fabric.ValidCellID(t.Cell) {
		bad("cell %q: %s", t.Cell, fabric.CellIDRule)
	}
	if len(t.Failover) > router.MaxFailover {
		bad("%d failover cells, over the limit of %d", len(t.Failover), router.MaxFailover)
	}
	for i, f := range t.Failover {
		switch {
		case !fabric.ValidCellID(f):
			bad("failover[%d] %q: %s", i, f, fabric.CellIDRule)
		case f == t.Cell:
			bad("failover[%d] %q is the primary cell", i, f)
		case slices.Contains(t.Failover[:i], f):
			bad("failover[%d] %q is listed twice", i, f)
		}
	}
	if !t.State.Valid() {
		bad("unknown state %q", t.State)
	}
	if len(t.Residency) > 32 || strings.ContainsAny(t.Residency, " \t\r\n") {
		bad("residency %q: up to 32 characters without spaces", t.Residency)
	}
	if t.Epoch < 0 {
		bad("epoch %d is negative", t.Epoch)
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return &t, nil
}

// intern points t's cell ids at the registry's own strings where they are
// the same, so that a cached entry holds no copy of them.
func intern(t *router.Tenant, snap *router.Snapshot) {
	if c, ok := snap.Cell(t.Cell); ok {
		t.Cell = c.ID
	}
	for i, f := range t.Failover {
		if c, ok := snap.Cell(f); ok {
			t.Failover[i] = c.ID
		}
	}
	if len(t.Failover) == 0 {
		t.Failover = nil
	}
}
