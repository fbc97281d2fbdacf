package directory

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// EvacuationKey is the key of the evacuation guard: the one evacuation
// that may run (cellfabric cells evacuate), with its owner and expiry.
const EvacuationKey = "e/lock"

// Limits of the evacuation guard.
const (
	// MaxGuardOwner is the most characters an owner holds.
	MaxGuardOwner = 200
	// MaxGuardTTL is the longest a guard lasts without a renewal.
	MaxGuardTTL = time.Hour
)

// EvacuationGuard is the value of EvacuationKey, and the answer of PUT
// /evacuation.
type EvacuationGuard struct {
	// Owner names who evacuates (host and cell, say).
	Owner string `json:"owner"`
	// Cell is the cell being evacuated.
	Cell string `json:"cell"`
	// Expires is when the guard lapses unless renewed, unix milliseconds.
	Expires int64 `json:"expires"`
}

// GuardRequest is the body of PUT /evacuation.
type GuardRequest struct {
	// Owner names who evacuates. Required; at most MaxGuardOwner
	// characters. Taking the guard again under the same owner renews it.
	Owner string `json:"owner"`
	// Cell is the cell to evacuate. Required; in the registry.
	Cell string `json:"cell"`
	// TTLSeconds is how long the guard lasts without a renewal: 1 second
	// to MaxGuardTTL.
	TTLSeconds int `json:"ttlSeconds"`
}

// TakeEvacuationGuard takes (or, for its owner, renews) the evacuation
// guard: at most one evacuation runs at a time. It is refused
// (ReasonEvacuating, 409) while another owner holds an unexpired guard.
//
// The directory's KV has no compare-and-swap (Workers KV), so two owners
// taking the guard at the same instant may both succeed: the guard keeps
// automation (the --when-unhealthy trigger, an alert calling it) from
// starting a second evacuation while one runs, not two operators racing.
func (d *Directory) TakeEvacuationGuard(ctx context.Context, req GuardRequest) (EvacuationGuard, error) {
	snap, err := d.cellSnapshot(req.Cell)
	if err != nil {
		return EvacuationGuard{}, err
	}
	switch n := utf8.RuneCountInString(req.Owner); {
	case n == 0 || n > MaxGuardOwner || !utf8.ValidString(req.Owner):
		return EvacuationGuard{}, errorf(422, ReasonMalformed, "", "the evacuation guard's owner has %d characters: give 1..%d", n, MaxGuardOwner)
	case req.TTLSeconds < 1 || time.Duration(req.TTLSeconds)*time.Second > MaxGuardTTL:
		return EvacuationGuard{}, errorf(422, ReasonMalformed, "", "the evacuation guard's ttlSeconds %d is out of range: give 1..%d", req.TTLSeconds, int(MaxGuardTTL/time.Second))
	case !fabric.ValidCellID(req.Cell):
		return EvacuationGuard{}, unknownCell(req.Cell, snap.Cells())
	}
	if _, ok := snap.Cell(req.Cell); !ok {
		return EvacuationGuard{}, unknownCell(req.Cell, snap.Cells())
	}
	now := d.now()
	if g, found, err := d.evacuationGuard(ctx); err != nil {
		return EvacuationGuard{}, err
	} else if found && g.Owner != req.Owner && g.Expires > now.UnixMilli() {
		return EvacuationGuard{}, errorf(409, ReasonEvacuating, "", "cell %s is being evacuated by %q (guard until %s): one evacuation runs at a time; wait for it to finish, or for its guard to lapse", g.Cell, g.Owner, time.UnixMilli(g.Expires).UTC().Format(time.RFC3339))
	}
	g := EvacuationGuard{Owner: req.Owner, Cell: req.Cell, Expires: now.Add(time.Duration(req.TTLSeconds) * time.Second).UnixMilli()}
	data, err := json.Marshal(g)
	if err != nil {
		return EvacuationGuard{}, err
	}
	// The KV's own expiry removes a guard left by a dead owner; Workers KV
	// takes at least 60 s, the value's Expires decides before then.
	if err := d.kv.Put(ctx, EvacuationKey, data, max(req.TTLSeconds, 60)); err != nil {
		return EvacuationGuard{}, storeError("", "taking the evacuation guard", err)
	}
	return g, nil
}

// ReleaseEvacuationGuard removes the guard if owner holds it; otherwise
// it changes nothing.
func (d *Directory) ReleaseEvacuationGuard(ctx context.Context, owner string) error {
	g, found, err := d.evacuationGuard(ctx)
	if err != nil || !found || g.Owner != owner {
		return err
	}
	if err := d.kv.Delete(ctx, EvacuationKey); err != nil {
		return storeError("", "releasing the evacuation guard", err)
	}
	return nil
}

// evacuationGuard reads the guard; a value that does not decode is no
// guard.
func (d *Directory) evacuationGuard(ctx context.Context) (EvacuationGuard, bool, error) {
	data, found, err := d.kv.Get(ctx, EvacuationKey)
	if err != nil {
		return EvacuationGuard{}, false, storeError("", "reading the evacuation guard", err)
	}
	var g EvacuationGuard
	if !found || json.Unmarshal(data, &g) != nil {
		return EvacuationGuard{}, false, nil
	}
	return g, true, nil
}

// serveGuard answers PUT and DELETE /evacuation.
func (d *Directory) serveGuard(ctx context.Context, req Request) (any, error) {
	switch req.Method {
	case "PUT":
		var gr GuardRequest
		if err := router.DecodeStrict(req.Body, &gr); err != nil {
			return nil, errorf(400, ReasonMalformed, "", "the evacuation guard request is not valid JSON of {\"owner\",\"cell\",\"ttlSeconds\"} (%v): fix the body", err)
		}
		return d.TakeEvacuationGuard(ctx, gr)
	case "DELETE":
		owner := req.Query.Get("owner")
		if owner == "" {
			return nil, errorf(400, ReasonBadQuery, "", "releasing the evacuation guard needs ?owner=: the owner that took it")
		}
		return struct{}{}, d.ReleaseEvacuationGuard(ctx, owner)
	}
	return nil, errorf(405, ReasonMethod, "", "%s is not allowed on %s: use PUT (take or renew) or DELETE?owner= (release)", req.Method, req.Path)
}
