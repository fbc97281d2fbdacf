// Package evacuate moves every tenant off a cell: `cellfabric cells
// evacuate` and the evacuation benchmark (bench/evacuate) call it.
//
// An evacuation closes the cell to new tenants first (the directory's
// placement flag, as `cellfabric cells drain`), lists the tenants whose
// primary is the cell (a scan of the directory's listing), picks a target
// for each (in the tenant's residency, active in the registry, not closed,
// healthy, fewest tenants first; Options.To restricts the set) and runs one
// control/mover move per tenant, Options.Parallel at a time. A checkpoint
// file records what is done, what failed and why, and the id of every move
// in flight, so that running the evacuation again after an interruption or
// a crash skips what is done, resumes the moves in flight by their ids and
// retries the rest.
//
// Plane: control plane. While an evacuation runs, each tenant is
// read-only (writes answered 503, reads served) only during its own move's
// fence window; the other tenants of the cell serve as before. An
// evacuation that fails or stops leaves every tenant either on the source
// or on its target, never on both: each move is the mover's, whose cells
// enforce the fence.
//
// It imports the standard library, control/directory, control/mover,
// router, fabric and internal/atomicfile; no net/http, no CLI.
package evacuate
