package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

// maxEntryBytes bounds a directory value the Worker decodes: a valid entry
// (router.Tenant's JSON, at most seven failover cells) is well under 1 KB.
const maxEntryBytes = 4 << 10

// decodeEntry decodes the directory's value for tenant id (router.Tenant as
// JSON) and checks it with router.CheckEntry, the rules the router server
// applies to every entry its directory holds (the id it names is id, the
// ids' syntax, at most router.MaxFailover failovers, a known state, a short
// residency, a non-negative epoch, failovers distinct and not the
// primary). Fields it does not know are ignored, as the server's
// directory feed ignores them, so that a newer writer does not make tenants
// unroutable. It does not check that the cells exist: Snapshot.DecideFor
// skips the cells the registry does not hold, as if they were down.
//
// The control API writes entries checked against the registry with
// Snapshot.CheckTenant; this check only keeps a damaged value from being
// used.
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
	if err := router.CheckEntry(id, &t); err != nil {
		return nil, err
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
