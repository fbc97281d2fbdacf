package dirhttp

import (
	"context"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
)

// Feed is the control API as the server router's directory feed
// (router/server.DirectoryFeed, and DirectoryGetter so that a router told
// by a cell that its placement is stale reads the tenant's entry again at
// once). Load and Changes are the Client's; Get reports a tenant the
// directory lacks as found false rather than as an error, as
// directory.Directory.Get does.
type Feed struct{ C *Client }

// Load is Client.Load.
func (f Feed) Load(ctx context.Context, each func([]router.Tenant) error) (string, error) {
	return f.C.Load(ctx, each)
}

// Changes is Client.Changes.
func (f Feed) Changes(ctx context.Context, position string) ([]router.TenantChange, string, error) {
	return f.C.Changes(ctx, position)
}

// Get returns tenant id's entry; found is false when the directory has
// none (the API's 404 not_found).
func (f Feed) Get(ctx context.Context, id string) (t router.Tenant, found bool, err error) {
	t, err = f.C.Get(ctx, id)
	switch {
	case Reason(err) == directory.ReasonNotFound:
		return router.Tenant{}, false, nil
	case err != nil:
		return router.Tenant{}, false, err
	}
	return t, true, nil
}
