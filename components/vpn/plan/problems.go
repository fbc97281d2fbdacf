package plan

import (
	"errors"
)

// Kinds of problem, for errors.Is. Every Problem unwraps to one of them.
var (
	ErrCell        = errors.New("invalid cell")                  // id, cloud, region or CIDR missing or malformed
	ErrDuplicateID = errors.New("duplicate cell id")             // two cells share an id
	ErrOverlap     = errors.New("overlapping cell CIDRs")        // two cells' blocks overlap (or one overlaps 169.254.0.0/16)
	ErrASN         = errors.New("invalid ASN")                   // missing, not private, or reserved by a cloud
	ErrASNClash    = errors.New("ASN used twice")                // two cells share an ASN
	ErrOneCloud    = errors.New("mesh needs two clouds")         // all cells are on one cloud
	ErrExhausted   = errors.New("inside address pool exhausted") // too many pairs for a pool
	ErrTunnels     = errors.New("invalid Azure↔GCP tunnel count")
	ErrIKE         = errors.New("invalid IKE version")
	ErrNameClash   = errors.New("generated names clash") // two pairs would get the same resource names
)

// ProblemsIn names the mesh in the heading of its problems: "2 problem(s)
// in the vpn mesh:". Every problem of Validate is a fabric.Problem that
// unwraps to one of the kinds above.
const ProblemsIn = "the vpn mesh"
