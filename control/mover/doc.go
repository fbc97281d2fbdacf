// Package mover moves a tenant, with its data, from the cell it is placed
// on to another cell while its clients keep reading and writing: the
// runbook of docs/design/moving-tenants.md as code.
//
//	check → copy → follow → fence → drain → switch → verify → done
//
// Each step is journaled in the move lock the source cell's store holds
// for the tenant (state.MoveLock.Step; the target's store holds the same
// lock), renewed at every step and in the background, and logged. A mover
// that dies leaves the tenant either unfenced on its source (it died
// before fence) or fenced with the journal saying where to resume; it is
// never writable on two cells, because the cells' stores enforce the
// fence, not the routers. Move resumes from the journal (an expired lock
// of a move to the same target is taken over; Options.MoveID takes a live
// one); Abort, and any failure before switch, returns the tenant to its
// source unchanged; from switch on a move only rolls forward.
//
// Warm standby: a Follower (Mover.Follower) applies a tenant's change
// feed from its cell to another cell that holds the tenant fenced for
// every write, with the move's own copy and follow pieces, and reports
// its lag (Lag: records behind, age since it was last current); it
// journals its position in a lock on the standby cell, so a restarted
// follower resumes there. Options.Promote makes a move the promotion of
// such a standby: no copy, the follow step from the journaled position;
// with the source unreachable it needs Options.AcceptLoss and switches
// to what the standby holds. When no follower runs, requests are served
// as before and the standby only ages.
//
// Plane: control plane. While a mover is down or mid-move the data plane
// serves: reads always; writes everywhere except for the moved tenant
// while it is fenced (routers answer 503, cells 421).
//
// The mover reaches the tenant directory through Directory
// (dirhttp.Client satisfies it) and each cell's state admin API through
// CellState (stateapi.Client satisfies it), so tests run it against real
// servers. It imports the standard library, fabric, router,
// control/directory, workload/state and internal/ctxtime; no net/http, no
// CLI, no cloud SDK.
package mover
