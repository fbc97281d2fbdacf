package fabric

import (
	"cmp"
	"slices"
)

// CellState is a cell's routing state.
type CellState string

// Cell states. The zero value means CellActive wherever a state is optional.
const (
	// CellActive cells receive their tenants, failover traffic,
	// shared-route traffic and new placements.
	CellActive CellState = "active"
	// CellDraining cells keep their tenants and take failover traffic, but
	// get no shared-route traffic and no new placements.
	CellDraining CellState = "draining"
	// CellDown cells receive nothing; their tenants go to their failover
	// cells.
	CellDown CellState = "down"
)

// CellStates lists the cell states.
var CellStates = []CellState{CellActive, CellDraining, CellDown}

// Valid reports whether s is a cell state; the empty state (the default,
// active) is valid.
func (s CellState) Valid() bool { return s == "" || slices.Contains(CellStates, s) }

// OrDefault returns s, or CellActive when s is empty.
func (s CellState) OrDefault() CellState { return cmp.Or(s, CellActive) }

// TenantState is a tenant's routing state.
type TenantState string

// Tenant states. The zero value means TenantActive wherever a state is
// optional.
const (
	// TenantActive tenants read and write.
	TenantActive TenantState = "active"
	// TenantMigrating tenants are being moved: reads pass, writes get 503
	// with Retry-After.
	TenantMigrating TenantState = "migrating"
	// TenantReadonly tenants are frozen: reads pass, writes get 503 with
	// Retry-After.
	TenantReadonly TenantState = "readonly"
)

// TenantStates lists the tenant states.
var TenantStates = []TenantState{TenantActive, TenantMigrating, TenantReadonly}

// Valid reports whether s is a tenant state; the empty state (the default,
// active) is valid.
func (s TenantState) Valid() bool { return s == "" || slices.Contains(TenantStates, s) }

// OrDefault returns s, or TenantActive when s is empty.
func (s TenantState) OrDefault() TenantState { return cmp.Or(s, TenantActive) }

// Policy is what happens to a request for a tenant the registry does not
// list.
type Policy string

// Unknown-tenant policies. The zero value means PolicyReject.
const (
	// PolicyReject answers 404.
	PolicyReject Policy = "reject"
	// PolicyPlace places the tenant on an active, healthy cell chosen by
	// weighted rendezvous hashing of the tenant id, so the same tenant lands
	// on the same cell from every router.
	PolicyPlace Policy = "place"
)

// Policies lists the unknown-tenant policies.
var Policies = []Policy{PolicyReject, PolicyPlace}

// Valid reports whether p is a policy; the empty policy (the default,
// reject) is valid.
func (p Policy) Valid() bool { return p == "" || slices.Contains(Policies, p) }

// OrDefault returns p, or PolicyReject when p is empty.
func (p Policy) OrDefault() Policy { return cmp.Or(p, PolicyReject) }
