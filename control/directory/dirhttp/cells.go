package dirhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
)

// Cells returns every cell of the directory's registry with its placement
// flag and tenant count, then the flags of cells the registry no longer
// holds (GET /cells).
func (c *Client) Cells(ctx context.Context) ([]directory.CellPlacement, error) {
	var out directory.CellsResponse
	if _, err := c.do(ctx, call{method: "GET", path: "/cells", doing: "listing the cells' placement flags"}, &out); err != nil {
		return nil, err
	}
	return out.Cells, nil
}

// Closed returns the cells closed to new placements.
func (c *Client) Closed(ctx context.Context) (directory.ClosedCells, error) {
	cells, err := c.Cells(ctx)
	if err != nil {
		return nil, err
	}
	closed := directory.ClosedCells{}
	for _, p := range cells {
		if p.Placement == directory.PlacementClosed {
			closed[p.ID] = true
		}
	}
	return closed, nil
}

// CloseCell closes cell to new placements (cellfabric cells drain), with
// reason as the operator's note, and returns its placement. Its tenants
// stay and are routed as before. Closing is idempotent, and so is its
// retry.
func (c *Client) CloseCell(ctx context.Context, cell, reason string) (directory.CellPlacement, error) {
	return c.setPlacement(ctx, cell, directory.PlacementRequest{Placement: directory.PlacementClosed, Reason: reason}, "closing")
}

// OpenCell opens cell to new placements again (cellfabric cells undrain)
// and returns its placement.
func (c *Client) OpenCell(ctx context.Context, cell string) (directory.CellPlacement, error) {
	return c.setPlacement(ctx, cell, directory.PlacementRequest{Placement: directory.PlacementOpen}, "opening")
}

func (c *Client) setPlacement(ctx context.Context, cell string, pr directory.PlacementRequest, doing string) (directory.CellPlacement, error) {
	if !fabric.ValidCellID(cell) {
		return directory.CellPlacement{}, &APIError{Status: 422, Reason: directory.ReasonUnknownCell,
			Message: fmt.Sprintf("%q is not a valid cell id: use %s", cell, fabric.CellIDRule)}
	}
	body, err := json.Marshal(pr)
	if err != nil {
		return directory.CellPlacement{}, err
	}
	var out directory.CellPlacement
	_, err = c.do(ctx, call{method: "PUT", path: "/cells/" + url.PathEscape(cell) + "/placement", body: body,
		doing: fmt.Sprintf("%s cell %q to new tenants", doing, cell)}, &out)
	c.closed.Forget() // also after an error: the call may have been applied
	return out, err
}

// TakeEvacuationGuard takes (or renews, for its owner) the directory's
// evacuation guard for an evacuation of cell (PUT /evacuation); it is
// refused with directory.ReasonEvacuating while another owner holds it.
func (c *Client) TakeEvacuationGuard(ctx context.Context, owner, cell string, ttl time.Duration) (directory.EvacuationGuard, error) {
	body, err := json.Marshal(directory.GuardRequest{Owner: owner, Cell: cell, TTLSeconds: int(ttl / time.Second)})
	if err != nil {
		return directory.EvacuationGuard{}, err
	}
	var out directory.EvacuationGuard
	_, err = c.do(ctx, call{method: "PUT", path: "/evacuation", body: body, doing: fmt.Sprintf("taking the evacuation guard for cell %q", cell)}, &out)
	return out, err
}

// ReleaseEvacuationGuard releases the guard if owner holds it (DELETE
// /evacuation).
func (c *Client) ReleaseEvacuationGuard(ctx context.Context, owner string) error {
	_, err := c.do(ctx, call{method: "DELETE", path: "/evacuation", query: url.Values{"owner": {owner}}, doing: "releasing the evacuation guard"}, nil)
	return err
}
