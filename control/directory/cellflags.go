package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Placement values of a cell's flag.
const (
	// PlacementOpen is a cell that takes new tenants: no c/<cell> key.
	PlacementOpen = "open"
	// PlacementClosed is a cell that takes no new tenants (drained): Place
	// and PlaceAtRequest skip it. Its tenants stay and are routed to it as
	// before; nothing moves.
	PlacementClosed = "closed"
)

// MaxFlagReason is the most characters a placement flag's reason holds.
const MaxFlagReason = 200

// CellFlag is a cell's placement flag: the value of c/<cell>, written by
// CloseCell and removed by OpenCell.
type CellFlag struct {
	// Placement is PlacementClosed (a stored flag is always closed).
	Placement string `json:"placement"`
	// Since is when the cell was closed, in unix seconds.
	Since int64 `json:"since"`
	// Reason is the operator's note, at most MaxFlagReason characters;
	// may be empty.
	Reason string `json:"reason,omitempty"`
}

// CellPlacement is one cell of GET /cells: the registry's cell with its
// placement flag, and a flag whose cell the registry no longer holds.
type CellPlacement struct {
	// ID is the cell's id.
	ID string `json:"id"`
	// Placement is PlacementOpen or PlacementClosed.
	Placement string `json:"placement"`
	// Since and Reason are the flag's, when closed.
	Since  int64  `json:"since,omitempty"`
	Reason string `json:"reason,omitempty"`
	// State is the cell's state in the registry (active, draining, down);
	// empty when the registry does not hold the cell.
	State fabric.CellState `json:"state,omitempty"`
	// Tenants is the approximate count of tenants whose primary is the
	// cell (n/<cell>).
	Tenants int64 `json:"tenants"`
	// NotInRegistry says the flag names a cell the registry does not hold
	// (removed since it was closed): open it to remove the flag.
	NotInRegistry bool `json:"notInRegistry,omitempty"`
}

// CellsResponse is the answer of GET /cells.
type CellsResponse struct {
	Cells []CellPlacement `json:"cells"`
}

// PlacementRequest is the body of PUT /cells/<id>/placement.
type PlacementRequest struct {
	// Placement is PlacementClosed or PlacementOpen. Required.
	Placement string `json:"placement"`
	// Reason is a note kept with a closed flag (≤ MaxFlagReason
	// characters); ignored when opening.
	Reason string `json:"reason,omitempty"`
}

// ClosedCells is a set of cell ids closed to new placements; nil holds
// none.
type ClosedCells map[string]bool

// CellFlags returns every stored placement flag, by cell id: one listing
// of the c/ prefix (one KV operation per 1,000 cells with a ValueLister).
// A flag that does not decode is logged and counted as closed: a cell an
// operator closed stays closed until it is opened again.
func (d *Directory) CellFlags(ctx context.Context) (map[string]CellFlag, error) {
	out := map[string]CellFlag{}
	cursor := ""
	for {
		kvs, next, err := d.listValues(ctx, CellPrefix, cursor, DefaultListLimit)
		if err != nil {
			return nil, storeError("", "reading the cells' placement flags", err)
		}
		for _, kv := range kvs {
			id := strings.TrimPrefix(kv.Key, CellPrefix)
			var f CellFlag
			if err := json.Unmarshal(kv.Value, &f); err != nil || f.Placement != PlacementClosed {
				d.log.Error("tenant directory: placement flag does not decode; the cell is taken as closed", "cell", id, "err", err)
				f = CellFlag{Placement: PlacementClosed, Reason: "unreadable flag"}
			}
			out[id] = f
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// Closed returns the cells closed to new placements (CellFlags' cells).
func (d *Directory) Closed(ctx context.Context) (ClosedCells, error) {
	flags, err := d.CellFlags(ctx)
	if err != nil {
		return nil, err
	}
	closed := make(ClosedCells, len(flags))
	for id := range flags {
		closed[id] = true
	}
	return closed, nil
}

// CloseCell closes cell to new placements (cellfabric cells drain): Place
// and PlaceAtRequest skip it from then on; its tenants stay on it and are
// routed as before. The cell must be in the registry and reason at most
// MaxFlagReason characters. Closing a closed cell keeps its Since and
// replaces its reason. The error is an *Error.
func (d *Directory) CloseCell(ctx context.Context, cell, reason string) (CellFlag, error) {
	snap, err := d.cellSnapshot(cell)
	if err != nil {
		return CellFlag{}, err
	}
	if _, ok := snap.Cell(cell); !ok {
		return CellFlag{}, unknownCell(cell, snap.Cells())
	}
	if n := utf8.RuneCountInString(reason); n > MaxFlagReason || !utf8.ValidString(reason) {
		return CellFlag{}, errorf(422, ReasonInvalidFlag, "", "the reason for closing cell %q has %d characters (or is not UTF-8): give at most %d", cell, n, MaxFlagReason)
	}
	f := CellFlag{Placement: PlacementClosed, Since: d.now().Unix(), Reason: reason}
	if old, found, err := d.cellFlag(ctx, cell); err != nil {
		return CellFlag{}, err
	} else if found && old.Since > 0 {
		f.Since = old.Since
	}
	data, err := json.Marshal(f)
	if err != nil {
		return CellFlag{}, err
	}
	if err := d.kv.Put(ctx, CellKey(cell), data, 0); err != nil {
		return CellFlag{}, storeError("", fmt.Sprintf("closing cell %q", cell), err)
	}
	d.closed.Forget()
	return f, nil
}

// OpenCell opens cell to new placements again (cellfabric cells undrain)
// by removing its flag; opening an open cell changes nothing. The cell
// must be in the registry or have a flag (a cell removed from the registry
// while closed is opened to clear its flag). The error is an *Error.
func (d *Directory) OpenCell(ctx context.Context, cell string) error {
	snap, err := d.cellSnapshot(cell)
	if err != nil {
		return err
	}
	if _, ok := snap.Cell(cell); !ok {
		if !fabric.ValidCellID(cell) {
			return unknownCell(cell, snap.Cells())
		}
		if _, found, err := d.cellFlag(ctx, cell); err != nil {
			return err
		} else if !found {
			return unknownCell(cell, snap.Cells())
		}
	}
	if err := d.kv.Delete(ctx, CellKey(cell)); err != nil {
		return storeError("", fmt.Sprintf("opening cell %q", cell), err)
	}
	d.closed.Forget()
	return nil
}

// cellFlag reads one cell's flag; found is false for an open cell.
func (d *Directory) cellFlag(ctx context.Context, cell string) (CellFlag, bool, error) {
	data, found, err := d.kv.Get(ctx, CellKey(cell))
	if err != nil {
		return CellFlag{}, false, storeError("", fmt.Sprintf("reading the placement flag of cell %q", cell), err)
	}
	if !found {
		return CellFlag{}, false, nil
	}
	var f CellFlag
	if json.Unmarshal(data, &f) != nil {
		return CellFlag{Placement: PlacementClosed}, true, nil
	}
	return f, true, nil
}

// Cells returns every cell of the registry, in its order, with its
// placement flag and tenant count, then the flags of cells the registry
// no longer holds.
func (d *Directory) Cells(ctx context.Context) ([]CellPlacement, error) {
	snap, err := d.cellSnapshot("")
	if err != nil {
		return nil, err
	}
	flags, err := d.CellFlags(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range snap.Cells() {
		ids = append(ids, c.ID)
	}
	var gone []string
	for id := range flags {
		if _, ok := snap.Cell(id); !ok {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	counts, err := d.Counts(ctx, append(ids, gone...))
	if err != nil {
		return nil, err
	}
	out := make([]CellPlacement, 0, len(ids)+len(gone))
	for _, id := range append(ids, gone...) {
		p := CellPlacement{ID: id, Placement: PlacementOpen, Tenants: counts[id]}
		if c, ok := snap.Cell(id); ok {
			p.State = c.EffectiveState()
		} else {
			p.NotInRegistry = true
		}
		if f, ok := flags[id]; ok {
			p.Placement, p.Since, p.Reason = PlacementClosed, f.Since, f.Reason
		}
		out = append(out, p)
	}
	return out, nil
}

// cellSnapshot returns the registry flags are checked and listed against.
func (d *Directory) cellSnapshot(cell string) (*router.Snapshot, error) {
	if s := d.registry(); s != nil {
		return s, nil
	}
	what := "the cells"
	if cell != "" {
		what = fmt.Sprintf("cell %q", clip(cell, 80))
	}
	return nil, &Error{Status: 503, Reason: ReasonNoRegistry, RetryAfter: 5,
		Msg: fmt.Sprintf("the directory holds no registry yet, so it cannot check %s; retry once the registry is loaded", what)}
}

// unknownCell refuses a flag for a cell the registry does not hold.
func unknownCell(cell string, cells []router.Cell) *Error {
	ids := make([]string, len(cells))
	for i, c := range cells {
		ids[i] = c.ID
	}
	return errorf(422, ReasonUnknownCell, "", "cell %q is not in the registry (cells: %s): name one of its cells", clip(cell, 80), strings.Join(ids, ", "))
}

// servePlacement answers PUT /cells/<id>/placement: closes or opens the
// cell and returns its placement as GET /cells lists it.
func (d *Directory) servePlacement(ctx context.Context, cell string, body []byte) (CellPlacement, error) {
	var pr PlacementRequest
	if err := router.DecodeStrict(body, &pr); err != nil {
		return CellPlacement{}, errorf(400, ReasonMalformed, "", "the placement request for cell %q is not valid JSON of {\"placement\":\"closed\"|\"open\", \"reason\":…} (%v): fix the body", clip(cell, 80), err)
	}
	var err error
	switch pr.Placement {
	case PlacementClosed:
		_, err = d.CloseCell(ctx, cell, pr.Reason)
	case PlacementOpen:
		err = d.OpenCell(ctx, cell)
	default:
		err = errorf(422, ReasonInvalidFlag, "", "placement %q for cell %q is not one: send \"closed\" (no new tenants) or \"open\"", clip(pr.Placement, 40), clip(cell, 80))
	}
	if err != nil {
		return CellPlacement{}, err
	}
	cells, err := d.Cells(ctx)
	if err != nil {
		return CellPlacement{}, err
	}
	for _, c := range cells {
		if c.ID == cell {
			return c, nil
		}
	}
	// Opened, and the registry does not hold it: its flag is gone.
	return CellPlacement{ID: cell, Placement: PlacementOpen, NotInRegistry: true}, nil
}
