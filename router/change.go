package router

import "errors"

// TenantChange is one change of the tenant directory, as its journal records
// it and as a router applies it: the tenant's entry after the change, or its
// removal. Changes to one tenant are ordered by Epoch alone (the directory
// raises it with every write), so an applier ignores a change whose epoch is
// not above the one it holds for the tenant; time orders nothing.
type TenantChange struct {
	// ID is the tenant the change is about.
	ID string `json:"id"`
	// Epoch is the tenant's placement epoch after the change (for a
	// removal, the epoch the removal was written at).
	Epoch int64 `json:"epoch"`
	// Entry is the tenant's placement after the change; nil when Removed.
	Entry *Tenant `json:"entry,omitempty"`
	// Removed says the tenant left the directory.
	Removed bool `json:"removed,omitempty"`
}

// Newer reports whether c should replace what a reader holds for the
// tenant at epoch held (0: nothing held).
func (c TenantChange) Newer(held int64) bool { return c.Epoch > held }

// ErrPositionExpired is what a directory feed's Changes returns (wrapped or
// not) when the position asked for is older than the journal keeps: the
// reader must read the whole directory again and continue from the position
// that read gives.
var ErrPositionExpired = errors.New("the tenant directory's journal no longer reaches back to this position: read the whole directory again")
